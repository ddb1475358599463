"""Numbers and codes in words: counts, changes by their direction, dates.

The one home of "1 day" / "2 days", "60% below the starting score",
"better by 8 points" and of a stored code read as words.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    pass


#: How the starting score is named to a clinician.
STARTING_SCORE = "the starting score"


def plural(count: int, word: str, many: str | None = None) -> str:
    """ "1 day", "2 days", "0 days"; `many` for an irregular plural ("1 was", "2 were")."""
    return f"{count} {word if count == 1 else many or word + 's'}"


def shown_of(shown: int, total: int, word: str) -> str:
    """A list's size, thousands grouped: "60 patients" when all are shown, else "1 of 60 patients"."""
    noun = word if total == 1 else word + "s"
    if shown == total:
        return f"{total:,} {noun}"
    return f"{shown:,} of {total:,} {noun}"


def list_counts(shown: int, total: int, scale: str, alerts: int, due: int | str) -> str:
    """The patient list's header; its alert and follow-up counts are of the patients listed.

    Under a search or filter they say so ("of these"), so that a reader never
    takes the whole clinic's count for the filtered list's.
    """
    due_text = f"{due:,}" if isinstance(due, int) else due
    counts = f"{alerts:,} with open alerts · {due_text} with a follow-up due"
    if shown != total:
        counts = "of these, " + counts
    return f"{shown_of(shown, total, 'patient')} · scale {scale} · {counts}"


#: One record of each import kind, for counts ("Imported 1 patient", "2 readings").
RECORD_NOUNS = {
    "patients": "patient",
    "infusions": "infusion",
    "assessments": "assessment",
    "vitals": "reading",
}


def records_words(count: int, kind: str) -> str:
    """ "1 patient", "3 assessments", "2 readings" (vitals) for an import's count."""
    return plural(count, RECORD_NOUNS.get(kind, kind))


def percent_change(improvement: float, reference: str = STARTING_SCORE) -> str:
    """An improvement % by its direction: "60% below the starting score", "10% above it".

    Rounded to a whole percent first, so that what is read agrees with the
    number: -0.4% is "the same as the starting score", never "0% above".
    """
    shown = round(improvement)
    if shown > 0:
        return f"{shown}% below {reference}"
    if shown < 0:
        return f"{-shown}% above {reference}"
    return f"the same as {reference}"


def percent_short(improvement: float) -> str:
    """The list's compact, unsigned change by direction: "60% better", "10% worse", "same"."""
    shown = round(improvement)
    if shown > 0:
        return f"{shown}% better"
    if shown < 0:
        return f"{-shown}% worse"
    return "same"


def points_change(change: int) -> str:
    """Points lower (better) or higher (worse): "better by 8 points", "worse by 1 point"."""
    if change > 0:
        return f"better by {plural(change, 'point')}"
    if change < 0:
        return f"worse by {plural(-change, 'point')}"
    return "no change in points"


def item_change_words(change: int) -> str:
    """One item's change in points, by direction (higher is worse): "2 lower", "1 higher", "same"."""
    if change < 0:
        return f"{-change} lower"
    if change > 0:
        return f"{change} higher"
    return "same"


def words(value: str | None) -> str:
    """A stored code as words: "partial_response" -> "partial response"."""
    return "" if value is None else str(value).replace("_", " ")


def share_words(percent: float) -> str:
    """50 -> "half", 25 -> "a quarter"; other values as percentages."""
    return {50.0: "half", 25.0: "a quarter"}.get(float(percent), f"{percent:g}%")


def day_text(day: date) -> str:
    """A date as a patient reads it: "5 January 2026"."""
    return f"{day.day} {day:%B %Y}"


def number_text(value: float) -> str:
    """10.0 -> "10", 10.5 -> "10.5"."""
    return str(int(value)) if value == int(value) else f"{value:.1f}"
