"""Single-record writes: add, correct, retract, acknowledge, change a setting.

Values arrive already checked by `outcomes.validation` (the `values` of a
`Checked`); the CHECK constraints of the schema are only the last guard.
Nothing clinical is changed in place: a correction inserts a new version
that `supersedes` the old one and marks the old one superseded; a retraction
marks the row with who, when and why. Each call is one transaction together
with its audit row.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Any, Mapping

from db import audit
from db.clock import now_iso
from db.connection import write_transaction
from db.errors import NotFound, StorageError
from db.reads import CURRENT as _CURRENT
from db.reads import load_settings
from db.rems import move_rems
from db.session_readings import move_readings, retract_readings
from outcomes.drugs import KETAMINE, course_drug_problem, drug_of
from outcomes.records import items_to_text
from outcomes.scales import get_scale
from outcomes.setting_pairs import pair_problem
from outcomes.settings import SettingError, audit_text, parse_value, stored_text
from outcomes.timepoints import Timepoint, parse_timepoint
from outcomes.validation import (
    ASSESSMENT_IDENTITY,
    already_recorded,
    dose_problems,
    reason_problems,
)

if TYPE_CHECKING:  # annotations only: loaded where a connection is made (db.connection)
    import sqlite_utils

PATIENT_FIELDS = ("name", "birth_date", "weight_kg", "notes", "email")
INFUSION_FIELDS = (
    "patient_id",
    "course",
    "given_at",
    "dose_mg_per_kg",
    "dose_confirmed",
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
READING_FIELDS = (
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
ASSESSMENT_FIELDS = (
    "patient_id",
    "taken_at",
    "scale",
    "items",
    "total",
    "total_only",
    "rater",
    "notes",
    "infusion_id",
)


def _iso(when: Any) -> str:
    if isinstance(when, Timepoint):
        return when.iso()
    return parse_timepoint(str(when)).iso()


def _refused(exc: sqlite3.IntegrityError) -> StorageError:
    return StorageError(f"the database refused the record as out of range or inconsistent ({exc})")


def _require_patient(database: sqlite_utils.Database, pid: str) -> None:
    if (
        database.conn.execute("SELECT 1 FROM patients WHERE patient_id = ?", (pid,)).fetchone()
        is None
    ):
        raise NotFound(f"patient {pid!r} is not known; add the patient first")


def unusual_dose(dose: float | None) -> bool:
    """Whether a dose needed the explicit confirmation of clinical-spec section 8."""
    return dose is not None and any(p.kind == "confirm" for p in dose_problems(dose))


def infusion_row(values: Mapping[str, Any], course: int, confirmed: bool = True) -> dict[str, Any]:
    """The stored form of checked infusion values."""
    effects = values.get("side_effects")
    if isinstance(effects, (list, tuple)):
        effects = ";".join(effects) or None
    dose = values.get("dose_mg_per_kg")
    return {
        "patient_id": values["patient_id"],
        "course": int(course),
        "given_at": _iso(values.get("date") or values.get("given_at")),
        "dose_mg_per_kg": dose,
        "dose_confirmed": 1 if unusual_dose(dose) and confirmed else 0,
        **{k: values.get(k) for k in INFUSION_FIELDS[5:14]},
        "side_effects": effects,
        "notes": values.get("notes"),
        "drug": drug_of(values.get("drug")),
        "dose_mg": values.get("dose_mg"),
        "ended_at": _iso_or_none(values.get("ended_at")),
        "ready_to_leave_at": _iso_or_none(values.get("ready_to_leave_at")),
        "accompanied": None
        if values.get("accompanied") is None
        else int(bool(values["accompanied"])),
    }


def _iso_or_none(when: Any) -> str | None:
    return None if when is None or when == "" else _iso(when)


def reading_row(values: Mapping[str, Any]) -> dict[str, Any]:
    """The stored form of checked reading values (`outcomes.readings.check_reading`)."""
    return {
        "patient_id": values["patient_id"],
        "session_at": _iso(values.get("session") or values.get("session_at")),
        "taken_at": _iso(values.get("at") or values.get("taken_at")),
        **{k: values.get(k) for k in READING_FIELDS[3:]},
    }


def assessment_row(values: Mapping[str, Any], infusion_id: int | None = None) -> dict[str, Any]:
    """The stored form of checked assessment values."""
    items = values.get("items")
    items_text = items if isinstance(items, str) else items_to_text(items)
    return {
        "patient_id": values["patient_id"],
        "taken_at": _iso(values.get("date") or values.get("taken_at")),
        "scale": values["scale"],
        "items": items_text or None,
        "total": int(values["total"]),
        "total_only": 1 if not items_text else 0,
        "rater": values.get("rater"),
        "notes": values.get("notes"),
        "infusion_id": infusion_id if infusion_id is not None else values.get("infusion_id"),
    }


def _insert(database: sqlite_utils.Database, table: str, row: Mapping[str, Any]) -> int:
    columns = list(row)
    try:
        cursor = database.conn.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
            [row[c] for c in columns],
        )
    except sqlite3.IntegrityError as exc:
        raise _refused(exc) from exc
    return int(cursor.lastrowid)


def _current(
    database: sqlite_utils.Database, table: str, record_id: int, fields: tuple[str, ...]
) -> dict:
    row = database.conn.execute(
        f"SELECT {', '.join(fields)}, superseded_at, retracted_at FROM {table} WHERE id = ?",
        (record_id,),
    ).fetchone()
    kind = table.rstrip("s")
    if row is None:
        raise NotFound(f"there is no {kind} with id {record_id}")
    if row[-2] is not None:
        raise StorageError(f"{kind} {record_id} was already corrected; correct its latest version")
    if row[-1] is not None:
        raise StorageError(f"{kind} {record_id} was retracted")
    return dict(zip(fields, row[:-2], strict=True))


def course_for(database: sqlite_utils.Database, pid: str, drug: str) -> int:
    """The course a new infusion of `drug` joins: the latest, or the next when the drug differs.

    A course has one drug (clinical-spec section 11), kept in `courses.drug`:
    a different drug starts a new one.
    """
    latest = latest_course(database, pid)
    if latest == 0:
        return 1
    recorded = course_drug(database, pid, latest)
    # A course a clinician started and gave no session yet is joined whatever the drug: a session
    # of another drug is then refused (`course_refusal`) rather than left to begin a course of its own.
    same = recorded is None or recorded == drug_of(drug) or not _sessions_in(database, pid, latest)
    return latest if same else latest + 1


def course_drug(database: sqlite_utils.Database, pid: str, number: int) -> str | None:
    """The drug recorded for the patient's course `number` (None: no such course)."""
    row = database.conn.execute(
        "SELECT drug FROM courses WHERE patient_id = ? AND course = ?", (pid, number)
    ).fetchone()
    return None if row is None else row[0]


