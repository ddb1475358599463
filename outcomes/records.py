"""Plain records of the clinical data, and how frames become them.

`db/` hands the core pandas DataFrames with the columns listed below; the
core turns them into small frozen records grouped by patient, once, and every
rule then works on those. Keeping the records plain (no cursor, no ORM) lets
the TUI, the reports and the tests build them directly too.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Iterable

import pandas as pd

from outcomes.timepoints import Timepoint, assessment_key, infusion_key

#: Columns `db/` provides for each kind of frame (extra columns are ignored).
PATIENT_COLUMNS = ("patient_id", "name", "birth_date", "weight_kg", "notes")
COURSE_COLUMNS = ("patient_id", "course", "started_at", "notes")
INFUSION_COLUMNS = (
    "infusion_id", "patient_id", "course", "given_at", "dose_mg_per_kg", "route",
    "duration_min", "weight_kg", "bp_systolic_pre", "bp_diastolic_pre",
    "bp_systolic_post", "bp_diastolic_post", "heart_rate_pre", "heart_rate_post",
    "side_effects", "notes",
)
ASSESSMENT_COLUMNS = (
    "assessment_id", "patient_id", "taken_at", "scale", "items", "total", "rater",
    "notes", "infusion_id",
)

ROUTES = ("iv", "im", "intranasal", "oral")
SIDE_EFFECTS = (
    "nausea", "vomiting", "dizziness", "drowsiness", "dissociation", "hallucinations",
    "confusion", "blurred_vision", "elevated_bp", "elevated_hr", "headache", "anxiety",
    "agitation", "tremor", "urinary_symptoms", "other",
)


@dataclass(frozen=True, slots=True)
class Infusion:
    """One ketamine infusion. `number` is its place in the course (1-based)."""

    patient_id: str
    when: Timepoint
    course: int = 1
    dose_mg_per_kg: float | None = None
    id: int | None = None
    route: str | None = None
    duration_min: float | None = None
    weight_kg: float | None = None
    bp_systolic_pre: int | None = None
    bp_diastolic_pre: int | None = None
    bp_systolic_post: int | None = None
    bp_diastolic_post: int | None = None
    heart_rate_pre: int | None = None
    heart_rate_post: int | None = None
    side_effects: tuple[str, ...] = ()
    notes: str | None = None
    key: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", infusion_key(self.when))

    @property
    def total_mg(self) -> float | None:
        """Total dose in mg (dose x weight), when both are known."""
        if self.dose_mg_per_kg is None or self.weight_kg is None:
            return None
        return round(self.dose_mg_per_kg * self.weight_kg, 1)


@dataclass(frozen=True, slots=True)
class Assessment:
    """One completed rating scale. `items` is None for a total-only record."""

    patient_id: str
    when: Timepoint
    scale: str
    total: int
    items: tuple[int, ...] | None = None
    id: int | None = None
    rater: str | None = None
    notes: str | None = None
    infusion_id: int | None = None
    key: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", assessment_key(self.when))

    @property
    def total_only(self) -> bool:
        return self.items is None


@dataclass(frozen=True, slots=True)
class PatientData:
    """Everything recorded for one patient, each list in time order."""

    patient_id: str
    infusions: tuple[Infusion, ...] = ()
    assessments: tuple[Assessment, ...] = ()
    #: Explicit course starts: course number -> date the clinician started it.
    course_starts: tuple[tuple[int, Timepoint], ...] = ()

    def of_scale(self, scale_id: str) -> list[Assessment]:
        return [a for a in self.assessments if a.scale == scale_id]


def _clean(value: Any) -> Any:
    """None for pandas' missing markers, the value otherwise."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    return value


def _int_or_none(value: Any) -> int | None:
    value = _clean(value)
    return None if value is None else int(value)


def _float_or_none(value: Any) -> float | None:
    value = _clean(value)
    return None if value is None else float(value)


def stored_timepoint(text: str) -> Timepoint:
    """Read a timepoint in the normalized form `db/` stores (fast path)."""
    if len(text) == 10:
        return Timepoint(date.fromisoformat(text))
    moment = datetime.fromisoformat(text)
    return Timepoint(moment.date(), moment.time())


def items_from_text(text: Any) -> tuple[int, ...] | None:
    """Items stored as space-separated numbers; None when absent."""
    text = _clean(text)
    if text is None or text == "":
        return None
    if isinstance(text, (list, tuple)):
        return tuple(int(v) for v in text)
    return tuple(int(v) for v in str(text).split())


def items_to_text(items: Iterable[int] | None) -> str | None:
    return None if items is None else " ".join(str(int(v)) for v in items)


