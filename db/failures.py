"""Refusals versus program errors, and the owner-only log of the program errors.

The command line and the clinician app both promise that no traceback
reaches the user. An expected refusal (a record the database refused, a
setting out of range, an unreadable date, a file that cannot be written, a
database that stayed locked or a full disk) is told in words as it stands;
anything else is a fault of the program: its traceback goes to a log file
only the user can read, and the user is told that it was a program error
and where the log is. Both shells take the rule from here, so they cannot
drift apart.
"""

from __future__ import annotations

import errno
import os
import sqlite3
import sys
import traceback
from datetime import datetime
from pathlib import Path

from db.connection import APP_NAME
from db.errors import StorageError
from outcomes.settings import SettingError
from outcomes.timepoints import TimeFormatError

#: Errors whose message is meant for the user as it stands.
EXPECTED = (StorageError, SettingError, TimeFormatError, OSError)
#: What a clinician reads when another program held the write lock for too long.
BUSY_MESSAGE = (
    "the database stayed busy (another program is writing to it); nothing was "
    "changed; try again in a moment"
)
#: What a clinician reads when the file turns out damaged in the middle of a read.
DAMAGED_MESSAGE = (
    "the database file is damaged (SQLite found a malformed part while reading it); nothing was "
    "changed; restore it from a backup (`outcomes restore BACKUP`), and keep the damaged file for "
    "whoever looks after the program"
)
#: SQLite's words for a lock held by someone else, and for a disk that refused the write.
_BUSY_WORDS = ("locked", "busy")
_DISK_WORDS = ("disk is full", "disk i/o", "readonly database")
_DAMAGE_WORDS = ("not a database", "malformed")
#: The log file's name inside the user's log folder.
LOG_NAME = "error.log"


def refusal_message(exc: BaseException) -> str | None:
    """The words for an expected refusal; None when `exc` is a program error.

    sqlite3.OperationalError is expected only for a lock that outlasted the
    busy timeout, or a disk that refused the write; any other one (a missing
    column, bad SQL) is the program's fault.
    """
    if isinstance(exc, sqlite3.DatabaseError) and (
        "malformed" in str(exc) or "not a database" in str(exc)
    ):  # damage found in the middle of a read, after the file opened well (issue 21)
        return DAMAGED_MESSAGE
    if isinstance(exc, sqlite3.OperationalError):
        text = str(exc).lower()
        if any(word in text for word in _BUSY_WORDS):
            return BUSY_MESSAGE
        if "full" in text:
            return (
                "the disk holding the database is full: the change was not saved and the database "
                "is as it was before; free some space and try again"
            )
        if "readonly" in text or "read-only" in text:
            return (
                "the database cannot be written (it is on read-only media, or the file or its "
                "folder is read-only); nothing was changed"
            )
        if any(word in text for word in _DISK_WORDS):
            return f"the database could not be written ({exc}); nothing was changed"
        return None
    if isinstance(exc, sqlite3.DatabaseError) and any(w in str(exc) for w in _DAMAGE_WORDS):
        # A page that fails SQLite's (or SQLCipher's) check when it is read.
        return (
            f"part of the database file is damaged and cannot be read ({exc}); nothing was "
            "changed; restore the file from a backup"
        )
    if isinstance(exc, OSError) and not isinstance(exc, StorageError):
        from db.files import os_error_message

        path = Path(exc.filename) if exc.filename else Path("the file")
        doing = "write" if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EROFS) else "use"
        return str(os_error_message(exc, path, doing))
    if isinstance(exc, EXPECTED):
        return str(exc).strip("'\"")
    return None


def log_folder() -> Path:
    """The user's own log folder, created owner-only (0700) with any missing parents.

    Never a shared temporary folder: a predictable file there could be
    planted by another user. When the user's folder cannot be made there is
    no log (the message says what went wrong anyway).
    """
    import platformdirs  # imported here: only needed when something went wrong

    from db.files import private_folder

    return private_folder(Path(platformdirs.user_log_dir(APP_NAME)), parents=True)


def _command() -> str:
    """The command being run, without its arguments (they may hold patient ids or file names)."""
    words = [Path(sys.argv[0]).name] + [
        a for a in sys.argv[1:3] if a.isidentifier() and a.islower()
    ]
    return " ".join(words)


def log_unexpected(context: str | None = None) -> Path | None:
    """Append the exception being handled, with its traceback, to the owner-only log.

    Args:
        context: What was being done (the command line, a screen's action);
            the command's name (never its arguments) when None.

    Returns:
        The log file's path, or None when even that could not be written.
    """
    try:
        path = log_folder() / LOG_NAME
        # O_NOFOLLOW: a link planted in place of the log is refused, not written through.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as handle:
            what = context if context is not None else _command()
            handle.write(f"--- {datetime.now().isoformat(timespec='seconds')} {what}\n")
            handle.write(traceback.format_exc())
        return path
    except Exception:
        return None
