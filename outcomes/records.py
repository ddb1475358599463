"""Plain records of the clinical data, and how frames become them.

`db/` hands the core pandas DataFrames with the columns listed below; the
core turns them into small immutable records grouped by patient, once, and
every rule then works on those. Keeping the records plain (no cursor, no ORM)
lets the TUI, the reports and the tests build them directly too.

A clinic of 10,000 patients has hundreds of thousands of records, so this
is the program's hottest path (see `bench/bench_core.py`): frames are read a
column at a time, timepoints are parsed once per distinct text, records are
named tuples, and the cyclic garbage collector is paused while they are made.
"""

from __future__ import annotations

import gc
import math
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from itertools import groupby, repeat
from operator import attrgetter
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Mapping, NamedTuple, Sequence

from outcomes.scales import SCALES
from outcomes.timepoints import Timepoint, parse_timepoint

if (
    TYPE_CHECKING
):  # frames come from `db/`, which loads pandas; an import of CSV rows never needs it
    import pandas as pd

#: Columns `db/` provides for each kind of frame (extra columns are ignored).
PATIENT_COLUMNS = ("patient_id", "name", "birth_date", "weight_kg", "notes", "email")
COURSE_COLUMNS = ("patient_id", "course", "started_at", "notes", "drug", "begun_by_session")
INFUSION_COLUMNS = (
    "infusion_id",
    "patient_id",
    "course",
    "given_at",
    "dose_mg_per_kg",
    "route",
    "duration_min",
    "weight_kg",
    "bp_systolic_pre",
    "bp_diastolic_pre",
    "bp_systolic_post",
    "bp_diastolic_post",
    "heart_rate_pre",
    "heart_rate_post",
    "side_effects",
    "notes",
    "drug",
    "dose_mg",
    "ended_at",
    "ready_to_leave_at",
    "accompanied",
)
READING_COLUMNS = (
    "reading_id",
    "patient_id",
    "session_at",
    "taken_at",
    "bp_systolic",
    "bp_diastolic",
    "heart_rate",
    "spo2",
    "respiratory_rate",
    "sedation_moaas",
    "notes",
)
ASSESSMENT_COLUMNS = (
    "assessment_id",
    "patient_id",
    "taken_at",
    "scale",
    "items",
    "total",
    "rater",
    "notes",
    "infusion_id",
)

ROUTES = ("iv", "im", "intranasal", "oral")
SIDE_EFFECTS = (
    "nausea",
    "vomiting",
    "dizziness",
    "drowsiness",
    "dissociation",
    "hallucinations",
    "confusion",
    "blurred_vision",
    "elevated_bp",
    "elevated_hr",
    "headache",
    "anxiety",
    "agitation",
    "tremor",
    "urinary_symptoms",
    "other",
)


def total_mg(dose_mg_per_kg: float | None, weight_kg: float | None) -> float | None:
    """Total dose in mg, dose x weight to one decimal (None unless both are known).

    The entry form shows it beside the dose (clinical-spec section 8).
    """
    if dose_mg_per_kg is None or weight_kg is None:
        return None
    return round(dose_mg_per_kg * weight_kg, 1)


class Infusion(NamedTuple):
    """One ketamine infusion (its number in the course: `Course.number_of`).

    Records are immutable named tuples rather than dataclasses: a clinic has
    hundreds of thousands and a tuple is built several times faster. Build
    them with keywords after `patient_id` and `when`.
    """

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
    drug: str = "ketamine"
    dose_mg: float | None = None
    ended_at: Timepoint | None = None
    ready_to_leave_at: Timepoint | None = None
    accompanied: bool | None = None

    @property
    def key(self) -> int:
        """Sort key: an assessment is after this infusion iff its key is greater."""
        return self.when.ikey

    @property
    def total_mg(self) -> float | None:
        """Total dose in mg (dose x weight, or esketamine's dose in mg), when known."""
        if self.dose_mg is not None:
            return self.dose_mg
        return total_mg(self.dose_mg_per_kg, self.weight_kg)