def infusions_from_frame(frame: pd.DataFrame) -> list[Infusion]:
    """Infusion records from a frame with `INFUSION_COLUMNS`."""
    if frame is None or frame.empty:
        return []
    cols = {c: frame[c].tolist() if c in frame else [None] * len(frame) for c in INFUSION_COLUMNS}
    out = []
    for i in range(len(frame)):
        effects = _clean(cols["side_effects"][i])
        out.append(
            Infusion(
                patient_id=str(cols["patient_id"][i]),
                when=stored_timepoint(cols["given_at"][i]),
                course=_int_or_none(cols["course"][i]) or 1,
                dose_mg_per_kg=_float_or_none(cols["dose_mg_per_kg"][i]),
                id=_int_or_none(cols["infusion_id"][i]),
                route=_clean(cols["route"][i]),
                duration_min=_float_or_none(cols["duration_min"][i]),
                weight_kg=_float_or_none(cols["weight_kg"][i]),
                bp_systolic_pre=_int_or_none(cols["bp_systolic_pre"][i]),
                bp_diastolic_pre=_int_or_none(cols["bp_diastolic_pre"][i]),
                bp_systolic_post=_int_or_none(cols["bp_systolic_post"][i]),
                bp_diastolic_post=_int_or_none(cols["bp_diastolic_post"][i]),
                heart_rate_pre=_int_or_none(cols["heart_rate_pre"][i]),
                heart_rate_post=_int_or_none(cols["heart_rate_post"][i]),
                side_effects=tuple(e for e in str(effects).split(";") if e) if effects else (),
                notes=_clean(cols["notes"][i]),
            )
        )
    return out


def assessments_from_frame(frame: pd.DataFrame) -> list[Assessment]:
    """Assessment records from a frame with `ASSESSMENT_COLUMNS`."""
    if frame is None or frame.empty:
        return []
    cols = {c: frame[c].tolist() if c in frame else [None] * len(frame) for c in ASSESSMENT_COLUMNS}
    return [
        Assessment(
            patient_id=str(cols["patient_id"][i]),
            when=stored_timepoint(cols["taken_at"][i]),
            scale=cols["scale"][i],
            total=int(cols["total"][i]),
            items=items_from_text(cols["items"][i]),
            id=_int_or_none(cols["assessment_id"][i]),
            rater=_clean(cols["rater"][i]),
            notes=_clean(cols["notes"][i]),
            infusion_id=_int_or_none(cols["infusion_id"][i]),
        )
        for i in range(len(frame))
    ]


def group_by_patient(
    infusions: Iterable[Infusion],
    assessments: Iterable[Assessment],
    course_starts: pd.DataFrame | None = None,
    patient_ids: Iterable[str] = (),
) -> dict[str, PatientData]:
    """One `PatientData` per patient, lists sorted in time order.

    `patient_ids` adds patients with no records yet, so that every patient
    of the clinic gets a status.
    """
    inf_by: dict[str, list[Infusion]] = {pid: [] for pid in patient_ids}
    ass_by: dict[str, list[Assessment]] = {pid: [] for pid in inf_by}
    for inf in infusions:
        inf_by.setdefault(inf.patient_id, []).append(inf)
        ass_by.setdefault(inf.patient_id, [])
    for a in assessments:
        ass_by.setdefault(a.patient_id, []).append(a)
        inf_by.setdefault(a.patient_id, [])
    starts: dict[str, list[tuple[int, Timepoint]]] = {}
    if course_starts is not None and not course_starts.empty:
        for pid, course, started in zip(
            course_starts["patient_id"], course_starts["course"], course_starts["started_at"]
        ):
            if _clean(started) is not None:
                starts.setdefault(str(pid), []).append((int(course), stored_timepoint(started)))
                inf_by.setdefault(str(pid), [])
                ass_by.setdefault(str(pid), [])
    return {
        pid: PatientData(
            patient_id=pid,
            infusions=tuple(sorted(inf_by[pid], key=lambda i: (i.course, i.key))),
            assessments=tuple(sorted(ass_by[pid], key=lambda a: a.key)),
            course_starts=tuple(sorted(starts.get(pid, ()))),
        )
        for pid in inf_by
    }


@dataclass
class ClinicData:
    """What `db/` reads for the core: current records only, as frames.

    Superseded and retracted rows are already left out. `acknowledged` holds
    the keys of alerts a clinician has acknowledged.
    """

    patients: pd.DataFrame
    courses: pd.DataFrame
    infusions: pd.DataFrame
    assessments: pd.DataFrame
    acknowledged: frozenset[str] = frozenset()

    def by_patient(self) -> dict[str, "PatientData"]:
        return patients_from_frames(self.infusions, self.assessments, self.courses, self.patients)


def patients_from_frames(
    infusions: pd.DataFrame | None,
    assessments: pd.DataFrame | None,
    courses: pd.DataFrame | None = None,
    patients: pd.DataFrame | None = None,
) -> dict[str, PatientData]:
    """Frames from `db/` to per-patient records (the usual entry point)."""
    ids = [] if patients is None or patients.empty else [str(p) for p in patients["patient_id"]]
    return group_by_patient(
        infusions_from_frame(infusions), assessments_from_frame(assessments), courses, ids
    )
