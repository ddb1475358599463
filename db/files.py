"""The storage layer's name for the one file writer, `safe_files.atomic`.

The writer lives below `db/` so that `reports/` writes its files the same way
without importing `db` (reports are handed data; they never touch the
database). Storage code keeps calling it `db.files`.
"""

from __future__ import annotations

from safe_files.atomic import (
    BUFFER,
    PRIVATE_FILE,
    PRIVATE_FOLDER,
    TEMP_MARK,
    atomic_file,
    discard,
    loose_permissions,
    os_error_message,
    private_folder,
    refuse_link,
    sweep_stale,
    temporary_beside,
    write_atomic,
)

__all__ = [
    "BUFFER",
    "PRIVATE_FILE",
    "PRIVATE_FOLDER",
    "TEMP_MARK",
    "atomic_file",
    "discard",
    "loose_permissions",
    "os_error_message",
    "private_folder",
    "refuse_link",
    "sweep_stale",
    "temporary_beside",
    "write_atomic",
]
