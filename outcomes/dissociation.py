"""CADSS per infusion: which infusion each dissociation rating belongs to (clinical-spec section 8).

CADSS is rated during or just after an infusion, so a record linked to an
infusion (`infusion_id`) goes there; an unlinked one goes to an infusion on
the same day, else to the session it falls in (the infusion before it). With
several ratings for one infusion the highest is kept. The per-patient chart
and the clinic's dissociation-and-outcome figures both place CADSS this way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Sequence

from outcomes.records import Assessment

if TYPE_CHECKING:
    from outcomes.status import PatientStatus


@dataclass(frozen=True, slots=True)
class CadssPoint:
    """A CADSS total attributed to one infusion of the course."""

    infusion_number: int  # 1-based place in the course
    day: int  # days since the course's first infusion
    total: int


def cadss_per_infusion(status: PatientStatus, cadss: Sequence[Assessment]) -> list[CadssPoint]:
    """CADSS totals placed on the infusion of `status`'s course they were rated for."""
    infusions = status.infusions
    if not infusions or status.course is None:
        return []
    first = infusions[0].when.day
    by_id = {inf.id: i for i, inf in enumerate(infusions) if inf.id is not None}
    by_day: dict[date, int] = {}
    for i, inf in enumerate(infusions):
        by_day.setdefault(inf.when.day, i)
    best: dict[int, int] = {}
    for a in cadss:
        if a.infusion_id is not None and a.infusion_id in by_id:
            idx = by_id[a.infusion_id]
        elif a.when.day in by_day:
            idx = by_day[a.when.day]
        else:
            if not status.course.contains(a):
                continue
            session = status.course.session_of(a)
            if session < 1:
                continue
            idx = session - 1
        best[idx] = max(best.get(idx, 0), a.total)
    return [
        CadssPoint(idx + 1, (infusions[idx].when.day - first).days, total)
        for idx, total in sorted(best.items())
    ]
