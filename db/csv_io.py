"""CSV files in and out: reading and checking an import, writing an export.

An import file is read whole, every row is checked by `outcomes.validation`,
and every problem is collected with its file, line and column, so that one
refusal lists every bad row. Nothing touches the database here: the checked
rows go to `db.imports.apply_import`, which writes all of them or none.

Formats are those of interface.md. Two extra infusion columns are read and
written: `course` (the course number, so a re-import keeps courses apart)
and `heart_rate_post`.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import math
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from db.csv_columns import COLUMNS, KINDS, REQUIRED  # noqa: F401  (re-exported: db.csv_io.COLUMNS)
from db.errors import StorageError
from db.files import atomic_file, private_folder
from db.paths import input_file, output_folder
from db.reads import export_rows
from db.spreadsheet import neutralise, restore
from outcomes import rems
from outcomes.readings import MEASUREMENTS, check_reading, clean_reading_row
from outcomes.records import gc_paused
from outcomes.settings import Settings
from outcomes.typed_text import CSV_FIELD_LIMIT
from outcomes.validation import check_assessment, check_infusion, check_patient, clean_assessment

if TYPE_CHECKING:  # annotations only: loaded where a connection is made (db.connection)
    import sqlite_utils

CONFIRM_FLAG = "--confirm-unusual-doses"
# Records of a file share few distinct times; formatting each once saves a
# measurable share of a 100,000-row import.
_ISO_CACHE: dict = {}


class ImportRefused(StorageError):
    """An import refused as a whole; `problems` lists every reason, one a line."""

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = problems
        count = len(problems)
        super().__init__(
            f"{source} was not imported (nothing was written): "
            f"{count} problem{'s' if count != 1 else ''} found\n" + "\n".join(problems)
        )


@dataclass
class ImportPlan:
    """Checked rows of one file, ready to write.

    Attributes:
        kind: "patients", "infusions" or "assessments".
        source: The file name used in messages.
        sha256: Checksum of the file, kept in the audit trail.
        lines: The file line of each row.
        rows: Each row's values in stored form (see `db.imports` for the order).
        courses: For infusions, the `course` column's value per row (None: latest).
        warnings: Messages to show (blood pressure at the hold threshold).
        duplicates_in_file: Rows skipped because an identical row came earlier.
    """

    kind: str
    source: str
    sha256: str
    lines: list[int] = field(default_factory=list)
    rows: list[tuple] = field(default_factory=list)
    courses: list[int | None] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    duplicates_in_file: int = 0
    #: Infusions only: the REMS form's fields and submission per session, (patient, time) ->
    #: (line, form values or {}, submission values or {}) (issue 26; written by `db.rems_import`).
    rems: dict[tuple[str, str], tuple[int, dict, dict]] = field(default_factory=dict)


def _where(source: str, line: int, column: str | None = None) -> str:
    return f"{source} line {line}" + (f", column {column}" if column else "")


def read_table(path: Path, kind: str) -> tuple[str, list[str], list[tuple[int, list[str]]]]:
    """The checksum, header and (line, fields) rows of a CSV file.

    Raises:
        ImportRefused: unreadable file, not UTF-8, empty, bad header.
    """
    source = path.name
    try:
        input_file(path)
    except StorageError as exc:
        raise ImportRefused(source, [str(exc)]) from None
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImportRefused(source, [f"{path}: cannot be read ({exc.strerror or exc})"]) from None
    digest = hashlib.sha256(data).hexdigest()
    try:
        text = data.decode("utf-8-sig")  # accepts the BOM spreadsheets write
    except UnicodeDecodeError as exc:
        raise ImportRefused(source, [_not_utf8(source, data, exc.start)]) from None
    if not text.strip():
        raise ImportRefused(
            source, [f"{source}: the file is empty; a header row and at least one row are needed"]
        )
    if csv.field_size_limit() < CSV_FIELD_LIMIT:  # the longest text stored re-imports
        csv.field_size_limit(CSV_FIELD_LIMIT)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text), strict=True)
    rows: list[tuple[int, list[str]]] = []
    start = 1
    try:
        header = [h.strip().lower() for h in next(reader)]
        start = reader.line_num + 1
        for fields in reader:
            if "".join(fields).strip():  # skip blank lines and rows of empty cells
                rows.append((start, fields))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise ImportRefused(
            source, [f"{_where(source, start)}: the CSV cannot be read ({exc})"]
        ) from None
    problems = _header_problems(source, kind, header)
    if problems:
        raise ImportRefused(source, problems)
    return digest, header, rows  # a header alone is an empty table: it imports as nothing


def _delimiter(text: str) -> str:
    """The separator: a comma, or the ';' (or tab) of a header row that has no comma.

    Excel in many European locales saves "CSV" with semicolons; no column
    name holds a ';' or a tab, so the header row tells which was used.
    """
    header = text.split("\n", 1)[0]
    if "," not in header:
        for candidate in (";", "\t"):
            if candidate in header:
                return candidate
    return ","


def _not_utf8(source: str, data: bytes, at: int) -> str:
    """Where the first non-UTF-8 byte is (line and column) and how to save the file properly."""
    start = data.rfind(b"\n", 0, at) + 1
    line = data[:start].count(b"\n") + 1
    header = data.split(b"\n", 1)[0].decode("utf-8-sig", "replace").strip()
    separator = _delimiter(header)
    names = [h.strip().lower() for h in header.split(separator)]
    index = data[start:at].count(separator.encode())
    column = names[index] if line > 1 and index < len(names) and names[index] else None
    end = data.find(b"\n", at)
    cell = data[start : len(data) if end < 0 else end].decode("latin-1").split(separator)
    shown = cell[index].strip() if index < len(cell) else ""
    return (
        f"{_where(source, line, column)}: the file is not UTF-8 text (byte 0x{data[at]:02X}"
        + (f" in {shown!r}" if shown else "")
        + "; it looks like an older Excel or Windows "
        "export); in Excel use Save As > 'CSV UTF-8 (Comma delimited)', then import that file"
    )


def _header_problems(source: str, kind: str, header: list[str]) -> list[str]:
    allowed = COLUMNS[kind]
    problems = []
    seen = set()
    for number, name in enumerate(header, start=1):
        if not name:
            continue  # spreadsheets add unnamed columns; their cells are checked per row
        if name not in allowed:
            problems.append(
                f"{source} line 1, column {number}: column {name!r} is not known for "
                f"{kind}; allowed: {', '.join(allowed)}"
            )
        if name in seen:
            problems.append(f"{source} line 1: column {name!r} appears twice")
        seen.add(name)
    missing = [c for c in REQUIRED[kind] if c not in seen]
    if missing:
        problems.append(
            f"{source} line 1: required column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(missing)} missing; the header must name at least "
            f"{', '.join(REQUIRED[kind])}"
        )
    if kind == "assessments" and not {"items", "total"} & seen:
        problems.append(f"{source} line 1: an 'items' or a 'total' column is required")
    if kind == "infusions" and not {"dose_mg_per_kg", "dose_mg"} & seen:
        problems.append(
            f"{source} line 1: a 'dose_mg_per_kg' column (ketamine) or a 'dose_mg' column "
            "(esketamine) is required"
        )
    if kind == "vitals" and not set(MEASUREMENTS) & seen:
        problems.append(
            f"{source} line 1: at least one measurement column is required: "
            f"{', '.join(MEASUREMENTS)}"
        )
    return problems


def _raw_rows(source: str, header: list[str], rows, problems: list[str]):
    """Each row as {column: cell}; a row whose field count differs from the header is refused.

    A missing field in the middle of a row would shift every later value one
    column left (a blood pressure read as a heart rate), so the count must
    match exactly. Cells a spreadsheet guard quoted (`db.spreadsheet`) get
    their stored form back. This is the one place every imported cell passes,
    so any column gets these rules.
    """
    width = len(header)
    unnamed = [i for i, name in enumerate(header) if not name]
    for line, fields in rows:
        if len(fields) != width:
            problems.append(
                f"{_where(source, line)}: {len(fields)} value{'s' if len(fields) != 1 else ''} "
                f"but the header has {width} columns; every row needs one value per column "
                "(empty ones too), so nothing shifts into the wrong column"
            )
            continue
        if unnamed and any(fields[i].strip() for i in unnamed):
            problems.append(f"{_where(source, line)}: a value stands in a column without a name")
            continue
        # One join finds the rare row with an apostrophe at all; only then is each cell's first looked at.
        if "'" in "".join(fields) and "'" in "".join(f[:1] for f in fields):
            fields = [restore(f) for f in fields]
        yield line, dict(zip(header, fields, strict=True))


def plan_import(
    path: str | Path,
    kind: str,
    settings: Settings,
    today: date,
    *,
    confirm_unusual_doses: bool = False,
    known_patients: set[str] | None = None,
) -> ImportPlan:
    """Read and check one file; the plan to write, or `ImportRefused` listing every problem.

    `known_patients`, when given, lets rows naming an unknown patient be
    listed with the other problems (`apply_import` checks again when writing).
    """
    if kind not in KINDS:
        raise StorageError(f"unknown import kind {kind!r}; allowed: {', '.join(KINDS)}")
    path = Path(path)
    with gc_paused():
        return _plan(path, kind, settings, today, confirm_unusual_doses, known_patients)


def _plan(
    path: Path,
    kind: str,
    settings: Settings,
    today: date,
    confirm_unusual_doses: bool,
    known_patients: set[str] | None,
) -> ImportPlan:
    digest, header, rows = read_table(path, kind)
    source = path.name
    plan = ImportPlan(kind, source, digest)
    checked, problems = _check_rows(
        plan, header, rows, settings, today, confirm_unusual_doses, known_patients
    )
    seen: dict[tuple, tuple[int, tuple, int]] = {}
    for line, key, row, course in checked:
        earlier = seen.get(key)
        if earlier is not None:
            if earlier[1] == row and (kind != "infusions" or plan.courses[earlier[2]] == course):
                plan.duplicates_in_file += 1
            else:
                problems.append(
                    f"{_where(source, line)}: {_describe(kind, key)} is also on line "
                    f"{earlier[0]} with different values; keep one of them"
                )
            continue
        seen[key] = (line, row, len(plan.rows))
        plan.lines.append(line)
        plan.rows.append(row)
        plan.courses.append(course)
    if problems:
        raise ImportRefused(source, problems)
    return plan


def _check_rows(
    plan: ImportPlan,
    header: list[str],
    rows: list,
    settings: Settings,
    today: date,
    confirm: bool,
    known: set[str] | None,
) -> tuple[list, list[str]]:
    """Check every row: (line, key, row, course) of the good ones, and every problem.

    Warnings go to `plan.warnings`. Rows are checked one by one through
    `outcomes.validation`; this loop is what a large import spends its time on.
    """
    kind, source = plan.kind, plan.source
    if kind == "patients":
        known = None
    checker = {
        "patients": _check_patient,
        "infusions": _check_infusion,
        "assessments": _check_assessment,
        "vitals": _check_vitals,
    }[kind]
    problems: list[str] = []
    good = []
    if len(_ISO_CACHE) > 100_000:
        _ISO_CACHE.clear()
    for line, raw in _raw_rows(source, header, rows, problems):
        result = checker(raw, settings, today, confirm, source, line, problems, plan)
        if result is None:
            continue
        if known is not None and result[1][0] not in known:
            problems.append(unknown_patient(source, line, result[1][0]))
            continue
        good.append((line, *result))
    return good, problems


def unknown_patient(source: str, line: int, pid: str) -> str:
    return (
        f"{_where(source, line, 'patient_id')}: patient {pid!r} is not known; import the "
        "patients file first (or add the patient in the app)"
    )


def _describe(kind: str, key: tuple) -> str:
    if kind == "patients":
        return f"patient {key[0]}"
    if kind == "infusions":
        return f"the infusion of {key[0]} on {key[1]}"
    if kind == "vitals":
        return f"the reading of {key[0]} at {key[1]}"
    return f"the {key[2]} of {key[0]} on {key[1]}"


def _report(
    checked,
    source: str,
    line: int,
    problems: list[str],
    confirm: bool = False,
    plan: ImportPlan | None = None,
) -> bool:
    """Add a checked row's problems to the list; True when the row may be written."""
    ok = True
    for p in checked.problems:
        where = _where(source, line, p.field)
        if p.kind == "error":
            problems.append(f"{where}: {p.message}")
            ok = False
        elif p.kind == "confirm":
            if not confirm:
                problems.append(
                    f"{where}: {p.message} (if intended, import again with {CONFIRM_FLAG})"
                )
                ok = False
        elif plan is not None:
            plan.warnings.append(f"{where}: warning: {p.message}")
    return ok


