"""Writing a whole clinic of rows (the demo of `outcomes_cli.demo`) in one transaction, in bulk.

The demo rows are checked by `outcomes.validation` like any import, then
written with `executemany`, a table at a time and a batch of patients at a
time (`outcomes_cli.demo.demo_batches`: only one batch is in memory): for
each batch, one `imports` row and one audit row per table name what was
added (how many rows, the first and last id, the first and last patient),
and every row keeps that `import_id`, as a CSV import does. CADSS ratings
stay linked to the infusion they were taken at. Either the whole cohort is
written or nothing is: every batch goes into one transaction.
"""

from __future__ import annotations

import hashlib
import sqlite3
from datetime import date
from typing import TYPE_CHECKING, Any, Iterable, Protocol

from db import audit
from db.clock import now_iso
from db.connection import write_transaction
from db.errors import StorageError
from db.reads import load_settings
from db.writes import PATIENT_FIELDS, READING_FIELDS, assessment_row, infusion_row, reading_row
from outcomes.readings import check_reading, clean_reading_row
from outcomes.records import gc_paused
from outcomes.validation import check_assessment, check_infusion, check_patient

if TYPE_CHECKING:  # annotations only: loaded where a connection is made (db.connection)
    import sqlite_utils

SOURCE = "demo clinic (outcomes demo)"
#: The `imports.kind` of each table's rows (readings come in as vitals).
_IMPORT_KIND = {"readings": "vitals"}


class ClinicRows(Protocol):
    """Rows as a CSV import would read them; an infusion row carries its `course`,
    an assessment row may carry `infusion_index` (the infusion it was taken at);
    `readings` (optional) are vitals.csv rows."""

    patients: list[dict[str, Any]]
    infusions: list[dict[str, Any]]
    assessments: list[dict[str, Any]]


def _checked(rows: list[dict], check, kind: str) -> list[dict]:
    out = []
    for row in rows:
        result = check(row)
        if result.errors:
            raise StorageError(f"demo {kind} row refused: {'; '.join(map(str, result.errors))}")
        out.append(result.values)
    return out


#: The stored readings columns in the order `clean_reading_row` gives them.
_READING_ORDER = ("patient_id", "taken_at", "session_at", *READING_FIELDS[3:])


def _checked_readings(rows: list[dict], today: date) -> list[dict]:
    """Stored-form readings: the bulk import's fast path, the full check where it has a doubt."""
    out = []
    for row in rows:
        clean = clean_reading_row(row, today)
        if clean is None:
            clean = reading_row(_checked([row], lambda r: check_reading(r, today), "reading")[0])
            out.append({k: clean[k] for k in _READING_ORDER})
        else:
            out.append(dict(zip(_READING_ORDER, clean, strict=True)))
    return out


def write_clinic(
    database: sqlite_utils.Database,
    clinic: ClinicRows | Iterable[ClinicRows],
    who: str,
    today: date,
) -> dict[str, int]:
    """Check and write every row of `clinic` (one set of rows, or batches of them, written as each
    arrives, all in one transaction); returns how many of each were added."""
    settings = load_settings(database)
    batches = [clinic] if hasattr(clinic, "patients") else clinic
    counts = {"patients": 0, "infusions": 0, "assessments": 0, "readings": 0}
    with gc_paused(), write_transaction(database):
        writer = _BulkWriter(database, who)
        for batch in batches:
            for kind, added in _write_batch(writer, batch, settings, today).items():
                counts[kind] += added
    return counts


def _write_batch(
    writer: "_BulkWriter", clinic: ClinicRows, settings, today: date
) -> dict[str, int]:
    """One batch of patients with their records; returns how many of each were added."""
    patients = _checked(clinic.patients, lambda r: check_patient(r, today), "patient")
    infusions = [
        infusion_row(values, int(row["course"]))
        for row, values in zip(
            clinic.infusions,
            _checked(clinic.infusions, lambda r: check_infusion(r, settings, today), "infusion"),
            strict=True,
        )
    ]
    assessments = _checked(clinic.assessments, lambda r: check_assessment(r, today), "assessment")
    readings = _checked_readings(getattr(clinic, "readings", None) or [], today)
    writer.patients(patients)
    infusion_ids = writer.rows("infusions", infusions)
    writer.courses(infusions)
    writer.rows(
        "assessments",
        [
            assessment_row(
                values,
                None if row.get("infusion_index") is None else infusion_ids[row["infusion_index"]],
            )
            for row, values in zip(clinic.assessments, assessments, strict=False)
        ],
    )
    writer.rows("readings", readings)
    return {
        "patients": len(patients),
        "infusions": len(infusions),
        "assessments": len(assessments),
        "readings": len(readings),
    }


