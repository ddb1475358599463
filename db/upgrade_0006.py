"""What schema upgrade 0006 does to records an earlier release left inconsistent (issue 21).

Two current scores of one scale at one time point (a correction could make
them): the later entry stays current, the earlier is marked superseded by it
(clinical-spec section 9 takes a second entry for a correction of the first).
Readings whose session was corrected or retracted by an earlier release: the
session's versions are followed to its current one and the readings move
there as a correction would move them now (`db.session_readings`); a reading
that does not fit there, or whose session was retracted, is retracted. Each
change is one audit row naming the upgrade; nothing is deleted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from db import audit
from db.clock import now_iso
from db.errors import StorageError
from db.reads import CURRENT
from db.session_readings import move_readings, orphaned_readings, retract_readings

if TYPE_CHECKING:  # annotations only: loaded where a connection is made (db.connection)
    import sqlite_utils

#: The reason every change of this upgrade records.
REASON = "schema upgrade 0006"


def settle_second_scores(database: sqlite_utils.Database, who: str) -> int:
    """Mark the earlier of two current scores of one scale at one time superseded by the later."""
    conn, now, settled = database.conn, now_iso(), 0
    groups = conn.execute(
        f"SELECT patient_id, scale, taken_at, group_concat(id) FROM assessments WHERE {CURRENT}"
        " GROUP BY patient_id, scale, taken_at HAVING count(*) > 1"
    ).fetchall()
    for pid, scale, taken_at, ids_text in groups:
        ids = sorted(int(i) for i in ids_text.split(","))
        kept = ids[-1]
        for earlier in ids[:-1]:
            conn.execute(
                "UPDATE assessments SET superseded_at = ?, superseded_by = ? WHERE id = ?",
                (now, kept, earlier),
            )
            audit.record(
                database,
                "assessments",
                earlier,
                "correct",
                old={"id": earlier, "patient_id": pid, "scale": scale, "taken_at": taken_at},
                new={"id": kept},
                reason=f"{REASON}: a second current {scale} at {taken_at}; the later entry is kept",
                who=who,
            )
            settled += 1
    return settled


def _current_version(database, pid: str, session_at: str) -> tuple[str | None, bool]:
    """The time of the current version of the session once at `session_at`, and whether it is
    retracted (None, False: no session was ever there)."""
    conn = database.conn
    row = conn.execute(
        "SELECT id FROM infusions WHERE patient_id = ? AND given_at = ? ORDER BY id DESC LIMIT 1",
        (pid, session_at),
    ).fetchone()
    seen = set()
    while row is not None and row[0] not in seen:
        seen.add(row[0])
        given_at, superseded_by, retracted = conn.execute(
            "SELECT given_at, superseded_by, retracted_at FROM infusions WHERE id = ?", (row[0],)
        ).fetchone()
        if retracted is not None:
            return given_at, True
        if superseded_by is None:
            return given_at, False
        row = (superseded_by,)
    return None, False


def relink_orphans(database: sqlite_utils.Database, who: str) -> None:
    """Move or retract every current reading whose session is no longer current."""
    conn = database.conn
    sessions = sorted({(r["patient_id"], r["session_at"]) for r in orphaned_readings(database)})
    for pid, session_at in sessions:
        now_at, retracted = _current_version(database, pid, session_at)
        if now_at is not None and not retracted:
            conn.execute("SAVEPOINT relink")
            try:
                move_readings(database, pid, session_at, now_at, REASON, who)
                conn.execute("RELEASE relink")
                continue
            except StorageError as exc:
                conn.execute("ROLLBACK TO relink")
                conn.execute("RELEASE relink")
                why = f"{REASON}: its session moved to {now_at} and it does not fit there ({exc})"
        elif retracted:
            why = f"{REASON}: its session was retracted"
        else:
            why = f"{REASON}: no session of the patient was ever recorded at {session_at}"
        retract_readings(database, pid, session_at, why, who, exact=True)
