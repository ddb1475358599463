"""Every sentence about a REMS monitoring form (issue 26): its state, its fields, what is missing.

The command line (`outcomes rems`), the app's forms list and session screen,
and the session record PDF word a form's state and its answers through
these functions, so they agree. Handed what `outcomes.rems` computed.
"""

from __future__ import annotations

from datetime import date

from outcomes.rems import CONCOMITANT, DUE, OVERDUE, FormState
from outcomes.wording.numbers import plural

#: What the record says where the clinic must also report a serious adverse event; it never
#: claims the report was made (the program sends nothing anywhere).
ADVERSE_EVENT_DUTY = (
    "A serious adverse event must also be reported to the manufacturer (Janssen) and to the "
    "FDA (MedWatch); this record does not report it and does not show whether it was reported."
)


def yes_no_words(answer: bool | None) -> str:
    return "not answered" if answer is None else ("yes" if answer else "no")


def concomitant_words(classes: tuple[str, ...] | None) -> str:
    """'benzodiazepines, opioids', 'none of the listed classes', or 'not confirmed'."""
    if classes is None:
        return "not confirmed"
    if not classes:
        return "none of the listed classes"
    return ", ".join(CONCOMITANT[c] for c in classes)


def concomitant_rows(classes: tuple[str, ...] | None) -> list[tuple[str, str]]:
    """Each class the form asks about with its answer, in the form's order."""
    return [
        (words, "not confirmed" if classes is None else ("yes" if c in classes else "no"))
        for c, words in CONCOMITANT.items()
    ]


def state_words(state: FormState, today: date) -> str:
    """'due by 2026-03-12 (2 days left)', 'overdue since 2026-03-13 (deadline ...)', 'submitted ...'."""
    if state.state == DUE:
        left = "due today" if state.days_left == 0 else f"{plural(state.days_left, 'day')} left"
        return f"due by {state.deadline.isoformat()} ({left})"
    if state.state == OVERDUE:
        late = plural(-state.days_left, "day")
        return f"overdue: the deadline was {state.deadline.isoformat()} ({late} ago)"
    sub = state.submission
    return f"submitted on {sub.submitted_on.isoformat()} by {sub.submitted_by}"


def counts_words(states: list[FormState]) -> str:
    """'2 overdue, 3 due' (or 'none due or overdue')."""
    overdue = sum(s.state == OVERDUE for s in states)
    due = sum(s.state == DUE for s in states)
    if not overdue and not due:
        return "none due or overdue"
    return f"{overdue} overdue, {due} due"


def missing_words(missing: list[str]) -> str:
    """The sentence naming a form's missing required fields."""
    return (
        f"The REMS form lacks {plural(len(missing), 'required field')}: " + "; ".join(missing) + "."
    )


def medicines_line(medicines: tuple[tuple[str, ...], str] | None) -> str:
    """The course's concomitant medicines for the patient screen and PDF (`outcomes.rems.course_medicines`)."""
    if medicines is None:
        return "REMS medicines: not yet confirmed in this course"
    classes, at = medicines
    return f"REMS medicines: {concomitant_words(classes)} (confirmed {at[:10]})"
