"""Writing checked CSV rows: all rows or none, in one transaction.

Re-importing never duplicates: a row identical to a current record (same
patient and time, and for assessments the same scale, with the same values)
is skipped and counted; a row with the same patient, time (and scale) but
different values is refused, because it would silently contradict what is
stored (correct the record in the app instead). Rows naming an unknown
patient are refused. These checks run inside the write transaction
(``BEGIN IMMEDIATE``), so two imports at once cannot both add the same row.

The import is one audited event: an `imports` row (file, checksum, counts)
and one audit row naming the first and last id added; every row written
keeps its `import_id`. Rows go in as multi-row INSERTs (see "Speed" below).

`import_csv` checks and writes a file in one pass, a chunk of rows at a
time, inside one transaction. Any problem anywhere rolls the whole
transaction back, so the result is the same as checking first and writing
after (`plan_import` + `apply_import`).

Speed (issue 24): rows go in as multi-row ``INSERT ... VALUES (...), (...)``
statements, one per chunk of 2,500 rows, a third cheaper than `executemany`,
and SQLite runs each with the GIL released. So a large file is checked on a
second thread, one chunk ahead, while this thread inserts the chunk before
it: the two cores share the work. (`executemany` had made that slower: it
takes the GIL back for every row, so the threads took turns; statements of
500 rows still handed it over ten times a chunk.)
The checking thread only reads; every decision about what is written (the
duplicates, the store, the order) stays on this thread, in file order.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from db import audit
from db.clock import now_iso
from db.connection import write_transaction
from db.csv_io import (
    ImportPlan,
    ImportRefused,
    _check_rows,
    _describe,
    _where,
    gc_paused,
    read_table,
    unknown_patient,
)
from db.errors import StorageError
from db.reads import CURRENT
from db.rems_import import write_imported
from db.writes import missing_session, unusual_dose
from outcomes.drugs import course_drug_problem
from outcomes.readings import MEASUREMENTS
from outcomes.settings import Settings
from outcomes.validation import ASSESSMENT_IDENTITY, already_recorded

if TYPE_CHECKING:  # annotations only: loaded where a connection is made (db.connection)
    import sqlite_utils

_INFUSION_COLUMNS = (
    "patient_id",
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
_READING_COLUMNS = ("patient_id", "taken_at", "session_at") + MEASUREMENTS + ("notes",)
_ASSESSMENT_COLUMNS = (
    "patient_id",
    "taken_at",
    "scale",
    "items",
    "total",
    "total_only",
    "rater",
    "notes",
)
_PATIENT_COLUMNS = ("patient_id", "name", "birth_date", "weight_kg", "notes", "email")
#: Leading columns that identify a record; for assessments the domain's rule.
_KEY_WIDTH = {"patients": 1, "infusions": 2, "assessments": len(ASSESSMENT_IDENTITY), "vitals": 2}
#: The table each kind of file fills.
_TABLE = {
    "patients": "patient_details",
    "infusions": "infusions",
    "assessments": "assessments",
    "vitals": "readings",
}
_TAIL = "recorded_at, recorded_by, import_id"
#: Each table's insert: its columns, to which `_insert_rows` adds the VALUES.
_INSERT = {
    "infusions": f"INSERT INTO infusions ({', '.join(_INFUSION_COLUMNS)}, course, dose_confirmed, {_TAIL})",
    "assessments": f"INSERT INTO assessments ({', '.join(_ASSESSMENT_COLUMNS)}, {_TAIL})",
    "vitals": f"INSERT INTO readings ({', '.join(_READING_COLUMNS)}, {_TAIL})",
    "patient_details": f"INSERT INTO patient_details ({', '.join(_PATIENT_COLUMNS)}, {_TAIL})",
    "patients": "INSERT INTO patients (patient_id, created_at, created_by)",
}
_DRUG = _INFUSION_COLUMNS.index("drug")
#: Rows checked between two inserts of `import_csv` (a file of more is checked one chunk ahead).
#: 2,500 assessments or readings fit one statement within SQLite's 32,766 parameters, so each
#: chunk goes in with one hand-over of the GIL: the two threads then truly overlap (measured:
#: 0.51 s for 50,000 rows, against 0.61 s with statements of 500 rows).
CHUNK_ROWS = 2_500


@dataclass
class ImportResult:
    """What an import did."""

    kind: str
    source: str
    added: int
    skipped: int
    import_id: int | None = None
    warnings: list[str] = field(default_factory=list)
    #: REMS forms and submissions an infusions file wrote (issue 26; also for sessions already stored).
    rems_written: int = 0


def _existing(
    database: sqlite_utils.Database, kind: str, patients: set[str] | None
) -> dict[tuple, tuple]:
    """Current stored rows (of the given patients, or all), by their identity key."""
    conn = database.conn
    # A few patients: ask for theirs; many: one scan is cheaper than a long IN list.
    where, params = "", []
    if patients is not None and len(patients) <= 500:
        where, params = f" AND patient_id IN ({', '.join('?' * len(patients))})", sorted(patients)
    if kind == "patients":
        sql = f"SELECT {', '.join(_PATIENT_COLUMNS)} FROM patient_details WHERE {CURRENT}{where}"
        return {(r[0],): r for r in conn.execute(sql, params)}
    if kind == "infusions":
        sql = f"SELECT {', '.join(_INFUSION_COLUMNS)}, course FROM infusions WHERE {CURRENT}{where}"
        return {(r[0], r[1]): r for r in conn.execute(sql, params)}
    if kind == "vitals":
        sql = f"SELECT {', '.join(_READING_COLUMNS)} FROM readings WHERE {CURRENT}{where}"
        return {(r[0], r[1]): r for r in conn.execute(sql, params)}
    sql = f"SELECT {', '.join(_ASSESSMENT_COLUMNS)} FROM assessments WHERE {CURRENT}{where}"
    return {(r[0], r[1], r[2]): r for r in conn.execute(sql, params)}


class _Batch:
    """One import inside an open write transaction: screens rows against the store, inserts them."""

    def __init__(
        self,
        database: sqlite_utils.Database,
        kind: str,
        source: str,
        sha256: str,
        who: str,
        patients: set[str] | None,
    ):
        self.database, self.kind, self.source, self.sha256, self.who = (
            database,
            kind,
            source,
            sha256,
            who,
        )
        conn = database.conn
        self.existing = _existing(database, kind, patients)
        self.known = {r[0] for r in conn.execute("SELECT patient_id FROM patients")}
        self.latest: dict[str, tuple[int, str]] = {}
        #: (patient, course) -> [its drug, started by a clinician, has a session]
        self.courses: dict[tuple[str, int], list] = {}
        #: Courses this import begins or gives their drug: (patient, course) -> [drug, first session's time]
        self.new_courses: dict[tuple[str, int], list] = {}
        if kind == "infusions":
            self.latest, self.courses = _latest_courses(conn)
        self.sessions: set[tuple[str, str]] = set()
        if kind == "vitals":
            self.sessions = set(
                conn.execute(f"SELECT patient_id, given_at FROM infusions WHERE {CURRENT}")
            )
        table = _TABLE[kind]
        self.before = conn.execute(f"SELECT coalesce(max(id), 0) FROM {table}").fetchone()[0]
        self.now = now_iso()
        self.import_id: int | None = None
        self.added = 0
        self.skipped = 0
        self.first_patient = self.last_patient = None
        #: (patient, time) of the sessions this import added (their REMS forms follow them).
        self.added_sessions: set[tuple[str, str]] = set()

    def screen(self, lines, rows, courses, problems: list[str]) -> list[tuple]:
        """Rows to insert (stored form), after the unknown-patient and already-stored checks."""
        kind = self.kind
        width = _KEY_WIDTH[kind]
        known = None if kind == "patients" else self.known
        sessions = self.sessions if kind == "vitals" else None
        infusions = kind == "infusions"
        existing = self.existing
        tail = None  # (recorded at, by, import id): made with the first row stored
        out = []
        for line, row, course in zip(lines, rows, courses, strict=False):
            if known is not None and row[0] not in known:
                problems.append(unknown_patient(self.source, line, row[0]))
                continue
            if sessions is not None and (row[0], row[2]) not in sessions:
                problems.append(
                    f"{_where(self.source, line, 'session')}: {missing_session(row[0], row[2])}"
                )
                continue
            if infusions and (refusal := self._course_refusal(row, course)):
                problems.append(f"{_where(self.source, line, refusal[0])}: {refusal[1]}")
                continue
            key = row[:width]
            stored = existing.get(key)
            if stored is None:
                if tail is None:
                    tail = (self.now, self.who, self.import_row())
                out.append(self._stored(row, course, tail))
            elif self._same(stored, row, course):
                self.skipped += 1
            else:
                problems.append(
                    f"{_where(self.source, line)}: "
                    + already_recorded(
                        _describe(self.kind, key),
                        " with different values",
                        " (in the app) of importing it again",
                    )
                )
        return out

    def _same(self, stored: tuple, row: tuple, course: int | None) -> bool:
        if self.kind == "infusions":
            return stored[:-1] == row and (course is None or stored[-1] == course)
        return stored == row

    def import_row(self) -> int:
        """This import's `imports` row, made when it first writes something."""
        if self.import_id is None:
            self.import_id = self.database.conn.execute(
                "INSERT INTO imports (kind, source, sha256, rows_added, rows_skipped, at, who)"
                " VALUES (?, ?, ?, 0, 0, ?, ?)",
                (self.kind, self.source, self.sha256, self.now, self.who),
            ).lastrowid
        return self.import_id

    def _stored(self, row: tuple, course: int | None, tail: tuple) -> tuple:
        """The row as inserted: with its course (infusions) and `tail`."""
        if self.kind == "infusions":
            # An unusual dose reaches this point only with --confirm-unusual-doses.
            return row + (self._course(row, course), 1 if unusual_dose(row[2]) else 0) + tail
        return row + tail

    def _course(self, row: tuple, course: int | None) -> int:
        """The row's course: as given, else the latest, else the next one when the drug changes."""
        pid, drug = row[0], row[_DRUG]
        number, latest_drug = self.latest.get(pid, (0, drug))
        if course is None:
            course = max(number, 1) if drug == latest_drug else number + 1
        if course >= number:
            self.latest[pid] = (course, drug)
        entry = self.courses.setdefault((pid, course), [None, False, False])
        if (
            entry[0] != drug or not entry[2]
        ):  # a course this row begins (or whose only session it is)
            new = self.new_courses.setdefault((pid, course), [drug, row[1]])
            new[1] = min(new[1], row[1])
        entry[0], entry[2] = drug, True
        return course

    def _course_refusal(self, row: tuple, course: int | None) -> tuple[str, str] | None:
        """(column, why) when the row's drug is not its course's: a course has one drug."""
        pid, drug = row[0], row[_DRUG]
        if course is None:  # joins the latest course, or begins the next when the drug differs
            number = self.latest.get(pid, (0, None))[0]
            drug_of_course, started, given = self.courses.get((pid, number), (None, False, False))
            if started and not given:
                problem = course_drug_problem(number, drug_of_course, drug, started=True)
                return None if problem is None else ("drug", problem)
            return None
        drug_of_course, started, given = self.courses.get((pid, course), (None, False, False))
        if drug_of_course is None:
            return None
        problem = (
            course_drug_problem(course, drug_of_course, drug, started=not given)
            if given or started
            else None
        )
        return None if problem is None else ("course", problem)

    def _write_courses(self) -> int:
        """Course rows for the courses this import began (their drug), in its transaction; how many."""
        conn, added = self.database.conn, 0
        for (pid, course), (drug, first) in sorted(self.new_courses.items()):
            recorded = conn.execute(
                "SELECT drug FROM courses WHERE patient_id = ? AND course = ?", (pid, course)
            ).fetchone()
            if recorded is None:
                conn.execute(
                    "INSERT INTO courses (patient_id, course, started_at, drug, begun_by_session,"
                    " recorded_at, recorded_by) VALUES (?, ?, ?, ?, 1, ?, ?)",
                    (pid, course, first, drug, self.now, self.who),
                )
                added += 1
            elif (
                recorded[0] != drug
            ):  # a course whose one session was retracted, taken up by this drug
                conn.execute(
                    "UPDATE courses SET drug = ? WHERE patient_id = ? AND course = ?",
                    (drug, pid, course),
                )
                added += 1
        return added

    def insert(self, stored: list[tuple]) -> None:
        """Insert screened rows."""
        if not stored:
            return
        conn = self.database.conn
        try:
            if self.kind == "patients":
                _insert_rows(conn, "patients", [(r[0], self.now, self.who) for r in stored])
                _insert_rows(conn, "patient_details", stored)
                self.first_patient = self.first_patient or stored[0][0]
                self.last_patient = stored[-1][0]
            else:
                _insert_rows(conn, self.kind, stored)
                if self.kind == "infusions":
                    self.added_sessions.update((r[0], r[1]) for r in stored)
        except (
            sqlite3.IntegrityError
        ) as exc:  # the schema's last guard caught what validation let by
            raise StorageError(
                f"{self.source} was not imported (nothing was written): the database "
                f"refused a row as out of range or inconsistent ({exc})"
            ) from exc
        self.added += len(stored)

    def finish(self) -> ImportResult:
        """Record the import's counts and its audit row (call last, inside the transaction)."""
        if self.import_id is None:
            return ImportResult(self.kind, self.source, 0, self.skipped)
        conn = self.database.conn
        conn.execute(
            "UPDATE imports SET rows_added = ?, rows_skipped = ? WHERE id = ?",
            (self.added, self.skipped, self.import_id),
        )
        if self.kind == "patients":
            first, last = self.first_patient, self.last_patient
        else:
            first = self.before + 1
            last = conn.execute(f"SELECT max(id) FROM {_TABLE[self.kind]}").fetchone()[0]
        courses = {"courses_recorded": self._write_courses()} if self.kind == "infusions" else {}
        if getattr(self, "rems_written", 0):
            courses["rems_forms_and_submissions"] = self.rems_written
        audit.record(
            self.database,
            self.kind,
            f"import:{self.import_id}",
            "import",
            new={
                "file": self.source,
                "sha256": self.sha256,
                "rows_added": self.added,
                "rows_skipped": self.skipped,
                "first_id": first,
                "last_id": last,
                **courses,
            },
            who=self.who,
        )
        return ImportResult(
            self.kind,
            self.source,
            self.added,
            self.skipped,
            self.import_id,
            rems_written=getattr(self, "rems_written", 0),
        )