def latest_course(database: sqlite_utils.Database, pid: str) -> int:
    """The patient's latest course number (0 when none was given or started).

    A course a session began counts while it has a current session (its only
    session retracted, it is no course at all); one a clinician started counts
    from its start.
    """
    row = database.conn.execute(
        "SELECT max(c) FROM (SELECT max(course) AS c FROM courses WHERE patient_id = ? AND begun_by_session = 0"
        " UNION ALL SELECT max(course) FROM infusions WHERE patient_id = ?"
        " AND superseded_at IS NULL AND retracted_at IS NULL)",
        (pid, pid),
    ).fetchone()
    return int(row[0] or 0)


def _sessions_in(
    database: sqlite_utils.Database, pid: str, number: int, other_than: int | None = None
) -> int:
    return database.conn.execute(
        f"SELECT count(*) FROM infusions WHERE patient_id = ? AND course = ? AND {_CURRENT} AND id IS NOT ?",
        (pid, number, other_than),
    ).fetchone()[0]


def course_refusal(
    database: sqlite_utils.Database,
    pid: str,
    number: int,
    drug: str | None,
    other_than: int | None = None,
) -> str | None:
    """Why a session of `drug` cannot be in the patient's course `number`, or None.

    `other_than`: an infusion being corrected (its own drug does not count).
    """
    recorded = course_drug(database, pid, number)
    if recorded is None or recorded == drug_of(drug):
        return None
    if _sessions_in(database, pid, number, other_than):
        return course_drug_problem(number, recorded, drug)
    begun_by_session = database.conn.execute(
        "SELECT begun_by_session FROM courses WHERE patient_id = ? AND course = ?", (pid, number)
    ).fetchone()[0]
    if not begun_by_session:  # started by a clinician for its drug, no session yet
        return course_drug_problem(number, recorded, drug, started=True)
    return None  # a course its one session began: that session's drug is the course's


