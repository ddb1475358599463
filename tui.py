"""The clinician's terminal app: the app itself, the patient list and a patient's detail.

`make_app(db_path)` builds the Textual app that `outcomes` / `outcomes tui`
start (and the tests drive); with `patient=` it builds the read-only patient
mode of `tui_patient`. Every number shown comes from `outcomes/` and every
write goes through `db/`; the clinic-wide analysis runs in a thread worker
with its own SQLite connection, so 10,000 patients never freeze the screen.

The other screens live beside this module: the forms for a patient, an
infusion and an assessment in `tui_forms`; the history, follow-ups, settings
and help screens in `tui_screens`; the list rows, timeline and status text
in `tui_text`; the alert banner, table and modals shared by all of them in
`tui_widgets`. Their names are re-exported here, so `tui.X` keeps working
for the tests, the benchmark and the CLI.
"""

from __future__ import annotations

import gc
import getpass
import os
from datetime import date
from pathlib import Path
from time import perf_counter
from typing import Any, Iterable

from rich.markup import escape
from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input, Select, Static
from textual.widgets.data_table import ColumnKey
from textual.worker import get_current_worker

import db
from outcomes.course import courses_of
from outcomes.followup import FollowUp, next_followup
from outcomes.records import Assessment, Infusion, PatientData
from outcomes.scales import OUTCOME_SCALE_IDS, SCALES, get_scale
from outcomes.settings import Settings
from outcomes.status import PatientStatus, analyse_clinic, analyse_patient
from outcomes.timepoints import TimeFormatError, parse_timepoint
from outcomes.verdict import VERDICTS
from tui_forms import INFUSION_FIELDS, AssessmentForm, FormScreen, InfusionForm, PatientForm
from tui_text import (
    BOOSTER_STYLE, LIST_COLUMNS, NAME_WIDTH, SORT_BY, PatientRow, course_notes, patient_names,
    status_text, timeline_rows,
)
from tui_screens import HELP_TEXT, FollowUpScreen, HelpScreen, HistoryScreen, SettingsScreen, history_entry
from tui_widgets import (
    NO_VALUE,
    VERDICT_STYLE,
    AcknowledgeModal,
    AlertBanner,
    ConfirmModal,
    Table,
    TextModal,
    followup_due,
    guarded,
    one_transaction,
    problem_lines,
    words,
)

__all__ = [  # the names tests and callers use as `tui.X`, wherever they live
    "OutcomesApp", "make_app", "PatientListScreen", "PatientScreen", "PatientRow", "SEARCH_DELAY",
    "LIST_COLUMNS", "NAME_WIDTH", "BOOSTER_STYLE", "timeline_rows", "status_text",
    "FormScreen", "PatientForm", "InfusionForm", "AssessmentForm", "INFUSION_FIELDS",
    "HistoryScreen", "FollowUpScreen", "SettingsScreen", "HelpScreen", "HELP_TEXT", "history_entry",
    "AlertBanner", "ConfirmModal", "TextModal", "AcknowledgeModal", "Table",
    "NO_VALUE", "VERDICT_STYLE", "followup_due", "guarded", "one_transaction", "problem_lines", "words",
]

#: Up to this many patients the follow-ups are computed with the list (a
#: tenth of a second); beyond, only when the follow-up view or filter asks,
#: so that 10,000 patients reach the screen sooner.
FOLLOWUPS_WITH_LIST_MAX = 2_000


class ClinicLoaded(Message):
    """The worker finished analysing the clinic."""

    def __init__(self, rows: list[PatientRow], statuses: dict[str, PatientStatus],
                 followups: dict[str, FollowUp | None] | None,
                 settings: Settings, scale: str, seconds: float) -> None:
        super().__init__()
        self.rows = rows
        self.followups = followups
        self.statuses = statuses
        self.settings = settings
        self.scale = scale
        self.seconds = seconds


class ClinicLoadFailed(Message):
    """The worker could not read the database; `reason` says why in words."""

    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason


# ---------------------------------------------------------------------------
# The patient list
# ---------------------------------------------------------------------------

SEARCH_DELAY = 0.15  # seconds of no typing before the list is filtered

