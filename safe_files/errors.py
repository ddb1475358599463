"""The one error a refused read or write raises, shared by the file writer and the storage layer.

It lives below both (`db.errors` re-exports it) so that `reports/`, which
writes files but never touches the database, can catch it without importing
`db`. Importable without loading SQLite or pandas.
"""


class StorageError(Exception):
    """A request the database or the file system refused; the message says why in plain words."""
