"""A session and its REMS form saved together (issue 26): the app's session form writes both at once.

An esketamine session recorded (or corrected) on the app's form carries the
REMS form's fields typed beside it; the session, its CADSS rating and the
form are one transaction, so a refusal of any part leaves nothing half
written. Separate from `db.rems` because it calls `db.writes`, which calls
`db.rems` (a session's correction moves its form).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

from db.connection import write_transaction
from db.rems import write_form
from db.writes import add_infusion_with_rating, correct_infusion

if TYPE_CHECKING:  # annotations only: loaded where a connection is made (db.connection)
    import sqlite_utils


def save_session_with_form(
    database: sqlite_utils.Database,
    values: Mapping[str, Any],
    who: str,
    *,
    rating: Mapping[str, Any] | None = None,
    form: Mapping[str, Any] | None = None,
    correcting: int | None = None,
    reason: str | None = None,
) -> int:
    """Add (or correct, `correcting` = its id) a session, with its rating and REMS form; its id."""
    with write_transaction(database):
        if correcting is None:
            saved = add_infusion_with_rating(database, values, who, rating)
        else:
            saved = correct_infusion(database, correcting, values, reason, who)
        if form:
            at = values["date"].iso()
            write_form(database, values["patient_id"], at, form, who, reason=reason or None)
    return saved