def _latest_courses(
    conn: sqlite3.Connection,
) -> tuple[dict[str, tuple[int, str]], dict[tuple[str, int], list]]:
    """Each patient's latest course number and its recorded drug (`courses.drug`), and every course as
    (patient, course) -> [drug, started by a clinician, has a current session]."""
    courses: dict[tuple[str, int], list] = {}
    for pid, course, drug, begun in conn.execute(
        "SELECT patient_id, course, drug, begun_by_session FROM courses"
    ):
        courses[(pid, course)] = [drug, not begun, False]
    for pid, course, drug in conn.execute(
        f"SELECT patient_id, course, drug FROM infusions WHERE {CURRENT}"
    ):
        courses.setdefault((pid, course), [drug, False, False])[2] = True
    latest: dict[str, tuple[int, str]] = {}
    for (pid, course), (drug, started, given) in courses.items():
        # A course a since-retracted session began is no course (as `db.writes.latest_course` reads it).
        if (started or given) and (pid not in latest or course > latest[pid][0]):
            latest[pid] = (course, drug)
    return latest, courses


def apply_import(database: sqlite_utils.Database, plan: ImportPlan, who: str) -> ImportResult:
    """Write a checked plan; `ImportRefused` (and nothing written) on any conflict."""
    if plan.kind not in _KEY_WIDTH:
        raise StorageError(f"unknown import kind {plan.kind!r}")
    with gc_paused(), write_transaction(database):
        batch = _Batch(
            database, plan.kind, plan.source, plan.sha256, who, {r[0] for r in plan.rows}
        )
        batch.skipped = plan.duplicates_in_file
        problems: list[str] = []
        stored = batch.screen(plan.lines, plan.rows, plan.courses, problems)
        if problems:
            raise ImportRefused(plan.source, problems)
        batch.insert(stored)
        write_imported(batch, plan.rems, problems)
        if problems:
            raise ImportRefused(plan.source, problems)
        result = batch.finish()
    result.warnings = list(plan.warnings)
    return result


