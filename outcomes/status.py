"""One patient's treatment-response status: every rule applied to one course.

`analyse_patient` is the single entry point the TUI, the reports and the CLI
use. A `PatientStatus` holds facts, never sentences: `outcomes.wording` words
them, and `outcomes.status_json` makes the `outcomes status --json` document
of `interface.md` (`PatientStatus.as_json`). Nothing here reads a file or a
database.

Readings of the spec made here: the patient's status is the category of the
latest score after the first infusion of the course judged (the latest course
unless one is asked for); a baseline of 0 makes the course `no_baseline` (kept
in `zero_baseline` for the data-quality view); relief is measured only once
the induction is over (all N infusions given, or the course stopped short as
for `incomplete`), since day 0 is the last induction infusion.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Iterable, Mapping, NamedTuple

from outcomes.clinic_data import ClinicData
from outcomes.course import Course, courses_of, find_baseline
from outcomes.drugs import settings_for_drug
from outcomes.records import Assessment, Infusion, PatientData, gc_paused
from outcomes.reliable_change import ReliableChange, reliable_change
from outcomes.relief import (
    Relief,
    lost_in_induction,
    measure_relief,
    response_at_end,
)
from outcomes.response import (
    NO_BASELINE,
    REMISSION,
    ResponseStatus,
    classify,
    improvement,
    is_response,
    remission_cut,
)
from outcomes.safety import Alert, count_safety_unchecked, deterioration_alert, record_alerts
from outcomes.scales import Scale, get_scale
from outcomes.sessions import session_alerts
from outcomes.settings import Settings
from outcomes.status_json import status_json
from outcomes.trend import Trend, trend_of
from outcomes.verdict import (
    IN_PROGRESS,
    NON_RESPONDER,
    NOT_STARTED,
    RESPONDER,
    ZERO_BASELINE,
    Verdict,
    decide,
    in_verdict_window,
)
from outcomes.verdict import NO_BASELINE as NO_BASELINE_VERDICT
from outcomes.wording.course import progress_words


class ScorePoint(NamedTuple):
    """One assessment of the chosen scale, placed in the course.

    A named tuple rather than a dataclass: one is made for every score of
    every patient, and a tuple is built several times faster.

    Attributes:
        assessment: The record.
        session: Infusions of the course before it (0 = before the first).
        day: Days since the course's first infusion (negative before it).
        improvement: Percent below baseline (None without a baseline).
        status: Response category (None without a baseline or before day 0).
        band: Severity band of the total.
        in_verdict_window: Whether it counts towards the six-session verdict.
    """

    assessment: Assessment
    session: int
    day: int | None
    improvement: float | None
    status: ResponseStatus | None
    band: str
    in_verdict_window: bool


@dataclass(frozen=True, slots=True)
class Milestone:
    """The first time a response or remission was reached."""

    session: int
    when: Assessment
    days_from_first_infusion: int


@dataclass
class PatientStatus:
    """Everything the program says about one patient's course on one scale."""

    patient_id: str
    scale: str
    course: Course | None
    course_count: int
    baseline: Assessment | None
    points: list[ScorePoint]
    status: ResponseStatus | None
    verdict: Verdict
    first_response: Milestone | None
    first_remission: Milestone | None
    best_improvement: float | None
    relief: Relief | None
    reliable: ReliableChange | None
    alerts: list[Alert]
    total_only_count: int
    safety_unchecked: int
    settings: Settings = field(repr=False, default_factory=Settings)
    #: A baseline of 0 found in the window (the course is `no_baseline`).
    zero_baseline: Assessment | None = None
    #: Every assessment of the patient (any scale), kept by reference so that
    #: `outcome_assessments` costs nothing until a follow-up is asked for.
    all_assessments: tuple[Assessment, ...] | list[Assessment] = field(default=(), repr=False)

    # ----- derived views -------------------------------------------------
    @property
    def infusions(self) -> tuple[Infusion, ...]:
        return self.course.infusions if self.course else ()

    @property
    def sessions_completed(self) -> int:
        return len(self.infusions)

    @property
    def induction_given(self) -> int:
        return min(len(self.infusions), self.settings.induction_sessions)

    @property
    def boosters(self) -> int:
        return max(0, len(self.infusions) - self.settings.induction_sessions)

    @property
    def latest(self) -> ScorePoint | None:
        after = [p for p in self.points if p.session >= 1]
        return after[-1] if after else None

    @property
    def open_alerts(self) -> list[Alert]:
        return [a for a in self.alerts if not a.acknowledged]

    def best_improvement_by_session(self) -> dict[int, float]:
        """Best improvement so far at each session 1..N that has a score in the verdict window.

        What the TUI shows on the way to the verdict ("session 3 of 6, best
        40% so far"); the value at a session is the best of it and all before.
        """
        best: dict[int, float] = {}
        so_far = None
        for p in self.points:
            if p.in_verdict_window and p.improvement is not None:
                so_far = p.improvement if so_far is None else max(so_far, p.improvement)
                best[p.session] = so_far
        return best

    @property
    def induction_size(self) -> int:
        """N: the infusions of this course's induction (clinical-spec sections 2 and 11)."""
        return self.settings.induction_sessions

    @property
    def trend(self) -> Trend | None:
        """The latest score against the one before it (clinical-spec section 9).

        The one before may be the baseline; None until there is a score after
        the first infusion and one before it.
        """
        if len(self.points) < 2 or self.points[-1].session < 1:
            return None
        prev, last = self.points[-2].assessment.total, self.points[-1].assessment.total
        return trend_of(self.scale, prev, last, self.settings)

    @property
    def outcome_assessments(self) -> list[Assessment]:
        """The course's assessments of every outcome scale (not CADSS), in time order:
        what fills a follow-up slot (clinical-spec section 9)."""
        if self.course is None:
            return []
        return [
            a
            for a in self.all_assessments
            if get_scale(a.scale).is_outcome and self.course.contains(a)
        ]

    @property
    def response_at_end_of_induction(self) -> bool | None:
        """Whether a responder's latest score on or before day 0 is a response (clinical-spec
        section 5): False also for a response reached only after day 0, in the verdict window;
        None while the induction is not over, for a non-responder, or without such a score."""
        return self.relief.response_at_end if self.relief is not None else None

    @property
    def progress(self) -> str:
        """Where the course stands, in words: `outcomes.wording.progress_words` of this status."""
        return progress_words(self)

    def as_json(self) -> dict:
        """The `outcomes status --json` document (interface.md), made by `outcomes.status_json`."""
        return status_json(self)


