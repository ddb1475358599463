"""Writing a clinic's registry export: Parquet files and a manifest (issue 27).

`outcomes export registry DIR` reads the clinic a chunk of patients at a
time, has the core compute one row per course (`outcomes.registry`), and
writes into DIR:

- `courses.parquet`: the rows (not with `--counts-only`);
- `verdict_counts.parquet` and `relief_table.parquet` (with `--counts-only`):
  counts only, small verdict cells suppressed (`outcomes.pooling`);
- `manifest.json`: program version, format, the clinical settings in force,
  the spec's rule names, export date, row count and each file's SHA-256.

The course ids are keyed hashes with the clinic's registry secret, made the
first time and kept in the database's settings table (never exported, never
shown, never written to the audit trail in clear). DIR holds one clinic's
latest export: exporting again replaces its files (the rows are derived
data, rebuilt from the database at any time); a DIR holding anything else
is refused. Every file is owner-only and appears whole or not at all; the
manifest is moved into place last, so a reader never sees a manifest whose
checksums do not match its files unless the disk failed in between, and
then `outcomes pool` refuses the export by its checksum.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import secrets
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

import outcomes
from db import audit
from db.clock import now_iso
from db.connection import write_transaction
from db.errors import StorageError
from db.files import discard, private_folder, write_atomic
from db.paths import output_folder
from db.reads import clinic_chunks, load_settings
from outcomes.pooling import relief_table, verdict_table
from outcomes.registry import (
    COLUMNS,
    REGISTRY_FORMAT,
    RULE_SETTINGS,
    RULES,
    clinic_rows,
    site_id_problem,
)
from outcomes.settings import format_value

if TYPE_CHECKING:  # annotations only: loaded where a connection is made (db.connection)
    import sqlite_utils

MANIFEST = "manifest.json"
ROWS_FILE = "courses.parquet"
VERDICTS_FILE = "verdict_counts.parquet"
RELIEF_FILE = "relief_table.parquet"
EXPORT_FILES = (MANIFEST, ROWS_FILE, VERDICTS_FILE, RELIEF_FILE)

#: The settings-table key of the clinic's registry secret (not a setting: never listed).
SECRET_KEY = "registry_secret"

_ARROW_KINDS = {"text": "string", "int": "int64", "float": "float64", "bool": "bool"}
VERDICT_COLUMNS = (
    ("site_id", "text"),
    ("drug", "text"),
    ("scale", "text"),
    ("verdict", "text"),
    ("remitted", "bool"),
    ("courses", "int"),
)
RELIEF_COLUMNS = (
    ("site_id", "text"),
    ("drug", "text"),
    ("scale", "text"),
    ("day", "int"),
    ("at_risk", "int"),
    ("events", "int"),
    ("censored", "int"),
)


@dataclass(frozen=True)
class RegistryExport:
    """What an export wrote."""

    folder: Path
    files: tuple[Path, ...]
    courses: int
    counts_only: bool
    site_id: str


def registry_secret(database: sqlite_utils.Database, who: str) -> bytes:
    """The clinic's registry secret, made (32 random bytes) and stored the first time.

    The audit trail records that it was made, never its value.
    """
    row = database.conn.execute(
        "SELECT value FROM settings WHERE key = ?", (SECRET_KEY,)
    ).fetchone()
    if row is not None:
        return bytes.fromhex(row[0])
    value = secrets.token_hex(32)
    with write_transaction(database):
        again = database.conn.execute(
            "SELECT value FROM settings WHERE key = ?", (SECRET_KEY,)
        ).fetchone()
        if again is not None:  # another process made it first
            return bytes.fromhex(again[0])
        database.conn.execute(
            "INSERT INTO settings (key, value, changed_at, changed_by) VALUES (?, ?, ?, ?)",
            (SECRET_KEY, value, now_iso(), who),
        )
        audit.record(
            database,
            "settings",
            SECRET_KEY,
            "setting",
            new="(made; the value is never shown)",
            who=who,
        )
    return bytes.fromhex(value)


def _registry_folder(path: str | os.PathLike, site_id: str) -> Path:
    """DIR for the export: new, empty, or this site's previous export (then replaced)."""
    folder = output_folder(path)
    if not folder.exists():
        return folder
    others = sorted(p.name for p in folder.iterdir() if p.name not in EXPORT_FILES)
    if others:
        raise StorageError(
            f"{folder} holds other files ({', '.join(others[:3])}); give a new or empty folder, "
            "or the folder of this clinic's previous registry export; nothing was written"
        )
    manifest = folder / MANIFEST
    if manifest.exists():
        try:
            previous = json.loads(manifest.read_text(encoding="utf-8")).get("site_id")
        except (OSError, ValueError, AttributeError):
            previous = None
        if previous != site_id:
            raise StorageError(
                f"{folder} holds the registry export of site {previous!r}, not {site_id!r}; "
                "give a new folder; nothing was written"
            )
    return folder