class _BulkWriter:
    """Inserts a table's rows in one `executemany` with their `imports` row and audit row."""

    def __init__(self, database: sqlite_utils.Database, who: str):
        self.conn, self.database, self.who, self.now = database.conn, database, who, now_iso()

    def _import_row(self, kind: str, rows: list, first_patient: str, last_patient: str) -> int:
        digest = hashlib.sha256(
            f"{kind}:{len(rows)}:{first_patient}:{last_patient}:{self.now}".encode()
        )
        return self.conn.execute(
            "INSERT INTO imports (kind, source, sha256, rows_added, rows_skipped, at, who)"
            " VALUES (?, ?, ?, ?, 0, ?, ?)",
            (kind, SOURCE, digest.hexdigest(), len(rows), self.now, self.who),
        ).lastrowid

    def _audit(
        self, kind: str, import_id: int, rows: int, first: Any, last: Any, patients: tuple
    ) -> None:
        audit.record(
            self.database,
            kind,
            f"import:{import_id}",
            "import",
            new={
                "file": SOURCE,
                "rows_added": rows,
                "rows_skipped": 0,
                "first_id": first,
                "last_id": last,
                "first_patient": patients[0],
                "last_patient": patients[1],
            },
            who=self.who,
        )

    def patients(self, patients: list[dict]) -> None:
        if not patients:
            return
        span = (patients[0]["patient_id"], patients[-1]["patient_id"])
        import_id = self._import_row("patients", patients, *span)
        self._insert(
            "INSERT INTO patients (patient_id, created_at, created_by) VALUES (?, ?, ?)",
            [(p["patient_id"], self.now, self.who) for p in patients],
        )
        columns = ("patient_id", *PATIENT_FIELDS, "recorded_at", "recorded_by", "import_id")
        self._insert(
            f"INSERT INTO patient_details ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
            [
                (
                    p["patient_id"],
                    *(p.get(k) for k in PATIENT_FIELDS),
                    self.now,
                    self.who,
                    import_id,
                )
                for p in patients
            ],
        )
        self._audit("patients", import_id, len(patients), span[0], span[1], span)

    def courses(self, infusions: list[dict]) -> None:
        """A course row for each course the infusions begin, with its drug (`courses.drug`), and one
        audit row for them."""
        first: dict[tuple[str, int], tuple[str, str]] = {}
        for row in infusions:
            key = (row["patient_id"], row["course"])
            if key not in first or row["given_at"] < first[key][0]:
                first[key] = (row["given_at"], row["drug"])
        if not first:
            return
        self._insert(
            "INSERT INTO courses (patient_id, course, started_at, drug, begun_by_session, recorded_at,"
            " recorded_by) VALUES (?, ?, ?, ?, 1, ?, ?)",
            [
                (pid, course, at, drug, self.now, self.who)
                for (pid, course), (at, drug) in first.items()
            ],
        )
        keys = sorted(first)
        audit.record(
            self.database,
            "courses",
            None,
            "create",
            new={
                "file": SOURCE,
                "courses_recorded": len(keys),
                "first_patient": keys[0][0],
                "last_patient": keys[-1][0],
            },
            who=self.who,
        )

    def rows(self, table: str, rows: list[dict]) -> list[int]:
        """Insert stored-form rows of `infusions`, `assessments` or `readings`; returns their ids, in order."""
        if not rows:
            return []
        span = (rows[0]["patient_id"], rows[-1]["patient_id"])
        import_id = self._import_row(_IMPORT_KIND.get(table, table), rows, *span)
        before = self.conn.execute(f"SELECT coalesce(max(id), 0) FROM {table}").fetchone()[0]
        # Explicit ids (the next free ones, under the write lock): CADSS rows link to them.
        ids = list(range(before + 1, before + 1 + len(rows)))
        columns = ("id", *rows[0], "recorded_at", "recorded_by", "import_id")
        tail = (self.now, self.who, import_id)
        self._insert(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
            [(new_id, *row.values(), *tail) for new_id, row in zip(ids, rows, strict=False)],
        )
        self._audit(table, import_id, len(rows), ids[0], ids[-1], span)
        return ids

    def _insert(self, sql: str, rows: list[tuple]) -> None:
        try:
            self.conn.executemany(sql, rows)
        except sqlite3.IntegrityError as exc:
            raise StorageError(
                f"the demo clinic was not written: the database refused a row ({exc})"
            ) from exc
