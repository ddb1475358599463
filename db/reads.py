"""Reads: current records as the DataFrames and plain values the domain core expects.

Superseded and retracted versions are left out here, once, so no caller can
forget to. The frames carry exactly the `*_COLUMNS` of `outcomes.records`
(stored forms: ISO timepoint text, items as space-separated text or NULL,
side effects as ';'-separated text or NULL).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterator, NamedTuple, Sequence

if TYPE_CHECKING:  # the reads use `database.conn` only: a plain connection serves too
    import pandas as pd
    import sqlite_utils

from outcomes import rems
from outcomes.clinic_data import ClinicData
from outcomes.records import (
    ASSESSMENT_COLUMNS,
    COURSE_COLUMNS,
    INFUSION_COLUMNS,
    PATIENT_COLUMNS,
    READING_COLUMNS,
    PatientData,
)
from outcomes.settings import SPECS_BY_KEY, SettingError, Settings, settings_from_text

CURRENT = "superseded_at IS NULL AND retracted_at IS NULL"
#: A `readings` row whose session is a current infusion (`db.session_readings` keeps them so; a
#: reading an older release left behind when its session moved is read and exported by no one).
SESSION_IS_CURRENT = (
    "EXISTS (SELECT 1 FROM infusions s WHERE s.patient_id = readings.patient_id"
    " AND s.given_at = readings.session_at"
    " AND s.superseded_at IS NULL AND s.retracted_at IS NULL)"
)

_PATIENTS_SQL = f"""SELECT p.patient_id, d.name, d.birth_date, d.weight_kg, d.notes, d.email
    FROM patients p LEFT JOIN patient_details d ON d.patient_id = p.patient_id AND d.{CURRENT}"""
_COURSES_SQL = "SELECT patient_id, course, started_at, notes, drug, begun_by_session FROM courses"
_INFUSIONS_SQL = (
    "SELECT id AS infusion_id, "
    + ", ".join(INFUSION_COLUMNS[1:])
    + f" FROM infusions WHERE {CURRENT}"
)
_READINGS_SQL = (
    "SELECT id AS reading_id, "
    + ", ".join(READING_COLUMNS[1:])
    + f" FROM readings WHERE {CURRENT} AND {SESSION_IS_CURRENT}"
)
_ASSESSMENTS_SQL = (
    "SELECT id AS assessment_id, "
    + ", ".join(ASSESSMENT_COLUMNS[1:])
    + f" FROM assessments WHERE {CURRENT}"
)


def _frame(
    database: sqlite_utils.Database,
    sql: str,
    where: str,
    params: list,
    order: str,
    columns: tuple[str, ...],
) -> pd.DataFrame:
    if where:
        sql += (" AND " if " WHERE " in sql else " WHERE ") + where
    # fetchall + from_records is about twice as fast as pandas.read_sql here.
    cursor = database.conn.execute(f"{sql} ORDER BY {order}", params)
    names = [c[0] for c in cursor.description]
    import pandas as pd  # here: an import of CSV rows reads no frame and need not wait for pandas

    frame = pd.DataFrame.from_records(cursor.fetchall(), columns=names, coerce_float=True)
    return frame[list(columns)]


def load_clinic(
    database: sqlite_utils.Database,
    patient_id: str | None = None,
    *,
    id_range: tuple[str, str] | None = None,
    ids: Sequence[str] | None = None,
) -> ClinicData:
    """The clinic's current records (or one patient's, those of ids in `id_range`, or of `ids`) as `ClinicData`."""
    if patient_id is not None:
        where, params = "patient_id = ?", [patient_id]
    elif id_range is not None:
        where, params = "patient_id BETWEEN ? AND ?", list(id_range)
    elif ids is not None:
        where, params = f"patient_id IN ({','.join('?' * len(ids))})", list(ids)
    else:
        where, params = "", []
    pwhere = where.replace("patient_id", "p.patient_id")
    patients = _frame(database, _PATIENTS_SQL, pwhere, params, "p.patient_id", PATIENT_COLUMNS)
    courses = _frame(database, _COURSES_SQL, where, params, "patient_id, course", COURSE_COLUMNS)
    infusions = _frame(
        database,
        _INFUSIONS_SQL,
        where,
        params,
        "patient_id, course, given_at, id",
        INFUSION_COLUMNS,
    )
    assessments = _frame(
        database, _ASSESSMENTS_SQL, where, params, "patient_id, taken_at, id", ASSESSMENT_COLUMNS
    )
    readings = _frame(
        database, _READINGS_SQL, where, params, "patient_id, taken_at, id", READING_COLUMNS
    )
    acked = database.conn.execute(
        "SELECT DISTINCT alert_key FROM alert_acknowledgements"
        + (f" WHERE {where}" if where else ""),
        params,
    ).fetchall()
    return ClinicData(
        patients, courses, infusions, assessments, frozenset(r[0] for r in acked), readings
    )


class OnePatient(NamedTuple):
    """One patient as read for a screen: records, current details, and the frames behind them."""

    data: PatientData
    #: Current details (`get_patient`); None when the id is unknown.
    info: dict[str, Any] | None
    #: The patient's own frames (course notes, acknowledged alert keys).
    clinic: ClinicData


def load_patient(database: sqlite_utils.Database, pid: str) -> OnePatient:
    """One patient's current records and details (only that patient's rows are read)."""
    clinic = load_clinic(database, patient_id=pid)
    # Keep only this patient's rows, whatever the frames held.
    data = clinic.by_patient().get(pid) or PatientData(pid)
    return OnePatient(data, get_patient(database, pid), clinic)


#: Patients read at a time by `clinic_chunks`: a few MB of records, five queries.
CHUNK_PATIENTS = 1000


def clinic_chunks(database: sqlite_utils.Database, size: int | None = None) -> Iterator[ClinicData]:
    """The whole clinic as `ClinicData` of `size` patients at a time, in patient-id order.

    For work that streams (exports): memory stays that of one chunk, and the
    number of queries grows with the number of chunks, never one per patient.
    """
    size = size or CHUNK_PATIENTS
    ids = patient_ids(database)
    for start in range(0, len(ids), size):
        block = ids[start : start + size]
        yield load_clinic(database, id_range=(block[0], block[-1]))


def chunks_of(
    database: sqlite_utils.Database, ids: Sequence[str], size: int | None = None
) -> Iterator[tuple[list[str], ClinicData]]:
    """`ids` in the order given, `size` at a time, each block with its records (one query per block)."""
    size = size or CHUNK_PATIENTS
    for start in range(0, len(ids), size):
        block = list(ids[start : start + size])
        yield block, load_clinic(database, ids=block)


#: One row per patient for the app's first paint: id, name, latest course, infusions given in it,
#: and the latest score of the chosen scale. Aggregates in SQLite, no per-patient records built.
_LIST_SQL = f"""
WITH latest_course AS (
    SELECT patient_id, max(course) AS course FROM infusions WHERE {CURRENT} GROUP BY patient_id),
