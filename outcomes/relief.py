"""How long relief lasts after the induction (clinical-spec section 5).

For responders only. Day 0 is the last induction infusion. Relief is lost at
the first assessment after day 0 *and after the first response* whose
improvement falls below 50%, confirmed by the next one when
`relapse_confirmations` is 2: a score below response before the first
response is never a relapse (a response cannot be lost before it exists). A
booster (or a new course) before that ends the observation: as loss of relief
by default, or as a censoring point when `booster_ends_relief` is false.

A responder whose response came on or before day 0 but whose latest score on
or before day 0 is no longer a response lost it during the induction when the
first assessment after day 0 inside the verdict window (if there is one) is
not a response either: relief is 0 days, an observed end at day 0 ("lost
during the induction"). When that first assessment is a response again, the
dip was not confirmed and relief is measured as usual.
"""

from __future__ import annotations

from dataclasses import dataclass

from outcomes.records import Assessment, Infusion
from outcomes.response import is_response
from outcomes.settings import Settings
from outcomes.timepoints import Timepoint

RELAPSE = "relapse"
BOOSTER = "booster"
ONGOING = "ongoing"
LOST_IN_INDUCTION = "lost_during_induction"


@dataclass(frozen=True, slots=True)
class Relief:
    """Relief after the induction.

    Attributes:
        days: Days from day 0 to the end (relapse or booster) or, while
            relief holds, to the latest assessment.
        censored: True when loss of relief has not been observed.
        ended_by: "relapse", "booster", "ongoing" or "lost_during_induction".
        relapse_when: The first failing assessment's time, for a relapse (for
            a response lost during the induction: the last score before day 0).
        day0: The last induction infusion's time.
        measured_to: The latest score relief was measured to while it holds
            (`ONGOING`), None when no score came after day 0; for a response
            lost during the induction, the score after day 0 that confirmed
            the loss (None when there was none in the verdict window).
        response_at_end: Whether the latest score on or before day 0 is a
            response (`response_at_end_of_induction`); None without one.
    """

    days: int
    censored: bool
    ended_by: str
    relapse_when: Timepoint | None
    day0: Timepoint
    measured_to: Timepoint | None = None
    response_at_end: bool | None = None


def lost_in_induction(
    baseline: int,
    first_response: Assessment,
    last_induction: Infusion,
    up_to_day0: list[Assessment],
    first_after_day0: Assessment | None = None,
) -> Assessment | None:
    """The score that shows a response lost during the induction, if it was.

    Args:
        first_response: The assessment that first reached response.
        up_to_day0: The scale's assessments of the course after the first
            infusion and on or before day 0, in time order.
        first_after_day0: The first assessment after day 0 inside the verdict
            window, if there is one: the dip is confirmed only when it is not
            a response either (as a relapse would be).

    Returns:
        The latest score on or before day 0 when the first response came on
        or before day 0, that latest score is no longer a response, and the
        first score after day 0 in the window (if any) does not bring it back;
        else None.
    """
    day0_key = last_induction.key
    if first_response.key > day0_key or not up_to_day0:
        return None  # first response after day 0, in the verdict window: measured as usual
    last = up_to_day0[-1]
    if is_response(baseline, last.total):
        return None
    if first_after_day0 is not None and is_response(baseline, first_after_day0.total):
        return None  # a dip at the last session that the next score did not confirm
    return last


def response_at_end(baseline: int, up_to_day0: list[Assessment]) -> bool | None:
    """Whether the latest score on or before day 0 is a response (None without one)."""
    return is_response(baseline, up_to_day0[-1].total) if up_to_day0 else None


def measure_relief(
    baseline: int,
    last_induction: Infusion,
    later_assessments: list[Assessment],
    next_treatment: Infusion | None,
    settings: Settings,
    lost_at: Assessment | None = None,
    confirmed_by: Assessment | None = None,
    first_response: Assessment | None = None,
) -> Relief:
    """Relief of a responder.

    Args:
        baseline: The course's baseline score.
        last_induction: Day 0.
        later_assessments: The scale's assessments of the course after day 0,
            in time order.
        next_treatment: The first booster (or the next course's first
            infusion) after day 0, if any.
        lost_at, confirmed_by: A response lost during the induction
            (`lost_in_induction`) and the score after day 0 that confirmed it.
        first_response: The first response; a relapse is looked for only
            after it (it may come after day 0, in the verdict window).
    """
    day0 = last_induction.when
    if lost_at is not None:
        confirmed = confirmed_by.when if confirmed_by is not None else None
        return Relief(0, False, LOST_IN_INDUCTION, lost_at.when, day0, confirmed)
    if next_treatment is not None:
        # Only what was seen before the next treatment: an assessment after a
        # booster shows the booster's effect, not the induction's.
        later_assessments = [a for a in later_assessments if a.key <= next_treatment.key]
    searched = later_assessments
    if first_response is not None:  # a response cannot be lost before it exists
        searched = [a for a in later_assessments if a.key > first_response.key]
    needed = settings.relapse_confirmations
    failing = [not is_response(baseline, a.total) for a in searched]
    relapse: Assessment | None = None
    for i, a in enumerate(searched):
        # A failing score is a relapse when the next `needed - 1` scores fail
        # too; one with too few scores after it is not (yet) confirmed.
        if all(failing[i : i + needed]) and len(failing[i : i + needed]) == needed:
            relapse = a
            break
    if relapse is not None:
        return Relief((relapse.when.day - day0.day).days, False, RELAPSE, relapse.when, day0)
    if next_treatment is not None:
        return Relief(
            (next_treatment.when.day - day0.day).days,
            not settings.booster_ends_relief,
            BOOSTER,
            None,
            day0,
        )
    if not later_assessments:
        return Relief(0, True, ONGOING, None, day0)  # no score since day 0 yet
    latest = later_assessments[-1].when
    return Relief(max(0, (latest.day - day0.day).days), True, ONGOING, None, day0, latest)
