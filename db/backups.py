"""A consistent copy of the live database through SQLite's online backup API.

The backup reads one snapshot while other processes go on writing (WAL keeps
readers and the writer apart), is written to a temporary file beside the
target, checked with ``PRAGMA integrity_check`` and only then renamed into
place, owner-only like the database itself. The copy of an encrypted clinic
is encrypted with the same key (a salt of its own).
"""

from __future__ import annotations

import os
import sqlite3
import urllib.parse
from pathlib import Path

from db import cipher
from db.cipher import open_sqlite
from db.errors import StorageError
from db.files import temporary_beside
from db.full_disk import immutable_uri
from db.lock_wait import BUSY_TIMEOUT_S
from db.paths import new_file


def backup(database_path: str | os.PathLike, target_path: str | os.PathLike) -> Path:
    """Copy the database at `database_path` to `target_path` (which must not exist).

    Returns:
        The target path.

    Raises:
        StorageError: the source is missing, the target exists or is a folder,
            its folder is missing, or the copy
            failed its integrity check (nothing is left behind then).
    """
    source = Path(database_path).expanduser()
    target = Path(target_path).expanduser()
    if not source.is_file():
        raise StorageError(f"there is no database at {source}")
    if target.exists() and not target.is_dir() and target.resolve() == source.resolve():
        raise StorageError("the backup must go to a different file than the database")
    target = new_file(target, "the backup")
    # A full disk: read without the -shm SQLite could not create there (db.full_disk).
    uri = immutable_uri(source) or "file:" + urllib.parse.quote(str(source.resolve())) + "?mode=ro"
    with temporary_beside(target) as (temporary, move_into_place):
        src = open_sqlite(source, uri, uri=True, timeout=BUSY_TIMEOUT_S)
        try:
            dst = cipher.same_kind(source, temporary)
            try:
                src.backup(dst)
                result = dst.execute("PRAGMA integrity_check").fetchone()[0]
                # The copy is a standalone file: a rollback journal, no -wal beside it.
                dst.execute("PRAGMA journal_mode = DELETE")
            finally:
                dst.close()
            if result != "ok":
                raise StorageError(f"the backup failed its integrity check: {result}")
            move_into_place()
        except sqlite3.Error as exc:
            if "full" in str(exc):
                raise StorageError(
                    f"the disk holding {target.parent} is full (the backup needs about "
                    f"{_megabytes(source)} MB); free some space and run it again; "
                    "nothing was left behind"
                ) from None
            raise StorageError(f"the backup failed: {exc}") from exc
        finally:
            src.close()
    return target


def _megabytes(path: Path) -> str:
    return f"{max(path.stat().st_size / 1_048_576, 0.1):.1f}"