given AS (
    SELECT i.patient_id, count(*) AS infusions FROM infusions i JOIN latest_course c
        ON c.patient_id = i.patient_id AND c.course = i.course
    WHERE i.superseded_at IS NULL AND i.retracted_at IS NULL GROUP BY i.patient_id),
latest_score AS (
    SELECT patient_id, total, max(taken_at) AS taken_at FROM assessments
    WHERE {CURRENT} AND scale = ? GROUP BY patient_id)
SELECT p.patient_id, d.name, coalesce(g.infusions, 0), s.total
FROM patients p
LEFT JOIN patient_details d ON d.patient_id = p.patient_id AND d.superseded_at IS NULL
    AND d.retracted_at IS NULL
LEFT JOIN given g ON g.patient_id = p.patient_id
LEFT JOIN latest_score s ON s.patient_id = p.patient_id
ORDER BY p.patient_id"""


#: The same row for the first `limit` patients only, each looked up through its indexes: a
#: constant few milliseconds however large the clinic (the list's first screen paints from it).
_LIST_PAGE_SQL = """
SELECT p.patient_id, d.name,
    (SELECT count(*) FROM infusions i WHERE i.patient_id = p.patient_id
        AND i.superseded_at IS NULL AND i.retracted_at IS NULL
        AND i.course = (SELECT max(course) FROM infusions j WHERE j.patient_id = p.patient_id
                        AND j.superseded_at IS NULL AND j.retracted_at IS NULL)),
    (SELECT a.total FROM assessments a WHERE a.patient_id = p.patient_id AND a.scale = ?
        AND a.superseded_at IS NULL AND a.retracted_at IS NULL ORDER BY a.taken_at DESC LIMIT 1)
FROM (SELECT patient_id FROM patients ORDER BY patient_id LIMIT ?) p
LEFT JOIN patient_details d ON d.patient_id = p.patient_id AND d.superseded_at IS NULL
    AND d.retracted_at IS NULL
ORDER BY p.patient_id"""


def list_rows(
    database: sqlite_utils.Database, scale: str, limit: int | None = None
) -> list[tuple[str, str | None, int, int | None]]:
    """(patient_id, name, infusions in the latest course, latest total of `scale`) for every patient,
    from one query: what the app's patient list paints before any status is computed.

    With `limit`, the first `limit` patients by id only, in milliseconds whatever the clinic's
    size (the whole list of 50,000 takes seconds: aggregates over every record).
    """
    if limit is not None:
        return database.conn.execute(_LIST_PAGE_SQL, (scale, limit)).fetchall()
    return database.conn.execute(_LIST_SQL, (scale,)).fetchall()


def patient_count(database: sqlite_utils.Database) -> int:
    """How many patients the clinic holds."""
    return database.conn.execute("SELECT count(*) FROM patients").fetchone()[0]


def stored_settings(database: sqlite_utils.Database) -> dict[str, str]:
    """The settings the clinic changed, as stored text."""
    return dict(database.conn.execute("SELECT key, value FROM settings").fetchall())


def load_settings(database: sqlite_utils.Database) -> Settings:
    """`Settings` with the clinic's values over the defaults.

    A stored value that no longer validates (a newer release narrowed a
    range) falls back to its default rather than stopping the program.
    """
    stored = stored_settings(database)
    good = {}
    for key, text in stored.items():
        if key not in SPECS_BY_KEY:
            continue
        try:
            settings_from_text({key: text})
        except SettingError:
            continue
        good[key] = text
    return settings_from_text(good)


def patient_ids(database: sqlite_utils.Database) -> list[str]:
    """Every patient id, sorted."""
    return [
        r[0] for r in database.conn.execute("SELECT patient_id FROM patients ORDER BY patient_id")
    ]


def get_patient(database: sqlite_utils.Database, pid: str) -> dict[str, Any] | None:
    """One patient's current details, or None when the id is unknown."""
    cursor = database.conn.execute(_PATIENTS_SQL + " WHERE p.patient_id = ?", (pid,))
    row = cursor.fetchone()
    if row is None:
        return None
    return dict(zip([c[0] for c in cursor.description], row, strict=True))