def analyse_patient(
    patient: PatientData,
    scale_id: str,
    settings: Settings,
    as_of: date,
    acknowledged: Iterable[str] = (),
    course_number: int | None = None,
) -> PatientStatus:
    """Apply every rule of clinical-spec sections 2-8 to one patient, step by step in order:
    the course judged, its baseline, its scores placed, verdict, relief, alerts.

    Args:
        patient: The patient's records.
        scale_id: The outcome scale to judge by.
        settings: Clinic settings (the course drug's induction length is applied here).
        as_of: "Today" for the time-dependent rules (incomplete, windows).
        acknowledged: Keys of alerts a clinician has acknowledged.
        course_number: Which course; the latest when None.

    Raises:
        KeyError: for an unknown scale or a course the patient does not have.
    """
    scale, courses = get_scale(scale_id), courses_of(patient)
    course = _course_judged(patient.patient_id, courses, course_number)
    if course is not None:  # the induction length is the course drug's (section 11)
        settings = settings_for_drug(settings, course.drug)
    scale_assessments = [a for a in patient.assessments if a.scale == scale_id]
    baseline = find_baseline(scale_assessments, course, settings.baseline_window_days, as_of)
    # A baseline of 0 leaves nothing to improve on: kept aside, and the course has none.
    zero_baseline, baseline = (
        (baseline, None) if baseline and baseline.total == 0 else (None, baseline)
    )
    b = baseline.total if baseline else None
    scores = _place_scores(
        scale_assessments,
        course,
        baseline,
        zero_baseline,
        scale,
        remission_cut(scale_id, settings),
        settings,
    )
    latest_point = scores.points[-1] if scores.points and scores.points[-1].session >= 1 else None
    verdict = _verdict(course, scores, zero_baseline, b is not None, as_of, settings)
    relief = _relief(verdict, courses, course, scores, b, as_of, settings)
    alerts, reliable = _alerts(patient, scale, b, latest_point, acknowledged, settings)
    return PatientStatus(
        patient_id=patient.patient_id,
        scale=scale_id,
        course=course,
        course_count=len(courses),
        baseline=baseline,
        points=scores.points,
        status=(
            NO_BASELINE
            if course is not None and b is None
            else latest_point.status
            if latest_point
            else None
        ),
        verdict=verdict,
        first_response=scores.first_response,
        first_remission=scores.first_remission,
        best_improvement=scores.best,
        relief=relief,
        reliable=reliable,
        alerts=alerts,
        total_only_count=sum(1 for a in scale_assessments if a.items is None),
        safety_unchecked=count_safety_unchecked(patient.assessments),
        settings=settings,
        zero_baseline=zero_baseline,
        all_assessments=patient.assessments,
    )


