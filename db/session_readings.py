"""A session's readings follow their session: moved with a corrected time, retracted with it.

A reading names its session by the patient and the session's time
(`readings.session_at` = `infusions.given_at`). A correction of that time
would leave the readings naming a time no current session has (issue 21):
the alert they raise would vanish unacknowledged and the CSV export would no
longer re-import. So, inside the correction's transaction, each reading is
corrected too (a new version, audited with the session's reason), moved by
the same interval so it keeps its minutes after the start (what every rule
and chart reads). A reading that would then fall outside its session's
window (clinical-spec section 11) or onto another reading's time refuses
the whole correction with words (`outcomes.readings.follow_session` is the
rule). A retracted session retracts its readings.

`orphaned_readings` is the check: current readings with no current session.
`db.reads.SESSION_IS_CURRENT` is the condition the reads and exports add, so a reading an older
release left behind is never exported.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from db import audit
from db.clock import now_iso
from db.errors import StorageError
from db.reads import CURRENT, SESSION_IS_CURRENT
from outcomes.readings import follow_session, window_problem
from outcomes.records import READING_COLUMNS
from outcomes.timepoints import parse_timepoint

if TYPE_CHECKING:  # annotations only: loaded where a connection is made (db.connection)
    import sqlite_utils

# A reading's columns as the core names them (`READING_COLUMNS`), under the table's own `id`.
_FIELDS = ("id", *READING_COLUMNS[1:])


def orphaned_readings(database: sqlite_utils.Database) -> list[dict[str, Any]]:
    """Current readings whose session is not a current infusion (none, in a sound clinic)."""
    cursor = database.conn.execute(
        f"SELECT {', '.join(_FIELDS)} FROM readings WHERE {CURRENT} AND NOT {SESSION_IS_CURRENT}"
        " ORDER BY patient_id, taken_at, id"
    )
    return [dict(zip(_FIELDS, row, strict=True)) for row in cursor]


def _readings_of(database, pid: str, session_at: str) -> list[dict[str, Any]]:
    cursor = database.conn.execute(
        f"SELECT {', '.join(_FIELDS)} FROM readings WHERE patient_id = ? AND session_at = ?"
        f" AND {CURRENT} ORDER BY taken_at, id",
        (pid, session_at),
    )
    return [dict(zip(_FIELDS, row, strict=True)) for row in cursor]


def _still_held(database, pid: str, session_at: str) -> bool:
    """Whether another current session of the patient is at `session_at` (its readings stay)."""
    row = database.conn.execute(
        f"SELECT 1 FROM infusions WHERE patient_id = ? AND given_at = ? AND {CURRENT}",
        (pid, session_at),
    ).fetchone()
    return row is not None


def _refusal(pid: str, old_at: str, new_at: str, why: str) -> StorageError:
    return StorageError(
        f"the session of {pid} at {old_at} cannot be moved to {new_at}: {why}; correct or retract "
        "that reading first, or correct the session to a time that fits its readings; nothing was saved"
    )


def move_readings(
    database: sqlite_utils.Database, pid: str, old_at: str, new_at: str, reason: str, who: str
) -> int:
    """Move the readings of the session at `old_at` to its corrected time `new_at` (in the caller's
    transaction); returns how many moved. Raises `StorageError` (the caller rolls back) when one
    would not fit."""
    if old_at == new_at or _still_held(database, pid, old_at):
        return 0
    readings = _readings_of(database, pid, old_at)
    if not readings:
        return 0
    session = parse_timepoint(new_at)
    moved = [
        {**r, "session_at": new_at, "taken_at": follow_session(r["taken_at"], old_at, new_at)}
        for r in readings
    ]
    for old, new in zip(readings, moved, strict=True):
        wrong = window_problem(session, parse_timepoint(new["taken_at"]))
        if wrong:
            raise _refusal(pid, old_at, new_at, f"its {wrong[4:]} (moved from {old['taken_at']})")
    now, ids = now_iso(), [r["id"] for r in readings]
    # Every old version is marked first: the current-reading index then sees only the others.
    database.conn.executemany(
        "UPDATE readings SET superseded_at = ? WHERE id = ?", [(now, i) for i in ids]
    )
    for old, new in zip(readings, moved, strict=True):
        clash = database.conn.execute(
            f"SELECT 1 FROM readings WHERE patient_id = ? AND taken_at = ? AND {CURRENT}",
            (pid, new["taken_at"]),
        ).fetchone()
        if clash:
            raise _refusal(
                pid,
                old_at,
                new_at,
                f"its reading at {old['taken_at']} would move to {new['taken_at']}, "
                "where another reading of the patient is recorded",
            )
        _insert_version(database, old, new, now, f"moved with its session: {reason}", who)
    return len(readings)


def _insert_version(database, old: dict, new: dict, now: str, reason: str, who: str) -> None:
    row = {k: v for k, v in new.items() if k != "id"}
    columns = [*row, "recorded_at", "recorded_by", "supersedes", "change_reason"]
    cursor = database.conn.execute(
        f"INSERT INTO readings ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
        [*row.values(), now, who, old["id"], reason],
    )
    database.conn.execute(
        "UPDATE readings SET superseded_by = ? WHERE id = ?", (cursor.lastrowid, old["id"])
    )
    audit.record(
        database,
        "readings",
        cursor.lastrowid,
        "correct",
        old=old,
        new={**new, "id": cursor.lastrowid},
        reason=reason,
        who=who,
    )


def retract_readings(
    database: sqlite_utils.Database,
    pid: str,
    session_at: str,
    reason: str,
    who: str,
    *,
    exact: bool = False,
) -> int:
    """Retract the readings of the retracted session at `session_at` (in the caller's transaction).

    The audit row says the session was retracted and why; `exact`: `reason` is the whole reason.
    """
    if _still_held(database, pid, session_at):
        return 0
    readings = _readings_of(database, pid, session_at)
    why, now = reason if exact else f"its session was retracted: {reason}", now_iso()
    for r in readings:
        database.conn.execute(
            "UPDATE readings SET retracted_at = ?, retracted_by = ?, retract_reason = ? WHERE id = ?",
            (now, who, why, r["id"]),
        )
        audit.record(database, "readings", r["id"], "retract", old=r, reason=why, who=who)
    return len(readings)
