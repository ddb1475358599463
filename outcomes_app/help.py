"""The help page of both apps: one modal with the keys and the words used.

The clinician app shows its key list with a title and a Close button
(`outcomes_app.screens.records.HELP_TEXT`); patient mode shows its plain
page (`outcomes_app.patient_mode.words.HELP_TEXT`). Each app's stylesheet places
the box (`.dialog.help` in clinician.tcss, `#help-box` in patient_mode.tcss).
"""

from __future__ import annotations

from rich.console import RenderableType
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static


class HelpScreen(ModalScreen[None]):
    """One page of help; Escape, q, ? or F1 closes it.

    Args:
        body: The page (markup text, or a Rich `Text` shown literally).
        title: A heading above the page, with a Close button below it; none when empty.
        box_id: The scrolling box's id, for the app's stylesheet.
        box_classes: The scrolling box's classes, for the app's stylesheet.
    """

    BINDINGS = [Binding("escape,q,question_mark,f1", "close", "Close help")]

    def __init__(
        self,
        body: RenderableType,
        *,
        title: str = "",
        box_id: str | None = None,
        box_classes: str = "",
    ) -> None:
        super().__init__()
        self.body, self.title_text = body, title
        self.box_id, self.box_classes = box_id, box_classes

    def compose(self) -> ComposeResult:
        with VerticalScroll(id=self.box_id, classes=self.box_classes):
            if self.title_text:
                yield Label(self.title_text, classes="dialog-title")
            yield Static(self.body, id="help-text")
            if self.title_text:
                yield Button("Close (esc)", id="close")

    @on(Button.Pressed, "#close")
    def action_close(self) -> None:
        self.dismiss(None)
