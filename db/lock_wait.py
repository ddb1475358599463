"""Waiting for another program's write lock: up to a minute, visibly, then a clear refusal.

SQLite lets one connection write at a time. A long import holds the write
lock for about 20 seconds (600,000 rows); a clinician saving a form
meanwhile must wait, not fail with "database is locked". Every write
transaction (`db.write_transaction`) takes the lock through `begin_immediate`,
which asks SQLite in short tries (`LOCK_POLL_S`) rather than one long busy
timeout, so that whoever waits can be told how long it has waited (the
app's "waiting for another write… (12 s)", a line on the command line's
stderr) and may stop waiting. Past `LOCK_WAIT_LIMIT_S` the write is refused
with `LockWaitTooLong`; nothing was written, since the lock was never held.
The refusal names the kind of lock: another program's exclusive lock
(`PRAGMA locking_mode=EXCLUSIVE`, as a database browser may hold) blocks even
reading, which `wait_to_read` waits for in the same way when a file is opened.

Loads nothing heavy (no sqlite-utils, no pandas): the command line sets its
reporter before it knows which command runs.
"""

from __future__ import annotations

import contextlib
import contextvars
import sqlite3
from time import monotonic
from typing import Callable, Iterator

from db.errors import StorageError

#: Seconds a connection waits for another writer before giving up (SQLite's busy timeout).
BUSY_TIMEOUT_S = 10.0
#: Longest a write waits for another program's write lock (issue 10: a save
#: never fails for a lock shorter than a minute).
LOCK_WAIT_LIMIT_S = 60.0
#: One try at the lock lasts this long; the reporter is told after each.
LOCK_POLL_S = 0.25

#: Called with the seconds waited so far after each failed try, in the
#: thread that waits; it may raise (a `StorageError`) to stop waiting.
Reporter = Callable[[float], None]
_REPORTER: contextvars.ContextVar[Reporter | None] = contextvars.ContextVar(
    "lock_reporter", default=None
)


class LockWaitTooLong(StorageError):
    """Another program held the write lock past the limit; nothing was written."""


def limit_words() -> str:
    seconds = LOCK_WAIT_LIMIT_S
    return (
        f"{seconds / 60:g} minute{'s' if seconds != 60 else ''}"
        if seconds >= 60
        else f"{seconds:g} s"
    )


def too_long_message(exclusive: bool = False) -> str:
    """Why the wait ended, naming the kind of lock held: a write lock, or an exclusive lock."""
    if exclusive:
        return (
            f"another program held the database under an exclusive lock for more than "
            f"{limit_words()} (as a database browser does with PRAGMA locking_mode=EXCLUSIVE): "
            "not even reading is possible meanwhile, so nothing was read or saved; close the "
            "database in that program and try again"
        )
    return (
        f"another program (an import, another terminal) kept the database busy for more than "
        f"{limit_words()}, so nothing was saved; try again when it has finished (it held the "
        "write lock; reading was still possible)"
    )


def _read_blocked(conn: sqlite3.Connection) -> bool:
    """Whether even a read is locked out: an exclusive lock (in WAL a writer never blocks readers)."""
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.OperationalError as exc:
        if _busy(exc):
            return True
        raise
    return False


def wait_to_read(conn: sqlite3.Connection, busy_timeout_s: float) -> None:
    """Wait, as for a write lock, until the file can be read (another program's exclusive lock).

    Call on a connection just opened, outside a transaction. Raises `LockWaitTooLong` naming the
    exclusive lock past `LOCK_WAIT_LIMIT_S`; returns at once when nothing blocks reading.
    """
    started = monotonic()
    conn.execute(f"PRAGMA busy_timeout = {int(LOCK_POLL_S * 1000)}")
    try:
        while _read_blocked(conn):
            waited = monotonic() - started
            if waited >= LOCK_WAIT_LIMIT_S:
                raise LockWaitTooLong(too_long_message(exclusive=True))
            reporter = _REPORTER.get()
            if reporter is not None:
                reporter(waited)
    finally:
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_s * 1000)}")


@contextlib.contextmanager
def reporting_lock_waits(reporter: Reporter) -> Iterator[None]:
    """Within the block (in this thread or task), `reporter` hears how long each write has waited."""
    token = _REPORTER.set(reporter)
    try:
        yield
    finally:
        _REPORTER.reset(token)


def _busy(exc: sqlite3.OperationalError) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def begin_immediate(conn: sqlite3.Connection, busy_timeout_s: float) -> None:
    """``BEGIN IMMEDIATE``, waiting for another writer in short tries up to the limit.

    Args:
        conn: The connection (outside a transaction).
        busy_timeout_s: The connection's usual busy timeout, put back afterwards.

    Raises:
        LockWaitTooLong: still locked after `LOCK_WAIT_LIMIT_S`.
    """
    started = monotonic()
    conn.execute(f"PRAGMA busy_timeout = {int(LOCK_POLL_S * 1000)}")
    try:
        while True:
            try:
                conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if not _busy(exc):
                    raise
            waited = monotonic() - started
            if waited >= LOCK_WAIT_LIMIT_S:
                raise LockWaitTooLong(too_long_message(exclusive=_read_blocked(conn)))
            reporter = _REPORTER.get()
            if reporter is not None:
                reporter(waited)
    finally:
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_s * 1000)}")
