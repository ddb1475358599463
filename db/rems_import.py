"""Writing the REMS form columns of an imported infusions.csv (issue 26), in the import's transaction.

`db.csv_io` checks each row's form fields and submission (`outcomes.rems`)
and keeps them by session; once the sessions are inserted, this writes a
form and a submission for each session the import added, tagged with the
import's id. A row whose session was already stored (a re-import) adds its
form or submission only where none is stored; one that differs from the
stored form or submission is refused with its line, like any row that
contradicts what is stored: correct it in the app.
"""

from __future__ import annotations

from typing import Any

from db.csv_io import _where
from db.rems import form_row, forms_of, submissions_of, write_form, write_submission


def _differs(stored, values: dict[str, Any]) -> list[str]:
    """The form fields given in `values` whose stored answer is another."""
    if stored is None:
        return []
    old, new = form_row(stored._asdict()), form_row(values)
    return [n for n in values if old[n] is not None and new[n] != old[n]]


def _one(batch, key, line: int, form: dict, submission: dict, problems: list[str]) -> None:
    pid, session_at = key
    # A blank cell answers nothing: an import adds answers, it never clears a stored one.
    form = {k: v for k, v in form.items() if v is not None and v != ()}
    added = key in batch.added_sessions
    stored_form = None if added else forms_of(batch.database, pid).get(session_at)
    stored_sub = None if added else submissions_of(batch.database, pid).get(key)
    changed = _differs(stored_form, form)
    if changed:
        problems.append(
            f"{_where(batch.source, line, changed[0])}: the REMS form of {pid}'s session at "
            f"{session_at} is already recorded with another {changed[0]}; correct it in the app "
            "instead of importing it again"
        )
        return
    given = (submission.get("rems_submitted_on"), submission.get("rems_submitted_by"))
    if (
        stored_sub is not None
        and submission
        and (stored_sub.submitted_on, stored_sub.submitted_by) != given
    ):
        problems.append(
            f"{_where(batch.source, line, 'rems_submitted_on')}: the REMS form of {pid}'s session at "
            f"{session_at} is already marked submitted on {stored_sub.submitted_on} by "
            f"{stored_sub.submitted_by}; leave the columns as exported"
        )
        return
    new = form_row(form)
    old = None if stored_form is None else form_row(stored_form._asdict())
    if form and (old is None or any(new[n] != old[n] for n in form)):
        write_form(batch.database, pid, session_at, form, batch.who, import_id=batch.import_row())
        batch.rems_written += 1
    if submission and stored_sub is None:
        write_submission(
            batch.database, pid, session_at, given[0], given[1], batch.who, batch.import_row()
        )
        batch.rems_written += 1


def write_imported(batch, rems: dict, problems: list[str]) -> None:
    """Write the checked forms and submissions of `rems` (see `db.csv_io.ImportPlan.rems`)."""
    batch.rems_written = 0
    for key, (line, form, submission) in sorted(rems.items(), key=lambda kv: kv[1][0]):
        _one(batch, key, line, form, submission, problems)