def record_course(
    database: sqlite_utils.Database,
    pid: str,
    number: int,
    drug: str | None,
    given_at: str,
    who: str,
) -> None:
    """Make `courses.drug` of course `number` the session's drug: a new row when the session begins
    the course, the drug changed when its one session's drug was (inside the caller's transaction)."""
    drug = drug_of(drug)
    recorded = course_drug(database, pid, number)
    if recorded is None:
        row = {"patient_id": pid, "course": number, "started_at": given_at, "drug": drug}
        database.conn.execute(
            "INSERT INTO courses (patient_id, course, started_at, drug, begun_by_session, recorded_at, recorded_by)"
            " VALUES (?, ?, ?, ?, 1, ?, ?)",
            (pid, number, given_at, drug, now_iso(), who),
        )
        audit.record(database, "courses", f"{pid}:{number}", "create", new=row, who=who)
    elif recorded != drug:
        database.conn.execute(
            "UPDATE courses SET drug = ? WHERE patient_id = ? AND course = ?", (drug, pid, number)
        )
        audit.record(
            database,
            "courses",
            f"{pid}:{number}",
            "update",
            old={"drug": recorded},
            new={"drug": drug},
            reason="the drug of the course's one session was corrected",
            who=who,
        )


def _reason(reason: str | None) -> str:
    problems = reason_problems(reason)
    if problems:
        raise StorageError(problems[0].message)
    return str(reason).strip()


# ----- patients ------------------------------------------------------------


def add_patient(database: sqlite_utils.Database, values: Mapping[str, Any], who: str) -> None:
    """Add a new patient (values from `check_patient`)."""
    pid = values["patient_id"]
    with write_transaction(database):
        if database.conn.execute("SELECT 1 FROM patients WHERE patient_id = ?", (pid,)).fetchone():
            raise StorageError(f"patient {pid!r} already exists")
        now = now_iso()
        database.conn.execute(
            "INSERT INTO patients (patient_id, created_at, created_by) VALUES (?, ?, ?)",
            (pid, now, who),
        )
        details = {k: values.get(k) for k in PATIENT_FIELDS}
        _insert(
            database,
            "patient_details",
            {"patient_id": pid, **details, "recorded_at": now, "recorded_by": who},
        )
        audit.record(database, "patients", pid, "create", new=details, who=who)


def update_patient(
    database: sqlite_utils.Database, pid: str, values: Mapping[str, Any], reason: str, who: str
) -> None:
    """Record new details for a patient; the old version is kept, superseded."""
    reason = _reason(reason)
    with write_transaction(database):
        row = database.conn.execute(
            f"SELECT id, {', '.join(PATIENT_FIELDS)} FROM patient_details WHERE patient_id = ?"
            " AND superseded_at IS NULL AND retracted_at IS NULL",
            (pid,),
        ).fetchone()
        if row is None:
            raise NotFound(f"patient {pid!r} is not known")
        old_id, old = row[0], dict(zip(PATIENT_FIELDS, row[1:], strict=True))
        new = {**old, **{k: values[k] for k in PATIENT_FIELDS if k in values}}
        now = now_iso()
        # Mark the old version first: the current-version index allows only one.
        database.conn.execute(
            "UPDATE patient_details SET superseded_at = ? WHERE id = ?", (now, old_id)
        )
        new_id = _insert(
            database,
            "patient_details",
            {
                "patient_id": pid,
                **new,
                "recorded_at": now,
                "recorded_by": who,
                "supersedes": old_id,
                "change_reason": reason,
            },
        )
        database.conn.execute(
            "UPDATE patient_details SET superseded_by = ? WHERE id = ?", (new_id, old_id)
        )
        audit.record(database, "patients", pid, "update", old=old, new=new, reason=reason, who=who)


# ----- courses, infusions, assessments -------------------------------------


