"""Storage of the REMS monitoring forms (issue 26): each esketamine session's form and its submission.

`rems_forms` holds the form's own fields for a session (migration 0008),
versioned like every clinical record: saving the form again supersedes the
old version, audited. `rems_submissions` records that the clinic submitted
the form, on which clinic date and by whom, once per session (audited). Both
name the session as readings do, by the patient and the session's time, and
follow the session when its time is corrected (`move_rems`, called inside
the correction's transaction). Reads return `outcomes.rems` records.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any, Mapping

from db import audit
from db.clock import now_iso
from db.connection import write_transaction
from db.errors import NotFound, StorageError
from db.reads import CURRENT
from outcomes.drugs import ESKETAMINE
from outcomes.rems import (
    FIELDS,
    YES_NO_FIELDS,
    RemsForm,
    Submission,
    concomitant_text,
    parse_concomitant,
    split_list,
    submitted_on_problem,
)

if TYPE_CHECKING:  # annotations only: loaded where a connection is made (db.connection)
    import sqlite_utils

#: The reason a form's new version gives when the clinician gave none: it is filled as the session goes.
UPDATED = "REMS monitoring form updated"
_SESSION_IS_CURRENT = (
    "EXISTS (SELECT 1 FROM infusions s WHERE s.patient_id = {t}.patient_id"
    " AND s.given_at = {t}.session_at AND s.superseded_at IS NULL AND s.retracted_at IS NULL)"
)


def form_row(values: Mapping[str, Any]) -> dict[str, Any]:
    """The stored columns of a form checked by `outcomes.rems.check_rems`."""
    row: dict[str, Any] = {}
    for name in YES_NO_FIELDS:
        answer = values.get(name)
        row[name] = None if answer is None else int(answer)
    row["concomitant_medicines"] = concomitant_text(values.get("concomitant_medicines"))
    lots = values.get("device_lots") or ()
    row["device_lots"] = ";".join(lots) if lots else None
    row["serious_adverse_event_text"] = values.get("serious_adverse_event_text")
    return row


def _form(row: Mapping[str, Any]) -> RemsForm:
    values: dict[str, Any] = {n: (None if row[n] is None else bool(row[n])) for n in YES_NO_FIELDS}
    values["concomitant_medicines"] = parse_concomitant(row["concomitant_medicines"])[0]
    values["device_lots"] = tuple(split_list(row["device_lots"]))
    values["serious_adverse_event_text"] = row["serious_adverse_event_text"]
    return RemsForm(row["patient_id"], row["session_at"], **values)


def _session(
    database: sqlite_utils.Database, pid: str, session_at: str
) -> tuple[str, float | None]:
    """(drug, dose in mg) of the patient's current session at `session_at`; NotFound otherwise."""
    row = database.conn.execute(
        f"SELECT drug, dose_mg FROM infusions WHERE patient_id = ? AND given_at = ? AND {CURRENT}",
        (pid, session_at),
    ).fetchone()
    if row is None:
        raise NotFound(
            f"there is no session of patient {pid!r} at {session_at.replace('T', ' ')}; "
            "give the session's date and time as recorded"
        )
    return row[0], row[1]


def _current_id(database, table: str, pid: str, session_at: str) -> int | None:
    row = database.conn.execute(
        f"SELECT id FROM {table} WHERE patient_id = ? AND session_at = ? AND {CURRENT}",
        (pid, session_at),
    ).fetchone()
    return None if row is None else int(row[0])


def write_form(
    database: sqlite_utils.Database,
    pid: str,
    session_at: str,
    values: Mapping[str, Any],
    who: str,
    *,
    reason: str | None = None,
    import_id: int | None = None,
) -> int | None:
    """Store the form's fields for a session, in the caller's transaction; returns the row id.

    Only the fields in `values` change (the others keep the stored answer).
    Nothing is written when nothing changes.
    """
    old_id = _current_id(database, "rems_forms", pid, session_at)
    old = {}
    if old_id is not None:
        cursor = database.conn.execute(
            f"SELECT {', '.join(FIELDS)} FROM rems_forms WHERE id = ?", (old_id,)
        )
        old = dict(zip(FIELDS, cursor.fetchone(), strict=True))
    new = {**old, **{k: v for k, v in form_row(values).items() if k in values}}
    if old_id is not None and new == old:
        return old_id
    now = now_iso()
    row = {"patient_id": pid, "session_at": session_at, **{k: new.get(k) for k in FIELDS}}
    book = {"recorded_at": now, "recorded_by": who, "import_id": import_id}
    if old_id is not None:
        database.conn.execute("UPDATE rems_forms SET superseded_at = ? WHERE id = ?", (now, old_id))
        book |= {"supersedes": old_id, "change_reason": reason or UPDATED}
    columns = [*row, *book]
    cursor = database.conn.execute(
        f"INSERT INTO rems_forms ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
        [*row.values(), *book.values()],
    )
    new_id = int(cursor.lastrowid)
    if old_id is not None:
        database.conn.execute(
            "UPDATE rems_forms SET superseded_by = ? WHERE id = ?", (new_id, old_id)
        )
    action = "create" if old_id is None else "correct"
    audit.record(
        database,
        "rems_forms",
        new_id,
        action,
        old=old or None,
        new=row,
        reason=book.get("change_reason"),
        who=who,
    )
    return new_id


