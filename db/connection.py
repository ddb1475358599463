"""Opening the clinic's SQLite file: where it lives, who may read it, how it is set up.

Every connection gets the same settings (architecture.md, "Storage rules"):
foreign keys on (SQLite forgets this per connection), WAL so that readers
never block the writer, and a busy timeout so that two clinicians at two
terminals wait for each other instead of seeing "database is locked". A new
file and its folder are created owner-only, because the file holds health
data.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import sqlite3
import urllib.parse
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from db.cipher import open_sqlite, refuse_unencryptable
from db.clock import now_iso  # noqa: F401  (re-exported: callers that take it from here)
from db.errors import NotFound, StorageError  # noqa: F401  (re-exported)
from db.file_identity import refuse_if_replaced, remember
from db.full_disk import disk_full, full_message, open_on_full_disk, opened_on_full_disk
from db.full_disk import mark as mark_full_disk
from db.lock_wait import BUSY_TIMEOUT_S, begin_immediate, wait_to_read
from db.schema_version import MIGRATION_NAMES, applied_migrations
from db.sqlite_utils_import import sqlite_utils as sqlite_utils_module

if TYPE_CHECKING:  # imported where a connection is made: `connect_to_read` never needs it
    import sqlite_utils

APP_NAME = "ketamine-outcomes"
DB_FILENAME = "outcomes.db"
ENV_VAR = "OUTCOMES_DB"


def default_path() -> Path:
    """The database file: ``$OUTCOMES_DB``, else ``outcomes.db`` in the user data folder."""
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env).expanduser()
    import platformdirs  # imported here: only needed when no path is given

    return Path(platformdirs.user_data_dir(APP_NAME)) / DB_FILENAME


def current_user() -> str:
    """The OS user name, the `who` of a change when the app knows no clinician."""
    try:
        return getpass.getuser() or "unknown"
    except Exception:  # getuser raises when no name can be found (containers)
        return f"uid-{os.getuid()}" if hasattr(os, "getuid") else "unknown"


#: The name changes are recorded under when no clinician name is given.
USER_ENV_VAR = "OUTCOMES_USER"


def default_user() -> str:
    """The `who` of a change when nobody typed a name: ``$OUTCOMES_USER``, else the OS user."""
    return os.environ.get(USER_ENV_VAR, "").strip() or current_user()


def _create_owner_only(path: Path) -> None:
    """Create the folder (0700) and an empty file (0600) when they are missing."""
    folder = path.parent
    missing = []
    probe = folder
    while not probe.exists():
        missing.append(probe)
        probe = probe.parent
    for part in reversed(missing):
        os.mkdir(part, 0o700)
        os.chmod(part, 0o700)  # mkdir's mode is filtered by the umask
    if not path.exists():
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        except FileExistsError:  # another process created it a moment ago
            return
        os.close(fd)
        os.chmod(path, 0o600)


def connect(
    path: str | os.PathLike | None = None,
    *,
    migrate: bool = True,
    read_only: bool = False,
) -> sqlite_utils.Database:
    """Open (creating if needed) the clinic database and bring its schema up to date.

    Args:
        path: The database file; `default_path()` when None.
        migrate: Apply pending migrations (tests of the upgrade path pass False).
        read_only: Open through SQLite's ``mode=ro``: SQLite itself refuses
            every write, no file is created and no migration runs. Patient
            mode and other look-only uses take this.

    Returns:
        A sqlite-utils `Database` with foreign keys, WAL and a busy timeout set.

    Raises:
        StorageError: a folder, not an SQLite file, unreadable; read-only: no
            file there, or a schema older than this program (it needs an
            upgrade, which is a write).
    """
    path = Path(path) if path is not None else default_path()
    path = path.expanduser()
    check_reachable(path)
    if path.is_dir():
        raise StorageError(f"{path} is a folder; give the path of a database file")
    if read_only:
        return _connect_read_only(path)
    refuse_unencryptable(path)  # before an empty file is made
    full = _connect_on_full_disk(path, migrate) if path.is_file() else None
    if full is not None:  # reading works on a full disk; a write is refused as such (issue 21)
        return full
    try:
        _create_owner_only(path)
    except OSError as exc:
        from db.files import os_error_message

        raise os_error_message(exc, path, "create the database") from None
    # check_same_thread=False: a connection may be opened by one thread and used
    # by a worker thread after it (never by two at once).
    conn = open_sqlite(path, timeout=BUSY_TIMEOUT_S, check_same_thread=False)
    with _closed_on_failure(conn, path):
        database = _configure(conn, path)
        from db.migrations import apply_migrations, refuse_newer_schema

        refuse_newer_schema(database, path)
        if database.journal_mode != "wal":
            database.enable_wal()
        if migrate:
            apply_migrations(database)
    return database


def _connect_on_full_disk(path: Path, migrate: bool) -> "sqlite_utils.Database | None":
    """`connect` on a full disk (`db.full_disk`): read-only, never upgraded; None when not full."""
    full = open_on_full_disk(path, BUSY_TIMEOUT_S)
    if full is None:
        return None
    with _closed_on_failure(full, path):
        database = _configure(full, path)
        mark_full_disk(full, True)
        from db.migrations import MIGRATIONS, refuse_newer_schema

        refuse_newer_schema(database, path)
        if migrate and MIGRATIONS.pending(database):
            raise StorageError(full_message(path, "upgrade the database"))
    return database


class Reading:
    """A plain `sqlite3` connection for a command that only reads: what every read uses (`conn`)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def close(self) -> None:
        self.conn.close()