def start_course(
    database: sqlite_utils.Database,
    pid: str,
    started_at: Timepoint,
    who: str,
    note: str | None = None,
    drug: str = KETAMINE,
) -> int:
    """Start the patient's next course of `drug` explicitly; returns its number."""
    audit.require_text(note, "note", note=True)
    with write_transaction(database):
        _require_patient(database, pid)
        # Past every course row: one a since-retracted session began keeps its number.
        number = (
            max(
                latest_course(database, pid),
                database.conn.execute(
                    "SELECT coalesce(max(course), 0) FROM courses WHERE patient_id = ?", (pid,)
                ).fetchone()[0],
            )
            + 1
        )
        row = {
            "patient_id": pid,
            "course": number,
            "started_at": _iso(started_at),
            "notes": note,
            "drug": drug_of(drug),
            "recorded_at": now_iso(),
            "recorded_by": who,
        }
        try:
            database.conn.execute(
                "INSERT INTO courses (patient_id, course, started_at, notes, drug, recorded_at, recorded_by)"
                " VALUES (:patient_id, :course, :started_at, :notes, :drug, :recorded_at, :recorded_by)",
                row,
            )
        except sqlite3.IntegrityError as exc:
            raise _refused(exc) from exc
        audit.record(
            database,
            "courses",
            f"{pid}:{number}",
            "create",
            new={k: row[k] for k in ("patient_id", "course", "started_at", "notes", "drug")},
            who=who,
        )
    return number


def add_infusion(
    database: sqlite_utils.Database,
    values: Mapping[str, Any],
    who: str,
    course: int | None = None,
    *,
    confirmed: bool = True,
) -> int:
    """Add an infusion (values from `check_infusion`); returns its id.

    Without `course` it joins the patient's latest course (course 1 for the
    first infusion). A dose outside the usual range is stored as confirmed:
    the caller asks the clinician before calling (`confirmed=False` lets the
    database refuse it instead).
    """
    pid = values["patient_id"]
    with write_transaction(database):
        _require_patient(database, pid)
        number = course if course is not None else course_for(database, pid, values.get("drug"))
        problem = course_refusal(database, pid, number, values.get("drug"))
        if problem:
            raise StorageError(problem)
        row = infusion_row(values, number, confirmed)
        _refuse_second_session(database, pid, row["given_at"])
        new_id = _insert(
            database, "infusions", {**row, "recorded_at": now_iso(), "recorded_by": who}
        )
        audit.record(database, "infusions", new_id, "create", new=row, who=who)
        record_course(database, pid, number, row["drug"], row["given_at"], who)
    return new_id


def _refuse_second_session(
    database: sqlite_utils.Database, pid: str, given_at: str, other_than: int | None = None
) -> None:
    """One current session of a patient at one time: a second is a duplicate entry (its readings,
    which name the session by its time, could not tell the two apart; a CSV round trip kept one)."""
    clash = database.conn.execute(
        f"SELECT 1 FROM infusions WHERE patient_id = ? AND given_at = ? AND {_CURRENT} AND id IS NOT ?",
        (pid, given_at, other_than),
    ).fetchone()
    if clash:
        raise StorageError(already_recorded(f"a session of {pid} at {given_at.replace('T', ' ')}"))


def session_exists(database: sqlite_utils.Database, pid: str, session_at: str) -> bool:
    """Whether the patient has a current infusion (session) given at exactly `session_at`."""
    return (
        database.conn.execute(
            f"SELECT 1 FROM infusions WHERE patient_id = ? AND given_at = ? AND {_CURRENT}",
            (pid, session_at),
        ).fetchone()
        is not None
    )


def missing_session(pid: str, session_at: str) -> str:
    """The refusal for a reading whose session is not recorded."""
    return (
        f"there is no session of patient {pid!r} at {session_at}; record the session (infusion) "
        "first, with the same date and time"
    )


def add_reading(database: sqlite_utils.Database, values: Mapping[str, Any], who: str) -> int:
    """Add a reading (values from `check_reading`) to a recorded session; returns its id."""
    row = reading_row(values)
    with write_transaction(database):
        _require_patient(database, row["patient_id"])
        if not session_exists(database, row["patient_id"], row["session_at"]):
            raise NotFound(missing_session(row["patient_id"], row["session_at"]))
        if database.conn.execute(
            f"SELECT 1 FROM readings WHERE patient_id = ? AND taken_at = ? AND {_CURRENT}",
            (row["patient_id"], row["taken_at"]),
        ).fetchone():
            raise StorageError(
                f"a reading of {row['patient_id']} at {row['taken_at']} is already recorded; "
                "correct it instead"
            )
        new_id = _insert(
            database, "readings", {**row, "recorded_at": now_iso(), "recorded_by": who}
        )
        audit.record(database, "readings", new_id, "create", new=row, who=who)
    return new_id


