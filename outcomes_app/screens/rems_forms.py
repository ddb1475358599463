"""The REMS forms list (`e` on the patient list): esketamine forms due and overdue (issue 26).

Like the follow-ups list: one row per esketamine session whose Patient
Monitoring Form is not yet marked submitted, overdue first, each by its
deadline (the session's date + 7 days, `outcomes.rems`). Enter opens that
session's screen, where ctrl+f marks the form submitted.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static

from outcomes import wording
from outcomes.rems import OVERDUE, form_list
from outcomes.timepoints import parse_timepoint
from outcomes.wording.rems import counts_words
from outcomes_app.clinic import Clinic
from outcomes_app.errors import guarded
from outcomes_app.footer import KeyFooter
from outcomes_app.markup import literal
from outcomes_app.widgets import Table


class RemsFormsScreen(Screen):
    """Esketamine sessions whose REMS monitoring form is due or overdue."""

    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("enter", "open", "Open session", show=False),
    ]
    AUTO_FOCUS = "#rems-forms"

    def __init__(self, clinic: Clinic) -> None:
        super().__init__()
        self.clinic = clinic
        self.rows = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="rems-summary")
        table = Table(id="rems-forms", cursor_type="row", zebra_stripes=True)
        for label in ("ID", "Name", "Session", "Deadline", "State", "Days"):
            table.add_column(label, key=label)
        yield table
        yield KeyFooter()

    def on_mount(self) -> None:
        self.sub_title = "REMS forms due"
        self.reload()

    def reload(self) -> None:
        from db.rems import esketamine_sessions, submissions_of

        database, today = self.clinic.database, self.clinic.today
        rows, error = guarded(
            lambda: form_list(
                esketamine_sessions(database), submissions_of(database), today, due_only=True
            )
        )
        summary = self.query_one("#rems-summary", Static)
        if error:
            summary.update(Text(f"The REMS forms could not be read: {error}"))
            return
        self.rows = rows
        names = {r.patient_id: r.name for r in (self.clinic.rows or [])}
        table = self.query_one("#rems-forms", DataTable)
        table.clear()
        for i, r in enumerate(rows):
            state = r.state
            late = state.state == OVERDUE
            table.add_row(
                literal(r.patient_id),
                literal(names.get(r.patient_id) or ""),
                r.session_at.replace("T", " "),
                state.deadline.isoformat(),
                Text(state.state, style="bold red" if late else "yellow"),
                f"{-state.days_left} late" if late else f"{state.days_left} left",
                key=str(i),
            )
        summary.update(
            Text(
                f"Spravato REMS Patient Monitoring Forms on {today.isoformat()}: "
                f"{counts_words([r.state for r in rows])} "
                f"({wording.plural(len(rows), 'form')} not yet marked submitted; due within 7 days "
                "of the session). Enter opens the session; ctrl+f there marks the form submitted."
            )
        )

    @on(DataTable.RowSelected)
    def action_open(self) -> None:
        table = self.query_one("#rems-forms", DataTable)
        if not table.row_count:
            return
        key = table.coordinate_to_cell_key((table.cursor_row, 0)).row_key.value
        row = self.rows[int(key)]
        from outcomes_app.screens.session import SessionScreen

        name = next(
            (r.name for r in self.clinic.rows or [] if r.patient_id == row.patient_id), None
        )
        screen = SessionScreen(self.clinic, row.patient_id, parse_timepoint(row.session_at), name)
        self.app.push_screen(screen, lambda _: self.reload())


__all__ = ["RemsFormsScreen"]
