"""The storage layer's refusals, importable without loading SQLite or pandas (the command
line names them before it knows which command runs)."""


class StorageError(Exception):
    """A request the database refused; the message says why in plain words."""


class NotFound(StorageError):
    """A patient or record that does not exist (or is no longer current)."""