def add_assessment(
    database: sqlite_utils.Database,
    values: Mapping[str, Any],
    who: str,
    infusion_id: int | None = None,
    *,
    reason: str | None = None,
) -> int:
    """Add an assessment (values from `check_assessment`); returns its id.

    `reason` goes into the audit row (how the record came in, e.g. entered
    by the patient). A second current score of the same scale at the same
    time is refused (clinical-spec 9): it would be a correction of the first.
    """
    with write_transaction(database):
        _require_patient(database, values["patient_id"])
        row = assessment_row(values, infusion_id)
        _refuse_second_assessment(database, row)
        new_id = _insert(
            database, "assessments", {**row, "recorded_at": now_iso(), "recorded_by": who}
        )
        audit.record(database, "assessments", new_id, "create", new=row, reason=reason, who=who)
    return new_id


def add_infusion_with_rating(
    database: sqlite_utils.Database,
    values: Mapping[str, Any],
    who: str,
    rating: Mapping[str, Any] | None = None,
) -> int:
    """An infusion and the CADSS rating taken at it, saved together or not at all; returns its id.

    `rating` holds the values of `check_assessment` (None: no rating).
    """
    with write_transaction(database):
        infusion_id = add_infusion(database, values, who)
        if rating is not None:
            add_assessment(database, rating, who, infusion_id=infusion_id)
    return infusion_id


def _refuse_second_assessment(database: sqlite_utils.Database, row: Mapping[str, Any]) -> None:
    where = " AND ".join(f"{f} = ?" for f in ASSESSMENT_IDENTITY)
    clash = database.conn.execute(
        f"SELECT 1 FROM assessments WHERE {where} AND superseded_at IS NULL AND retracted_at IS NULL",
        [row[f] for f in ASSESSMENT_IDENTITY],
    ).fetchone()
    if clash:
        when = row["taken_at"].replace("T", " ")
        raise StorageError(
            already_recorded(f"a {get_scale(row['scale']).name} of {row['patient_id']} at {when}")
        )


def add_self_report(
    database: sqlite_utils.Database,
    patient_id: str,
    checked: list[Mapping[str, Any]],
    who: str,
    reason: str,
) -> list[int]:
    """Store the assessments one patient entered themselves, all or none; returns their ids.

    Every value must belong to `patient_id`: patient mode may write that one
    patient's new scores and nothing else.
    """
    if not checked or any(v.get("patient_id") != patient_id for v in checked):
        raise StorageError("a self-report may hold only the scores of the patient who entered them")
    with write_transaction(database):
        return [add_assessment(database, values, who, reason=reason) for values in checked]


def _correct(database, table, fields, record_id, new_row, reason, who) -> int:
    reason = _reason(reason)
    with write_transaction(database):
        old = _current(database, table, record_id, fields)
        if new_row["patient_id"] != old["patient_id"]:
            raise StorageError(
                "a correction cannot move a record to another patient; retract it instead"
            )
        now = now_iso()
        database.conn.execute(
            f"UPDATE {table} SET superseded_at = ? WHERE id = ?", (now, record_id)
        )
        if table == "assessments":  # the same-time rule holds for a correction too (spec section 9)
            _refuse_second_assessment(database, new_row)
        new_id = _insert(
            database,
            table,
            {
                **new_row,
                "recorded_at": now,
                "recorded_by": who,
                "supersedes": record_id,
                "change_reason": reason,
            },
        )
        database.conn.execute(
            f"UPDATE {table} SET superseded_by = ? WHERE id = ?", (new_id, record_id)
        )
        audit.record(
            database,
            table,
            new_id,
            "correct",
            old={"id": record_id, **old},
            new={"id": new_id, **new_row},
            reason=reason,
            who=who,
        )
    return new_id


def correct_assessment(
    database: sqlite_utils.Database,
    assessment_id: int,
    values: Mapping[str, Any],
    reason: str,
    who: str,
) -> int:
    """Replace an assessment by a corrected version; returns the new id."""
    old_link = database.conn.execute(
        "SELECT infusion_id FROM assessments WHERE id = ?", (assessment_id,)
    ).fetchone()
    link = values.get("infusion_id", old_link[0] if old_link else None)
    return _correct(
        database,
        "assessments",
        ASSESSMENT_FIELDS,
        assessment_id,
        assessment_row(values, link),
        reason,
        who,
    )


