"""The drugs a session gives, and the fixed facts of each (clinical-spec section 11).

`ketamine` is racemic ketamine, dosed in mg/kg (section 8); `esketamine` is
Spravato nasal spray, dosed in whole devices of 28 mg. A course has one
drug, and its induction length is the clinic's setting for that drug. The
numbers here are the label's, not settings: the spec fixes them.
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache
from typing import TYPE_CHECKING

from outcomes.settings import Settings

if TYPE_CHECKING:  # records pull in pandas; a dose read needs none of it
    from outcomes.records import Infusion

KETAMINE = "ketamine"
ESKETAMINE = "esketamine"
DRUGS = (KETAMINE, ESKETAMINE)

#: What one esketamine nasal spray device holds, in mg.
ESKETAMINE_DEVICE_MG = 28
#: Esketamine doses the label allows, in mg: one, two or three devices.
ESKETAMINE_DOSES_MG = tuple(ESKETAMINE_DEVICE_MG * k for k in (1, 2, 3))
#: The unit each drug is dosed in (section 11).
DOSE_UNITS = {KETAMINE: "mg/kg", ESKETAMINE: "mg"}
#: Esketamine's route: the only one allowed for it.
ESKETAMINE_ROUTE = "intranasal"
#: The label's minimum monitoring after esketamine (not a setting).
ESKETAMINE_MONITOR_MINUTES = 120
#: Readings are taken from the session's start to this many hours after it.
READING_WINDOW_HOURS = 6


def drug_of(text: str | None) -> str:
    """The stored drug name; a missing drug is ketamine (every record before section 11)."""
    return text or KETAMINE


def before_dose(drug: str | None) -> str:
    """When the pre-dose reading is taken, in words: an esketamine session is
    not an infusion (its label speaks of blood pressure "before dosing")."""
    return "before dosing" if drug_of(drug) == ESKETAMINE else "before the infusion"


def course_drug_problem(
    number: int, course_drug: str, drug: str | None, *, started: bool = False
) -> str | None:
    """Why a session of `drug` cannot be in course `number` of `course_drug`, or None.

    A course has one drug (section 11): the one its first session gave it, or
    the one a clinician chose when starting it (`started`: a course started
    so and given no session yet, which a session of another drug must not
    silently pass by).
    """
    drug, course_drug = drug_of(drug), drug_of(course_drug)
    if drug == course_drug:
        return None
    if started:
        return (
            f"course {number} was started for {course_drug} and has no session yet; a course has one "
            f"drug (clinical-spec section 11): record this session as {course_drug}, or start a new "
            f"course for {drug}"
        )
    return (
        f"course {number} is a course of {course_drug} and a course has one drug (clinical-spec "
        f"section 11); a session of {drug} goes in a course of its own: leave the course out (a different "
        f"drug starts the next course), or give a course of {drug}"
    )


def dose_of(infusion: Infusion) -> float | None:
    """The dose in the drug's own unit (`DOSE_UNITS`): mg/kg for ketamine, mg for esketamine."""
    return infusion.dose_mg if drug_of(infusion.drug) == ESKETAMINE else infusion.dose_mg_per_kg


def induction_length(settings: Settings, drug: str | None) -> int:
    """Sessions in the induction of a course of `drug` (settings per drug)."""
    if drug_of(drug) == ESKETAMINE:
        return settings.esketamine_induction_sessions
    return settings.induction_sessions


def settings_for_drug(settings: Settings, drug: str | None) -> Settings:
    """The settings with `induction_sessions` set to the induction length of `drug`.

    Every rule of sections 2, 4 and 5 reads `induction_sessions`; a course
    is judged with the copy for its own drug, so nothing downstream needs to
    know which drug it was.
    """
    n = induction_length(settings, drug)
    if n == settings.induction_sessions:
        return settings
    return _with_induction(settings, n)


@lru_cache(maxsize=16)
def _with_induction(settings: Settings, n: int) -> Settings:
    # One copy per settings and length (settings are immutable), not one per patient.
    return replace(
        settings, induction_sessions=n, clinic_induction_sessions=settings.induction_sessions
    )


def number_word(n: int) -> str:
    """'six', 'eight', ... for the N-session verdict's name (digits above twelve)."""
    words = (
        "zero",
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "eleven",
        "twelve",
    )
    return words[n] if 0 <= n < len(words) else str(n)


def verdict_name(n: int) -> str:
    """'the six-session verdict' for an induction of `n` sessions."""
    return f"the {number_word(n)}-session verdict"
