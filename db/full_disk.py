"""Reading a clinic file on a full disk, and saying "the disk is full" when a write cannot be done.

SQLite reads a database in WAL mode through two files beside it, `-wal` and
`-shm`, which it creates when they are missing. On a disk with no free byte
it cannot, and every opening failed with "disk I/O error": the clinic could
not even read its records (issue 21). When the disk is full, no `-shm` is
there (no program has the file open) and the `-wal` holds nothing (every
change is in the file itself), the file is opened read-only as immutable,
which needs neither: reading commands work. A write on such a connection is
refused as a full disk (`db.write_transaction` asks `opened_on_full_disk`).
With a non-empty `-wal`, reading without it would miss recent changes: the
opening is refused with the full-disk words instead.
"""

from __future__ import annotations

import os
import sqlite3
import urllib.parse
from pathlib import Path

from db.errors import StorageError

#: Free space below which the disk counts as full (SQLite needs a few pages for its -shm and -wal).
FULL_BELOW_BYTES = 64 * 1024
_FULL_DISK_READERS: set[int] = set()


def disk_full(path: Path) -> bool:
    """Whether the disk holding `path` has (next to) no free space."""
    try:
        info = os.statvfs(path.parent if not path.is_dir() else path)
    except OSError:
        return False
    return info.f_bavail * info.f_frsize < FULL_BELOW_BYTES


def full_message(path: Path, doing: str = "change it") -> str:
    return (
        f"the disk holding {path} is full: the program cannot {doing}; reading still works; "
        "free some space and try again; nothing was changed"
    )


def immutable_uri(path: Path) -> str | None:
    """A read-only URI for `path` that needs no -shm or -wal, when the disk is full and that is
    safe (no -shm, an empty or missing -wal); else None."""
    if not disk_full(path) or Path(f"{path}-shm").exists():
        return None
    wal = Path(f"{path}-wal")
    if wal.exists() and wal.stat().st_size > 0:
        raise StorageError(
            f"the disk holding {path} is full and the database's latest changes are still in "
            f"{wal.name}, which cannot be read without some free space: free some space and try "
            "again; nothing was changed"
        )
    return "file:" + urllib.parse.quote(str(path.resolve())) + "?mode=ro&immutable=1"


def open_on_full_disk(path: Path, busy_timeout_s: float) -> sqlite3.Connection | None:
    """A read-only connection to `path` when its disk is full (see the module), else None."""
    uri = immutable_uri(path)
    if uri is None:
        return None
    return sqlite3.connect(uri, uri=True, timeout=busy_timeout_s, check_same_thread=False)


def mark(conn: sqlite3.Connection, on_full_disk: bool) -> None:
    """Record whether `conn` was opened read-only because the disk was full (every opening says,
    so that a later connection given the same `id` is never taken for an earlier one)."""
    if on_full_disk:
        _FULL_DISK_READERS.add(id(conn))
    else:
        _FULL_DISK_READERS.discard(id(conn))


def opened_on_full_disk(conn: sqlite3.Connection) -> bool:
    """Whether `conn` was opened read-only because the disk was full."""
    return id(conn) in _FULL_DISK_READERS