FILTERS = [("All patients", "all"), ("Open alerts", "alerts"), ("Follow-up due", "followup")] + [
    (f"Verdict: {words(v)}", v) for v in VERDICTS
]


class PatientListScreen(Screen):
    """Every patient with course progress, latest score, verdict and alerts."""

    AUTO_FOCUS = "#patients"
    BINDINGS = [
        Binding("enter", "open_patient", "Open", show=False),
        Binding("slash", "search", "Search"),
        Binding("a", "add_patient", "Add patient"),
        Binding("f", "followups", "Follow-ups"),
        Binding("comma", "settings", "Settings"),
        Binding("1", "sort(0)", "Sort 1-9"),
        *[Binding(str(i + 1), f"sort({i})", show=False) for i in range(1, len(LIST_COLUMNS))],
        Binding("r", "reload", "Reload"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.sort_column = 0
        self.sort_reverse = False
        self.shown: list[PatientRow] = []
        self._search_timer = None
        self._needle = ""

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="list-bar"):
            yield Input(placeholder="Search id or name  ( / )", id="search")
            yield Select(FILTERS, value="all", allow_blank=False, id="filter")
            yield Select([(get_scale(s).name, s) for s in OUTCOME_SCALE_IDS],
                         allow_blank=False, id="list-scale")
        yield Static("Loading patients…", id="list-summary")
        table = Table(id="patients", cursor_type="row", zebra_stripes=True)
        for label, key in LIST_COLUMNS:
            table.add_column(label, key=key)
        yield table
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "Patients"
        if self.app.database is None:
            return  # the app is exiting: the database could not be opened
        with self.prevent(Select.Changed):
            self.query_one("#list-scale", Select).value = self.app.list_scale
        if self.app.rows is not None:
            self.show_rows()  # the worker, started by the app, was quicker than this screen
        else:
            self.query_one("#list-summary", Static).update("Loading and analysing patients…")

    # ----- filling the table -------------------------------------------
    def visible_rows(self) -> list[PatientRow]:
        """The app's rows after search and filter, in the chosen order."""
        rows = self.app.rows
        needle = self._needle = self.query_one("#search", Input).value.strip().lower()
        if needle:
            rows = [r for r in rows if needle in r.patient_id.lower() or needle in r.name.lower()]
        choice = self.query_one("#filter", Select).value
        if choice == "alerts":
            rows = [r for r in rows if r.alerts]
        elif choice == "followup":
            due = self.app.followup_map()
            rows = [r for r in rows if followup_due(due.get(r.patient_id))]
        elif choice in VERDICTS:
            rows = [r for r in rows if r.verdict == choice]
        attr = LIST_COLUMNS[self.sort_column][1]
        attr = SORT_BY.get(attr, attr)
        present = [r for r in rows if getattr(r, attr) is not None]
        missing = [r for r in rows if getattr(r, attr) is None]
        present.sort(key=lambda r: getattr(r, attr), reverse=self.sort_reverse)
        return present + missing  # unknown values last in either direction

    def show_rows(self) -> None:
        """Refill the table in one go from the app's rows."""
        table = self.query_one("#patients", DataTable)
        self.shown = self.visible_rows()
        table.clear()
        table.add_rows(row.cached_cells or row.cells() for row in self.shown)
        for index, (label, key) in enumerate(LIST_COLUMNS):
            arrow = (" ▼" if self.sort_reverse else " ▲") if index == self.sort_column else ""
            table.columns[ColumnKey(key)].label = Text(label + arrow)
        self.update_summary()
        table.refresh()

    def update_summary(self) -> None:
        total = len(self.app.rows)
        alerts = sum(1 for r in self.app.rows if r.alerts)
        followups = self.app.followups
        due = "? (press f)" if followups is None else sum(1 for f in followups.values() if followup_due(f))
        summary = f"{len(self.shown)} of {total} patients · scale {get_scale(self.app.list_scale).name}"
        summary += f" · {alerts} with open alerts · {due} follow-ups due"
        if not total:
            summary = "No patients yet: press a to add one."
        self.query_one("#list-summary", Static).update(summary)

    def replace_row(self, row: PatientRow) -> None:
        """Update one patient's cells in place (cheap with 10,000 rows)."""
        table = self.query_one("#patients", DataTable)
        for index, shown in enumerate(self.shown):
            if shown.patient_id == row.patient_id:
                self.shown[index] = row
                for column, cell in enumerate(row.cells()):
                    table.update_cell_at((index, column), cell, update_width=True)
                break
        self.update_summary()

    @on(Input.Changed, "#search")
    def _search_typed(self, event: Input.Changed) -> None:
        # Refill once typing pauses, not on every key: with 10,000 rows a refill is noticeable.
        if event.value.strip().lower() == self._needle:
            return  # e.g. the Changed the input posts when it mounts
        if self._search_timer is not None:
            self._search_timer.stop()
        self._search_timer = self.set_timer(SEARCH_DELAY, self._refilter)

    @on(Select.Changed, "#filter")
    def _refilter(self) -> None:
        if self.app.rows is not None:
            self.show_rows()

    @on(Select.Changed, "#list-scale")
    def _scale_changed(self, event: Select.Changed) -> None:
        if event.value != self.app.list_scale and event.value in SCALES:
            self.app.list_scale = event.value
            self.action_reload()

    @on(Input.Submitted, "#search")
    def _search_done(self) -> None:
        self.query_one("#patients", DataTable).focus()

    @on(DataTable.HeaderSelected, "#patients")
    def _header_clicked(self, event: DataTable.HeaderSelected) -> None:
        self.action_sort(event.column_index)

    @on(DataTable.RowSelected, "#patients")
    def _row_chosen(self) -> None:
        self.action_open_patient()

    # ----- actions ------------------------------------------------------
    def action_sort(self, column: int) -> None:
        """Sort by a column; the same column again reverses the order."""
        if column == self.sort_column:
            self.sort_reverse = not self.sort_reverse
        else:
            self.sort_column, self.sort_reverse = column, False
        if self.app.rows is not None:
            self.show_rows()

    def selected_patient(self) -> str | None:
        table = self.query_one("#patients", DataTable)
        if not self.shown or table.cursor_row is None or table.cursor_row >= len(self.shown):
            return None
        return self.shown[table.cursor_row].patient_id

    def action_open_patient(self) -> None:
        pid = self.selected_patient()
        if pid is not None:
            self.app.open_patient(pid)

    def action_search(self) -> None:
        self.query_one("#search", Input).focus()

    def action_add_patient(self) -> None:
        self.app.action_add_patient()

    def action_followups(self) -> None:
        self.app.action_followups()

    def action_settings(self) -> None:
        self.app.action_settings()

    def action_reload(self) -> None:
        # A plain "Loading" line rather than an animated indicator: an animation
        # would compete with the worker for the interpreter while it analyses.
        self.query_one("#list-summary", Static).update("Loading and analysing patients…")
        self.app.load_clinic()


# ---------------------------------------------------------------------------
# One patient
# ---------------------------------------------------------------------------


def load_patient(app: "OutcomesApp", pid: str, scale_id: str) -> tuple[PatientData, PatientStatus, dict, Any]:
    """One patient's records and status on one scale (one patient read only)."""
    data = db.load_clinic(app.database, patient_id=pid)
    patient = data.by_patient().get(pid) or PatientData(pid)
    status = analyse_patient(patient, scale_id, app.settings, app.today, data.acknowledged)
    info = db.get_patient(app.database, pid) or {"patient_id": pid}
    return patient, status, info, data


def make_chart(status: PatientStatus | None):
    """The terminal chart of `tui_chart`, or a placeholder until it exists."""
    try:
        from tui_chart import ScoreChart
    except ImportError:
        return Static("(chart: tui_chart.ScoreChart not available)", id="chart")
    return ScoreChart(status, id="chart")


class PatientScreen(Screen):
    """A patient's course: timeline, status and its rule, chart, CADSS and side effects."""

    AUTO_FOCUS = "#timeline"
    #: Below 110 columns the chart would be squeezed to a sliver beside the
    #: timeline; `-narrow` (tui.tcss) gives each side half the width instead.
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]
    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("i", "infusion", "Infusion"),
        Binding("s", "assessment", "Score"),
        Binding("a", "acknowledge", "Acknowledge"),
        Binding("e", "edit_patient", "Edit"),
        Binding("n", "new_course", "New course"),
        Binding("c", "correct", "Correct"),
        Binding("x", "retract", "Retract"),
        Binding("h", "history", "History"),
        Binding("p", "pick_scale", "Scale", show=False),
    ]

    def __init__(self, patient_id: str) -> None:
        super().__init__()
        self.patient_id = patient_id
        self.patient: PatientData = PatientData(patient_id)
        self.status: PatientStatus | None = None
        self.info: dict = {"patient_id": patient_id}
        #: Course number -> the note given when a clinician started it.
        self.course_notes: dict[int, str] = {}
        self.scale_id = ""
        #: The timeline key to select after the next reload (a record just saved).
        self.select_after_reload: str | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield AlertBanner(id="banner")
        with Horizontal(id="patient-bar"):
            yield Static("", id="patient-info")
            yield Select([(get_scale(s).name, s) for s in OUTCOME_SCALE_IDS],
                         allow_blank=False, id="scale")
        with Horizontal(id="detail-body"):
            with Vertical(id="detail-left"):
                yield Static("", id="status-panel")
                table = Table(id="timeline", cursor_type="row", zebra_stripes=True)
                for label in ("When", "C", "Session", "Record"):
                    table.add_column(label, key=label.lower())
                yield table
            with Vertical(id="detail-right"):
                yield make_chart(None)
                side = Table(id="per-infusion", cursor_type="row")
                for label in ("#", "Date", "CADSS", "Side effects"):
                    side.add_column(label, key=label)
                yield side
        yield Footer()

    def on_mount(self) -> None:
        self.scale_id = self.app.settings.primary_scale
        self.reload(first=True)

    def reload(self, first: bool = False) -> None:
        """Read this patient again (one patient only) and redraw everything."""
        result, error = guarded(lambda: load_patient(self.app, self.patient_id, self.scale_id))
        if error:
            self.notify(error, severity="error")
            return
        self.patient, self.status, self.info, data = result
        self.course_notes = course_notes(data.courses)
        if first and not self.patient.of_scale(self.scale_id):
            # Open on a scale this patient actually has, if the primary one is empty.
            used = [s for s in OUTCOME_SCALE_IDS if self.patient.of_scale(s)]
            if used:
                self.scale_id = used[0]
                self.status = analyse_patient(self.patient, self.scale_id, self.app.settings,
                                              self.app.today, data.acknowledged)
        with self.prevent(Select.Changed):
            self.query_one("#scale", Select).value = self.scale_id
        self.redraw()
        if not first:
            self.app.refresh_row(self.patient_id)  # the list row follows the change

    def redraw(self) -> None:
        status = self.status
        info = self.info
        self.sub_title = f"{self.patient_id} {info.get('name') or ''}".strip()
        bits = [f"[b]{escape(self.patient_id)}[/b]", escape(info.get("name") or "(no name)")]
        if info.get("birth_date"):
            bits.append(f"born {info['birth_date']}")
        if info.get("weight_kg"):
            bits.append(f"{float(info['weight_kg']):g} kg")
        if status and status.course_count:
            bits.append(f"course {status.course.number} of {status.course_count}")
        self.query_one("#patient-info", Static).update(" · ".join(bits))
        self.query_one("#banner", AlertBanner).show(status)
        self.query_one("#status-panel", Static).update(status_text(status, self.app.today))
        table = self.query_one("#timeline", DataTable)
        selected = self.selected_record()
        table.clear()
        rows = timeline_rows(self.patient, self.app.settings, self.course_notes)
        for key, cells in rows:
            table.add_row(*cells, key=key)
        if rows:
            # The same record stays selected (a corrected record keeps its place,
            # under its new id); a first view or a new record selects the latest.
            keys = [key for key, _ in rows]
            wanted = self.select_after_reload or (f"{selected[0]}:{selected[1]}" if selected else None)
            self.select_after_reload = None
            index = keys.index(wanted) if wanted in keys else len(keys) - 1
            table.move_cursor(row=index)
        chart = self.query_one("#chart")
        if hasattr(chart, "show"):
            chart.show(status)
        side = self.query_one("#per-infusion", DataTable)
        side.clear()
        cadss = {a.infusion_id: a for a in self.patient.assessments if a.scale == "cadss" and a.infusion_id}
        for course in courses_of(self.patient):
            for number, inf in enumerate(course.infusions, start=1):
                dissociation = cadss.get(inf.id)
                label = f"{course.number}.{number}"
                if course.is_booster(inf, self.app.settings.induction_sessions):
                    label = Text(label + " B", style=BOOSTER_STYLE)  # "B": booster, as in the timeline
                side.add_row(
                    label, inf.when.day.isoformat(),
                    NO_VALUE if dissociation is None else str(dissociation.total),
                    ", ".join(words(e) for e in inf.side_effects) or NO_VALUE,
                    key=f"infusion:{inf.id}",
                )

    @on(Select.Changed, "#scale")
    def _scale_changed(self, event: Select.Changed) -> None:
        if event.value in SCALES and event.value != self.scale_id:
            self.scale_id = event.value
            self.reload()

    def on_resize(self) -> None:
        # A resize (and the narrow layout, which settles after the first draw)
        # moves the timeline: keep the selected record in view.
        table = self.query_one("#timeline", DataTable)
        if table.row_count:
            self.call_after_refresh(lambda: table.move_cursor(row=table.cursor_row))

    # ----- the selected record -------------------------------------------
    def selected_record(self) -> tuple[str, int] | None:
        """("assessment" | "infusion", id) of the timeline's cursor row."""
        table = self.query_one("#timeline", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key((table.cursor_row, 0)).row_key.value
        kind, _, ident = str(key).partition(":")
        return (kind, int(ident)) if ident.isdigit() else None

    def record(self, kind: str, ident: int) -> Infusion | Assessment | None:
        """The selected infusion or assessment (None for a course-start row)."""
        records = {"infusion": self.patient.infusions, "assessment": self.patient.assessments}.get(kind, ())
        return next((r for r in records if r.id == ident), None)

    def correctable(self) -> tuple[str, int] | None:
        """The selected infusion or assessment, or None after telling the clinician why not."""
        selected = self.selected_record()
        if selected is None or selected[0] not in ("infusion", "assessment"):
            # A course-start row is not a record that can be corrected or retracted here.
            self.notify("Select an infusion or assessment in the timeline first.")
            return None
        return selected

    # ----- actions ---------------------------------------------------------
    def action_back(self) -> None:
        self.app.pop_screen()

    def action_pick_scale(self) -> None:
        self.query_one("#scale", Select).focus()

    def action_infusion(self) -> None:
        self.app.push_screen(InfusionForm(self.patient_id, self.info, self.status), self._after_save)

    def action_assessment(self) -> None:
        self.app.push_screen(AssessmentForm(self.patient_id, self.patient, self.status, self.scale_id),
                             self._after_save)

    def action_edit_patient(self) -> None:
        self.app.push_screen(PatientForm(self.info, self.status), self._after_save)

    def _after_save(self, saved: Any) -> None:
        if saved:
            if isinstance(saved, str):
                self.select_after_reload = saved  # the saved record is selected after the reload
            self.reload()

    def action_acknowledge(self) -> None:
        if not self.status or not self.status.open_alerts:
            self.notify("No open alerts for this patient.")
            return

        def done(answer) -> None:
            if not answer:
                return
            keys, who, note = answer
            for key in keys:
                _, error = guarded(lambda key=key: db.acknowledge_alert(self.app.database, self.patient_id, key, who, note))
                if error:
                    self.notify(error, severity="error")
                    break
            self.reload()

        self.app.push_screen(AcknowledgeModal(self.status, self.app.clinician), done)

    def action_new_course(self) -> None:
        def check(values: dict[str, str]) -> str | None:
            try:
                when = parse_timepoint(values["date"])
            except TimeFormatError as exc:
                return f"start date: {exc}"
            if when.day > self.app.today:
                return f"start date {when.iso()} is in the future (today is {self.app.today.isoformat()})"
            return None

        def done(values) -> None:
            if not values:
                return
            number, error = guarded(lambda: db.start_course(
                self.app.database, self.patient_id, parse_timepoint(values["date"]),
                self.app.clinician, values.get("note") or None))
            if error:
                self.notify(error, severity="error")
            else:
                self.select_after_reload = f"course:{number}"  # the new course's start row, in view
            self.reload()

        self.app.push_screen(TextModal(
            f"Start a new course for {self.patient_id}",
            [("date", "Start date (YYYY-MM-DD)", self.app.today.isoformat()), ("note", "Note", "")],
            intro="Later infusions count from session 1 of the new course.",
            ok="Start course", check=check, optional=("note",)), done)

    def action_correct(self) -> None:
        selected = self.correctable()
        if selected is None:
            return
        kind, ident = selected
        record = self.record(kind, ident)
        if isinstance(record, Infusion):
            self.app.push_screen(InfusionForm(self.patient_id, self.info, self.status, correcting=record),
                                 self._after_save)
        elif isinstance(record, Assessment):
            self.app.push_screen(AssessmentForm(self.patient_id, self.patient, self.status, record.scale,
                                                correcting=record), self._after_save)

    def action_retract(self) -> None:
        selected = self.correctable()
        if selected is None:
            return
        kind, ident = selected

        def done(values) -> None:
            if not values:
                return
            _, error = guarded(lambda: db.retract(self.app.database, kind, ident, values["reason"], self.app.clinician))
            if error:
                self.notify(error, severity="error")
            self.reload()

        self.app.push_screen(TextModal(
            f"Retract {kind} {ident}", [("reason", "Reason (kept in the audit trail)", "")],
            intro="The record stops counting; it is kept, with who, when and why.",
            ok="Retract"), done)

    def action_history(self) -> None:
        selected = self.selected_record()
        if selected is None:
            self.notify("Select an infusion or assessment in the timeline first.")
            return
        kind, ident = selected
        if kind == "course":
            ident = f"{self.patient_id}:{ident}"  # the audit trail keys a course by patient and number
        self.app.push_screen(HistoryScreen(self.patient_id, self.status, kind, ident))


# ---------------------------------------------------------------------------
# Forms
# ---------------------------------------------------------------------------

# ---------------------------------------------------------------------------
# The app
# ---------------------------------------------------------------------------


class PatientCommands(Provider):
    """Command-palette entries "Open patient <id> <name>" for every patient."""

    async def search(self, query: str) -> Hits:
        app = self.app
        matcher = self.matcher(query)
        found = 0
        for row in app.rows or []:
            text = f"Open patient {row.patient_id} {row.name}".strip()
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, matcher.highlight(text), lambda pid=row.patient_id: app.open_patient(pid),
                          help=f"{row.progress} · {words(row.verdict)}")
                found += 1
                if found >= 50:
                    break

    async def discover(self) -> Hits:
        for row in (self.app.rows or [])[:10]:
            yield DiscoveryHit(f"Open patient {row.patient_id} {row.name}".strip(),
                               lambda pid=row.patient_id: self.app.open_patient(pid))


