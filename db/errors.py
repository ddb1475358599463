"""The storage layer's refusals, importable without loading SQLite or pandas (the command
line names them before it knows which command runs).

`StorageError` itself is defined in `safe_files.errors`, below `db/`, because
the file writer the reports share raises it too.
"""

from safe_files.errors import StorageError

__all__ = ["NotFound", "StorageError"]


class NotFound(StorageError):
    """A patient or record that does not exist (or is no longer current)."""
