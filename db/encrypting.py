"""Encrypt, rekey or decrypt the clinic's file: a verified copy first, then one atomic swap.

All three are one operation (`convert`): the clinic file is locked for this
program alone (refused while another program has it open), copied with
SQLCipher's ``sqlcipher_export`` into a new private file beside it under the
new key (or none), the copy checked (``PRAGMA integrity_check``, the same
schema, every table's row count, every patient's status on the primary
scale) and only then renamed over the original. A crash or a ``kill -9`` at
any moment leaves the old file or the new one at the clinic's path, never
neither: the rename is the only step that touches that name. The steps are
named (`STEPS`) so a test can stop the process after each.
"""

from __future__ import annotations

import os
import sqlite3
from datetime import date
from pathlib import Path
from typing import Callable

from db import cipher
from db.errors import StorageError
from db.files import temporary_beside

#: The steps of `convert`, in order; `on_step` is told each one as it is done.
STEPS = ("locked", "copied", "verified", "kept", "swapped")
#: Seconds to wait for another program to let go of the clinic before refusing.
LOCK_WAIT_S = 2.0


def encrypt(path: Path, new_key: str, keep_plain: Path | None = None, on_step=None) -> None:
    """Turn the plain clinic file `path` into one encrypted with `new_key` (the plain one kept at `keep_plain` if given)."""
    if cipher.is_encrypted(path):
        raise StorageError(
            f"{path} is already encrypted; to change its key use `outcomes rekey`; "
            "nothing was changed"
        )
    if keep_plain is not None:
        from db.paths import new_file

        keep_plain = new_file(keep_plain, "the plain copy (--keep-plain)")
    convert(path, None, new_key, keep_plain, on_step)


def rekey(path: Path, new_key: str, on_step=None) -> None:
    """Give the encrypted clinic file `path` the key `new_key` (the old key from the usual places)."""
    old_key = _old_key(path, "rekey")
    if old_key == new_key:
        raise StorageError("the new key is the same as the old one; nothing was changed")
    convert(path, old_key, new_key, None, on_step)


def decrypt(path: Path, on_step=None) -> None:
    """Turn the encrypted clinic file `path` back into a plain SQLite file (for moving away)."""
    convert(path, _old_key(path, "decrypt"), None, None, on_step)


def _old_key(path: Path, command: str) -> str:
    if not cipher.is_encrypted(path):
        raise StorageError(
            f"{path} is not encrypted, so there is nothing to {command}; nothing was changed"
        )
    if not cipher.available():
        raise StorageError(cipher._not_installed(path, False))
    return cipher.passphrase(path)


def convert(
    path: Path,
    old_key: str | None,
    new_key: str | None,
    keep: Path | None = None,
    on_step: Callable[[str], None] | None = None,
) -> None:
    """Replace the clinic file `path` (key `old_key`, None: plain) by a verified copy under `new_key`."""
    step = on_step or (lambda name: None)
    if not cipher.available():
        raise StorageError(cipher._not_installed(path, True))
    source = _lock(path, old_key)
    swapped = False
    try:
        with temporary_beside(path) as (temporary, move_into_place):
            step("locked")
            expected = _fingerprint(source)
            new_salt = _export(source, temporary, new_key)
            step("copied")
            _verify(temporary, new_key, new_salt, expected)
            step("verified")
            if keep is not None:
                _keep(source, keep)
                step("kept")
            _sync(temporary)
            move_into_place()
            swapped = True
            _sync(path.parent)
            step("swapped")
    finally:
        if not swapped:
            # Back to the write-ahead log the program expects (connect would do it too).
            _quietly(source, "PRAGMA journal_mode = WAL")
        source.close()


