"""One registry row per course: what a clinic shares with a network (issue 27).

The rules are run here, once, at the clinic, by the core: a network pooling
these rows never re-implements a verdict or a relief rule. A row holds no
name, birth date, free text or clinic patient id: the course is named by a
keyed hash (HMAC-SHA256 with the clinic's secret, which never leaves the
clinic), so the same course gets the same id in every export and a later
export updates a network's copy rather than adding to it.

Nothing here reads a file or a database; `db.registry` writes the rows.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import date
from typing import Any, Iterator, Mapping, Sequence

from outcomes.associations import dose_band_of, early_improved
from outcomes.course import courses_of
from outcomes.dissociation import cadss_per_infusion
from outcomes.records import Assessment, PatientData
from outcomes.scales import get_scale
from outcomes.settings import SITE_ID, SITE_ID_WORDS, Settings
from outcomes.status import PatientStatus, analyse_patient

#: Bumped when a column changes meaning or type: exports of another format are never pooled.
REGISTRY_FORMAT = 1

#: The columns of a registry row, in order, with their kind (`db.registry` maps kinds to Parquet).
COLUMNS: tuple[tuple[str, str], ...] = (
    ("site_id", "text"),
    ("course_key", "text"),
    ("latest_course", "bool"),
    ("drug", "text"),
    ("scale", "text"),
    ("baseline_score", "int"),
    ("baseline_band", "text"),
    ("sessions_completed", "int"),
    ("induction_sessions", "int"),
    ("verdict", "text"),
    ("first_response_session", "int"),
    ("first_response_day", "int"),
    ("remission", "bool"),
    ("best_improvement", "float"),
    ("latest_improvement", "float"),
    ("relief_days", "int"),
    ("relief_event", "bool"),
    ("relief_ended_by", "text"),
    ("dose_band", "text"),
    ("cadss_first", "int"),
    ("cadss_highest", "int"),
    ("early_improved_1", "bool"),
    ("early_improved_2", "bool"),
    ("age_band", "text"),
)
COLUMN_NAMES = tuple(name for name, _ in COLUMNS)

#: The spec's rules a row was computed by (the manifest names them, for the network's reader).
RULES: tuple[str, ...] = (
    "2: baseline = last score of the scale at most baseline_window_days before the first infusion",
    "3: response = improvement >= 50%; remission = score at or below the scale's cut",
    "4: N-session verdict (induction_sessions, esketamine_induction_sessions, "
    "verdict_window_days, incomplete_after_days)",
    "5: relief from the last induction infusion to the first loss of response after the first "
    "response (relapse_confirmations, booster_ends_relief); Kaplan-Meier as R's survival",
    "13: dose band at the last induction session given; CADSS at session 1 and highest; "
    "early improvement >= 20% by session 1 and 2 among those not yet responded",
)

#: Settings that change a registry figure: exports pool only when all of them agree.
RULE_SETTINGS: tuple[str, ...] = (
    "induction_sessions",
    "esketamine_induction_sessions",
    "baseline_window_days",
    "verdict_window_days",
    "incomplete_after_days",
    "relapse_confirmations",
    "booster_ends_relief",
    "madrs_remission_cut",
    "bdi2_remission_cut",
)

#: Age at the course's first infusion, in years: (label, lowest age of the band).
AGE_BANDS = (
    ("under 18", 0),
    ("18-24", 18),
    ("25-34", 25),
    ("35-44", 35),
    ("45-54", 45),
    ("55-64", 55),
    ("65 and over", 65),
)
#: With --deidentify: wider bands (20 years wide; 65 and over as one).
COARSE_AGE_BANDS = (("under 25", 0), ("25-44", 25), ("45-64", 45), ("65 and over", 65))


def site_id_problem(site_id: str) -> str | None:
    """Why `site_id` cannot name a site in a registry export, or None when it can."""
    if not site_id:
        return (
            "this clinic has no registry site id yet: the network gives each clinic one; "
            "set it with `outcomes settings registry_site_id ID`"
        )
    if not SITE_ID.fullmatch(site_id):
        return f"the registry site id {site_id!r} is not usable: {SITE_ID_WORDS}"
    return None


def course_key(secret: bytes, patient_id: str, course_number: int) -> str:
    """The course's pseudonymous id: HMAC-SHA256 of the patient id and course number.

    Without the clinic's secret nobody can compute it from a patient id (a plain
    hash of an id could be found by trying every id).
    """
    message = f"{patient_id}\x1f{course_number}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()[:32]


def age_band(birth_date: date | None, on: date | None, coarse: bool = False) -> str | None:
    """The band of the age in whole years on `on`; None without a birth date."""
    if birth_date is None or on is None:
        return None
    years = on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))
    bands = COARSE_AGE_BANDS if coarse else AGE_BANDS
    return next(label for label, low in reversed(bands) if years >= low)


def _improvement(value: float | None) -> float | None:
    return None if value is None else round(float(value), 4)


def course_row(
    status: PatientStatus,
    cadss: Sequence[Assessment],
    site_id: str,
    key: str,
    latest: bool,
    age: str | None,
) -> dict[str, Any]:
    """The registry row of one analysed course (`COLUMNS`)."""
    baseline = status.baseline.total if status.baseline else None
    first = status.first_response
    relief = status.relief
    per_infusion = cadss_per_infusion(status, cadss)
    first_cadss = (
        per_infusion[0].total if per_infusion and per_infusion[0].infusion_number == 1 else None
    )
    latest_point = status.latest
    return {
        "site_id": site_id,
        "course_key": key,
        "latest_course": latest,
        "drug": status.course.drug,
        "scale": status.scale,
        "baseline_score": baseline,
        "baseline_band": get_scale(status.scale).band(baseline) if baseline is not None else None,
        "sessions_completed": status.sessions_completed,
        "induction_sessions": status.induction_size,
        "verdict": str(status.verdict.value),
        "first_response_session": first.session if first else None,
        "first_response_day": first.days_from_first_infusion if first else None,
        "remission": status.first_remission is not None,
        "best_improvement": _improvement(status.best_improvement),
        "latest_improvement": _improvement(latest_point.improvement if latest_point else None),
        "relief_days": relief.days if relief else None,
        "relief_event": (not relief.censored) if relief else None,
        "relief_ended_by": relief.ended_by if relief else None,
        "dose_band": dose_band_of(status),
        "cadss_first": first_cadss,
        "cadss_highest": max((c.total for c in per_infusion), default=None),
        "early_improved_1": early_improved(status, 1),
        "early_improved_2": early_improved(status, 2),
        "age_band": age,
    }


def patient_rows(
    patient: PatientData,
    scale_id: str,
    settings: Settings,
    as_of: date,
    *,
    site_id: str,
    secret: bytes,
    birth_date: date | None = None,
    deidentify: bool = False,
) -> Iterator[dict[str, Any]]:
    """A row for every course of one patient, judged on `scale_id`."""
    courses = courses_of(patient)
    cadss = patient.of_scale("cadss")
    for course in courses:
        status = analyse_patient(patient, scale_id, settings, as_of, course_number=course.number)
        if status.course is None or not status.infusions:
            continue  # a course started but with no session given: nothing to report
        start = status.infusions[0].when.day
        row = course_row(
            status,
            cadss,
            site_id,
            course_key(secret, patient.patient_id, course.number),
            course is courses[-1],
            age_band(birth_date, start, deidentify),
        )
        if deidentify:
            row["baseline_score"] = None  # the band stays: an exact score narrows who it is
        yield row


def clinic_rows(
    patients: Mapping[str, PatientData],
    scale_id: str,
    settings: Settings,
    as_of: date,
    *,
    site_id: str,
    secret: bytes,
    birth_dates: Mapping[str, date | None] | None = None,
    deidentify: bool = False,
) -> Iterator[dict[str, Any]]:
    """`patient_rows` for every patient, in patient-id order."""
    births = birth_dates or {}
    for pid in sorted(patients):
        yield from patient_rows(
            patients[pid],
            scale_id,
            settings,
            as_of,
            site_id=site_id,
            secret=secret,
            birth_date=births.get(pid),
            deidentify=deidentify,
        )