class Reading(NamedTuple):
    """One moment of monitoring during a session (clinical-spec section 11)."""

    patient_id: str
    when: Timepoint
    session: Timepoint
    bp_systolic: int | None = None
    bp_diastolic: int | None = None
    heart_rate: int | None = None
    spo2: int | None = None
    respiratory_rate: int | None = None
    sedation_moaas: int | None = None
    notes: str | None = None
    id: int | None = None


class Assessment(NamedTuple):
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

    @property
    def key(self) -> int:
        """Sort key: after an infusion iff greater than the infusion's key."""
        return self.when.akey

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
    #: Readings during sessions, in time order (a tuple, or a clinic's `PatientReadings`,
    #: which behaves as one).
    readings: Sequence[Reading] = ()
    #: Each course's recorded drug (`courses.drug`): course number -> drug.
    course_drugs: tuple[tuple[int, str], ...] = ()

    def readings_of(self, infusion: "Infusion") -> list[Reading]:
        """The readings taken during one session (matched by the session's time)."""
        return [r for r in self.readings if r.session == infusion.when]

    def of_scale(self, scale_id: str) -> list[Assessment]:
        return [a for a in self.assessments if a.scale == scale_id]


def _clean(value: Any) -> Any:
    """None for pandas' missing markers, the value otherwise."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if type(value).__module__.startswith("pandas"):  # only pandas makes its missing markers
        import pandas as pd

        if value is pd.NA or value is pd.NaT:
            return None
    return value


def _int_or_none(value: Any) -> int | None:
    value = _clean(value)
    return None if value is None else int(value)


def _float_or_none(value: Any) -> float | None:
    value = _clean(value)
    return None if value is None else float(value)


@lru_cache(maxsize=1 << 16)
def _stored_text_timepoint(text: str) -> Timepoint:
    # A clinic has few distinct days and times, and every record of a day
    # shares them: caching the parse (and the Timepoint) saves most of the
    # cost of reading a large clinic.
    try:
        if len(text) == 10:
            return Timepoint(date.fromisoformat(text))
        moment = datetime.fromisoformat(text)
        if moment.tzinfo is None:
            return Timepoint(moment.date(), moment.time().replace(microsecond=0))
    except ValueError:
        pass
    return parse_timepoint(text)  # the careful reader, whose message says what is wrong


def stored_timepoint(value: Any) -> Timepoint:
    """Read a timepoint in the normalized form `db/` stores (fast path).

    Also takes a `Timepoint`, a `datetime` or a `date` (pandas' `Timestamp`
    is a `datetime`). Raises `TimeFormatError` for text it cannot read.
    """
    if isinstance(value, str):
        return _stored_text_timepoint(value)
    if isinstance(value, Timepoint):
        return value
    if isinstance(value, datetime):
        return Timepoint(value.date(), value.time().replace(microsecond=0))
    if isinstance(value, date):
        return Timepoint(value)
    return parse_timepoint(str(value))


#: Byte value of "0".."9" -> 0..9, for `bytes.translate`: reads single-digit
#: items in one C-level step (b"2 1" -> (2, 1) without int()); validation uses it too.
DIGIT_VALUES = bytes.maketrans(b"0123456789", bytes(range(10)))


def items_from_text(text: Any) -> tuple[int, ...] | None:
    """Items stored as space-separated numbers; None when absent (total-only)."""
    if text is None:
        return None
    if isinstance(text, str):
        # Every item of every scale is 0-6, so the stored form is single digits
        # joined by single spaces: read the digits at even positions in one
        # C-level step (this runs for every assessment of the clinic).
        digits = text[::2]
        if digits.isdigit() and digits.isascii() and text[1::2].strip(" ") == "" and len(text) % 2:
            return tuple(digits.encode().translate(DIGIT_VALUES))
        return tuple(map(int, text.split())) or None
    if isinstance(text, (list, tuple)):
        return tuple(int(v) for v in text) or None
    if _clean(text) is None:
        return None
    return tuple(map(int, str(text).split())) or None


def items_to_text(items: Iterable[int] | None) -> str | None:
    return None if items is None else " ".join(str(int(v)) for v in items)


_INT_COLUMNS = frozenset(
    {
        "infusion_id",
        "assessment_id",
        "course",
        "bp_systolic_pre",
        "bp_diastolic_pre",
        "bp_systolic_post",
        "bp_diastolic_post",
        "heart_rate_pre",
        "heart_rate_post",
        "reading_id",
        "bp_systolic",
        "bp_diastolic",
        "heart_rate",
        "spo2",
        "respiratory_rate",
        "sedation_moaas",
    }
)
_FLOAT_COLUMNS = frozenset({"dose_mg_per_kg", "duration_min", "weight_kg", "dose_mg"})
_TEXT_TYPES = frozenset({str, type(None)})


def _columns(frame: pd.DataFrame, names: Iterable[str]) -> dict[str, list]:
    """Each wanted column as a list with None for every missing marker.

    Done a column at a time (vectorized) rather than a cell at a time: reading
    a clinic is dominated by this step. Absent columns read as all None;
    whole-number and decimal columns come back as Python ints and floats
    (pandas stores an integer column with a gap as floats), and patient ids as text.
    """
    import numpy as np  # `db/` has loaded pandas, and with it numpy, to make the frame
    from pandas.api.types import infer_dtype

    n = len(frame)
    out = {}
    for name in names:
        if name not in frame.columns:
            out[name] = [None] * n
            continue
        col = frame[name]
        kind = col.dtype.kind
        to_int = name in _INT_COLUMNS
        # `infer_dtype` answers "every value is text" in one C pass, a third of the cost of
        # asking each value's type; a column of NULLs is counted in C.
        all_text = kind == "O" and infer_dtype(col, skipna=False) == "string"
        if kind in "iub" or all_text:  # no gap is possible (integers) or there is none (text)
            values = col.tolist()
        elif kind == "O":  # text with NULLs (None), or a frame built by hand with NaN or numbers
            values = col.tolist()
            if values.count(None) != n and not set(map(type, values)) <= _TEXT_TYPES:
                values = [v if v is None or type(v) is str else _clean(v) for v in values]
        elif kind == "f" and col.hasnans:
            # A gap: numbers made in C (whole ones through int64), None put in the gaps.
            present = col.notna().to_numpy()
            numbers = col.to_numpy()
            if to_int and np.isfinite(numbers[present]).all():
                numbers = np.where(present, numbers, 0).astype(np.int64)
                to_int = False  # made ints here
            values = np.where(present, numbers.astype(object), None).tolist()
        elif col.hasnans:
            values = col.astype(object).where(col.notna(), None).tolist()
        else:
            values = col.tolist()
        if name == "patient_id" and not all_text:
            # Text in the database; a frame built by hand may hold numbers.
            values = [v if type(v) is str else str(v) for v in values]
        elif to_int and kind not in "iu":
            values = [v if v is None or type(v) is int else int(v) for v in values]
        elif name in _FLOAT_COLUMNS and kind != "f":
            values = [v if v is None or type(v) is float else float(v) for v in values]
        out[name] = values
    return out


def _side_effects(values: list) -> list[tuple[str, ...]]:
    # Few distinct texts ("nausea;headache") recur across a clinic: split each once.
    split: dict[str, tuple[str, ...]] = {}
    out = []
    for text in values:
        if not text:
            out.append(())
            continue
        words = split.get(text)
        if words is None:
            words = split[text] = tuple(w for w in str(text).split(";") if w)
        out.append(words)
    return out


def infusions_from_frame(frame: pd.DataFrame | None) -> list[Infusion]:
    """Infusion records from a frame with `INFUSION_COLUMNS`."""
    if frame is None or frame.empty:
        return []
    c = _columns(frame, INFUSION_COLUMNS)
    # One column at a time, then straight into the records (`_records`).
    return _records(
        Infusion,
        c["patient_id"],
        _timepoints(c["given_at"]),
        [n or 1 for n in c["course"]],
        c["dose_mg_per_kg"],
        c["infusion_id"],
        c["route"],
        c["duration_min"],
        c["weight_kg"],
        c["bp_systolic_pre"],
        c["bp_diastolic_pre"],
        c["bp_systolic_post"],
        c["bp_diastolic_post"],
        c["heart_rate_pre"],
        c["heart_rate_post"],
        _side_effects(c["side_effects"]),
        c["notes"],
        [d or "ketamine" for d in c["drug"]],
        c["dose_mg"],
        _timepoints(c["ended_at"]),
        _timepoints(c["ready_to_leave_at"]),
        [None if a is None else bool(a) for a in c["accompanied"]],
    )


def _timepoint_or_none(value: Any) -> Timepoint | None:
    return None if value is None else stored_timepoint(value)


def _each_distinct(read, values: list) -> list:
    """`read` of each value, called once per distinct value (None stays None).

    A clinic's hundreds of thousands of records share far fewer distinct
    times and item texts: each is read once, then looked up (in the order
    first seen, so a bad value is reported as reading row by row would).
    """
    try:
        known = dict.fromkeys(values)
    except TypeError:  # an unhashable value in a frame built by hand
        return [None if v is None else read(v) for v in values]
    for value in known:
        known[value] = None if value is None else read(value)
    return list(map(known.__getitem__, values))


def _timepoints(values: list) -> list:
    return _each_distinct(stored_timepoint, values)


def readings_from_frame(frame: pd.DataFrame | None) -> list[Reading]:
    """Reading records from a frame with `READING_COLUMNS`."""
    if frame is None or frame.empty:
        return []
    c = _columns(frame, READING_COLUMNS)
    return _records(
        Reading,
        c["patient_id"],
        _timepoints(c["taken_at"]),
        _timepoints(c["session_at"]),
        c["bp_systolic"],
        c["bp_diastolic"],
        c["heart_rate"],
        c["spo2"],
        c["respiratory_rate"],
        c["sedation_moaas"],
        c["notes"],
        c["reading_id"],
    )


def assessments_from_frame(frame: pd.DataFrame | None) -> list[Assessment]:
    """Assessment records from a frame with `ASSESSMENT_COLUMNS`.

    A missing total is computed from the items (when they are complete).
    """
    if frame is None or frame.empty:
        return []
    c = _columns(frame, ASSESSMENT_COLUMNS)
    items = list(map(items_from_text, c["items"]))
    totals = c["total"]
    if "total" not in frame.columns or frame["total"].dtype.kind not in "iu":  # some are missing
        totals = [
            _total_from_items(scale_id, its) if total is None else int(total)
            for total, scale_id, its in zip(totals, c["scale"], items, strict=True)
        ]
    return _records(
        Assessment,
        c["patient_id"],
        _timepoints(c["taken_at"]),
        c["scale"],
        totals,
        items,
        c["assessment_id"],
        c["rater"],
        c["notes"],
        c["infusion_id"],
    )


def _records(cls: type, *columns: list) -> list:
    """Records of the named tuple `cls`, one per row of `columns` (every field, in order).

    Each is made by `tuple.__new__` in C: the class's own constructor (and
    `_make`) is a Python call per record, a tenth of reading a large clinic.
    """
    if len(columns) != len(cls._fields):
        raise TypeError(f"{cls.__name__} has {len(cls._fields)} fields, not {len(columns)}")
    return list(map(tuple.__new__, repeat(cls), zip(*columns, strict=True)))


def _total_from_items(scale_id: str, items: tuple[int, ...] | None) -> int:
    scale = SCALES.get(scale_id)
    if scale is None or items is None or len(items) != scale.n_items:
        raise ValueError(f"a {scale_id} assessment has neither a total nor a complete set of items")
    return scale.total(items)


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while records are built in bulk.

    Records hold no reference cycles, so reference counting frees them; the
    cyclic collector would otherwise scan every record made so far again and
    again while hundreds of thousands are created, and then twice more as
    they age (gen 0, gen 1). On leaving, everything alive is moved straight
    to the oldest generation (`gc.freeze()` then `gc.unfreeze()`), where the
    next full collection still sees it: nothing escapes collection, young
    cycles made elsewhere just wait for that full collection. Measured with
    `bench/bench_core.py`, this removes about a third of the CPU time for a
    10,000-patient clinic (and most of its growth beyond linear).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        # Move what was just built straight to the oldest generation
        # (freeze, then unfreeze into it): it is long-lived, so scanning it
        # again in the young generations would only repeat the cost.
        gc.freeze()
        gc.unfreeze()
        if was_enabled:
            gc.enable()


def group_by_patient(
    infusions: Iterable[Infusion],
    assessments: Iterable[Assessment],
    course_starts: pd.DataFrame | None = None,
    patient_ids: Iterable[str] = (),
    readings: Iterable[Reading] | Mapping[str, Sequence[Reading]] = (),
) -> dict[str, PatientData]:
    """One `PatientData` per patient, lists sorted in time order.

    `patient_ids` adds patients with no records yet, so that every patient
    of the clinic gets a status. `readings` are records, or each patient's
    readings already in time order (`outcomes.reading_table`).
    """
    inf_by: dict[str, list[Infusion]] = {pid: [] for pid in patient_ids}
    ass_by: dict[str, list[Assessment]] = {pid: [] for pid in inf_by}
    _group(infusions, inf_by)
    for pid in inf_by:
        ass_by.setdefault(pid, [])
    _group(assessments, ass_by)
    for pid in ass_by:
        inf_by.setdefault(pid, [])
    if isinstance(readings, Mapping):
        read_by = readings
    else:
        read_by = {}
        _group(readings, read_by)
        for records in read_by.values():
            records.sort(key=_READING_ORDER)
    starts, drugs = _course_rows(course_starts)
    for pid in starts:
        inf_by.setdefault(pid, [])
        ass_by.setdefault(pid, [])
    # Each list is sorted in place (`sorted` would copy it first); positional arguments in
    # `PatientData`'s field order.
    for lists, order in ((inf_by, _INFUSION_ORDER), (ass_by, _ASSESSMENT_ORDER)):
        for records in lists.values():
            records.sort(key=order)
    no_readings: tuple = ()
    return {
        pid: PatientData(
            pid,
            tuple(inf_by[pid]),
            tuple(ass_by[pid]),
            tuple(sorted(starts[pid])) if pid in starts else (),
            _as_sequence(read_by[pid]) if pid in read_by else no_readings,
            tuple(sorted(drugs[pid])) if pid in drugs else (),
        )
        for pid in inf_by
    }


def _as_sequence(readings: Sequence[Reading]) -> Sequence[Reading]:
    """A patient's readings as `PatientData` keeps them: grouped records become a tuple, a
    clinic table's `PatientReadings` stays as it is (its records are made when first used)."""
    return tuple(readings) if isinstance(readings, list) else readings