def acknowledgements(database: sqlite_utils.Database, pid: str | None = None) -> pd.DataFrame:
    """A patient's alert acknowledgements (alert_key, who, at, note, patient_id), oldest first.

    Without `pid`, every patient's, in one query (never one query per patient).
    """
    where, params = (" WHERE patient_id = ?", [pid]) if pid is not None else ("", [])
    import pandas as pd

    return pd.read_sql(
        f"SELECT alert_key, who, at, note, patient_id FROM alert_acknowledgements{where} ORDER BY id",
        database.conn,
        params=params,
    )


def record_counts(database: sqlite_utils.Database) -> dict[str, int]:
    """How many current patients, infusions and assessments the clinic holds."""
    one = database.conn.execute
    return {
        "patients": one("SELECT count(*) FROM patients").fetchone()[0],
        "infusions": one(f"SELECT count(*) FROM infusions WHERE {CURRENT}").fetchone()[0],
        "readings": one(f"SELECT count(*) FROM readings WHERE {CURRENT}").fetchone()[0],
        "assessments": one(f"SELECT count(*) FROM assessments WHERE {CURRENT}").fetchone()[0],
    }


def meta_value(database: sqlite_utils.Database, key: str) -> str | None:
    row = database.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return row[0] if row else None


def _current(table: str) -> str:
    return f"{table}.superseded_at IS NULL AND {table}.retracted_at IS NULL"


#: The REMS form's columns of infusions.csv (issue 26): yes/no answers as words, as typed.
_REMS_EXPORT = ", ".join(
    [
        *(
            f"CASE f.{n} WHEN 1 THEN 'yes' WHEN 0 THEN 'no' END AS {n}"
            if n in rems.YES_NO_FIELDS
            else f"f.{n}"
            for n in rems.FIELDS
        ),
        "r.submitted_on AS rems_submitted_on",
        "r.submitted_by AS rems_submitted_by",
    ]
)

#: Columns of each exported CSV file, in order (interface.md, plus `course`
#: and `heart_rate_post` for infusions so a re-import loses nothing).
EXPORT_SQL = {
    "patients": _PATIENTS_SQL + " ORDER BY p.patient_id",
    "infusions": (
        "SELECT i.patient_id, i.given_at AS date, course, dose_mg_per_kg, route, duration_min,"
        " weight_kg, bp_systolic_pre, bp_diastolic_pre, bp_systolic_post, bp_diastolic_post,"
        " heart_rate_pre, heart_rate_post, side_effects, notes, drug, dose_mg, ended_at,"
        " ready_to_leave_at, CASE accompanied WHEN 1 THEN 'yes' WHEN 0 THEN 'no' END AS accompanied,"
        f" {_REMS_EXPORT} FROM infusions i"
        " LEFT JOIN rems_forms f ON f.patient_id = i.patient_id AND f.session_at = i.given_at"
        f" AND {_current('f')} LEFT JOIN rems_submissions r ON r.patient_id = i.patient_id"
        f" AND r.session_at = i.given_at AND {_current('r')}"
        f" WHERE {_current('i')} ORDER BY i.patient_id, course, i.given_at, i.id"
    ),
    "vitals": (
        "SELECT patient_id, session_at AS session, taken_at AS at, bp_systolic, bp_diastolic,"
        " heart_rate, spo2, respiratory_rate, sedation_moaas, notes"
        f" FROM readings WHERE {CURRENT} AND {SESSION_IS_CURRENT} ORDER BY patient_id, taken_at, id"
    ),
    "assessments": (
        "SELECT patient_id, taken_at AS date, scale, items, total, rater, notes"
        f" FROM assessments WHERE {CURRENT} ORDER BY patient_id, taken_at, id"
    ),
}


def export_rows(database: sqlite_utils.Database, kind: str) -> tuple[list[str], Iterator[tuple]]:
    """Header and current rows of one kind, in the CSV export's column order.

    The rows are an iterator over the query (read as they are written, so an
    export of any size holds a few rows in memory, not the table).
    """
    cursor = database.conn.execute(EXPORT_SQL[kind])
    return [c[0] for c in cursor.description], iter(cursor)
