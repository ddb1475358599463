"""Cohort counts in words: every denominator, and who is left out of it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from outcomes.verdict import IN_PROGRESS, INCOMPLETE
from outcomes.verdict import NO_BASELINE as NO_BASELINE_VERDICT
from outcomes.wording.course import session_noun
from outcomes.wording.numbers import number_text, plural

if TYPE_CHECKING:
    from outcomes.cohort import CohortSummary


def induction_rule_words(inductions: dict[str, int]) -> str:
    """What "the induction" means in a cohort, per drug (clinical-spec section 11):
    "6 infusions for ketamine, 8 sessions for esketamine"."""
    return ", ".join(
        f"{plural(n, session_noun(drug))} for {drug}" for drug, n in inductions.items()
    )


def within_induction_words(inductions: dict[str, int]) -> str:
    """ "within the induction: 6 infusions for ketamine, 8 sessions for esketamine"."""
    return f"within the induction: {induction_rule_words(inductions)}"


def late_sessions_words(inductions: dict[str, int]) -> str | None:
    """Which sessions only one drug's course has, when a cohort mixes induction lengths:
    "sessions 7 and 8 count esketamine courses only (8 sessions)"; None otherwise."""
    if len(set(inductions.values())) < 2:
        return None
    shortest = min(inductions.values())
    longer = [(drug, n) for drug, n in inductions.items() if n > shortest]
    parts = []
    for drug, n in longer:
        if n == shortest + 1:
            which = f"session {n}"
        elif n == shortest + 2:
            which = f"sessions {shortest + 1} and {n}"
        else:
            which = f"sessions {shortest + 1} to {n}"
        parts.append(f"{which} count {drug} courses only ({plural(n, session_noun(drug))})")
    return "; ".join(parts)


def _left_out(parts: list[tuple[int, str]]) -> str:
    """ "; not counted: 3 still in the induction, 2 without a baseline" (zeros skipped)."""
    named = [f"{count} {why}" for count, why in parts if count]
    return f"; not counted: {', '.join(named)}" if named else ""


def _not_started(summary: CohortSummary) -> list[tuple[int, str]]:
    counts = summary.verdict_counts
    return [
        (counts.get(IN_PROGRESS, 0), "still in the induction or not started"),
        (counts.get(NO_BASELINE_VERDICT, 0), "without a usable baseline"),
    ]


def all_who_started_words(summary: CohortSummary) -> str:
    """The by-session and ITT denominator, and who is not in it."""
    incomplete = summary.verdict_counts.get(INCOMPLETE, 0)
    return (
        f"{summary.all_who_started} of {plural(summary.patients, 'patient')} "
        f"(responders, non-responders, {incomplete} incomplete)" + _left_out(_not_started(summary))
    )


def completers_words(summary: CohortSummary) -> str:
    """The completers' denominator of the headline rates, and who is not in it."""
    incomplete = summary.verdict_counts.get(INCOMPLETE, 0)
    return (
        f"{summary.completers} of {plural(summary.patients, 'patient')} "
        "(responders and non-responders)"
        + _left_out([(incomplete, "incomplete"), *_not_started(summary)])
    )


def median_relief_words(summary: CohortSummary) -> str:
    """ "22 days (95% CI 7 to not reached)"; an undefined limit is said so, never replaced."""
    if summary.curve is None:
        return "no responder yet"
    median = summary.median_relief_days
    if median is None:
        return "not reached"
    low, high = summary.median_relief_ci
    low_text = "undefined" if low is None else number_text(low)
    high_text = "not reached" if high is None else number_text(high)
    return f"{number_text(median)} days (95% CI {low_text} to {high_text})"


def relief_share_words(probability: float | None) -> str:
    """A checkpoint of the relief curve in words: "64%" of responders still relieved,
    or "not yet observed" (None: past the longest follow-up)."""
    return "not yet observed" if probability is None else f"{probability:.0%}"


def relief_count_words(summary: CohortSummary) -> str:
    """ "27 responders whose induction is over; 1 still in the induction"."""
    text = f"{plural(summary.relief_responders, 'responder')} whose induction is over"
    if summary.responders_in_induction:
        text += f" ({summary.responders_in_induction} more still in the induction, not yet counted)"
    return text


def waterfall_words(summary: CohortSummary) -> str:
    """The waterfall's count against the patients with a baseline, and why they differ."""
    shown, with_baseline = len(summary.waterfall), summary.with_baseline
    return (
        f"{plural(shown, 'patient')} with a baseline and a score within the induction"
        + _left_out(
            [
                (with_baseline - shown, "with a baseline but no score within the induction yet"),
                (summary.patients - with_baseline, "without a usable baseline"),
            ]
        )
    )


def trajectories_words(drawn: int, with_baseline: int, patients: int) -> str:
    """The trajectories' count: patients with a baseline and a later score."""
    return f"{plural(drawn, 'patient')} with a baseline and a later score" + _left_out(
        [
            (with_baseline - drawn, "with a baseline but no later score yet"),
            (patients - with_baseline, "without a usable baseline"),
        ]
    )