def _group(records: Iterable, into: dict[str, list]) -> None:
    """Add each record to its patient's list in `into`, in the order given.

    `db/` hands a patient's rows together (ordered by patient), so records
    are taken a run of one patient at a time rather than one by one.
    """
    for pid, run in groupby(records, _PATIENT):
        into.setdefault(pid, []).extend(run)


def _course_rows(frame: pd.DataFrame | None) -> tuple[dict[str, list], dict[str, list]]:
    """Each patient's course starts (a clinician's, not those a first session began) and course drugs."""
    starts: dict[str, list[tuple[int, Timepoint]]] = {}
    drugs: dict[str, list[tuple[int, str]]] = {}
    if frame is None or frame.empty:
        return starts, drugs
    n = len(frame)
    begun = frame["begun_by_session"] if "begun_by_session" in frame else [0] * n
    for pid, course, started, drug, by_session in zip(
        frame["patient_id"],
        frame["course"],
        frame["started_at"],
        frame["drug"] if "drug" in frame else [None] * n,
        begun,
        strict=True,
    ):
        if _clean(drug) is not None:
            drugs.setdefault(str(pid), []).append((int(course), str(drug)))
        if _clean(started) is not None and not _clean(by_session):
            starts.setdefault(str(pid), []).append((int(course), stored_timepoint(started)))
    return starts, drugs


# Time order (course first for infusions); attrgetter sorts without a Python call per record.
_INFUSION_ORDER = attrgetter("course", "when.ikey")
_PATIENT = attrgetter("patient_id")
_ASSESSMENT_ORDER = attrgetter("when.akey")
_READING_ORDER = attrgetter("when.akey")


def patient_name(value: Any) -> str | None:
    """A stored name as text, or None when there is none (NULL, NaN or blank)."""
    value = _clean(value)
    return None if value is None or not str(value).strip() else str(value)