def correct_infusion(
    database: sqlite_utils.Database,
    infusion_id: int,
    values: Mapping[str, Any],
    reason: str,
    who: str,
) -> int:
    """Replace an infusion by a corrected version (same course); returns the new id."""
    row = database.conn.execute(
        "SELECT course, patient_id, given_at FROM infusions WHERE id = ?", (infusion_id,)
    ).fetchone()
    if row is None:
        raise NotFound(f"there is no infusion with id {infusion_id}")
    course = values.get("course") or row[0]
    new = infusion_row(values, course)
    with write_transaction(
        database
    ):  # the course's drug follows its one session's, or the change is refused
        problem = course_refusal(database, row[1], course, new["drug"], other_than=infusion_id)
        if problem:
            raise StorageError(problem)
        _refuse_second_session(database, row[1], new["given_at"], other_than=infusion_id)
        new_id = _correct(database, "infusions", INFUSION_FIELDS, infusion_id, new, reason, who)
        record_course(database, row[1], course, new["drug"], new["given_at"], who)
        # Its readings name the session by its time: they move with it (or the whole is refused).
        move_readings(database, row[1], row[2], new["given_at"], _reason(reason), who)
        move_rems(database, row[1], row[2], new["given_at"], _reason(reason), who)
    return new_id


def retract(
    database: sqlite_utils.Database, kind: str, record_id: int, reason: str, who: str
) -> None:
    """Mark an assessment or infusion as retracted (it stays stored, out of every read)."""
    table = {"assessment": "assessments", "infusion": "infusions", "reading": "readings"}.get(kind)
    if table is None:
        raise StorageError(
            f"only an assessment, an infusion or a reading can be retracted, not {kind!r}"
        )
    reason = _reason(reason)
    fields = {
        "assessments": ASSESSMENT_FIELDS,
        "infusions": INFUSION_FIELDS,
        "readings": READING_FIELDS,
    }[table]
    with write_transaction(database):
        old = _current(database, table, record_id, fields)
        database.conn.execute(
            f"UPDATE {table} SET retracted_at = ?, retracted_by = ?, retract_reason = ? WHERE id = ?",
            (now_iso(), who, reason, record_id),
        )
        audit.record(database, table, record_id, "retract", old=old, reason=reason, who=who)
        if table == "infusions":  # a retracted session's readings go with it
            retract_readings(database, old["patient_id"], old["given_at"], reason, who)


# ----- alerts and settings -------------------------------------------------


def acknowledge_alerts(
    database: sqlite_utils.Database,
    pid: str,
    alert_keys: list[str],
    who: str,
    note: str | None = None,
) -> None:
    """Acknowledge several alerts of one patient at once: all of them or, on a refusal, none."""
    with write_transaction(database):
        for key in alert_keys:
            acknowledge_alert(database, pid, key, who, note)


def acknowledge_alert(
    database: sqlite_utils.Database, pid: str, alert_key: str, who: str, note: str | None = None
) -> None:
    """Keep a clinician's acknowledgement of one alert (who, when, note)."""
    audit.require_text(note, "note", note=True)
    with write_transaction(database):
        _require_patient(database, pid)
        now = now_iso()
        cursor = database.conn.execute(
            "INSERT INTO alert_acknowledgements (patient_id, alert_key, who, at, note) VALUES (?, ?, ?, ?, ?)",
            (pid, alert_key, who, now, note),
        )
        audit.record(
            database,
            "alert_acknowledgements",
            cursor.lastrowid,
            "acknowledge",
            new={"patient_id": pid, "alert_key": alert_key, "note": note},
            who=who,
        )


def set_setting(database: sqlite_utils.Database, key: str, text: str, who: str) -> Any:
    """Change a clinic setting after `parse_value` accepts it; returns the typed value.

    Raises:
        SettingError: the key or value was refused (nothing is written).
    """
    value = parse_value(key, text)
    stored = stored_text(value)  # a staff code as its salted hash
    with write_transaction(database):
        # Read inside the lock: the pair is checked against what is stored now.
        clash = pair_problem(load_settings(database).with_values({key: value}), key)
        if clash:
            raise SettingError(clash)
        row = database.conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        database.conn.execute(
            "INSERT INTO settings (key, value, changed_at, changed_by) VALUES (?, ?, ?, ?)"
            " ON CONFLICT(key) DO UPDATE SET value = excluded.value, changed_at = excluded.changed_at,"
            " changed_by = excluded.changed_by",
            (key, stored, now_iso(), who),
        )
        audit.record(  # a staff code's hash stays out of the audit trail: only that it changed
            database,
            "settings",
            key,
            "setting",
            old=audit_text(key, row[0] if row else None),
            new=audit_text(key, stored),
            who=who,
        )
    return value
