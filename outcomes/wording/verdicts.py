"""The N-session verdict in words: its name, its title, and the rule that decided it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from outcomes.drugs import verdict_name
from outcomes.response import RESPONSE_MIN_IMPROVEMENT
from outcomes.verdict import (
    IN_PROGRESS,
    INCOMPLETE,
    LATER_ASSESSMENT,
    LATER_SESSION,
    NO_USABLE_BASELINE,
    NON_RESPONDER,
    NOT_STARTED,
    RESPONDER,
    RESPONSE_REACHED,
    STOPPED_SHORT,
    WINDOW_CLOSED,
    WINDOW_OPEN,
    ZERO_BASELINE,
    Verdict,
)
from outcomes.verdict import NO_BASELINE as NO_BASELINE_VERDICT
from outcomes.wording.course import session_noun
from outcomes.wording.numbers import plural

if TYPE_CHECKING:
    from outcomes.status import PatientStatus


#: Why the verdict window of a non-responder is closed (clinical-spec section 4).
_WINDOW_CLOSED_BY = {
    LATER_ASSESSMENT: " (closed early by an assessment dated after the verdict window)",
    LATER_SESSION: " (closed early by a session given after the induction)",
}

#: Each verdict's name, the same on every screen, page and line that shows one.
VERDICT_WORDS = {
    RESPONDER: "responder",
    NON_RESPONDER: "non-responder",
    INCOMPLETE: "incomplete",
    IN_PROGRESS: "in progress",
    NO_BASELINE_VERDICT: "no baseline",
}


def verdict_words(value: str | None) -> str:
    """A verdict's name: "responder", "non-responder", "incomplete", "in progress",
    "no baseline" ("" for None, as `words`)."""
    return "" if value is None else VERDICT_WORDS.get(value, str(value).replace("_", " "))


#: What counts as a response, as the verdict's reasons say it.
RESPONSE_RULE = f"response (>= {RESPONSE_MIN_IMPROVEMENT:g}% below baseline)"


def verdict_reason(verdict: Verdict) -> str:
    """The rule that decided the verdict, with its numbers and setting, for the verdict's drug:
    "all 8 induction sessions given and no response ... by 7 days after session 8"."""
    noun, n, limit = session_noun(verdict.drug), verdict.induction, verdict.limit_days
    induction = f"induction {noun}s"
    text = {
        NOT_STARTED: f"no {noun} given and no course started yet",
        NO_USABLE_BASELINE: (
            f"no usable baseline: no score on or before the first {noun} within "
            f"{plural(limit or 0, 'day')} (baseline_window_days), or a baseline of 0"
        ),
        ZERO_BASELINE: f"the baseline on {verdict.zero_baseline_at} is 0: there is nothing to improve on",
        RESPONSE_REACHED: (
            f"{RESPONSE_RULE} at session {verdict.session}, "
            f"day {verdict.days} after the first {noun}"
        ),
        WINDOW_CLOSED: (
            f"all {n} {induction} given and no {RESPONSE_RULE} "
            f"by {plural(limit or 0, 'day')} after {noun} {n}"
            + _WINDOW_CLOSED_BY.get(verdict.closed_by, "")
        ),
        WINDOW_OPEN: (
            f"all {n} {induction} given; the verdict window is open until "
            f"{plural(limit or 0, 'day')} after {noun} {n}"
        ),
        STOPPED_SHORT: (
            f"{verdict.given} of {n} {induction}, the last {plural(verdict.days or 0, 'day')} "
            f"ago (more than {limit}, incomplete_after_days), no response"
        ),
    }.get(verdict.rule, f"session {verdict.given} of {n}, no response yet")
    if verdict.nothing_measured:
        text += (
            f"; note: no score was recorded between the first {noun} "
            "and the end of the verdict window"
        )
    return text


def verdict_title(status: PatientStatus) -> str:
    """The verdict's name for a heading: "Six-session verdict", "Eight-session verdict"."""
    return verdict_name(status.induction_size).removeprefix("the ").capitalize()