def _birth_dates(patients) -> dict[str, date | None]:
    if patients is None or patients.empty or "birth_date" not in patients:
        return {}
    out = {}
    for pid, text in zip(patients["patient_id"], patients["birth_date"], strict=True):
        try:
            out[str(pid)] = date.fromisoformat(text) if isinstance(text, str) else None
        except ValueError:
            out[str(pid)] = None
    return out


def course_rows(
    database: sqlite_utils.Database, today: date, site_id: str, secret: bytes, deidentify: bool
) -> Iterator[dict[str, Any]]:
    """Every course's registry row, one chunk of patients in memory at a time."""
    settings = load_settings(database)
    for chunk in clinic_chunks(database):
        yield from clinic_rows(
            chunk.by_patient(),
            settings.primary_scale,
            settings,
            today,
            site_id=site_id,
            secret=secret,
            birth_dates=_birth_dates(chunk.patients),
            deidentify=deidentify,
        )


def parquet_bytes(rows: list[dict[str, Any]], columns: tuple[tuple[str, str], ...]) -> bytes:
    """The rows as one Parquet file (zstd-compressed), in memory."""
    import pyarrow as pa  # imported here: only an export needs it
    import pyarrow.parquet as pq

    schema = pa.schema([(name, _ARROW_KINDS[kind]) for name, kind in columns])
    table = pa.Table.from_pydict({name: [r[name] for r in rows] for name, _ in columns}, schema)
    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="zstd")
    return buffer.getvalue()


def manifest(
    settings_in_force: dict[str, str],
    site_id: str,
    today: date,
    rows: int,
    files: dict[str, bytes],
    *,
    counts_only: bool,
    deidentified: bool,
    min_cell: int,
) -> dict[str, Any]:
    """The manifest: what made the export, under which rules, and each file's checksum."""
    return {
        "registry_format": REGISTRY_FORMAT,
        "program": "ketamine-outcomes",
        "program_version": outcomes.__version__,
        "site_id": site_id,
        "export_date": today.isoformat(),
        "kind": "counts" if counts_only else "rows",
        "deidentified": deidentified,
        "courses": rows,
        "min_cell": min_cell if counts_only else None,
        "clinical_settings": settings_in_force,
        "rules": list(RULES),
        "files": {
            name: {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
            for name, data in files.items()
        },
    }


def export_registry(
    database: sqlite_utils.Database,
    folder: str | os.PathLike,
    *,
    today: date,
    who: str,
    deidentify: bool = False,
    counts_only: bool = False,
) -> RegistryExport:
    """Write the clinic's registry export into `folder` (see the module doc).

    Raises:
        StorageError: no usable site id, or a folder that is not this
            clinic's to write; nothing is written then.
    """
    settings = load_settings(database)
    problem = site_id_problem(settings.registry_site_id)
    if problem:
        raise StorageError(f"{problem}; nothing was written")
    site_id = settings.registry_site_id
    target = _registry_folder(folder, site_id)
    secret = registry_secret(database, who)
    rows = list(course_rows(database, today, site_id, secret, deidentify))
    if counts_only:
        data = {
            VERDICTS_FILE: parquet_bytes(
                verdict_table(rows, settings.registry_min_cell), VERDICT_COLUMNS
            ),
            RELIEF_FILE: parquet_bytes(relief_table(rows), RELIEF_COLUMNS),
        }
    else:
        data = {ROWS_FILE: parquet_bytes(rows, COLUMNS)}
    in_force = {key: format_value(settings.clinic_value(key)) for key in RULE_SETTINGS}
    document = manifest(
        in_force,
        site_id,
        today,
        len(rows),
        data,
        counts_only=counts_only,
        deidentified=deidentify,
        min_cell=settings.registry_min_cell,
    )
    private_folder(target, parents=False)
    written = [write_atomic(target / name, content) for name, content in data.items()]
    for stale in set(EXPORT_FILES) - set(data) - {MANIFEST}:
        discard(target / stale)  # the other kind's files of a previous export
    text = json.dumps(document, indent=2, sort_keys=True) + "\n"
    written.append(write_atomic(target / MANIFEST, text))
    return RegistryExport(target, tuple(written), len(rows), counts_only, site_id)
