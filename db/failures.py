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

import os
import sqlite3
import sys
import tempfile
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
BUSY_MESSAGE = ("the database stayed busy (another program is writing to it); nothing was "
                "changed; try again in a moment")
#: SQLite's words for a lock held by someone else, and for a disk that refused the write.
_BUSY_WORDS = ("locked", "busy")
_DISK_WORDS = ("disk is full", "disk i/o", "readonly database")
#: The log file's name inside the user's log folder.
LOG_NAME = "error.log"


def refusal_message(exc: BaseException) -> str | None:
    """The words for an expected refusal; None when `exc` is a program error.

    sqlite3.OperationalError is expected only for a lock that outlasted the
    busy timeout, or a disk that refused the write; any other one (a missing
    column, bad SQL) is the program's fault.
    """
    if isinstance(exc, sqlite3.OperationalError):
        text = str(exc).lower()
        if any(word in text for word in _BUSY_WORDS):
            return BUSY_MESSAGE
        if any(word in text for word in _DISK_WORDS):
            return f"the database could not be written ({exc}); nothing was changed"
        return None
    if isinstance(exc, EXPECTED):
        return str(exc).strip("'\"")
    return None


def log_folder() -> Path:
    """The user's log folder (created owner-only), or the temporary folder when there is none."""
    try:
        import platformdirs  # imported here: only needed when something went wrong

        folder = Path(platformdirs.user_log_dir(APP_NAME))
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        return folder
    except Exception:  # no home folder, a read-only one: still log somewhere
        return Path(tempfile.gettempdir())


def log_unexpected(context: str | None = None) -> Path | None:
    """Append the exception being handled, with its traceback, to the owner-only log.

    Args:
        context: What was being done (the command line, a screen's action);
            the command's arguments when None.

    Returns:
        The log file's path, or None when even that could not be written.
    """
    try:
        path = log_folder() / LOG_NAME
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as handle:
            what = context if context is not None else " ".join(sys.argv)
            handle.write(f"--- {datetime.now().isoformat(timespec='seconds')} {what}\n")
            handle.write(traceback.format_exc())
        return path
    except Exception:
        return None
