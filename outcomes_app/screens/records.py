"""The clinician app's side screens: a record's history, follow-ups due, settings, the help text.

Each is reached from the patient list or a patient (see `tui`) and reads
through `db/` and `outcomes/`; the settings screen writes through
`db.set_setting`, which validates and audits.
"""

from __future__ import annotations

from typing import Any, Callable

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Header, Label, Static

import db
from outcomes import wording
from outcomes.followup import OVERDUE
from outcomes.settings import SETTING_SPECS, format_value
from outcomes.status import PatientStatus
from outcomes.terminal_text import terminal_safe
from outcomes_app.audit_text import history_block
from outcomes_app.clinic import SETTINGS_UNREADABLE, Clinic, followup_due
from outcomes_app.errors import guarded
from outcomes_app.footer import KeyFooter
from outcomes_app.help import HelpScreen
from outcomes_app.markup import literal, safe_markup
from outcomes_app.messages import OpenPatient, SettingsChanged
from outcomes_app.modals import TextModal
from outcomes_app.saving import write_off_thread
from outcomes_app.widgets import AlertBanner, Table


class HistoryScreen(Screen):
    """Audit rows in clinic words: one record's versions (oldest first) or a whole patient's (newest first)."""

    BINDINGS = [Binding("escape", "app.pop_screen", "Back")]

    def __init__(
        self,
        patient_id: str,
        status: PatientStatus | None,
        title: str,
        load: Callable[[], Any],
        empty: str = "Nothing recorded yet.",
    ) -> None:
        super().__init__()
        self.patient_id, self.status, self.title_text = patient_id, status, title
        self.load, self.empty = load, empty

    def compose(self) -> ComposeResult:
        yield Header()
        yield AlertBanner(id="banner")
        yield Label(Text(self.title_text), classes="form-title")
        with VerticalScroll(id="history"):
            yield Static("", id="history-text")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.sub_title = "History"
        self.query_one("#banner", AlertBanner).show(self.status)
        frame, error = guarded(self.load)
        target = self.query_one("#history-text", Static)
        if error:
            target.update(Text(f"The history could not be read: {error}"))
        elif frame is None or frame.empty:
            target.update(self.empty)
        else:
            target.update(history_block(frame.to_dict("records")))


class FollowUpScreen(Screen):
    """Patients whose next follow-up assessment is due or overdue."""

    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("enter", "open", "Open", show=False),
    ]
    AUTO_FOCUS = "#followups"

    def __init__(self, clinic: Clinic) -> None:
        super().__init__()
        self.clinic = clinic

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="followup-summary")
        table = Table(id="followups", cursor_type="row", zebra_stripes=True)
        for label in ("ID", "Name", "Follow-up", "Due on", "State", "Days late", "Course"):
            table.add_column(label, key=label)
        yield table
        yield KeyFooter()

    def on_mount(self) -> None:
        self.sub_title = "Follow-ups due"
        followups = self.clinic.followup_map()
        rows = [r for r in (self.clinic.rows or []) if followup_due(followups.get(r.patient_id))]
        rows.sort(key=lambda r: (-followups[r.patient_id].days_late, r.patient_id))
        table = self.query_one("#followups", Table)
        cells = []
        for r in rows:
            f = followups[r.patient_id]
            cells.append(
                (
                    r.patient_id,
                    (
                        literal(r.patient_id),
                        literal(r.name),
                        f"day {f.day}",
                        f.due_on.isoformat(),
                        Text(f.state, style="bold red" if f.state == OVERDUE else "yellow"),
                        str(f.days_late),
                        Text(r.course),  # "6/6 +1 booster", as in the list
                    ),
                )
            )
        # The course wraps rather than run past a narrow screen's edge.
        table.add_wrapped_rows(cells, self.size.width or self.app.size.width)
        schedule = ", ".join(str(d) for d in self.clinic.settings.followup_schedule_days)
        self.query_one("#followup-summary", Static).update(
            f"{wording.plural(len(rows), 'patient')} with a follow-up due or overdue on "
            f"{self.clinic.today.isoformat()} "
            f"(schedule: days {schedule} after the last induction infusion; setting followup_schedule_days)"
        )

    @on(DataTable.RowSelected)
    def action_open(self) -> None:
        table = self.query_one("#followups", DataTable)
        if table.row_count:
            key = table.coordinate_to_cell_key((table.cursor_row, 0)).row_key.value
            self.post_message(OpenPatient(str(key)))


