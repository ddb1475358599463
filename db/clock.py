"""The moment stored in bookkeeping columns (`recorded_at`, the audit trail's `at`).

Imports nothing from `db`, so that every module of the storage layer (the
connection, the migrations, the writers) can take it without a loop.
"""

from __future__ import annotations

from datetime import datetime, timezone


def now_iso() -> str:
    """The current moment in UTC, as stored in bookkeeping columns."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