def _course_judged(patient_id: str, courses: list[Course], number: int | None) -> Course | None:
    """The course asked for, else the latest (None when the patient has none)."""
    if not courses:
        return None
    if number is None:
        return courses[-1]
    course = next((c for c in courses if c.number == number), None)
    if course is None:
        raise KeyError(f"patient {patient_id} has no course {number}")
    return course


class _Scores(NamedTuple):
    """The scores of one scale placed in the course, and what the verdict needs from them."""

    points: list[ScorePoint]
    first_response: Milestone | None
    first_remission: Milestone | None
    best: float | None
    assessed_after_window: bool


def _place_scores(
    scale_assessments: list[Assessment],
    course: Course | None,
    baseline: Assessment | None,
    zero_baseline: Assessment | None,
    scale: Scale,
    cut: int | None,
    settings: Settings,
) -> _Scores:
    """Each score's session, day, improvement and category (the hot loop: one pass)."""
    b = baseline.total if baseline else None
    n = settings.induction_sessions
    points: list[ScorePoint] = []
    first_response = first_remission = None
    best = None
    assessed_after_window = False
    infusions = course.infusions if course else ()
    first_day = infusions[0].when.day if infusions else None
    last_induction_day = infusions[n - 1].when.day if len(infusions) >= n else None
    band = scale.band
    if course is not None:
        start_key, end_key, inf_keys = course.start_key, course.end_key, course.infusion_keys
    for a in scale_assessments:
        when = a.when
        key = when.akey
        if course is not None and key > start_key and (end_key is None or key <= end_key):
            session = bisect_left(inf_keys, key)
        elif a is baseline or a is zero_baseline:
            session = 0
        else:
            continue  # before the baseline or in another course
        total = a.total
        day = (when.day - first_day).days if first_day else None
        if session == 0:
            points.append(ScorePoint(a, 0, day, None, None, band(total), False))
            continue
        change = improvement(b, total) if b else None
        status = classify(b, total, cut) if b else None
        counts = in_verdict_window(
            session, (when.day - last_induction_day).days if session == n else 0, settings
        )
        if not counts:
            assessed_after_window = True
        elif b:
            if best is None or change > best:
                best = change
            if first_response is None and is_response(b, total):
                first_response = Milestone(session, a, day)
            if first_remission is None and status == REMISSION:
                first_remission = Milestone(session, a, day)
        points.append(ScorePoint(a, session, day, change, status, band(total), counts))
    return _Scores(points, first_response, first_remission, best, assessed_after_window)


def _verdict(
    course: Course | None,
    scores: _Scores,
    zero_baseline: Assessment | None,
    has_baseline: bool,
    as_of: date,
    settings: Settings,
) -> Verdict:
    """The six-session verdict of the course, with the notes that tell cases apart."""
    if course is None:
        return Verdict(IN_PROGRESS, NOT_STARTED, induction=settings.induction_sessions)
    first_response = scores.first_response
    verdict = decide(
        course,
        has_baseline,
        first_response.session if first_response else None,
        first_response.days_from_first_infusion if first_response else None,
        scores.assessed_after_window,
        as_of,
        settings,
    )
    if verdict.value == NON_RESPONDER and not any(p.in_verdict_window for p in scores.points):
        # The rule reads "no response was reached"; say when that is because
        # nothing was measured, so the clinician can tell the two apart.
        verdict = replace(verdict, nothing_measured=True)
    if zero_baseline is not None:
        verdict = replace(
            verdict,
            value=NO_BASELINE_VERDICT,
            rule=ZERO_BASELINE,
            zero_baseline_at=zero_baseline.when.iso(),
        )
    return verdict