class SettingsScreen(Screen):
    """Every clinic setting with its value; Enter edits it (validated)."""

    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("enter", "edit", "Edit", show=False),
    ]
    AUTO_FOCUS = "#settings"

    def __init__(self, clinic: Clinic) -> None:
        super().__init__()
        self.clinic = clinic

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(
            "Enter (or click) a setting to change it. Changes are validated and kept in the audit trail.",
            classes="intro",
        )
        table = Table(id="settings", cursor_type="row", zebra_stripes=True)
        for label in ("Setting", "Value", "Meaning"):
            table.add_column(label, key=label)
        yield table
        # The highlighted setting in full, with where its default comes from (the
        # table wraps each meaning to the screen's width and shortens long values).
        yield Static("", id="setting-detail")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.sub_title = "Settings"
        self.fill()

    def fill(self) -> None:
        table = self.query_one("#settings", DataTable)
        cursor = table.cursor_row
        table.clear()
        rows = []
        width = self.size.width or self.app.size.width
        longest = 24 if width >= 100 else 14  # a narrow screen leaves the room to the meaning
        for spec in SETTING_SPECS:
            value = format_value(getattr(self.clinic.settings, spec.key))
            if len(value) > longest:  # in full below the table, for the highlighted row
                value = value[: longest - 1] + "…"
            rows.append((spec.key, (spec.key, literal(value), Text(spec.description))))
        table.add_wrapped_rows(rows, width)
        table.move_cursor(row=cursor or 0)

    def on_resize(self) -> None:
        # The meanings wrap to the width: wrap them again at the new one.
        self.fill()

    @on(DataTable.RowHighlighted, "#settings")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        spec = SETTING_SPECS[event.cursor_row]
        value = format_value(getattr(self.clinic.settings, spec.key))
        self.query_one("#setting-detail", Static).update(
            f"[b]{spec.key}[/b] = {safe_markup(value)}\n{safe_markup(spec.description)} ({safe_markup(spec.source)}). "
            f"{safe_markup(allowed_values(spec))}"
        )

    @on(DataTable.RowSelected)
    def action_edit(self) -> None:
        table = self.query_one("#settings", DataTable)
        spec = SETTING_SPECS[table.cursor_row]
        secret = spec.kind == "secret"  # a staff code: typed afresh, never shown back
        current = "" if secret else format_value(getattr(self.clinic.settings, spec.key))

        async def save(values: dict[str, str]) -> str | None:  # refused values are told inline
            return (
                await write_off_thread(
                    self.app,
                    lambda: db.set_setting(
                        self.clinic.database, spec.key, values["value"], self.clinic.clinician
                    ),
                )
            )[1]

        def done(values) -> None:
            if values:
                error = self.clinic.reload_settings()
                if error:
                    self.notify(SETTINGS_UNREADABLE.format(error=error), severity="error")
                self.fill()
                self.post_message(SettingsChanged())  # every status depends on the settings
                shown = "a new code" if secret else values["value"]
                self.notify(terminal_safe(f"{spec.key} set to {shown}"), markup=False)

        self.app.push_screen(
            TextModal(
                f"Setting {spec.key}",
                [("value", "Value", current)],
                intro=f"{spec.description}. {allowed_values(spec)}".strip(),
                save=save,
                optional=("value",) if spec.optional and not secret else (),  # empty: not unset
            ),
            done,
        )


def allowed_values(spec) -> str:
    """What a setting accepts, in words ("Allowed: 90 to 250"), or "" when free text."""
    if spec.choices:
        return "Allowed: " + ", ".join(spec.choices) + "."
    if spec.minimum is not None and spec.maximum is not None:
        return f"Allowed: {spec.minimum:g} to {spec.maximum:g}."
    return "Empty means unset." if spec.optional else ""


#: The clinician app's help page (`HelpScreen`, shown by `OutcomesApp.action_help`).
HELP_TEXT = """\
[b]Everywhere[/b]
  ctrl+p      command palette: every action by name
  ? / f1      this help
  ctrl+t      light / dark theme
  q / ctrl+q  quit (q outside a text field)
  The footer shows the keys that fit the terminal's width; "? All keys"
  there means some were left out: every key is on this page.

[b]Patient list[/b]
  ↑ ↓ enter   move, open the patient
  pgup pgdn   a screen up or down; home / end: the first / last patient
  /           search by id or name
  1-9         sort by the n-th column shown (again: reverse); or click a
              column header; the sorted column's header carries ▲ or ▼
  filter      all, open alerts, follow-up due, relapsed, or a verdict
  a           add a patient        f   follow-ups due
  ,           settings             r   reload
  e           esketamine REMS monitoring forms due and overdue (7 days)

[b]Patient list columns[/b]
  Course      induction sessions given of those planned, then boosters:
              "3/6", "6/6 +2 boosters" ("none yet": no infusion so far)
  Latest      latest score on the chosen scale since the first infusion
  Band        its severity band
  Improved    the latest score against the baseline, by its direction:
              "60% better" (lower), "10% worse" (higher); sorts by the %
  Verdict     the N-session verdict (6 for ketamine, 8 for esketamine)
  Relief      relief days so far ("+": the relief is still going on)
  Names longer than 20 characters end in "…"; search finds the whole name.
  A narrow terminal drops Band first, then Latest, Course, Relief, Name.

[b]Patient[/b]
  The timeline opens each course with a bold "Course N start" row and the
  note given when it was started (h: its history, with the whole note);
  boosters, the infusions after the induction, read "Booster k (sN)" in colour.
  i   record an infusion (or an esketamine session, with its REMS form)
  s   enter an assessment (score)
  a   acknowledge safety alerts  e   edit the patient
  n   start a new course         p   pick the scale for chart and status
  c   correct the selected record (with a reason)
  x   retract the selected record (with a reason)
  h   history of the selected record (who changed what, when, why)
  l   everything recorded and changed for this patient, newest first
  r   write this patient's report (PDF and PNG)
  w   the patient's take-home page (a one-page PDF in ~/ketamine-outcomes-handouts)
  k   a one-time check-in link for the patient's phone (shown once)
  v   the session screen of the selected infusion (else the latest)
  esc back
  On a small terminal the status scrolls in its box: tab to it, then ↑ ↓.

[b]Session[/b] (readings through a session, its end and discharge)
  The time is filled with now during the session; or type 09:40, or +40
  (minutes after the start). The last reading's values are offered; typing
  replaces them. Blood pressure as 120/80. Enter saves the reading.
  ctrl+e  end of the session and discharge   ctrl+r  write the record PDF
  ctrl+k  acknowledge safety alerts          esc     back
  ctrl+g  esketamine: fill in the REMS monitoring form's fields
  ctrl+f  esketamine: mark the REMS monitoring form submitted today

[b]Forms[/b]
  tab / shift+tab   next / previous field
  ctrl+s            save (nothing is saved while a field is refused)
  esc               cancel
"""


def clinician_help() -> HelpScreen:
    """The clinician app's help page."""
    return HelpScreen(HELP_TEXT, title="Keys", box_classes="dialog help")
