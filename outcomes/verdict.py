"""The N-session verdict (clinical-spec sections 4 and 11).

"Is this patient responding within six sessions?" (eight for esketamine).
Assessments of sessions 1..N-1 count, and those of session N up to
`verdict_window_days` after session N (N = the course drug's induction
length). The verdict carries the facts of the rule that decided it; the
sentence saying so is `outcomes.wording.verdict_reason`'s.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from outcomes.course import Course
from outcomes.drugs import KETAMINE
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


# Which branch of the rule decided (`Verdict.rule`); `outcomes.wording.verdict_reason`
# turns each into its sentence, with the facts the verdict carries.
NOT_STARTED = "not_started"  # no session given, no course started
NO_USABLE_BASELINE = "no_usable_baseline"
ZERO_BASELINE = "zero_baseline"  # a baseline of 0: nothing to improve on
RESPONSE_REACHED = "response_reached"
WINDOW_CLOSED = "window_closed"  # all N given, window over, no response
WINDOW_OPEN = "window_open"  # all N given, window still open
STOPPED_SHORT = "stopped_short"  # fewer than N, the last too long ago
UNDER_WAY = "under_way"  # fewer than N, recently

# What closed the verdict window (`Verdict.closed_by`), first match in this order.
WINDOW_PASSED = "window_passed"  # more than verdict_window_days since session N
LATER_SESSION = "later_session"  # a session after session N (a booster) was given
LATER_ASSESSMENT = "later_assessment"  # an assessment dated after the verdict window


@dataclass(frozen=True, slots=True)
class Verdict:
    """The verdict and the facts of the rule that produced it (no words: see
    `outcomes.wording.verdict_reason`).

    Attributes:
        rule: which branch decided (the constants above).
        drug: the course's drug (its sessions are infusions or nasal-spray sessions).
        induction: N, the course's induction length.
        given: sessions given so far.
        session, days: the first response's session and days since the first
            session (`RESPONSE_REACHED`), or `days` since the last session
            (`STOPPED_SHORT`).
        limit_days: the setting the rule compared with (window, baseline or
            incomplete days).
        nothing_measured: no score between the first session and the end of
            the verdict window (a non-responder by absence of scores).
        zero_baseline_at: when the baseline of 0 was taken (`ZERO_BASELINE`).
        closed_by: what closed the verdict window of a non-responder
            (`WINDOW_CLOSED`): `WINDOW_PASSED`, `LATER_ASSESSMENT` (an
            assessment dated after the window) or `LATER_SESSION` (a booster).
    """

    value: VerdictValue
    rule: str = UNDER_WAY
    drug: str = KETAMINE
    induction: int = 0
    given: int = 0
    session: int | None = None
    days: int | None = None
    limit_days: int | None = None
    nothing_measured: bool = False
    zero_baseline_at: str | None = None
    closed_by: str | None = None


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
        assessed_after_window: an assessment of the scale is dated after the
            verdict window (section 4).
    """
    n = settings.induction_sessions
    given = len(course.infusions)
    facts = dict(drug=course.drug, induction=n, given=given)
    if not has_baseline:
        return Verdict(
            NO_BASELINE, NO_USABLE_BASELINE, limit_days=settings.baseline_window_days, **facts
        )
    if first_response_session is not None:
        return Verdict(
            RESPONDER,
            RESPONSE_REACHED,
            session=first_response_session,
            days=first_response_days,
            **facts,
        )
    if given >= n:
        last_induction = course.infusions[n - 1]
        closed_by = (
            WINDOW_PASSED
            if (as_of - last_induction.when.day).days > settings.verdict_window_days
            else LATER_SESSION
            if given > n
            else LATER_ASSESSMENT
            if assessed_after_window
            else None
        )
        return Verdict(
            NON_RESPONDER if closed_by else IN_PROGRESS,
            WINDOW_CLOSED if closed_by else WINDOW_OPEN,
            limit_days=settings.verdict_window_days,
            closed_by=closed_by,
            **facts,
        )
    since_last = (as_of - course.infusions[-1].when.day).days if given else None
    if since_last is not None and since_last > settings.incomplete_after_days:
        return Verdict(
            INCOMPLETE,
            STOPPED_SHORT,
            days=since_last,
            limit_days=settings.incomplete_after_days,
            **facts,
        )
    return Verdict(IN_PROGRESS, UNDER_WAY, **facts)