def connect_to_read(path: str | os.PathLike | None = None) -> "Reading | sqlite_utils.Database":
    """The database for a command that only reads (`outcomes status`), opened as cheaply as can be.

    A file whose schema is exactly this program's is opened with plain
    `sqlite3` (sqlite-utils' import alone costs about 40 ms of a command that
    takes a few hundred). Anything else, a file to create, upgrade or
    refuse, goes through `connect`, with its checks and words.
    """
    path = (Path(path) if path is not None else default_path()).expanduser()
    if path.is_file() and not disk_full(path):  # a full disk: `connect` reads it without -shm
        conn = open_sqlite(path, timeout=BUSY_TIMEOUT_S)
        with _closed_on_failure(conn, path):
            conn.execute("PRAGMA foreign_keys = ON")
            wait_to_read(conn, BUSY_TIMEOUT_S)  # another program's exclusive lock (issue 21)
            if applied_migrations(conn) == MIGRATION_NAMES:
                return Reading(conn)
        conn.close()
    return connect(path)


@contextlib.contextmanager
def _closed_on_failure(conn: sqlite3.Connection, path: Path) -> Iterator[None]:
    """Close `conn` when setting it up fails; SQLite's own errors become a `StorageError` about `path`."""
    try:
        yield
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise sqlite_error_message(exc, path) from exc
    except BaseException:
        conn.close()
        raise


#: SQL function the guard triggers ask (migration 0003): true only inside the
#: program's own write path, `write_transaction`, whose every writer puts its
#: audit row in the same transaction. A hand edit from another tool has no
#: such function, so its change to a guarded column or table is refused.
AUDITED_WRITE_FUNCTION = "outcomes_audited_write"
_WRITE_DEPTH: dict[int, list[int]] = {}


def _configure(conn: sqlite3.Connection, path: Path) -> sqlite_utils.Database:
    """The per-connection settings, after checking the file is an SQLite database."""
    depth = _WRITE_DEPTH[id(conn)] = [0]
    conn.create_function(AUDITED_WRITE_FUNCTION, 0, lambda: 1 if depth[0] else 0)
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
    database = sqlite_utils_module().Database(conn, execute_plugins=False)
    # Let SQLite itself say whether this is a database. Never open() the file
    # from Python to look at its header: closing any handle on a file drops
    # every POSIX lock this process holds on it, including the locks of the
    # app's other open connection, and another process could then delete the
    # write-ahead log under it (lost writes).
    try:
        wait_to_read(conn, BUSY_TIMEOUT_S)  # another program's exclusive lock (issue 21)
        conn.execute("PRAGMA schema_version").fetchone()
    except sqlite3.DatabaseError as exc:
        raise sqlite_error_message(exc, path) from None
    remember(conn, path)  # which file this is: a write refuses once the path names another
    mark_full_disk(conn, False)  # `_connect_on_full_disk` marks its own after this
    return database


def check_reachable(path: Path) -> None:
    """Refuse a path inside a folder this user may not enter (an unreadable home directory)."""
    try:
        os.stat(path)
    except FileNotFoundError:
        return
    except PermissionError:
        blocked = next(
            (p for p in reversed(path.parents) if not os.access(p, os.X_OK)), path.parent
        )
        raise StorageError(
            f"cannot reach the database {path}: this user ({current_user()}) has no "
            f"permission to enter the folder {blocked}; check the path given by --db or "
            f"${ENV_VAR}, or the folder's permissions"
        ) from None
    except OSError as exc:
        raise StorageError(f"cannot reach the database {path}: {exc.strerror or exc}") from None


