"""A patient's status card: the labelled lines that every view of one status prints.

The command line (`outcomes status`), the app's status panel and the patient
report print this one list, so that a label ("Reliable change", "Next
follow-up") and a verdict's name ("non-responder") read the same wherever a
clinician meets them. Each view adds only its own typography: bold where
`strong`, and the app's compact panel leaves out the `detail` lines, whose
facts it shows in its timeline, chart and alert banner. After the card, a
view may list what it has room for (the command line every open alert, the
report the first two).

The next follow-up is handed in (`outcomes.followup.next_followup`), never
computed here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from outcomes.scales import get_scale
from outcomes.verdict import RESPONDER
from outcomes.wording.course import course_line, score_place
from outcomes.wording.numbers import percent_change, plural
from outcomes.wording.relief import relief_words
from outcomes.wording.status import (
    best_words,
    followup_words,
    reliable_words,
    status_sentence,
    total_only_words,
    trend_words,
)
from outcomes.wording.verdicts import verdict_reason, verdict_title, verdict_words

if TYPE_CHECKING:
    from outcomes.followup import FollowUp
    from outcomes.status import PatientStatus


@dataclass(frozen=True, slots=True)
class CardLine:
    """One labelled line of the status card.

    Attributes:
        label: What the line is ("Six-session verdict", "Next follow-up").
        text: What it says, as plain text.
        strong: Bold where the view has bold: the verdict, and alerts not yet acknowledged.
        detail: Left out of the app's compact panel (the baseline, the latest
            score, safety): its timeline, chart and alert banner show the same facts.
    """

    label: str
    text: str
    strong: bool = False
    detail: bool = False


def status_card(status: PatientStatus, follow: FollowUp | None) -> list[CardLine]:
    """The labelled lines of one patient's status, in the order every view prints them.

    `follow` is the status's next follow-up (None when none is scheduled).
    A line without anything to say is left out (no trend yet, no reliable change).
    """
    card = [CardLine("Course", course_line(status)), *_scores(status)]
    verdict = status.verdict
    card.append(CardLine(verdict_title(status), verdict_words(verdict.value), strong=True))
    card.append(CardLine("Rule behind it", verdict_reason(verdict)))
    optional = (
        ("Best improvement", _best(status), False),
        ("Trend", trend_words(status.trend), False),
        ("Relief", _relief(status), False),
        ("Reliable change", reliable_words(status.reliable) if status.reliable else None, False),
        ("Next follow-up", followup_words(follow), False),
        ("Note", total_only_words(status.total_only_count), False),
    )
    card.extend(CardLine(label, text, detail=detail) for label, text, detail in optional if text)
    safety = _safety(status)
    if safety is not None:
        card.append(safety)
    return card


def _scores(status: PatientStatus) -> list[CardLine]:
    """The baseline, the latest score and the status sentence they make."""
    scale, base, latest = get_scale(status.scale), status.baseline, status.latest
    lines = [
        CardLine(
            "Baseline",
            f"{base.total} ({scale.band(base.total)}) on {base.when.day}"
            if base
            else "none usable (see the rule behind the verdict)",
            detail=True,
        )
    ]
    if latest is not None:
        change = "" if latest.improvement is None else f", {percent_change(latest.improvement)}"
        lines.append(
            CardLine(
                "Latest score",
                f"{latest.assessment.total} ({latest.band}) on {latest.assessment.when.day}, "
                f"{score_place(status, latest)}{change}",
                detail=True,
            )
        )
    if base is not None:  # without one, the sentence is the verdict's rule, printed below
        lines.append(CardLine("Status", status_sentence(status)))
    return lines


def _best(status: PatientStatus) -> str | None:
    best = best_words(status)
    return None if best is None else f"{best} within the induction"


def _relief(status: PatientStatus) -> str | None:
    """Relief of a responder (also "not measured yet" while the induction runs); None otherwise."""
    if status.relief is None and status.verdict.value != RESPONDER:
        return None
    return relief_words(status)


def _safety(status: PatientStatus) -> CardLine | None:
    """How many alerts are not yet acknowledged (strong), else how many there were; None
    without any. Each view lists the alerts themselves after the card, as it has room."""
    open_alerts = status.open_alerts
    if open_alerts:
        text = f"{plural(len(open_alerts), 'alert')} not yet acknowledged"
        return CardLine("Safety", text, strong=True, detail=True)
    if status.alerts:
        text = f"{plural(len(status.alerts), 'alert')}, all acknowledged"
        return CardLine("Safety", text, detail=True)
    return None