def save_form(
    database: sqlite_utils.Database,
    pid: str,
    session_at: str,
    values: Mapping[str, Any],
    who: str,
    reason: str | None = None,
) -> int | None:
    """Store the form's fields of an esketamine session (one transaction, audited)."""
    with write_transaction(database):
        drug, _ = _session(database, pid, session_at)
        if drug != ESKETAMINE:
            raise StorageError(
                f"the session of {pid} at {session_at.replace('T', ' ')} gives {drug}; the REMS "
                "monitoring form is for esketamine sessions; nothing was saved"
            )
        return write_form(database, pid, session_at, values, who, reason=reason)


def write_submission(
    database, pid: str, session_at: str, on: date, by: str, who: str, import_id: int | None = None
) -> int:
    """Record the form as submitted on `on` by `by` (recorded by `who`), in the caller's
    transaction; refused when already recorded."""
    existing = database.conn.execute(
        f"SELECT submitted_on, submitted_by FROM rems_submissions WHERE patient_id = ?"
        f" AND session_at = ? AND {CURRENT}",
        (pid, session_at),
    ).fetchone()
    if existing:
        raise StorageError(
            f"the REMS form of {pid}'s session at {session_at.replace('T', ' ')} is already marked "
            f"submitted on {existing[0]} by {existing[1]}; nothing was saved"
        )
    row = {
        "patient_id": pid,
        "session_at": session_at,
        "submitted_on": on.isoformat(),
        "submitted_by": by,
    }
    cursor = database.conn.execute(
        "INSERT INTO rems_submissions (patient_id, session_at, submitted_on, submitted_by, import_id,"
        " recorded_at, recorded_by) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (*row.values(), import_id, now_iso(), who),
    )
    new_id = int(cursor.lastrowid)
    audit.record(database, "rems_submissions", new_id, "create", new=row, who=who)
    return new_id


def mark_submitted(
    database: sqlite_utils.Database, pid: str, session_at: str, on: date, who: str, today: date
) -> int:
    """Mark the session's REMS form submitted on clinic date `on` by `who` (audited); returns its id.

    Refused, with words, for a session that is not esketamine, a date before
    the session or after today, and a form already marked.
    """
    with write_transaction(database):
        drug, _ = _session(database, pid, session_at)
        if drug != ESKETAMINE:
            raise StorageError(
                f"the session of {pid} at {session_at.replace('T', ' ')} gives {drug}, not "
                "esketamine: it has no REMS monitoring form to submit; nothing was saved"
            )
        problem = submitted_on_problem(on, date.fromisoformat(session_at[:10]), today)
        if problem:
            raise StorageError(f"{problem}; nothing was saved")
        return write_submission(database, pid, session_at, on, who, who)


def forms_of(database: sqlite_utils.Database, pid: str) -> dict[str, RemsForm]:
    """The patient's current forms, by session time."""
    columns = ("patient_id", "session_at", *FIELDS)
    cursor = database.conn.execute(
        f"SELECT {', '.join(columns)} FROM rems_forms WHERE patient_id = ? AND {CURRENT}", (pid,)
    )
    return {row[1]: _form(dict(zip(columns, row, strict=True))) for row in cursor}


def submissions_of(
    database: sqlite_utils.Database, pid: str | None = None
) -> dict[tuple, Submission]:
    """Current submissions, by (patient id, session time); one patient's, or the clinic's."""
    where = "" if pid is None else " AND patient_id = ?"
    cursor = database.conn.execute(
        "SELECT patient_id, session_at, submitted_on, submitted_by FROM rems_submissions"
        f" WHERE {CURRENT}{where}",
        () if pid is None else (pid,),
    )
    return {(p, s): Submission(p, s, date.fromisoformat(on), by) for p, s, on, by in cursor}


