"""The marks of one patient's score chart, worked out once from their status.

The terminal chart (`outcomes_app.chart`), the chart a patient saves from
patient mode and the take-home page (`reports.handout`) draw the same
points and lines; this is where they come from, so the three never differ.
"""

from __future__ import annotations

from dataclasses import dataclass

from outcomes.not_drawn import BEFORE_WINDOW, EARLIER, OTHER_COURSE, NotDrawn
from outcomes.response import remission_cut, response_score
from outcomes.scales import get_scale
from outcomes.status import PatientStatus
from outcomes.wording import noun_of


@dataclass(frozen=True)
class ChartData:
    """What the chart draws, worked out from a `PatientStatus` once.

    Attributes:
        scale_name: Display name of the scale.
        days: X of each score (days since the first infusion).
        totals: The scores.
        infusion_days: Days of the induction infusions.
        booster_days: Days of the boosters.
        baseline: Baseline total, or None.
        response_level: The highest whole score that is a response (half the
            baseline or lower: 9 for a baseline of 19), or None without a baseline.
        remission: The remission cut, or None for a scale without one.
        x_label: What the x axis counts.
        noun: What a session of the course is called ("infusion", or
            "session" for esketamine: `outcomes.wording.session_noun`).
        not_drawn: The patient's scores on this scale the chart leaves out
            and why (`NotDrawn`), so that it never contradicts the timeline.
    """

    scale_name: str
    days: tuple[int, ...]
    totals: tuple[int, ...]
    infusion_days: tuple[int, ...]
    booster_days: tuple[int, ...]
    baseline: int | None
    response_level: int | None
    remission: int | None
    total_max: int
    x_label: str
    noun: str = "infusion"
    not_drawn: tuple[NotDrawn, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.totals


def chart_data(status: PatientStatus) -> ChartData:
    """The marks of one patient's chart, from their status."""
    scale = get_scale(status.scale)
    infusions = status.infusions
    noun = noun_of(status)
    x_label = f"days since first {noun}"
    if infusions:
        origin = infusions[0].when.day
    elif status.points:
        # No infusion yet: count from the first score so the points still line up.
        origin = status.points[0].assessment.when.day
        x_label = "days since first score"
    else:
        origin = None
    days = tuple((p.assessment.when.day - origin).days for p in status.points) if origin else ()
    n = status.settings.induction_sessions
    inf_days = [(i.when.day - origin).days for i in infusions] if origin else []
    baseline = status.baseline.total if status.baseline else None
    return ChartData(
        scale_name=scale.name,
        days=days,
        totals=tuple(p.assessment.total for p in status.points),
        infusion_days=tuple(inf_days[:n]),
        booster_days=tuple(inf_days[n:]),
        baseline=baseline,
        response_level=response_score(baseline) if baseline else None,
        remission=remission_cut(status.scale, status.settings),
        total_max=scale.total_max,
        x_label=x_label,
        noun=noun,
        not_drawn=not_drawn(status),
    )


def not_drawn(status: PatientStatus) -> tuple[NotDrawn, ...]:
    """The patient's scores on the status's scale that are not among its points, with why."""
    placed = {id(p.assessment) for p in status.points}
    course = status.course
    first = course.first_infusion if course else None
    window = status.settings.baseline_window_days
    left_out = []
    for a in status.all_assessments:
        if a.scale != status.scale or id(a) in placed:
            continue
        before = (first.when.day - a.when.day).days if first else None
        if course is not None and (
            course.number > 1 or (course.end_key is not None and a.key > course.end_key)
        ):
            reason = OTHER_COURSE
        elif before is not None and before > window:
            reason = BEFORE_WINDOW
        else:
            reason = EARLIER
        left_out.append(NotDrawn(a.total, a.when.day, before, reason))
    return tuple(left_out)