def import_csv(
    database: sqlite_utils.Database,
    path: str | Path,
    kind: str,
    who: str,
    *,
    settings: Settings,
    today: date,
    confirm_unusual_doses: bool = False,
) -> ImportResult:
    """Check and write a CSV file all or nothing, a chunk of rows at a time, in one transaction.

    Raises:
        ImportRefused: listing every problem of the file; nothing is written.
    """
    if kind not in _KEY_WIDTH:
        raise StorageError(f"unknown import kind {kind!r}")
    with gc_paused():
        # The rows die when `_import_csv` returns, before the collector is back:
        # re-enabled with them alive, its first pass would walk them all.
        return _import_csv(database, Path(path), kind, who, settings, today, confirm_unusual_doses)


def _import_csv(
    database: sqlite_utils.Database,
    path: Path,
    kind: str,
    who: str,
    settings: Settings,
    today: date,
    confirm_unusual_doses: bool,
) -> ImportResult:
    digest, header, rows = read_table(path, kind)  # header problems refuse before any lock
    plan = ImportPlan(kind, path.name, digest)
    problems: list[str] = []
    seen: dict[tuple, tuple[int, tuple, int | None]] = {}
    width = _KEY_WIDTH[kind]
    with write_transaction(database):
        batch = _Batch(database, kind, plan.source, digest, who, None)

        def check(start: int) -> tuple[list, list[str]]:
            chunk = rows[start : start + CHUNK_ROWS]
            return _check_rows(
                plan, header, chunk, settings, today, confirm_unusual_doses, batch.known
            )

        for checked, chunk_problems in _checked_ahead(check, range(0, len(rows), CHUNK_ROWS)):
            problems.extend(chunk_problems)
            lines, good, courses = [], [], []
            for line, key, row, course in checked:  # duplicates inside the file
                earlier = seen.get(key)
                if earlier is None:
                    seen[key] = (line, row, course)
                    lines.append(line)
                    good.append(row)
                    courses.append(course)
                elif earlier[1] == row and earlier[2] == course:
                    batch.skipped += 1
                else:
                    problems.append(
                        f"{_where(plan.source, line)}: {_describe(kind, key[:width])} is also "
                        f"on line {earlier[0]} with different values; keep one of them"
                    )
            stored = batch.screen(lines, good, courses, problems)
            if not problems:  # once anything is wrong only checking goes on; it all rolls back
                batch.insert(stored)
        if not problems:
            write_imported(batch, plan.rems, problems)
        if problems:
            raise ImportRefused(plan.source, problems)
        result = batch.finish()
    result.warnings = plan.warnings
    return result


