"""Follow-up assessments due after the induction.

The schedule (setting `followup_schedule_days`, default days 1, 7, 14, 30, 60
and 90) counts from the last induction infusion. A scheduled follow-up is
done when an assessment of any outcome scale (not CADSS, clinical-spec
section 9) falls in its slot: the days nearer to it
than to its neighbours (from the midpoint after the previous scheduled day,
rounded up, to the midpoint before the next; the first slot starts at day 0,
the last has no end). With the default schedule the slots are days 0-3, 4-10,
11-21, 22-44, 45-74 and 75 onwards, so one assessment never counts twice. A
follow-up is *due* from its day for `GRACE_DAYS`, *overdue* after that, and
*upcoming* before. A slot passed over (a later slot already holds an
assessment) is no longer asked for: the next follow-up is the first empty
slot after the last filled one.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the status module's wording reads this module's states
    from outcomes.status import PatientStatus

GRACE_DAYS = 3  # convention: a follow-up a few days late is still "due"

DUE = "due"
OVERDUE = "overdue"
UPCOMING = "upcoming"


@dataclass(frozen=True, slots=True)
class FollowUp:
    """The next follow-up of one patient."""

    patient_id: str
    day: int  # scheduled day after the last induction infusion
    due_on: date
    state: str  # "due", "overdue" or "upcoming"
    days_late: int


def next_followup(status: PatientStatus, as_of: date) -> FollowUp | None:
    """The first scheduled follow-up not yet done, once the induction is complete."""
    n = status.induction_size
    infusions = status.infusions
    if len(infusions) < n:
        return None
    day0 = infusions[n - 1].when.day
    day0_key = infusions[n - 1].key
    taken = [(a.when.day - day0).days for a in status.outcome_assessments if a.key > day0_key]
    schedule = status.settings.followup_schedule_days
    last_filled = max((_slot_of(schedule, t) for t in taken), default=-1)
    nxt = last_filled + 1
    if nxt >= len(schedule):
        return None
    due_on = day0 + timedelta(days=schedule[nxt])
    late = (as_of - due_on).days
    state = OVERDUE if late > GRACE_DAYS else DUE if late >= 0 else UPCOMING
    return FollowUp(status.patient_id, schedule[nxt], due_on, state, max(late, 0))


def _slot_of(schedule: tuple[int, ...], day: int) -> int:
    """The index of the scheduled day whose slot `day` (after day 0) falls in; -1 before day 0.

    The slot of the i-th scheduled day runs from the midpoint with the one
    before (day 0 for the first) to the midpoint with the one after (open for
    the last): the slots tile the days from 0 on, so one search of their
    starts finds it.
    """
    starts = _slot_starts(schedule)
    return bisect_right(starts, day) - 1


@lru_cache(maxsize=16)
def _slot_starts(schedule: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(
        0 if i == 0 else _midpoint(schedule[i - 1], schedule[i]) for i in range(len(schedule))
    )


def _midpoint(earlier: int, later: int) -> int:
    """First day of the later slot: the midpoint between two scheduled days, rounded up."""
    return (earlier + later + 1) // 2
