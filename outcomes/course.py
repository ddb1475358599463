"""Courses, session attribution and the baseline (clinical-spec section 2).

A course is a patient's series of infusions, numbered 1, 2, ... within it; the
first `induction_sessions` are the induction and the rest boosters. An
assessment belongs to session k when it falls after infusion k and before
infusion k+1 (see `outcomes.timepoints` for how a date-only record on an
infusion day is placed). The baseline is the last assessment of the scale on
or before the first infusion, at most `baseline_window_days` before it.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from datetime import date
from operator import attrgetter
from typing import Sequence

from outcomes.drugs import KETAMINE, course_drug_problem, dose_of
from outcomes.records import Assessment, Infusion, PatientData
from outcomes.timepoints import Timepoint, infusion_key


@dataclass(frozen=True, slots=True)
class Course:
    """One course of one patient.

    Attributes:
        number: The course number (1-based).
        infusions: The course's infusions in time order.
        start: Its first infusion, or the date a clinician started it.
        start_key: Sort key of the start (an assessment is in the course when
            its key is above this and not above `end_key`).
        end_key: Start key of the next course, or None for the latest.
    """

    number: int
    infusions: tuple[Infusion, ...]
    start: Timepoint
    start_key: int
    end_key: int | None
    infusion_keys: tuple[int, ...] = ()
    #: The drug recorded for the course (`courses.drug`), None when not recorded.
    recorded_drug: str | None = None

    @property
    def first_infusion(self) -> Infusion | None:
        return self.infusions[0] if self.infusions else None

    @property
    def drug(self) -> str:
        """The course's drug: the one recorded for it (one per course, clinical-spec section 11),
        else its first session's, else ketamine."""
        if self.recorded_drug is not None:
            return self.recorded_drug
        return self.infusions[0].drug if self.infusions else KETAMINE

    def number_of(self, infusion: Infusion) -> int:
        """The infusion's number within the course (1-based; boosters continue it)."""
        return self.infusions.index(infusion) + 1

    def is_booster(self, infusion: Infusion, induction_sessions: int) -> bool:
        """True for an infusion after the first `induction_sessions` of the course."""
        return self.number_of(infusion) > induction_sessions

    def session_of(self, assessment: Assessment) -> int:
        """How many of the course's infusions came before the assessment."""
        return bisect_left(self.infusion_keys, assessment.key)

    def contains(self, assessment: Assessment) -> bool:
        """True when the assessment falls after the course began and before the next."""
        return assessment.key > self.start_key and (
            self.end_key is None or assessment.key <= self.end_key
        )


_TIME_ORDER = attrgetter("when.ikey")


def new_session_problem(latest: Course | None, drug: str | None) -> str | None:
    """Why a new session of `drug` cannot be recorded: the latest course was started for another
    drug and has no session yet (a course has one drug, clinical-spec section 11), or None."""
    if latest is None or latest.infusions:
        return None  # a session of another drug after a given course begins the next course
    return course_drug_problem(latest.number, latest.drug, drug, started=True)


def courses_of(patient: PatientData) -> list[Course]:
    """The patient's courses in order (empty when nothing was given or started)."""
    by_number: dict[int, list[Infusion]] = {}
    for inf in patient.infusions:
        by_number.setdefault(inf.course, []).append(inf)
    starts = dict(patient.course_starts)
    drugs = dict(patient.course_drugs)
    numbers = sorted(set(by_number) | set(starts))
    bounds = []
    for number in numbers:
        infusions = tuple(sorted(by_number.get(number, ()), key=_TIME_ORDER))
        start = infusions[0].when if infusions else starts[number]
        key = infusions[0].key if infusions else infusion_key(start)
        bounds.append((number, infusions, start, key))
    return [
        Course(
            number=number,
            infusions=infusions,
            start=start,
            start_key=key,
            end_key=bounds[i + 1][3] if i + 1 < len(bounds) else None,
            infusion_keys=tuple([inf.when.ikey for inf in infusions]),
            recorded_drug=drugs.get(number),
        )
        for i, (number, infusions, start, key) in enumerate(bounds)
    ]


def find_baseline(
    assessments: list[Assessment], course: Course | None, window_days: int, as_of: date
) -> Assessment | None:
    """The course's baseline among one scale's time-ordered assessments.

    The last assessment on or before the first infusion (a date-only one on
    that day counts, see `outcomes.timepoints`) and at most `window_days`
    calendar days before its day. Without an infusion yet (or without a
    course), the latest assessment within the window before `as_of` stands
    in, so a patient waiting for a first infusion can show where they begin.
    """
    first = course.first_infusion if course else None
    limit_key = first.key if first else infusion_key(Timepoint(as_of))
    anchor = first.when.day if first else as_of
    chosen = None
    for a in assessments:
        if a.key > limit_key:
            break
        if 0 <= (anchor - a.when.day).days <= window_days:
            chosen = a
    return chosen


def dose_steps(infusions: Sequence[Infusion]) -> dict[int, int]:
    """Where the dose changed: 0-based infusion index -> +1 (raised) or -1 (lowered).

    The per-patient chart and the app mark these steps beside the scores, so a
    clinician can see a titration next to what followed it. An infusion with
    no recorded dose neither makes nor breaks a step (the next known dose is
    compared with the last known one).
    """
    steps: dict[int, int] = {}
    last = None
    for index, inf in enumerate(infusions):
        dose = dose_of(inf)  # one drug per course, so one unit
        if dose is None:
            continue
        if last is not None and dose != last:
            steps[index] = 1 if dose > last else -1
        last = dose
    return steps