def _check_patient(raw, settings, today, confirm, source, line, problems, plan):
    checked = check_patient(raw, today)
    if not _report(checked, source, line, problems):
        return None
    v = checked.values
    row = (
        v["patient_id"],
        v.get("name"),
        v.get("birth_date"),
        v.get("weight_kg"),
        v.get("notes"),
        v.get("email"),
    )
    return (v["patient_id"],), row, None


def _check_infusion(raw, settings, today, confirm, source, line, problems, plan):
    checked = check_infusion(raw, settings, today)
    if not _report(checked, source, line, problems, confirm, plan):
        return None
    course = checked.values.get("course")
    v = checked.values
    row = (
        v["patient_id"],
        v["date"].iso(),
        v["dose_mg_per_kg"],
        v["route"],
        v["duration_min"],
        v["weight_kg"],
        v["bp_systolic_pre"],
        v["bp_diastolic_pre"],
        v["bp_systolic_post"],
        v["bp_diastolic_post"],
        v["heart_rate_pre"],
        v.get("heart_rate_post"),
        v["side_effects"],
        v["notes"],
        v["drug"],
        v["dose_mg"],
        _iso_or_none(v["ended_at"]),
        _iso_or_none(v["ready_to_leave_at"]),
        None if v["accompanied"] is None else int(v["accompanied"]),
    )
    if not _check_rems(raw, v, today, source, line, problems, plan):
        return None
    return row[:2], row, course