def _relief(
    verdict: Verdict,
    courses: list[Course],
    course: Course | None,
    scores: _Scores,
    b: int | None,
    as_of: date,
    settings: Settings,
) -> Relief | None:
    """How long a responder's relief lasted, once the induction is over (else None)."""
    infusions = course.infusions if course else ()
    if verdict.value != RESPONDER or not _induction_over(infusions, as_of, settings):
        return None
    n = settings.induction_sessions
    last_induction = infusions[min(n, len(infusions)) - 1]
    day0_key = last_induction.key
    points = scores.points
    later = [p.assessment for p in points if p.assessment.when.akey > day0_key]
    next_treatment = infusions[n] if len(infusions) > n else _next_course_first(courses, course)
    up_to_day0 = [
        p.assessment for p in points if p.session >= 1 and p.assessment.when.akey <= day0_key
    ]
    # The first score after day 0 inside the verdict window confirms a dip at the end of the
    # induction, as a relapse would be confirmed (section 5).
    first_after = next(
        (p.assessment for p in points if p.in_verdict_window and p.assessment.when.akey > day0_key),
        None,
    )
    first_response = scores.first_response.when
    lost_at = lost_in_induction(b, first_response, last_induction, up_to_day0, first_after)
    relief = measure_relief(
        b,
        last_induction,
        later,
        next_treatment,
        settings,
        lost_at,
        confirmed_by=first_after if lost_at is not None else None,
        first_response=first_response,
    )
    return replace(relief, response_at_end=response_at_end(b, up_to_day0))


def _alerts(
    patient: PatientData,
    scale: Scale,
    b: int | None,
    latest_point: ScorePoint | None,
    acknowledged: Iterable[str],
    settings: Settings,
) -> tuple[list[Alert], ReliableChange | None]:
    """The patient's safety alerts (acknowledged ones marked) and the reliable change."""
    reliable = None
    alerts = record_alerts(patient.assessments, patient.infusions, settings)
    alerts.extend(session_alerts(patient, settings))
    if b is not None and latest_point is not None and scale.is_outcome:
        reliable = reliable_change(scale.id, b, latest_point.assessment.total, settings)
        if reliable.deteriorated:
            alerts.append(deterioration_alert(scale.id, latest_point.assessment, reliable))
    if acknowledged:
        acked = acknowledged if isinstance(acknowledged, (set, frozenset)) else set(acknowledged)
        alerts = [
            Alert(a.key, a.when, a.kind, a.detail, acknowledged=a.key in acked) for a in alerts
        ]
    return alerts, reliable


def _induction_over(infusions: tuple[Infusion, ...], as_of: date, settings: Settings) -> bool:
    # Relief is measured from the last induction infusion, so only once there
    # is one: all N given, or the course stopped short (its last infusion
    # older than incomplete_after_days, as for an `incomplete` course).
    if len(infusions) >= settings.induction_sessions:
        return True
    return (
        bool(infusions) and (as_of - infusions[-1].when.day).days > settings.incomplete_after_days
    )


def _next_course_first(courses: list[Course], course: Course) -> Infusion | None:
    # A new course is treatment given again, so it ends relief like a booster.
    later = [c for c in courses if c.number > course.number and c.infusions]
    return later[0].infusions[0] if later else None


def analyse_all(
    patients: Mapping[str, PatientData],
    scale_id: str,
    settings: Settings,
    as_of: date,
    acknowledged: Iterable[str] = (),
) -> list[PatientStatus]:
    """`analyse_patient` for every patient, in patient-id order."""
    acked = frozenset(acknowledged)
    with gc_paused():
        return [
            analyse_patient(patients[pid], scale_id, settings, as_of, acked)
            for pid in sorted(patients)
        ]


def analyse_clinic(
    data: ClinicData, scale_id: str, settings: Settings, as_of: date
) -> list[PatientStatus]:
    """Every patient's status from what `db/` read (the usual entry point)."""
    return analyse_all(data.by_patient(), scale_id, settings, as_of, data.acknowledged)
