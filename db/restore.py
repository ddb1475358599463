"""`outcomes restore BACKUP`: put a backup in place of the clinic file, safely.

Replacing the file by hand (`mv`, `cp`) under a running program loses data:
the program goes on writing to the old file, and the old file's `-wal` (the
changes not yet copied into the file itself) is applied to the new file at
the next opening, bringing back what the restore removed. So the restore:

1. checks the backup: an SQLite file this release can read, whole
   (``PRAGMA integrity_check``);
2. refuses while any program has the clinic file open (every SQLite
   connection to a file in WAL mode holds a shared lock on one byte of its
   `-shm` file, its "dead man's switch", for as long as it is open: the
   restore asks for that byte exclusively);
3. copies the backup through SQLite's backup API to a temporary file beside
   the clinic file;
4. folds the clinic file's `-wal` into it and, asking again that nobody has
   it open and holding that until the end, moves it aside as
   `<name>.replaced-<time>` (owner-only: nothing is lost by a restore),
   removes the old `-wal` and `-shm`, and renames the copy into place.

The byte lock is a POSIX lock, which this process's own SQLite connections
would let go when they close a handle on the `-shm`; so it is held only while
none is open.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
import struct
import urllib.parse
from datetime import datetime
from pathlib import Path
from typing import Iterator

from db import cipher
from db.cipher import open_sqlite
from db.connection import BUSY_TIMEOUT_S, StorageError
from db.files import PRIVATE_FILE, temporary_beside

#: Byte of the `-shm` file every open WAL connection holds a shared lock on (SQLite's unix VFS:
#: the eight WAL locks from byte 120, then the "dead man's switch").
DMS_BYTE = 128


def _lock(fd: int, kind: int) -> bool:
    """Ask for a POSIX lock on `DMS_BYTE` of `fd` without waiting; whether it was granted."""
    request = struct.pack("hhllhh", kind, os.SEEK_SET, DMS_BYTE, 1, 0, 0)
    try:
        fcntl.fcntl(fd, fcntl.F_SETLK, request)
    except OSError:
        return False
    return True


@contextlib.contextmanager
def nobody_has_it_open(path: Path) -> Iterator[None]:
    """Hold the clinic file against every other program, or refuse when one has it open."""
    shm = Path(f"{path}-shm")
    if not shm.exists():  # no open connection in WAL mode has ever left one: nobody has it open
        yield
        return
    fd = os.open(shm, os.O_RDWR | os.O_NOFOLLOW)
    try:
        if not _lock(fd, fcntl.F_WRLCK):
            raise StorageError(
                f"{path} is open in another program (the clinician app, patient mode, a kiosk, "
                "an import or the check-in server): close every program using it, then run "
                "`outcomes restore` again; nothing was changed"
            )
        yield
    finally:
        os.close(fd)  # also lets go of the lock


def _check_backup(backup: Path) -> None:
    from db.connection import applied_migrations
    from db.schema_version import MIGRATION_NAMES

    if not backup.is_file():
        raise StorageError(f"there is no backup file at {backup}; nothing was changed")
    uri = "file:" + urllib.parse.quote(str(backup.resolve())) + "?mode=ro"
    try:
        conn = open_sqlite(backup, uri, uri=True, timeout=BUSY_TIMEOUT_S)
        try:
            result = conn.execute("PRAGMA integrity_check").fetchone()[0]
            applied = applied_migrations(conn)
        finally:
            conn.close()
    except sqlite3.DatabaseError:
        result, applied = "not an SQLite database", None
    if result != "ok" or applied is None:
        raise StorageError(
            f"{backup} is not a whole clinic database ({result if result != 'ok' else 'no schema'}); "
            "nothing was changed"
        )
    unknown = [name for name in applied if name not in MIGRATION_NAMES]
    if unknown:
        raise StorageError(
            f"{backup} was written by a newer release of ketamine-outcomes; install it to restore "
            "this backup; nothing was changed"
        )


def _fold(path: Path) -> None:
    """Copy the clinic file's -wal into the file itself: the kept file is then whole alone."""
    conn = open_sqlite(path, timeout=BUSY_TIMEOUT_S)
    try:
        busy = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
    finally:
        conn.close()
    if busy:
        raise StorageError(f"{path} is busy in another program; nothing was changed")


def _keep(path: Path) -> Path:
    """Move the clinic file aside, owner-only: `<name>.replaced-<time>`."""
    kept = path.with_name(f"{path.name}.replaced-{datetime.now():%Y%m%dT%H%M%S}")
    os.rename(path, kept)
    os.chmod(kept, PRIVATE_FILE)
    return kept


def restore(backup_path: str | os.PathLike, database_path: str | os.PathLike) -> Path | None:
    """Put the backup at `backup_path` in place of the clinic file; returns where the old one is kept.

    Raises:
        StorageError: the backup is not a whole database this release reads, the clinic file is
            open in another program, or the copy failed (the clinic file is then as it was).
    """
    backup = Path(backup_path).expanduser()
    path = Path(database_path).expanduser()
    _check_backup(backup)
    if path.exists() and path.resolve() == backup.resolve():
        raise StorageError("the backup is the clinic file itself; nothing was changed")
    with nobody_has_it_open(path):  # asked first: a refusal leaves nothing behind
        pass
    with temporary_beside(path) as (temporary, move_into_place):
        try:
            _copy(backup, temporary)
            if path.exists():
                _fold(path)
            # Our own SQLite connections are closed: the lock held now is not let go by them.
            with nobody_has_it_open(path):
                kept = _keep(path) if path.exists() else None
                for leftover in (Path(f"{path}-wal"), Path(f"{path}-shm")):
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(leftover)
                move_into_place()
        except sqlite3.Error as exc:
            raise StorageError(
                f"the restore failed ({exc}); the clinic file is as it was"
            ) from None
    return kept


def _copy(backup: Path, temporary: Path) -> None:
    # An encrypted backup is read with the clinic's key and stays encrypted (as `backup` makes it).
    source = open_sqlite(
        backup, "file:" + urllib.parse.quote(str(backup.resolve())) + "?mode=ro", uri=True
    )
    target = cipher.same_kind(backup, temporary)
    try:
        source.backup(target)
        target.execute("PRAGMA journal_mode = DELETE")  # standalone: no -wal beside it
    finally:
        target.close()
        source.close()
