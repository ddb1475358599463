"""Shared pieces of the clinician app: words, guarded writes, the alert banner and modals.

Everything here is used by more than one screen of `outcomes_app.screens`;
it imports none of them, so they
can all import it at module level without a cycle.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Awaitable, Callable, Iterable

from rich.segment import Segment
from rich.text import Text
from textual import on
from textual._context import active_app
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen, Screen
from textual.strip import Strip
from textual.widgets import Button, DataTable, Input, Label, SelectionList, Static
from textual.widgets.option_list import OptionDoesNotExist

import db
from outcomes.followup import DUE, OVERDUE, FollowUp
from outcomes.status import PatientStatus
from outcomes.terminal_text import terminal_safe
from outcomes.typed_text import text_problem
from outcomes.validation import Problem
from outcomes.verdict import VerdictValue

#: Verdict colours, by meaning rather than by theme (they read in light and dark).
VERDICT_STYLE = {
    VerdictValue.RESPONDER: "bold green",
    VerdictValue.NON_RESPONDER: "bold red",
    VerdictValue.INCOMPLETE: "yellow",
    VerdictValue.IN_PROGRESS: "cyan",
    VerdictValue.NO_BASELINE: "dim",
}
NO_VALUE = "–"


def words(value: str | None) -> str:
    """An identifier as words: ``non_responder`` -> ``non responder``."""
    return NO_VALUE if value is None else value.replace("_", " ")


def literal(text: Any) -> Text:
    """Stored text as the app shows it: never read as markup, control characters as escapes."""
    return Text(terminal_safe(str(text)))


def safe_markup(text: Any) -> str:
    """Stored text to put inside a markup string: shown as typed, control characters as escapes.

    Every "[" is escaped, not only those that look like a tag: a partial
    escape lets a "[" left in the text (as in an escaped ``\\x1b[5m``) pair
    with a later "]" and swallow what follows as a tag.
    """
    return terminal_safe(str(text)).replace("[", "\\[")


def problem_lines(problems: Iterable[Problem]) -> str:
    """Problems as one message per line (markup), each naming its field; typed values shown literally."""
    return "\n".join(f"• {safe_markup(p.message)}" for p in problems)


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


def followup_due(followup: FollowUp | None) -> bool:
    return followup is not None and followup.state in (DUE, OVERDUE)


# ---------------------------------------------------------------------------
# Small shared widgets and modals
# ---------------------------------------------------------------------------


class Table(DataTable):
    """A DataTable that repaints its rows once it has measured their columns.

    Textual 8's DataTable measures new rows' column widths when idle but keeps
    the rows it painted before that, at the old widths, in its render cache:
    when a paint came in between (a timing matter), the list showed "P0 Ada
    sessio" until the next key. Clearing the cache after measuring fixes it.
    """

    def _update_dimensions(self, new_rows) -> None:
        super()._update_dimensions(new_rows)
        self._clear_caches()


class TickList(SelectionList):
    """A SelectionList whose boxes read "[x]" ticked and "[ ]" not, without relying on colour.

    Textual draws every box as a coloured "X", ticked or not; a clinician on
    a monochrome terminal (or colour-blind) could not tell them apart.
    """

    def render_line(self, y: int) -> Strip:
        strip = super().render_line(y)
        segments = list(strip)
        try:
            selection = self.get_option_at_index(self.scroll_offset.y + y)
        except OptionDoesNotExist:
            return strip
        if len(segments) < 4:
            return strip
        left, inner, right = segments[:3]
        mark = "x" if selection.value in self._selected else " "
        return Strip(
            [
                Segment("[", left.style),
                Segment(mark, inner.style),
                Segment("]", right.style),
                *segments[3:],
            ],
            strip.cell_length,
        )


def key_hint(node: Any, action: str) -> str:
    """The key bound to `action` where `node` is, as the footer shows it ("a", "^k").

    Every key named in a banner, a summary line or a button comes from here,
    so that a hint can never name a key the screen does not have: the binding
    is the one home of its key. Looks in the node's screen, then the app.

    Raises:
        LookupError: when nothing there is bound to `action` (a programming error).
    """
    app = node.app
    screen = app.screen if node is app else node if isinstance(node, Screen) else node.screen
    for owner in (screen, app):
        for bindings in owner._bindings.key_to_bindings.values():
            for binding in bindings:
                if binding.action == action:
                    return app.get_key_display(binding)
    raise LookupError(f"no key is bound to {action!r} on {type(screen).__name__}")


class AlertBanner(Static):
    """Open safety alerts of one patient; hidden when there are none.

    The hint names the key of the screen's `acknowledge` action: "a" on the
    patient screen, ctrl+k on the session screen (where "a" is typed into fields).
    """

    def show(self, status: PatientStatus | None) -> None:
        alerts = status.open_alerts if status else []
        self.display = bool(alerts)
        if alerts:
            try:
                how = f"press [b]{safe_markup(key_hint(self, 'acknowledge'))}[/b] to acknowledge"
            except LookupError:  # a form: alerts are acknowledged from the patient screen
                how = "acknowledge on the patient screen"
            lines = [f"⚠ SAFETY ALERT ({len(alerts)} open) — {how}"]
            lines += [
                f"  {a.when.day.isoformat()}  {words(a.kind)}: {safe_markup(a.detail)}"
                for a in alerts[:3]
            ]
            if len(alerts) > 3:
                lines.append(f"  … and {len(alerts) - 3} more")
            self.update("\n".join(lines))


class ConfirmModal(ModalScreen[bool]):
    """A yes/no question; dismisses with True only on an explicit yes."""

    BINDINGS = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]

    def __init__(
        self, title: str, message: str, yes: str = "Yes, save", no: str = "Cancel"
    ) -> None:
        super().__init__()
        self.title_text, self.message, self.yes, self.no = title, message, yes, no

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="dialog-title")
            yield Static(self.message, id="message")
            with Horizontal(classes="buttons"):
                yield Button(
                    f"{self.yes} ({key_hint(self, 'answer(True)')})", variant="warning", id="yes"
                )
                yield Button(f"{self.no} ({key_hint(self, 'answer(False)')})", id="no")

    @on(Button.Pressed, "#yes")
    def _yes(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#no")
    def _no(self) -> None:
        self.dismiss(False)

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)


class SavesBeforeClosing:
    """A dialog that, given an async `save`, writes before it closes.

    `save` gets the dialog's result and returns None (saved: the dialog
    closes with the result) or the words of a refusal, shown in the dialog,
    which stays open with what was typed. One save at a time.
    """

    save: Callable[[Any], Awaitable[str | None]] | None = None
    _saving = False

    def finish(self, result: Any) -> None:
        if self.save is None:
            self.dismiss(result)
        elif not self._saving:
            self._saving = True
            self.run_worker(self._save_then_close(result), group="save")

    async def _save_then_close(self, result: Any) -> None:
        try:
            error = await self.save(result)
        finally:
            self._saving = False
        if error:
            self.query_one("#modal-error", Static).update(Text(error))
            return
        self.dismiss(result)


class TextModal(SavesBeforeClosing, ModalScreen["dict[str, str] | None"]):
    """A small form of required text fields (reason, name, note, date).

    `check` may refuse the values with a message, shown inline; nothing is
    returned until every field is filled and the check passes. With `save`
    the values are written before the dialog closes (`SavesBeforeClosing`).
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self,
        title: str,
        fields: list[tuple[str, str, str]],
        *,
        intro: str = "",
        ok: str = "Save",
        check: Callable[[dict[str, str]], str | None] | None = None,
        optional: Iterable[str] = (),
        save: Callable[[dict[str, str]], Awaitable[str | None]] | None = None,
    ) -> None:
        super().__init__()
        self.title_text, self.fields, self.intro, self.ok = title, fields, intro, ok
        self.check, self.save = check, save
        self.optional = set(optional)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="dialog-title")
            if self.intro:
                yield Static(self.intro, classes="intro")
            for key, label, value in self.fields:
                yield Label(label)
                yield Input(value=value, id=f"m-{key}")
            yield Static("", id="modal-error", classes="errors")
            with Horizontal(classes="buttons"):
                yield Button(self.ok, variant="primary", id="ok")
                yield Button("Cancel", id="cancel")

    def values(self) -> dict[str, str]:
        return {key: self.query_one(f"#m-{key}", Input).value.strip() for key, _, _ in self.fields}

    @on(Input.Submitted)
    @on(Button.Pressed, "#ok")
    def submit(self) -> None:
        values = self.values()
        missing = [
            label for key, label, _ in self.fields if not values[key] and key not in self.optional
        ]
        error = f"required: {', '.join(missing)}" if missing else None
        if error is None and self.check is not None:
            error = self.check(values)
        if error:
            self.query_one("#modal-error", Static).update(Text(error))  # may quote what was typed
            return
        self.finish(values)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class AcknowledgeModal(SavesBeforeClosing, ModalScreen["tuple[list[str], str, str] | None"]):
    """Acknowledge open alerts: which ones, the clinician's name and a note (saved by `save`)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self,
        status: PatientStatus,
        clinician: str,
        save: Callable[[tuple[list[str], str, str]], Awaitable[str | None]] | None = None,
    ) -> None:
        super().__init__()
        self.status, self.clinician, self.save = status, clinician, save

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):  # wide: an alert's detail is read in full
            yield Label(
                f"Acknowledge safety alerts of {self.status.patient_id}", classes="dialog-title"
            )
            yield TickList(
                *[
                    (f"{a.when.day.isoformat()} {words(a.kind)}: {a.detail}", a.key, True)
                    for a in self.status.open_alerts
                ],
                id="alerts",
            )
            yield Label("Clinician name")
            yield Input(self.clinician, id="m-who")
            yield Label("Note (what was done)")
            yield Input(id="m-note", placeholder="e.g. safety plan reviewed, no active intent")
            yield Static("", id="modal-error", classes="errors")
            with Horizontal(classes="buttons"):
                yield Button("Acknowledge", variant="primary", id="ok")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#m-note", Input).focus()

    @on(Input.Submitted)
    @on(Button.Pressed, "#ok")
    def submit(self) -> None:
        keys = list(self.query_one("#alerts", SelectionList).selected)
        who = self.query_one("#m-who", Input).value.strip()
        note = self.query_one("#m-note", Input).value.strip()
        missing = [
            w for w, v in (("an alert", keys), ("clinician name", who), ("note", note)) if not v
        ]
        problem = (
            f"required: {', '.join(missing)}"
            if missing
            else text_problem(who, "clinician name") or text_problem(note, "note", note=True)
        )
        if problem:
            self.query_one("#modal-error", Static).update(Text(problem))
            return
        self.finish((keys, who, note))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
