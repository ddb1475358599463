"""The six-session verdict (clinical-spec section 4).

"Is this patient responding within six sessions?" Assessments of sessions
1..N-1 count, and those of session N up to `verdict_window_days` after
infusion N (N = `induction_sessions`, default 6).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from outcomes.course import Course
from outcomes.response import ResponseStatus
from outcomes.settings import Settings


class VerdictValue(StrEnum):
    """The six-session verdict; each member is its own JSON text ("responder", ...)."""

    RESPONDER = "responder"
    NON_RESPONDER = "non_responder"
    INCOMPLETE = "incomplete"
    IN_PROGRESS = "in_progress"
    NO_BASELINE = ResponseStatus.NO_BASELINE.value  # the same words as the response category


# Module-level names for callers that import them (the members, in order).
VERDICTS = tuple(VerdictValue)
RESPONDER, NON_RESPONDER, INCOMPLETE, IN_PROGRESS, NO_BASELINE = VERDICTS


@dataclass(frozen=True, slots=True)
class Verdict:
    """The verdict and the plain-words rule that produced it."""

    value: VerdictValue
    reason: str


def in_verdict_window(session: int, days_after_last_induction: int, settings: Settings) -> bool:
    """Whether an assessment of `session` counts towards the verdict.

    Args:
        session: The assessment's session (0 = before the first infusion).
        days_after_last_induction: Days from infusion N to the assessment
            (only looked at for session N).
    """
    n = settings.induction_sessions
    if session < 1 or session > n:
        return False
    return session < n or days_after_last_induction <= settings.verdict_window_days


def decide(
    course: Course,
    has_baseline: bool,
    first_response_session: int | None,
    first_response_days: int | None,
    assessed_after_window: bool,
    as_of: date,
    settings: Settings,
) -> Verdict:
    """Apply the rule of section 4 to one course.

    Args:
        assessed_after_window: an assessment of the scale exists after the
            verdict window closed (a post-session-N assessment).
    """
    n = settings.induction_sessions
    given = len(course.infusions)
    if not has_baseline:
        return Verdict(
            NO_BASELINE,
            f"no usable baseline: no score on or before the first infusion within "
            f"{settings.baseline_window_days} days (baseline_window_days), or a baseline of 0",
        )
    if first_response_session is not None:
        return Verdict(
            RESPONDER,
            f"response (>= 50% below baseline) at session {first_response_session}, "
            f"day {first_response_days} after the first infusion",
        )
    if given >= n:
        last_induction = course.infusions[n - 1]
        window_closed = (
            (as_of - last_induction.when.day).days > settings.verdict_window_days
            or given > n
            or assessed_after_window
        )
        if window_closed:
            return Verdict(
                NON_RESPONDER,
                f"all {n} induction infusions given and no response (>= 50% below baseline) "
                f"by {settings.verdict_window_days} days after infusion {n}",
            )
        return Verdict(
            IN_PROGRESS,
            f"all {n} induction infusions given; the verdict window is open until "
            f"{settings.verdict_window_days} days after infusion {n}",
        )
    if given and (as_of - course.infusions[-1].when.day).days > settings.incomplete_after_days:
        return Verdict(
            INCOMPLETE,
            f"{given} of {n} induction infusions, the last "
            f"{(as_of - course.infusions[-1].when.day).days} days ago "
            f"(more than {settings.incomplete_after_days}, incomplete_after_days), no response",
        )
    return Verdict(IN_PROGRESS, f"session {given} of {n}, no response yet")
