"""Which file a connection opened, so a write never lands in a file the path no longer names.

A clinic file restored by `mv backup.db clinic.db` under a running app is a
new file at the old path: the app's connection still writes to the old,
unlinked one (or, worse, its leftover `-wal` is applied to the restored file
at the next opening, bringing back what the restore removed). `PRAGMA
data_version` cannot see this: it counts changes to the file the connection
already has. So every connection remembers the identity (`st_dev`,
`st_ino`) of the file at its path when it was opened, and every write
transaction (`db.write_transaction`) compares it with what the path names now:
when they differ (replaced, moved or deleted) the write is refused with
words, and the program must be restarted to use the file now at the path.
Long-running programs also look while idle (`file_replaced`, in the clinician app's
once-a-second refresh and patient mode's) and show `replaced_notice` at once.
(Issue 21; `outcomes restore` is the safe way to replace the file.)
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from db.errors import StorageError

_OPENED: dict[int, tuple[Path, tuple[int, int]]] = {}


def identity_of(path: Path) -> tuple[int, int] | None:
    """The identity (`st_dev`, `st_ino`) of the file at `path` now; None when there is none."""
    return _identity(path)


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_dev, info.st_ino


def remember(conn: sqlite3.Connection, path: Path) -> None:
    """Keep the identity of the file `conn` opened at `path` (call right after opening)."""
    identity = _identity(path)
    if identity is not None:
        _OPENED[id(conn)] = (path, identity)
    else:  # never an earlier connection's identity under a reused `id`
        _OPENED.pop(id(conn), None)


def replaced_message(path: Path) -> str:
    return (
        f"the database file {path} was replaced, moved or deleted while this program had it open "
        "(by a restore or a copy over it): nothing was saved, so that nothing goes into the wrong "
        "file; close this program and start it again to use the file now at that path"
    )


def replaced_notice(path: Path) -> str:
    """What a running program shows once it notices, while idle, that its file was replaced."""
    return (
        f"The clinic file {path} was replaced, moved or deleted while this app had it open (by a "
        "restore or a copy over it). Nothing more will be written from this app, so that nothing "
        "goes into the wrong file; what it shows is the file as it was. Close the app and start it "
        "again to use the file now at that path."
    )


def file_replaced(conn: sqlite3.Connection) -> bool:
    """Whether the path `conn` was opened at names a different file now (or none)."""
    opened = _OPENED.get(id(conn))
    if opened is None:
        return False
    path, identity = opened
    return _identity(path) != identity


def refuse_if_replaced(conn: sqlite3.Connection) -> None:
    """Raise `StorageError` when the path names a different file than `conn` opened."""
    if file_replaced(conn):
        raise StorageError(replaced_message(_OPENED[id(conn)][0]))
