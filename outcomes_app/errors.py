"""How a failed database call reaches the clinician: as words, never a traceback.

`guarded` runs a call and turns a refusal into its message and anything
else into a `ProgramError` (logged, notified); `NotDone` is a write that did
not happen for a reason other than the input (the lock, the clinician
stopped waiting).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from textual._context import active_app

import db


class ProgramError(str):
    """The words for a failure that is the program's fault, not a refusal of the input.

    `guarded` returns one (a `str`, so callers that only show a message need
    nothing else); a form shows it as it stands, not as a problem to correct.
    """


class NotDone(str):
    """The words for a write that did not happen for a reason other than the input.

    Another program kept the database busy past the limit, or the clinician
    stopped waiting (`outcomes_app.saving`): a form shows it as it stands,
    not as a problem to correct, and keeps what was typed.
    """


def guarded(action: Callable[[], Any]) -> tuple[Any, str | None]:
    """Run a database call; a refusal comes back as its message, never a traceback.

    Only expected refusals (`db.refusal_message`: a record refused, a setting
    out of range, a lock that outlasted the busy timeout, a full disk) become
    words. Anything else is a program error: its traceback goes to the
    owner-only log (`db.log_unexpected`), the app shows an error notification
    saying so and where the log is, and the message returned is a
    `ProgramError`.
    """
    try:
        return action(), None
    except Exception as exc:  # the clinician must see words, not a traceback
        refusal = db.refusal_message(exc)
        if refusal is not None:
            return None, refusal
        where = db.log_unexpected(f"clinician app: {getattr(action, '__qualname__', action)}")
        message = ProgramError(program_error_text(exc, where))
        try:
            active_app.get().notify(
                message, title="Program error", severity="error", timeout=60, markup=False
            )
        except LookupError:  # called outside a running app (a test of the helper)
            pass
        return None, message


def notify_refusal(widget, error: str | None) -> None:
    """Show a refusal as an error notification (a program error was notified by `guarded`)."""
    if error and not isinstance(error, ProgramError):
        widget.notify(error, severity="error")


def program_error_text(exc: BaseException, where: Path | None) -> str:
    """What a clinician reads after a program error: nothing saved, not their input, where the log is."""
    log = f"the details are in {where}" if where else "the details could not be logged"
    return (
        f"Nothing was saved: a program error stopped it ({type(exc).__name__}), not your input; "
        f"{log}. Please tell whoever looks after this program."
    )