def _lock(path: Path, key: str | None):
    """A connection to `path` that holds it alone, with every change in the main file (no -wal)."""
    salt = cipher.file_salt(path)
    if key is None:
        conn = cipher._sqlcipher().connect(str(path), timeout=LOCK_WAIT_S)
    else:
        conn = cipher.keyed(str(path), key, salt, timeout=LOCK_WAIT_S)
    try:
        conn.execute("PRAGMA locking_mode = EXCLUSIVE")
        conn.execute("BEGIN EXCLUSIVE")
        conn.execute("COMMIT")
        # Out of WAL: the log is folded into the file and removed, and closing
        # this connection later deletes no -wal that the new file might be using.
        conn.execute("PRAGMA journal_mode = DELETE")
    except sqlite3.OperationalError as exc:
        conn.close()
        if "locked" in str(exc) or "busy" in str(exc):
            raise StorageError(
                f"the clinic database {path} is open in another program (the app, a check-in "
                "server, an import); close it everywhere and run this again; nothing was changed"
            ) from None
        raise
    except sqlite3.DatabaseError:
        conn.close()
        raise StorageError(
            f"cannot open the clinic database {path} with the key given: the key is wrong, or "
            "the file is damaged; nothing was changed"
        ) from None
    return conn


def _fingerprint(conn) -> dict:
    """What must be identical in the copy: schema, every table's row count, every patient's status."""
    import sqlite_utils

    from db.reads import load_clinic, load_settings
    from outcomes.status import analyse_clinic

    schema = sorted(
        (kind, name, sql or "")
        for kind, name, sql in conn.execute("SELECT type, name, sql FROM sqlite_master")
    )
    tables = [name for kind, name, _ in schema if kind == "table"]
    counts = {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
    database = sqlite_utils.Database(conn, execute_plugins=False)
    statuses = []
    if "patients" in counts:
        settings = load_settings(database)
        statuses = [
            s.as_json()
            for s in analyse_clinic(
                load_clinic(database), settings.primary_scale, settings, date.today()
            )
        ]
    return {"schema": schema, "counts": counts, "statuses": statuses}


def _export(source, temporary: Path, new_key: str | None) -> bytes | None:
    """Copy everything in `source` into the empty file `temporary`, under `new_key` (None: plain)."""
    salt = cipher.new_salt() if new_key is not None else None
    key = cipher.raw_key(new_key, salt) if new_key is not None else ""
    source.execute("ATTACH DATABASE ? AS converted KEY ?", (str(temporary), key))
    try:
        source.execute("SELECT sqlcipher_export('converted')")
        version = source.execute("PRAGMA main.user_version").fetchone()[0]
        source.execute(f"PRAGMA converted.user_version = {int(version)}")
    finally:
        source.execute("DETACH DATABASE converted")
    return salt


def _verify(temporary: Path, key: str | None, salt: bytes | None, expected: dict) -> None:
    """Refuse the copy unless it passes SQLite's integrity check and matches `expected`."""
    if key is None:
        conn = cipher._sqlcipher().connect(str(temporary))
    else:
        conn = cipher.keyed(str(temporary), key, salt)
    try:
        result = conn.execute("PRAGMA integrity_check").fetchone()[0]
        if result != "ok":
            raise StorageError(
                f"the new copy failed SQLite's integrity check ({result}); the clinic file "
                "was not changed"
            )
        found = _fingerprint(conn)
        for what in ("schema", "counts", "statuses"):
            if found[what] != expected[what]:
                raise StorageError(
                    f"the new copy's {what} differ from the clinic file's; the clinic file "
                    "was not changed (please report this)"
                )
        conn.execute("PRAGMA journal_mode = WAL")
    finally:
        conn.close()


def _keep(source, keep: Path) -> None:
    """The original file, as it is now, at the new name `keep` (owner-only; never overwrites).

    Copied through SQLite's backup API from the locked connection: opening
    the file from Python would drop that connection's lock when closed.
    """
    from db.paths import new_file

    keep = new_file(keep, "the plain copy (--keep-plain)")
    with temporary_beside(keep) as (temporary, move_into_place):
        target = cipher._sqlcipher().connect(str(temporary))
        try:
            source.backup(target)
        finally:
            target.close()
        _sync(temporary)
        move_into_place()


def _sync(path: Path) -> None:
    """Flush a file or a folder (after a rename) to the disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _quietly(conn, sql: str) -> None:
    try:
        conn.execute(sql)
    except sqlite3.Error:
        pass