def _check_rems(raw, v, today, source, line, problems, plan) -> bool:
    """The row's REMS form columns, kept in `plan.rems` when given; False when refused."""
    if not (rems.given(raw) or raw.get("rems_submitted_on") or raw.get("rems_submitted_by")):
        return True
    form = rems.check_rems(raw, v["drug"], v["dose_mg"])
    submission = rems.check_submission(raw, v["date"].day, v["drug"], today)
    ok = _report(form, source, line, problems, plan=plan)
    ok = _report(submission, source, line, problems, plan=plan) and ok
    if ok:
        plan.rems[(v["patient_id"], v["date"].iso())] = (line, form.values, submission.values)
    return ok


def _iso_or_none(when) -> str | None:
    return None if when is None else when.iso()


def _check_vitals(raw, settings, today, confirm, source, line, problems, plan):
    row = clean_reading_row(raw, today)  # nearly every row; the full check words what is wrong
    if row is None:
        checked = check_reading(raw, today)
        if not _report(checked, source, line, problems):
            return None
        v = checked.values
        row = (
            v["patient_id"],
            v["at"].iso(),
            v["session"].iso(),
            *(v[m] for m in MEASUREMENTS),
            v["notes"],
        )
    return row[:2], row, None


def _check_assessment(raw, settings, today, confirm, source, line, problems, plan):
    v = clean_assessment(raw, today)  # nearly every row; the full check words what is wrong
    if v is None:
        checked = check_assessment(raw, today)
        if checked.problems and not _report(checked, source, line, problems):
            return None
        v = checked.values
    items = v["items"]
    items_text = None
    if items is not None:
        typed = raw["items"].strip()
        # n one-digit scores with single spaces is already the stored form.
        canonical = (
            len(typed) == 2 * len(items) - 1
            and typed.count(" ") == len(items) - 1
            and typed.isascii()
        )
        items_text = typed if canonical else " ".join(map(str, items))
    # Keyed by the typed text: parsing is a function of it, and a str hashes
    # faster than a Timepoint.
    typed_when = raw["date"]
    iso = _ISO_CACHE.get(typed_when)
    if iso is None:
        iso = _ISO_CACHE[typed_when] = v["date"].iso()
    row = (
        v["patient_id"],
        iso,
        v["scale"],
        items_text,
        v["total"],
        1 if items is None else 0,
        v["rater"],
        v["notes"],
    )
    return row[:3], row, None


# ----- export ----------------------------------------------------------------


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value)) if abs(value) < 1e15 else repr(value)
    # Text may start like a spreadsheet formula; numbers are left as numbers.
    return neutralise(value) if isinstance(value, str) else str(value)


def export_csv(database: sqlite_utils.Database, folder: str | Path) -> list[Path]:
    """Write patients.csv, infusions.csv, assessments.csv and vitals.csv into `folder`.

    Each file is written through `db.files.atomic_file` (owner-only, renamed
    into place when whole); when one fails (a full disk) the files already
    written by this export are removed again, so it can simply be run again.
    """
    folder = output_folder(folder, tuple(f"{kind}.csv" for kind in KINDS))
    created = not folder.exists()
    private_folder(folder)
    written: list[Path] = []
    try:
        for kind in KINDS:
            header, rows = export_rows(database, kind)
            target = folder / f"{kind}.csv"
            with atomic_file(target) as handle:  # streamed: rows go out as the query reads them
                writer = csv.writer(handle)
                writer.writerow(header)
                writer.writerows([_cell(x) for x in row] for row in rows)
            written.append(target)
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        if created:
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise
    return written