def on_read_only_media(path: Path) -> bool:
    """Whether the folder of `path` is on a read-only file system (a locked USB stick, a CD)."""
    folder = path if path.is_dir() else path.parent
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def sqlite_error_message(exc: sqlite3.Error, path: Path) -> StorageError:
    """SQLite's failure to open or change `path`, in words that say what to do."""
    text = str(exc)
    if on_read_only_media(path):
        return StorageError(
            f"the database {path} is on read-only media (a write-protected stick or disc): "
            "SQLite cannot open it there; copy it to a writable folder and use that copy "
            "with --db; nothing was changed"
        )
    if disk_full(path) and ("disk i/o" in text.lower() or "unable to open" in text.lower()):
        return StorageError(full_message(path))  # SQLite's words for a -shm it could not create
    if "not a database" in text or "malformed" in text:
        return StorageError(
            f"{path} is not an SQLite database file (or it is damaged); check the path, "
            "or restore it from a backup"
        )
    if "full" in text:
        return StorageError(
            f"the disk holding {path} is full: the change was not saved and the "
            "database is as it was before; free some space and try again"
        )
    if "readonly" in text or "read-only" in text:
        return StorageError(
            f"the database {path} cannot be written (read-only file or folder); "
            "check its permissions; nothing was changed"
        )
    return StorageError(f"cannot open the database {path}: {text}")


def _connect_read_only(path: Path) -> sqlite_utils.Database:
    """A connection SQLite will not let write (``file:...?mode=ro``); see `connect`."""
    if not path.is_file():
        raise StorageError(
            f"there is no clinic database at {path}; check the path "
            "(--db or $OUTCOMES_DB); a read-only opening never creates one"
        )
    uri = "file:" + urllib.parse.quote(str(path.resolve())) + "?mode=ro"
    conn = open_sqlite(path, uri, uri=True, timeout=BUSY_TIMEOUT_S, check_same_thread=False)
    with _closed_on_failure(conn, path):
        database = _configure(conn, path)
        from db.migrations import MIGRATIONS, refuse_newer_schema

        refuse_newer_schema(database, path)
        pending = MIGRATIONS.pending(database)
        if pending:
            raise StorageError(
                f"the database {path} was made by an older version and needs an upgrade "
                f"({len(pending)} step{'s' if len(pending) != 1 else ''}) before it can be opened "
                "read-only; open it once with a clinician command (for example `outcomes settings`)"
            )
    return database


def data_version(database: sqlite_utils.Database) -> int:
    """SQLite's counter that changes when another connection commits a write.

    Cheap (no file read beyond the lock check): a clinician app polls it to
    notice what another terminal, an import or a patient's self-report wrote.
    The connection's own writes do not change it.
    """
    return int(database.conn.execute("PRAGMA data_version").fetchone()[0])


def database_path(database: sqlite_utils.Database) -> Path | None:
    """The file behind an open database (None for an in-memory one)."""
    for _, name, filename in database.conn.execute("PRAGMA database_list"):
        if name == "main" and filename:
            return Path(filename)
    return None


@contextlib.contextmanager
def write_transaction(database: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """One transaction for a group of writes, taking the write lock at once.

    ``BEGIN IMMEDIATE`` rather than sqlite-utils' deferred ``BEGIN``: a
    deferred transaction that reads and then writes fails at once with
    "database is locked" when another process wrote in between, whatever the
    busy timeout; an immediate one waits its turn (`db.lock_wait`: up to a
    minute, telling a reporter how long). Nested use becomes a savepoint
    through `Database.atomic()`.
    """
    conn = database.conn
    depth = _WRITE_DEPTH.setdefault(id(conn), [0])
    depth[0] += 1
    try:
        with _immediate(database):
            yield database
    finally:
        depth[0] -= 1


@contextlib.contextmanager
def _immediate(database: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    conn = database.conn
    if conn.in_transaction:
        with database.atomic():
            yield database
        return
    if opened_on_full_disk(conn):
        raise StorageError(full_message(database_path(database)))
    begin_immediate(conn, BUSY_TIMEOUT_S)  # waits for another writer, visibly, up to a minute
    try:
        refuse_if_replaced(conn)  # the path names another file now: never write to the old one
        yield database
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    else:
        try:
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