def esketamine_sessions(database: sqlite_utils.Database) -> list[tuple[str, str, int]]:
    """Every current esketamine session of the clinic: (patient id, session time, course)."""
    cursor = database.conn.execute(
        f"SELECT patient_id, given_at, course FROM infusions WHERE drug = ? AND {CURRENT}"
        " ORDER BY given_at, patient_id",
        (ESKETAMINE,),
    )
    return [(p, g, int(c)) for p, g, c in cursor]


def _move(database, table: str, pid: str, old_at: str, new_at: str, reason: str, who: str) -> None:
    columns = REMS_COLUMNS[table]
    row = database.conn.execute(
        f"SELECT id, {', '.join(columns)} FROM {table} WHERE patient_id = ? AND session_at = ?"
        f" AND {CURRENT}",
        (pid, old_at),
    ).fetchone()
    if row is None:
        return
    old_id, values = row[0], dict(zip(columns, row[1:], strict=True))
    now, new = now_iso(), {**values, "session_at": new_at}
    database.conn.execute(f"UPDATE {table} SET superseded_at = ? WHERE id = ?", (now, old_id))
    names = [*new, "recorded_at", "recorded_by", "supersedes", "change_reason"]
    cursor = database.conn.execute(
        f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
        [*new.values(), now, who, old_id, f"moved with its session: {reason}"],
    )
    database.conn.execute(
        f"UPDATE {table} SET superseded_by = ? WHERE id = ?", (cursor.lastrowid, old_id)
    )
    audit.record(
        database, table, cursor.lastrowid, "correct", old=values, new=new, reason=reason, who=who
    )


REMS_COLUMNS = {
    "rems_forms": ("patient_id", "session_at", *FIELDS),
    "rems_submissions": ("patient_id", "session_at", "submitted_on", "submitted_by"),
}


def move_rems(database, pid: str, old_at: str, new_at: str, reason: str, who: str) -> None:
    """The session's form and submission follow its corrected time (in the caller's transaction)."""
    if old_at == new_at:
        return
    for table in REMS_COLUMNS:
        _move(database, table, pid, old_at, new_at, reason, who)


def course_medicines_of(
    database: sqlite_utils.Database, pid: str | None = None
) -> dict[str, dict[int, tuple[tuple[str, ...], str]]]:
    """Per patient (one, or all), per course: the medicines its latest confirming session confirmed.

    `outcomes.rems.course_medicines`'s rule in one query: the latest current session of the
    course whose current form holds `concomitant_medicines`.
    """
    where = "" if pid is None else " AND i.patient_id = ?"
    cursor = database.conn.execute(
        "SELECT i.patient_id, i.course, f.concomitant_medicines, max(i.given_at)"
        " FROM infusions i JOIN rems_forms f ON f.patient_id = i.patient_id"
        " AND f.session_at = i.given_at AND f.superseded_at IS NULL AND f.retracted_at IS NULL"
        " WHERE i.superseded_at IS NULL AND i.retracted_at IS NULL"
        f" AND f.concomitant_medicines IS NOT NULL{where} GROUP BY i.patient_id, i.course",
        () if pid is None else (pid,),
    )
    out: dict[str, dict[int, tuple[tuple[str, ...], str]]] = {}
    for p, course, text, at in cursor:
        out.setdefault(p, {})[int(course)] = (parse_concomitant(text)[0], at)
    return out


def rems_of_patients(
    database: sqlite_utils.Database, pids
) -> tuple[dict[tuple[str, str], RemsForm], dict[tuple[str, str], Submission]]:
    """The current forms and submissions of some patients (an export's chunk), by (patient, time)."""
    pids = list(pids)
    if not pids:
        return {}, {}
    marks = ", ".join("?" * len(pids))
    columns = ("patient_id", "session_at", *FIELDS)
    cursor = database.conn.execute(
        f"SELECT {', '.join(columns)} FROM rems_forms WHERE patient_id IN ({marks}) AND {CURRENT}",
        pids,
    )
    forms = {(r[0], r[1]): _form(dict(zip(columns, r, strict=True))) for r in cursor}
    cursor = database.conn.execute(
        "SELECT patient_id, session_at, submitted_on, submitted_by FROM rems_submissions"
        f" WHERE patient_id IN ({marks}) AND {CURRENT}",
        pids,
    )
    subs = {(p, s): Submission(p, s, date.fromisoformat(on), by) for p, s, on, by in cursor}
    return forms, subs