class OutcomesApp(App):
    """The clinician's app over one SQLite file."""

    TITLE = "Ketamine outcomes"
    CSS_PATH = "tui.tcss"
    COMMANDS = App.COMMANDS | {PatientCommands}
    BINDINGS = [
        Binding("question_mark,f1", "help", "Help"),
        Binding("ctrl+t", "toggle_theme", "Theme"),
    ]

    def __init__(self, db_path: str | Path, *, today: date | None = None,
                 clinician: str | None = None, scale: str | None = None) -> None:
        super().__init__()
        self.db_path = Path(db_path)
        self._today = today
        self.clinician = clinician or ""
        self.list_scale = scale or ""
        self.database = None
        self.settings = Settings()
        self.rows: list[PatientRow] | None = None
        self.statuses: dict[str, PatientStatus] = {}
        #: Next follow-up per patient (None until asked for, in a large clinic).
        self.followups: dict[str, FollowUp | None] | None = None
        self.load_seconds: float | None = None

    @property
    def today(self) -> date:
        """Today's date; fixed in tests and snapshots."""
        return self._today or date.today()

    def get_default_screen(self) -> Screen:
        return PatientListScreen()

    def on_mount(self) -> None:
        self.theme = "textual-dark"
        database, error = guarded(lambda: db.connect(self.db_path))
        if error:
            self.exit(message=f"cannot open the database {self.db_path}: {error}", return_code=1)
            return
        self.database = database
        self.reload_settings()
        self.list_scale = self.list_scale or self.settings.primary_scale
        self.load_clinic()  # started before the screens compose: the list is the slow part
        if not self.clinician:
            self.ask_clinician()

    def on_unmount(self) -> None:
        if self.database is not None:
            self.database.conn.close()

    def ask_clinician(self) -> None:
        def done(values) -> None:
            self.clinician = (values or {}).get("who") or default_user()
            self.sub_title = f"clinician: {self.clinician}"

        self.push_screen(TextModal(
            "Who is using the app?", [("who", "Your name (recorded with every change)", default_user())],
            intro="Asked once per session; it goes into the audit trail.", ok="Start"), done)

    def reload_settings(self) -> None:
        settings, error = guarded(lambda: db.load_settings(self.database))
        if error:
            self.notify(f"settings could not be read, using defaults: {error}", severity="error")
        else:
            self.settings = settings

    # ----- the clinic-wide analysis, off the UI thread -------------------------
    @work(thread=True, exclusive=True, group="clinic")
    def load_clinic(self) -> None:
        """Read and analyse every patient with a connection of the worker's own."""
        started = perf_counter()
        worker = get_current_worker()
        scale, today = self.list_scale, self.today
        try:
            database = db.connect(self.db_path)
            try:
                settings = db.load_settings(database)
                scale = scale if scale in SCALES else settings.primary_scale
                data = db.load_clinic(database)
            finally:
                close = getattr(database, "close", None) or getattr(getattr(database, "conn", None), "close", None)
                if close:
                    close()
            gc.freeze()  # see on_clinic_loaded: keep the collector off what was just read
            names = patient_names(data)
            statuses = analyse_clinic(data, scale, settings, today)
            rows = [PatientRow.of(s, names.get(s.patient_id, "")) for s in statuses]
            followups = None
            if len(statuses) <= FOLLOWUPS_WITH_LIST_MAX:
                followups = {s.patient_id: next_followup(s, today) for s in statuses}
        except Exception as exc:  # shown as words on the list, never a traceback
            if not worker.is_cancelled:
                self.post_message(ClinicLoadFailed(f"could not read the patients: {exc}"))
            return
        if not worker.is_cancelled:
            self.post_message(ClinicLoaded(rows, {s.patient_id: s for s in statuses}, followups,
                                           settings, scale, perf_counter() - started))

    def on_clinic_loaded(self, message: ClinicLoaded) -> None:
        # The analysis left millions of long-lived objects; freezing them keeps
        # the cyclic garbage collector from walking them again on every full
        # collection while the table paints (they are freed by reference
        # counting when a reload replaces them).
        gc.freeze()
        self.rows, self.statuses = message.rows, message.statuses
        self.followups = message.followups
        self.settings, self.list_scale = message.settings, message.scale
        self.load_seconds = message.seconds
        screen = self.list_screen()
        if screen.is_mounted:
            screen.show_rows()

    def followup_map(self) -> dict[str, FollowUp | None]:
        """Every patient's next follow-up, computed now if the list did not bring them."""
        if self.followups is None:
            self.followups = {pid: next_followup(s, self.today) for pid, s in self.statuses.items()}
        return self.followups

    def on_clinic_load_failed(self, message: ClinicLoadFailed) -> None:
        screen = self.list_screen()
        if screen.is_mounted:
            screen.query_one("#list-summary", Static).update(f"[b red]{escape(message.reason)}[/]")
        else:
            self.notify(message.reason, severity="error", timeout=30)

    def list_screen(self) -> PatientListScreen:
        return next(s for s in self.screen_stack if isinstance(s, PatientListScreen))

    def refresh_row(self, pid: str) -> None:
        """Recompute one patient's list row after a change (no clinic-wide reload)."""
        if self.rows is None:
            return
        result, error = guarded(lambda: load_patient(self, pid, self.list_scale))
        if error:
            return
        _, status, info, _ = result
        row = PatientRow.of(status, info.get("name") or "")
        self.statuses[pid] = status
        if self.followups is not None:
            self.followups[pid] = next_followup(status, self.today)
        screen = self.list_screen()
        for index, old in enumerate(self.rows):
            if old.patient_id == pid:
                self.rows[index] = row
                break
        else:
            self.rows.append(row)
            screen.show_rows()
            return
        screen.replace_row(row)

    # ----- navigation and actions ------------------------------------------
    def open_patient(self, pid: str) -> None:
        self.push_screen(PatientScreen(pid))

    def action_add_patient(self) -> None:
        def done(saved) -> None:
            if saved:
                self.list_screen().show_rows()

        self.push_screen(PatientForm(), done)

    def action_followups(self) -> None:
        self.push_screen(FollowUpScreen())

    def action_settings(self) -> None:
        self.push_screen(SettingsScreen())

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_toggle_theme(self) -> None:
        self.theme = "textual-light" if self.theme == "textual-dark" else "textual-dark"

    def action_patients(self) -> None:
        while not isinstance(self.screen, PatientListScreen) and len(self.screen_stack) > 1:
            self.pop_screen()

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Patients", "Go back to the patient list", self.action_patients)
        yield SystemCommand("Add patient", "Register a new patient", self.action_add_patient)
        yield SystemCommand("Follow-ups due", "Patients whose next follow-up is due or overdue",
                            self.action_followups)
        yield SystemCommand("Settings", "Clinic settings (validated, audited)", self.action_settings)
        yield SystemCommand("Help: keys", "Every key on one page", self.action_help)
        yield SystemCommand("Toggle light/dark theme", "Switch between the light and dark theme",
                            self.action_toggle_theme)
        yield SystemCommand("Reload patients", "Read and analyse every patient again", self.load_clinic)
        if isinstance(screen, PatientListScreen):
            yield SystemCommand("Open selected patient", "The patient under the cursor", screen.action_open_patient)
            yield SystemCommand("Search patients", "Search by id or name", screen.action_search)
        if isinstance(screen, PatientScreen):
            for title, help_text, action in (
                ("Record infusion", "Dose, vital signs, side effects, CADSS", screen.action_infusion),
                ("Enter assessment", "A rating scale, item by item", screen.action_assessment),
                ("Acknowledge alerts", "With your name and a note", screen.action_acknowledge),
                ("Edit patient", "Name, birth date, weight, notes", screen.action_edit_patient),
                ("Start new course", "Later infusions count from session 1", screen.action_new_course),
                ("Correct selected record", "A correction with a reason", screen.action_correct),
                ("Retract selected record", "Stops counting, kept in the audit trail", screen.action_retract),
                ("History of selected record", "Old and new values, who and why", screen.action_history),
                ("Pick scale", "The scale of the chart and status", screen.action_pick_scale),
            ):
                yield SystemCommand(title, help_text, action)


