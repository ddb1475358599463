"""Reading many clinics' registry exports with DuckDB (`outcomes pool`, issue 27).

Each export folder's manifest is read and checked first (its files' SHA-256,
its format, program version, rules and clinical settings against the first
export's, its site against every other's), then DuckDB's Parquet reader
reduces all the exports to the two count tables `outcomes.pooling` works on:

- verdict cells: courses per site, drug, scale, verdict and remission;
- relief cells: responders whose relief ended (events) or was censored, per
  site, drug, scale and day.

Per-course exports are grouped by SQL; counts-only exports already are
those tables and are read as they are. The queries are plain SQL over
Parquet files (`VERDICT_SQL`, `RELIEF_SQL`), so the same text runs on Spark
SQL or a DuckDB service when a network outgrows one machine
(docs/registry.md). Nothing here writes a file.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from db.connection import StorageError
from db.registry import MANIFEST, RELIEF_FILE, ROWS_FILE, VERDICTS_FILE
from outcomes.pooling import export_problem, value_problem

#: Courses per site, drug, scale, verdict and remission, from per-course rows.
VERDICT_SQL = """
SELECT site_id, drug, scale, verdict, remission AS remitted, count(*) AS courses
FROM read_parquet(?)
GROUP BY site_id, drug, scale, verdict, remission
"""

#: Responders' relief per site, drug, scale and day, from per-course rows.
RELIEF_SQL = """
SELECT site_id, drug, scale, relief_days AS day,
       count(*) FILTER (WHERE relief_event) AS events,
       count(*) FILTER (WHERE NOT relief_event) AS censored
FROM read_parquet(?)
WHERE verdict = 'responder' AND relief_days IS NOT NULL
GROUP BY site_id, drug, scale, relief_days
"""

_COUNTS_VERDICT_SQL = "SELECT site_id, drug, scale, verdict, remitted, courses FROM read_parquet(?)"
_COUNTS_RELIEF_SQL = "SELECT site_id, drug, scale, day, events, censored FROM read_parquet(?)"

#: DuckDB's share of the machine: a network's pooling must not take the clinic's server.
MEMORY_LIMIT = "1GB"
THREADS = 2


@dataclass
class PoolInput:
    """The checked exports and their count tables."""

    exports: list[dict[str, Any]]  # one manifest per export, with its folder under "folder"
    verdicts: list[dict[str, Any]]
    relief: list[dict[str, Any]]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_manifest(folder: str | os.PathLike) -> dict[str, Any]:
    """An export folder's manifest, its files checked against their checksums.

    Raises:
        StorageError: naming the folder or file and what is wrong.
    """
    folder = Path(folder).expanduser()
    path = folder / MANIFEST
    if not folder.is_dir():
        raise StorageError(f"{folder} is not a folder; give the folders of registry exports")
    if not path.is_file():
        raise StorageError(
            f"{folder} holds no {MANIFEST}: it is not a registry export "
            "(made with `outcomes export registry`)"
        )
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise StorageError(f"{path} cannot be read as a manifest ({exc})") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), dict):
        raise StorageError(f"{path} is not a registry manifest (no 'files')")
    for name, facts in manifest["files"].items():
        if name not in (ROWS_FILE, VERDICTS_FILE, RELIEF_FILE) or not isinstance(facts, dict):
            raise StorageError(
                f"{path} lists {name!r}, which is not a registry file with its checksum"
            )
        data = folder / name
        if not data.is_file():
            raise StorageError(f"{data} is missing (listed in {path})")
        if _sha256(data) != facts.get("sha256"):
            raise StorageError(
                f"{data} does not match the checksum in {path}: it was changed or copied "
                "incompletely after the export; export it again"
            )
    manifest["folder"] = str(folder)
    return manifest


def check_exports(manifests: list[dict[str, Any]]) -> None:
    """Refuse exports that cannot pool: another format, version, rules or settings; a site twice.

    Raises:
        StorageError: naming the file and the difference.
    """
    if not manifests:
        raise StorageError("give at least one registry export folder")
    first = manifests[0]
    first_name = str(Path(first["folder"]) / MANIFEST)
    seen: dict[str, str] = {}
    for manifest in manifests:
        name = str(Path(manifest["folder"]) / MANIFEST)
        problem = export_problem(name, manifest, first_name, first)
        if problem:
            raise StorageError(f"{problem}; nothing was written")
        site = str(manifest.get("site_id"))
        if site in seen:
            raise StorageError(
                f"site {site!r} is in both {seen[site]} and {name}: each site is pooled once "
                "(keep its latest export); nothing was written"
            )
        seen[site] = name


def check_values(connection, manifests: list[dict[str, Any]]) -> None:
    """Each file holds its manifest's site only, and known drugs, scales and verdicts.

    Raises:
        StorageError: naming the file and the value.
    """
    site_of = {}
    for m in manifests:
        for name in m["files"]:
            site_of[str(Path(m["folder"]) / name)] = str(m.get("site_id"))
    for name, columns in ((ROWS_FILE, "verdict"), (VERDICTS_FILE, "verdict"), (RELIEF_FILE, "")):
        files = [f for f in site_of if Path(f).name == name]
        if not files:
            continue
        extra = f", {columns}" if columns else ""
        cursor = connection.execute(
            f"SELECT DISTINCT filename, site_id, drug, scale{extra} "
            "FROM read_parquet(?, filename = true)",
            [files],
        )
        names = [c[0] for c in cursor.description]
        for row in cursor.fetchall():
            values = dict(zip(names, row, strict=True))
            problem = value_problem(
                values["filename"], values["site_id"], values, site_of[values["filename"]]
            )
            if problem:
                raise StorageError(f"{problem}; nothing was written")


def _records(connection, sql: str, files: list[str]) -> list[dict[str, Any]]:
    if not files:
        return []
    cursor = connection.execute(sql, [files])
    names = [c[0] for c in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def count_tables(manifests: list[dict[str, Any]]) -> tuple[list[dict], list[dict]]:
    """The verdict and relief cells of every export, by DuckDB over their Parquet files."""
    import duckdb  # imported here: only pooling needs it

    def files(name: str) -> list[str]:
        return [str(Path(m["folder"]) / name) for m in manifests if name in m["files"]]

    connection = duckdb.connect()
    try:
        connection.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
        connection.execute(f"SET threads = {THREADS}")
        check_values(connection, manifests)
        verdicts = _records(connection, VERDICT_SQL, files(ROWS_FILE))
        verdicts += _records(connection, _COUNTS_VERDICT_SQL, files(VERDICTS_FILE))
        relief = _records(connection, RELIEF_SQL, files(ROWS_FILE))
        relief += _records(connection, _COUNTS_RELIEF_SQL, files(RELIEF_FILE))
    except duckdb.Error as exc:
        raise StorageError(f"the registry files could not be read ({exc})") from None
    finally:
        connection.close()
    return verdicts, relief


def read_exports(folders: list[str | os.PathLike]) -> PoolInput:
    """Every export checked, then reduced to count tables (see the module doc)."""
    manifests = [read_manifest(folder) for folder in folders]
    check_exports(manifests)
    verdicts, relief = count_tables(manifests)
    return PoolInput(manifests, verdicts, relief)