def _checked_ahead(check, starts: range):
    """`check(start)` of each chunk in order, the next one checked on a second thread meanwhile.

    One chunk needs no thread. The checking thread reads the rows, the
    settings and the known patients, and appends warnings to the plan; the
    caller decides everything else, in file order. An error in a check is
    raised here, at its chunk; leaving early drops the chunks not begun.
    """
    if len(starts) <= 1:
        yield from map(check, starts)
        return
    from concurrent.futures import ThreadPoolExecutor  # only a file of more than one chunk

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-check") as checker:
        ahead = checker.submit(check, starts[0])
        try:
            for start in starts[1:]:
                done, ahead = ahead, checker.submit(check, start)
                yield done.result()
            yield ahead.result()
        finally:
            ahead.cancel()


def _insert_rows(conn: sqlite3.Connection, table: str, rows: list[tuple]) -> None:
    """Insert rows into `_INSERT[table]`'s columns, in as few multi-row statements as SQLite's
    limit on parameters allows.

    One statement of many rows binds them all at once and then runs with the
    GIL released, where `executemany` steps row by row: each statement is one
    hand-over of the GIL to the checking thread (which keeps it up to 5 ms).
    """
    width = len(rows[0])
    limit = (
        conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) if hasattr(conn, "getlimit") else 999
    )
    per = max(1, limit // width)
    one = f"({', '.join('?' * width)})"
    head = _INSERT[table] + " VALUES "
    full = head + ", ".join([one] * per)
    for start in range(0, len(rows), per):
        part = rows[start : start + per]
        sql = full if len(part) == per else head + ", ".join([one] * len(part))
        conn.execute(sql, [value for row in part for value in row])
