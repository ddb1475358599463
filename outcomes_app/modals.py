"""The app's dialogs: a yes/no question, a small text form, acknowledging safety alerts.

`TextModal` and `AcknowledgeModal` can write before they close
(`SavesBeforeClosing`): a refusal stays in the dialog with what was typed.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable, Iterable

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, SelectionList, Static

from outcomes.status import PatientStatus
from outcomes.typed_text import text_problem
from outcomes_app.markup import words
from outcomes_app.widgets import TickList, key_hint


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
