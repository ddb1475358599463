"""The audit trail: who changed what, when, from which value to which, and why.

Every write in `db/` records one audit row in the same transaction as the
change itself, so a change and its audit row exist together or not at all.
A bulk import is one audited event (one row naming the file, its checksum and
the ids it added) rather than one row per record; each imported row keeps
its `import_id`, and `history` joins the two.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from db.clock import now_iso
from db.errors import StorageError
from outcomes.typed_text import text_problem

if TYPE_CHECKING:  # annotations only: loaded where a connection is made (db.connection)
    import pandas as pd
    import sqlite_utils

#: How a refusal names the `who` of a change (it may come from any of these).
WHO_WORDS = (
    "the clinician name recorded with the change (typed in the app, --clinician or $OUTCOMES_USER)"
)

#: Public table names (as callers say them) -> stored table names.
TABLES = {
    "patient": "patients",
    "patients": "patients",
    "infusion": "infusions",
    "infusions": "infusions",
    "assessment": "assessments",
    "assessments": "assessments",
    "course": "courses",
    "courses": "courses",
    "setting": "settings",
    "settings": "settings",
    "alert": "alert_acknowledgements",
    "alert_acknowledgements": "alert_acknowledgements",
    "checkin": "checkin_links",
    "checkin_links": "checkin_links",
    "rems_form": "rems_forms",
    "rems_forms": "rems_forms",
    "rems_submission": "rems_submissions",
    "rems_submissions": "rems_submissions",
}

HISTORY_COLUMNS = [
    "id",
    "at",
    "who",
    "table_name",
    "record_id",
    "action",
    "old_value",
    "new_value",
    "reason",
]


def _json(value: Any) -> str | None:
    if value is None:
        return None
    return json.dumps(value, sort_keys=True, default=str, ensure_ascii=False)


def record(
    database: sqlite_utils.Database,
    table: str,
    record_id: Any,
    action: str,
    *,
    old: Any = None,
    new: Any = None,
    reason: str | None = None,
    who: str,
) -> None:
    """Write one audit row (call inside the transaction of the change).

    Raises:
        StorageError: the name or the reason holds a control character
            (`outcomes.typed_text`); the transaction is rolled back whole.
    """
    require_text(who, WHO_WORDS)
    require_text(reason, "reason", note=True)
    database.conn.execute(
        "INSERT INTO audit (at, who, table_name, record_id, action, old_value, new_value, reason)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            now_iso(),
            who,
            table,
            None if record_id is None else str(record_id),
            action,
            _json(old),
            _json(new),
            reason,
        ),
    )


def require_text(text: str | None, what: str, *, note: bool = False) -> None:
    """Refuse free text that holds a control character: the storage layer's last line behind the forms."""
    problem = text_problem(text, what, note=note)
    if problem:
        raise StorageError(f"{problem}; nothing was saved")


def table_name(table: str) -> str:
    """The stored table for a public name ("assessment" -> "assessments")."""
    try:
        return TABLES[table]
    except KeyError:
        raise StorageError(
            f"unknown record kind {table!r}; allowed: assessment, infusion, patient, course, setting"
        ) from None


def _version_chain(database: sqlite_utils.Database, table: str, record_id: int) -> list[int]:
    # Every version of a corrected record: follow `supersedes` back and
    # `superseded_by` forward from the one asked about.
    ids = [record_id]
    seen = {record_id}
    for column in ("supersedes", "superseded_by"):
        current = record_id
        while True:
            row = database.conn.execute(
                f"SELECT {column} FROM {table} WHERE id = ?", (current,)
            ).fetchone()
            if row is None or row[0] is None or row[0] in seen:
                break
            current = row[0]
            seen.add(current)
            ids.append(current)
    return sorted(ids)


def history(database: sqlite_utils.Database, table: str, record_id: Any) -> pd.DataFrame:
    """Audit rows about one record and all its versions, oldest first."""
    stored = table_name(table)
    keys = [str(record_id)]
    import_ids: list[int] = []
    if stored in ("infusions", "assessments"):
        chain = _version_chain(database, stored, int(record_id))
        keys = [str(i) for i in chain]
        marks = ",".join("?" * len(chain))
        import_ids = [
            r[0]
            for r in database.conn.execute(
                f"SELECT DISTINCT import_id FROM {stored} WHERE id IN ({marks}) AND import_id IS NOT NULL",
                chain,
            )
        ]
    elif stored == "patients":
        import_ids = [
            r[0]
            for r in database.conn.execute(
                "SELECT DISTINCT import_id FROM patient_details WHERE patient_id = ? AND import_id IS NOT NULL",
                (str(record_id),),
            )
        ]
    keys += [f"import:{i}" for i in import_ids]
    marks = ",".join("?" * len(keys))
    import pandas as pd  # here: the writes that import this module never need it

    return pd.read_sql(
        f"SELECT {', '.join(HISTORY_COLUMNS)} FROM audit WHERE table_name = ? AND record_id IN ({marks})"
        " ORDER BY id",
        database.conn,
        params=[stored, *keys],
    )


#: Every audit row about one patient: its details, its infusions, assessments
#: and session readings (every version), its courses, its alert
#: acknowledgements, and the imports that brought any of its rows. One query,
#: newest first.
_PATIENT_AUDIT = f"""
SELECT {", ".join(HISTORY_COLUMNS)} FROM audit WHERE
    (table_name = 'patients' AND record_id = :pid)
 OR (table_name = 'infusions' AND record_id IN (SELECT CAST(id AS TEXT) FROM infusions WHERE patient_id = :pid))
 OR (table_name = 'assessments' AND record_id IN (SELECT CAST(id AS TEXT) FROM assessments WHERE patient_id = :pid))
 OR (table_name = 'courses' AND record_id IN (SELECT patient_id || ':' || course FROM courses WHERE patient_id = :pid))
 OR (table_name = 'alert_acknowledgements'
     AND record_id IN (SELECT CAST(id AS TEXT) FROM alert_acknowledgements WHERE patient_id = :pid))
 OR (table_name = 'checkin_links'
     AND record_id IN (SELECT CAST(id AS TEXT) FROM checkin_links WHERE patient_id = :pid))
 OR (table_name = 'patients' AND record_id IN
        (SELECT 'import:' || import_id FROM patient_details WHERE patient_id = :pid AND import_id IS NOT NULL))
 OR (table_name = 'infusions' AND record_id IN
        (SELECT 'import:' || import_id FROM infusions WHERE patient_id = :pid AND import_id IS NOT NULL))
 OR (table_name = 'assessments' AND record_id IN
        (SELECT 'import:' || import_id FROM assessments WHERE patient_id = :pid AND import_id IS NOT NULL))
 OR (table_name = 'readings' AND record_id IN (SELECT CAST(id AS TEXT) FROM readings WHERE patient_id = :pid))
 OR (table_name = 'readings' AND record_id IN
        (SELECT 'import:' || import_id FROM readings WHERE patient_id = :pid AND import_id IS NOT NULL))
ORDER BY id DESC
"""


def patient_audit(database: sqlite_utils.Database, patient_id: str) -> pd.DataFrame:
    """Every audit row about one patient and their records, newest first (one query)."""
    import pandas as pd

    return pd.read_sql(_PATIENT_AUDIT, database.conn, params={"pid": str(patient_id)})