def default_user() -> str:
    """$OUTCOMES_USER as the command line uses it, else the OS user as `db/` records it."""
    if os.environ.get("OUTCOMES_USER", "").strip():
        return os.environ["OUTCOMES_USER"].strip()
    try:
        return db.current_user()
    except Exception:
        try:
            return getpass.getuser()
        except Exception:
            return "unknown"


def make_app(db_path: str | Path, patient: str | None = None, *, today: date | None = None,
             clinician: str | None = None, scale: str | None = None,
             chart_dir: str | Path | None = None) -> App:
    """The app for the CLI and the tests: clinician mode, or patient mode for one patient.

    Args:
        db_path: The SQLite file.
        patient: A patient id for the read-only patient mode (`tui_patient`).
        today: A fixed "today" (tests, snapshots); the real date when None.
        clinician: The clinician's name for the audit trail; asked at start when None.
        scale: The list's scale; the clinic's primary scale when None.
        chart_dir: Patient mode: the folder saved charts go to (a default when None).
    """
    if patient is not None:
        from tui_patient import PatientApp  # patient mode lives in its own module

        return PatientApp(db_path, patient, today=today, chart_dir=chart_dir)
    return OutcomesApp(db_path, today=today, clinician=clinician, scale=scale)


if __name__ == "__main__":  # pragma: no cover - the CLI is the usual way in
    import sys

    make_app(sys.argv[1] if len(sys.argv) > 1 else db.default_path()).run()
