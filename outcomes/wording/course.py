"""What a session is called, and where a course stands ("session 3 of 6 + 1 booster")."""

from __future__ import annotations

from typing import TYPE_CHECKING

from outcomes.drugs import ESKETAMINE, KETAMINE, drug_of
from outcomes.wording.numbers import plural

if TYPE_CHECKING:
    from outcomes.status import PatientStatus, ScorePoint


def session_noun(drug: str | None) -> str:
    """What one treatment session of `drug` is called: an esketamine session is a
    nasal spray, never an "infusion" (clinical-spec section 11)."""
    return "session" if drug_of(drug) == ESKETAMINE else "infusion"


def drug_of_status(status: PatientStatus) -> str:
    """The drug of the status's course (ketamine before any session is given)."""
    return status.course.drug if status.course is not None else KETAMINE


def noun_of(status: PatientStatus) -> str:
    """`session_noun` of the status's course: "infusion" or "session"."""
    return session_noun(drug_of_status(status))


def patient_noun(status: PatientStatus) -> str:
    """A session as a patient calls it: "infusion", or "nasal spray session" for esketamine."""
    return "nasal spray session" if drug_of_status(status) == ESKETAMINE else "infusion"


def progress_words(status: PatientStatus, short: bool = False) -> str:
    """ "session 3 of 6", "session 6 of 6 + 2 boosters", "no infusions yet".

    With `short`, the list's compact form: "3/6", "6/6 +2 boosters", "none yet".
    """
    if not status.infusions:
        return "none yet" if short else f"no {session_noun(drug_of_status(status))}s yet"
    given, n = status.induction_given, status.induction_size
    if short:
        return course_counts_short(given, status.boosters, n)
    text = f"session {given} of {n}"
    if status.boosters:
        text += " + " + plural(status.boosters, "booster")
    return text


def course_line(status: PatientStatus) -> str:
    """The course judged, when it began and where it stands:
    "course 2 (course 2 of 2): first infusion 2026-03-02; session 3 of 6"."""
    course = status.course
    if course is None:
        return progress_words(status)
    first = course.first_infusion
    started = (
        f"first {noun_of(status)} {first.when.day}" if first else f"started {course.start.day}"
    )
    more = f" (course {course.number} of {status.course_count})" if status.course_count > 1 else ""
    return f"course {course.number}{more}: {started}; {progress_words(status)}"


def session_place(k: int, induction: int) -> str:
    """Session k of a course whose induction has `induction` sessions:
    "session 3 of 8", and past the induction "booster 1 (session 9)"."""
    if k <= induction:
        return f"session {k} of {induction}"
    return f"booster {k - induction} (session {k})"


def score_place(status: PatientStatus, point: ScorePoint) -> str:
    """Where a score sits in the course: "session 3", "booster 1 (session 7)", or for a score
    after the last induction session and past the verdict window, "follow-up, day 49 after the
    last induction infusion" (never "session 6" for a score seven weeks later)."""
    n = status.induction_size
    if point.session < 1:
        return f"before the first {noun_of(status)}"
    if point.session > n:
        return f"booster {point.session - n} (session {point.session})"
    if point.session == n and not point.in_verdict_window:
        last = status.infusions[n - 1].when.day
        days = (point.assessment.when.day - last).days
        return f"follow-up, day {days} after the last induction {noun_of(status)}"
    return f"session {point.session}"


def progress_short(status: PatientStatus) -> str:
    """The compact form of `progress_words` for a list."""
    return progress_words(status, short=True)


def course_counts_short(induction_given: int, boosters: int, induction: int) -> str:
    """The list's course cell from counts: "3/6", "6/6 +1 booster", "8/8 +2 boosters"."""
    text = f"{induction_given}/{induction}"
    if boosters:
        text += " +" + plural(boosters, "booster")
    return text


def course_of_counts(given: int, induction: int) -> str:
    """The list's course cell from the number of sessions given ("none yet" for none)."""
    if not given:
        return "none yet"
    return course_counts_short(min(given, induction), max(0, given - induction), induction)
