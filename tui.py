"""The clinician's terminal app: patients, infusions, scores, verdicts and alerts.

`make_app(db_path)` builds the Textual app that `outcomes` / `outcomes tui`
start (and the tests drive); with `patient=` it builds the read-only patient
mode of `tui_patient`. Every number shown comes from `outcomes/` and every
write goes through `db/`; the clinic-wide analysis runs in a thread worker
with its own SQLite connection, so 10,000 patients never freeze the screen.

Screens: the patient list (default), a patient's detail, forms for a
patient, an infusion and an assessment, modals for confirmations,
acknowledgements, reasons and settings, and the follow-ups, settings,
history and help screens.
"""

from __future__ import annotations

import gc
import getpass
import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from time import perf_counter
from typing import Any, Callable, Iterable

from rich.markup import escape
from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.containers import Grid, Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.validation import Integer
from textual.widgets import (
    Button,
    DataTable,
    Footer,
    Header,
    Input,
    Label,
    Select,
    SelectionList,
    Static,
)
from textual.widgets.data_table import ColumnKey
from textual.worker import get_current_worker

import db
from outcomes.course import courses_of
from outcomes.followup import DUE, OVERDUE, FollowUp, next_followup
from outcomes.records import (
    ROUTES,
    SIDE_EFFECTS,
    Assessment,
    Infusion,
    PatientData,
)
from outcomes.response import improvement
from outcomes.scales import OUTCOME_SCALE_IDS, SCALES, get_scale
from outcomes.settings import SETTING_SPECS, SettingError, Settings, format_value
from outcomes.status import PatientStatus, analyse_clinic, analyse_patient
from outcomes.timepoints import TimeFormatError, Timepoint, parse_timepoint
from outcomes.validation import (
    Checked,
    Problem,
    check_assessment,
    check_infusion,
    check_patient,
    item_problems,
)
from outcomes.verdict import VERDICTS

#: Up to this many patients the follow-ups are computed with the list (a
#: tenth of a second); beyond, only when the follow-up view or filter asks,
#: so that 10,000 patients reach the screen sooner.
FOLLOWUPS_WITH_LIST_MAX = 2_000

#: Verdict colours, by meaning rather than by theme (they read in light and dark).
VERDICT_STYLE = {
    "responder": "bold green",
    "non_responder": "bold red",
    "incomplete": "yellow",
    "in_progress": "cyan",
    "no_baseline": "dim",
}
NO_VALUE = "–"


def words(value: str | None) -> str:
    """An identifier as words: ``non_responder`` -> ``non responder``."""
    return NO_VALUE if value is None else value.replace("_", " ")


def problem_lines(problems: Iterable[Problem]) -> str:
    """Problems as one message per line, each naming its field."""
    return "\n".join(f"• {p.message}" for p in problems)


def one_transaction(database):
    """A transaction around several `db/` writes (theirs nest inside it as savepoints)."""
    transaction = getattr(db, "write_transaction", None)
    return transaction(database) if transaction else database.atomic()


def guarded(action: Callable[[], Any]) -> tuple[Any, str | None]:
    """Run a database call; a refusal or failure comes back as a message, never a traceback."""
    try:
        return action(), None
    except (SettingError, ValueError, KeyError, TimeFormatError, db.StorageError) as exc:
        return None, str(exc).strip("'\"")
    except Exception as exc:  # the clinician must see words, not a traceback
        return None, f"could not save: {exc}"


# ---------------------------------------------------------------------------
# The patient list's rows, computed off the UI thread
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PatientRow:
    """One line of the patient list: plain values, sortable, from a status."""

    patient_id: str
    name: str
    progress: str
    sessions: int
    latest: int | None
    band: str
    improvement: float | None
    verdict: str
    relief_days: int | None
    relief_censored: bool
    alerts: int
    cached_cells: tuple = ()

    @classmethod
    def of(cls, status: PatientStatus, name: str) -> "PatientRow":
        latest = status.latest
        relief = status.relief
        row = cls(
            patient_id=status.patient_id,
            name=name,
            progress=status.progress,
            sessions=status.sessions_completed,
            latest=latest.assessment.total if latest else None,
            band=latest.band if latest else "",
            improvement=latest.improvement if latest else None,
            verdict=status.verdict.value,
            relief_days=relief.days if relief else None,
            relief_censored=bool(relief and relief.censored),
            alerts=len(status.open_alerts),
        )
        # Built here, in the worker, so the UI thread only hands them to the table.
        object.__setattr__(row, "cached_cells", row.cells())
        return row

    def cells(self) -> tuple:
        relief = NO_VALUE
        if self.relief_days is not None:
            relief = f"{self.relief_days}{'+' if self.relief_censored else ''}"
        return (
            self.patient_id,
            self.name,
            self.progress,
            NO_VALUE if self.latest is None else str(self.latest),
            self.band or NO_VALUE,
            NO_VALUE if self.improvement is None else f"{self.improvement:.0f}%",
            Text(words(self.verdict), style=VERDICT_STYLE.get(self.verdict, "")),
            relief,
            Text(f"⚠ {self.alerts}", style="bold red") if self.alerts else "",
        )


def followup_due(followup: FollowUp | None) -> bool:
    return followup is not None and followup.state in (DUE, OVERDUE)


#: (label, attribute) of the list's columns; the attribute is also the sort key.
LIST_COLUMNS = (
    ("ID", "patient_id"),
    ("Name", "name"),
    ("Course", "progress"),
    ("Latest", "latest"),
    ("Band", "band"),
    ("Improvement", "improvement"),
    ("Verdict", "verdict"),
    ("Relief days", "relief_days"),
    ("Alerts", "alerts"),
)


#: Columns whose text does not sort well, and the value they sort by instead.
SORT_BY = {"progress": "sessions", "band": "latest"}


def patient_names(data) -> dict[str, str]:
    frame = data.patients
    if frame is None or frame.empty:
        return {}
    names = frame["name"].where(frame["name"].notna(), "") if "name" in frame else [""] * len(frame)
    return {str(p): str(n) for p, n in zip(frame["patient_id"], names)}


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
# Small shared widgets and modals
# ---------------------------------------------------------------------------


class AlertBanner(Static):
    """Open safety alerts of one patient; hidden when there are none."""

    def show(self, status: PatientStatus | None) -> None:
        alerts = status.open_alerts if status else []
        self.display = bool(alerts)
        if alerts:
            lines = [f"⚠ SAFETY ALERT ({len(alerts)} open) — press [b]a[/b] to acknowledge"]
            lines += [f"  {a.when.day.isoformat()}  {words(a.kind)}: {escape(a.detail)}" for a in alerts[:3]]
            if len(alerts) > 3:
                lines.append(f"  … and {len(alerts) - 3} more")
            self.update("\n".join(lines))


class ConfirmModal(ModalScreen[bool]):
    """A yes/no question; dismisses with True only on an explicit yes."""

    BINDINGS = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]

    def __init__(self, title: str, message: str, yes: str = "Yes, save", no: str = "Cancel") -> None:
        super().__init__()
        self.title_text, self.message, self.yes, self.no = title, message, yes, no

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="dialog-title")
            yield Static(self.message, id="message")
            with Horizontal(classes="buttons"):
                yield Button(f"{self.yes} (y)", variant="warning", id="yes")
                yield Button(f"{self.no} (n)", id="no")

    @on(Button.Pressed, "#yes")
    def _yes(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#no")
    def _no(self) -> None:
        self.dismiss(False)

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)


class TextModal(ModalScreen["dict[str, str] | None"]):
    """A small form of required text fields (reason, name, note, date).

    `check` may refuse the values with a message, shown inline; nothing is
    returned until every field is filled and the check passes.
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, fields: list[tuple[str, str, str]], *,
                 intro: str = "", ok: str = "Save",
                 check: Callable[[dict[str, str]], str | None] | None = None,
                 optional: Iterable[str] = ()) -> None:
        super().__init__()
        self.title_text, self.fields, self.intro, self.ok = title, fields, intro, ok
        self.check = check
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
        missing = [label for key, label, _ in self.fields
                   if not values[key] and key not in self.optional]
        error = f"required: {', '.join(missing)}" if missing else None
        if error is None and self.check is not None:
            error = self.check(values)
        if error:
            self.query_one("#modal-error", Static).update(error)
            return
        self.dismiss(values)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class AcknowledgeModal(ModalScreen["tuple[list[str], str, str] | None"]):
    """Acknowledge open alerts: which ones, the clinician's name and a note."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, status: PatientStatus, clinician: str) -> None:
        super().__init__()
        self.status, self.clinician = status, clinician

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(f"Acknowledge safety alerts of {self.status.patient_id}", classes="dialog-title")
            yield SelectionList[str](
                *[(f"{a.when.day.isoformat()} {words(a.kind)}: {a.detail}", a.key, True)
                  for a in self.status.open_alerts],
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
        missing = [w for w, v in (("an alert", keys), ("clinician name", who), ("note", note)) if not v]
        if missing:
            self.query_one("#modal-error", Static).update(f"required: {', '.join(missing)}")
            return
        self.dismiss((keys, who, note))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


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
        table = DataTable(id="patients", cursor_type="row", zebra_stripes=True)
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


def timeline_rows(patient: PatientData, settings: Settings) -> list[tuple[str, tuple]]:
    """The course timeline: infusions and assessments in time order, keyed by record."""
    n = settings.induction_sessions
    events: list[tuple[int, int, str, tuple]] = []
    courses = courses_of(patient)
    for course in courses:
        for number, inf in enumerate(course.infusions, start=1):
            kind = f"Booster {number}" if number > n else f"Infusion {number}"
            parts = [f"{inf.dose_mg_per_kg:g}mg/kg" if inf.dose_mg_per_kg is not None else "dose ?"]
            if inf.total_mg is not None:
                parts.append(f"={inf.total_mg:g}mg")
            if inf.route:
                parts.append(inf.route + (f" {inf.duration_min:g}′" if inf.duration_min else ""))
            if inf.bp_systolic_pre is not None:
                parts.append(f"BP {inf.bp_systolic_pre}/{inf.bp_diastolic_pre or '?'}")
            cells = (inf.when.iso().replace("T", " "), str(course.number), kind, " ".join(parts))
            events.append((inf.key, 1, f"infusion:{inf.id}", cells))
    for a in patient.assessments:
        course = next((c for c in courses if c.contains(a)), None)
        where = "pre-course"
        if course is not None:
            session = course.session_of(a)
            where = "pre-infusion" if session == 0 else f"after s{session}"
            if session >= n:
                day = (a.when.day - course.infusions[n - 1].when.day).days
                where = f"follow-up d{day}"
        scale = get_scale(a.scale)
        detail = f"{scale.name} {a.total}"
        if scale.bands:
            detail += f" {scale.band(a.total)}"
        if a.items is None:
            detail += " (total-only)"
        cells = (a.when.iso().replace("T", " "), str(course.number) if course else NO_VALUE, where, detail)
        events.append((a.key, 0, f"assessment:{a.id}", cells))
    events.sort(key=lambda e: (e[0], e[1]))
    return [(key, cells) for _, _, key, cells in events]


def status_text(status: PatientStatus, today: date) -> str:
    """The status panel: verdict and the rule behind it, progress, relief, follow-up."""
    scale = get_scale(status.scale)
    lines = [
        f"[b]Six-session verdict:[/b] {words(status.verdict.value)} — {escape(status.verdict.reason)}",
        f"[b]Status ({scale.name}):[/b] {escape(status.status_sentence())}",
    ]
    best = NO_VALUE if status.best_improvement is None else f"{status.best_improvement:.0f}%"
    lines.append(
        f"[b]Where:[/b] {status.progress} · best improvement so far {best} · trend {status.trend or NO_VALUE}"
    )
    if status.relief is not None:
        r = status.relief
        lines.append(f"[b]Relief:[/b] {r.days} days" + (" so far (ongoing)" if r.censored
                     else f", ended by {words(r.ended_by)}" if r.ended_by else ""))
    if status.reliable is not None:
        lines.append(f"[b]Reliable change:[/b] {status.reliable.category} ({escape(status.reliable.detail)})")
    follow = next_followup(status, today)
    if follow is not None:
        lines.append(f"[b]Next follow-up:[/b] day {follow.day}, {follow.due_on.isoformat()} ({follow.state})")
    if status.total_only_count:
        lines.append(f"{status.total_only_count} total-only record(s): item-based checks not possible for them")
    return "\n".join(lines)


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
        self.scale_id = ""

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
                table = DataTable(id="timeline", cursor_type="row", zebra_stripes=True)
                for label in ("When", "C", "Session", "Record"):
                    table.add_column(label, key=label.lower())
                yield table
            with Vertical(id="detail-right"):
                yield make_chart(None)
                side = DataTable(id="per-infusion", cursor_type="row")
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
        cursor = table.cursor_row
        table.clear()
        for key, cells in timeline_rows(self.patient, self.app.settings):
            table.add_row(*cells, key=key)
        if table.row_count:
            table.move_cursor(row=min(cursor, table.row_count - 1) if cursor else table.row_count - 1)
        chart = self.query_one("#chart")
        if hasattr(chart, "show"):
            chart.show(status)
        side = self.query_one("#per-infusion", DataTable)
        side.clear()
        cadss = {a.infusion_id: a for a in self.patient.assessments if a.scale == "cadss" and a.infusion_id}
        for course in courses_of(self.patient):
            for number, inf in enumerate(course.infusions, start=1):
                dissociation = cadss.get(inf.id)
                side.add_row(
                    f"{course.number}.{number}", inf.when.day.isoformat(),
                    NO_VALUE if dissociation is None else str(dissociation.total),
                    ", ".join(words(e) for e in inf.side_effects) or NO_VALUE,
                    key=f"infusion:{inf.id}",
                )

    @on(Select.Changed, "#scale")
    def _scale_changed(self, event: Select.Changed) -> None:
        if event.value in SCALES and event.value != self.scale_id:
            self.scale_id = event.value
            self.reload()

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
        records = self.patient.infusions if kind == "infusion" else self.patient.assessments
        return next((r for r in records if r.id == ident), None)

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
            _, error = guarded(lambda: db.start_course(
                self.app.database, self.patient_id, parse_timepoint(values["date"]),
                self.app.clinician, values.get("note") or None))
            if error:
                self.notify(error, severity="error")
            self.reload()

        self.app.push_screen(TextModal(
            f"Start a new course for {self.patient_id}",
            [("date", "Start date (YYYY-MM-DD)", self.app.today.isoformat()), ("note", "Note", "")],
            intro="Later infusions count from session 1 of the new course.",
            ok="Start course", check=check, optional=("note",)), done)

    def action_correct(self) -> None:
        selected = self.selected_record()
        if selected is None:
            self.notify("Select an infusion or assessment in the timeline first.")
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
        selected = self.selected_record()
        if selected is None:
            self.notify("Select an infusion or assessment in the timeline first.")
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
        self.app.push_screen(HistoryScreen(self.patient_id, self.status, *selected))


# ---------------------------------------------------------------------------
# Forms
# ---------------------------------------------------------------------------


class FormScreen(Screen[bool]):
    """A form for one patient: alert banner, fields, inline errors, Save/Cancel."""

    BINDINGS = [
        Binding("ctrl+s", "save", "Save"),
        Binding("escape", "cancel", "Cancel"),
    ]
    TITLE_TEXT = ""

    def __init__(self, status: PatientStatus | None = None) -> None:
        super().__init__()
        self.status = status

    def buttons(self) -> ComposeResult:
        yield Static("", id="errors", classes="errors")
        with Horizontal(classes="buttons"):
            yield Button("Save (ctrl+s)", variant="primary", id="save", compact=True)
            yield Button("Cancel (esc)", id="cancel", compact=True)

    def on_mount(self) -> None:
        banner = self.query("#banner")
        if banner:
            banner.first(AlertBanner).show(self.status)

    def value(self, field: str) -> str:
        return self.query_one(f"#f-{field}", Input).value.strip()

    def show_problems(self, problems: list[Problem]) -> None:
        """Refuse inline: list every problem and mark the fields it names."""
        for widget in self.query(".field-invalid"):
            widget.remove_class("field-invalid")
        for p in problems:
            for widget in self.query(f"#f-{p.field}"):
                widget.add_class("field-invalid")
        errors = self.query_one("#errors", Static)
        errors.update(("Not saved — please correct:\n" + problem_lines(problems)) if problems else "")
        if problems:
            errors.scroll_visible()

    @on(Button.Pressed, "#save")
    def _save_pressed(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)

    def action_save(self) -> None:  # pragma: no cover - every form defines it
        raise NotImplementedError


class PatientForm(FormScreen):
    """Add a patient, or edit one (with a reason for the audit trail)."""

    def __init__(self, info: dict | None = None, status: PatientStatus | None = None) -> None:
        super().__init__(status)
        self.info = info
        self.editing = info is not None

    def compose(self) -> ComposeResult:
        info = self.info or {}
        yield Header()
        if self.editing:
            yield AlertBanner(id="banner")
        with VerticalScroll(classes="form"):
            yield Label(f"Edit patient {info.get('patient_id')}" if self.editing else "Add a patient",
                        classes="form-title")
            with Grid(classes="fields"):
                for field, label in (("patient_id", "Patient id (1-64 characters)"), ("name", "Name"),
                                     ("birth_date", "Birth date (YYYY-MM-DD)"), ("weight_kg", "Weight (kg)"),
                                     ("notes", "Notes")):
                    value = info.get(field)
                    yield Label(label)
                    yield Input("" if value is None else (f"{value:g}" if isinstance(value, float) else str(value)),
                                id=f"f-{field}", disabled=self.editing and field == "patient_id", compact=True)
                if self.editing:
                    yield Label("Reason for the change")
                    yield Input(id="f-reason", placeholder="kept in the audit trail", compact=True)
            yield from self.buttons()
        yield Footer()

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#f-name" if self.editing else "#f-patient_id", Input).focus()

    def action_save(self) -> None:
        raw = {f: self.value(f) for f in ("patient_id", "name", "birth_date", "weight_kg", "notes")}
        checked = check_patient(raw, self.app.today)
        problems = list(checked.errors)
        reason = self.value("reason") if self.editing else ""
        if self.editing and not reason:
            problems.append(Problem("reason", "a reason for the change is required (kept in the audit trail)"))
        if problems:
            self.show_problems(problems)
            return
        database, who = self.app.database, self.app.clinician
        if self.editing:
            _, error = guarded(lambda: db.update_patient(database, checked.values["patient_id"],
                                                         checked.values, reason, who))
        else:
            _, error = guarded(lambda: db.add_patient(database, checked.values, who))
        if error:
            self.show_problems([Problem("patient_id", error)])
            return
        self.app.refresh_row(checked.values["patient_id"])
        self.dismiss(True)


INFUSION_FIELDS = (
    ("date", "Date and time"), ("dose_mg_per_kg", "Dose (mg/kg)"),
    ("weight_kg", "Weight (kg)"), ("duration_min", "Duration (min)"),
    ("bp_systolic_pre", "BP systolic before"), ("bp_diastolic_pre", "BP diastolic before"),
    ("heart_rate_pre", "Heart rate before"), ("bp_systolic_post", "BP systolic after"),
    ("bp_diastolic_post", "BP diastolic after"), ("heart_rate_post", "Heart rate after"),
)


class InfusionForm(FormScreen):
    """Record (or correct) an infusion with the dose and blood-pressure rules."""

    def __init__(self, patient_id: str, info: dict, status: PatientStatus | None,
                 correcting: Infusion | None = None) -> None:
        super().__init__(status)
        self.patient_id, self.info, self.correcting = patient_id, info, correcting

    def initial(self) -> dict[str, str]:
        inf = self.correcting
        if inf is None:
            weight = self.info.get("weight_kg")
            return {"date": self.app.today.isoformat(), "duration_min": "40",
                    "weight_kg": "" if weight is None else f"{float(weight):g}"}
        out = {"date": inf.when.iso()}
        for field, _ in INFUSION_FIELDS[1:]:
            value = getattr(inf, field)
            out[field] = "" if value is None else f"{value:g}"
        return out

    def compose(self) -> ComposeResult:
        values = self.initial()
        yield Header()
        yield AlertBanner(id="banner")
        with VerticalScroll(classes="form"):
            title = (f"Correct infusion {self.correcting.id}" if self.correcting
                     else f"Record an infusion for {self.patient_id}")
            yield Label(title, classes="form-title")
            if self.correcting is not None:  # up front: a correction is refused without it
                with Horizontal(classes="cadss"):
                    yield Label("Reason for the correction")
                    yield Input(id="f-reason", placeholder="kept in the audit trail", compact=True)
            with Grid(classes="fields fields-4"):
                for field, label in INFUSION_FIELDS:
                    yield Label(label)
                    yield Input(values.get(field, ""), id=f"f-{field}", compact=True,
                                placeholder="YYYY-MM-DD[THH:MM]" if field == "date" else "")
                yield Label("Route")
                yield Select([(r, r) for r in ROUTES], allow_blank=False,
                             value=(self.correcting.route if self.correcting and self.correcting.route else "iv"),
                             id="f-route", compact=True)
                yield Label("Total dose")
                yield Static("", id="total-mg")
            yield Label("Side effects (space to tick)")
            chosen = set(self.correcting.side_effects) if self.correcting else set()
            yield SelectionList[str](*[(words(e), e, e in chosen) for e in SIDE_EFFECTS], id="f-side_effects")
            if self.correcting is None:
                yield Label("CADSS (optional): 23 item scores 0-4 separated by spaces, or a total 0-92")
                with Horizontal(classes="cadss"):
                    yield Input(id="f-cadss_items", placeholder="items, e.g. 0 1 0 …", compact=True)
                    yield Input(id="f-cadss_total", placeholder="or total", compact=True)
            with Horizontal(classes="cadss"):
                yield Label("Notes")
                yield Input((self.correcting.notes or "") if self.correcting else "", id="f-notes", compact=True,
                            placeholder="optional")
            yield from self.buttons()
        yield Footer()

    def on_mount(self) -> None:
        super().on_mount()
        self.update_total()
        self.query_one("#f-dose_mg_per_kg", Input).focus()

    @on(Input.Changed, "#f-dose_mg_per_kg, #f-weight_kg")
    def update_total(self) -> None:
        """Total mg from dose x weight, shown live (the record's own rule)."""
        try:
            probe = Infusion(self.patient_id, Timepoint(self.app.today),
                             dose_mg_per_kg=float(self.value("dose_mg_per_kg")),
                             weight_kg=float(self.value("weight_kg")))
            total = probe.total_mg
        except ValueError:
            total = None
        self.query_one("#total-mg", Static).update(
            f"[b]{total:g} mg[/b]" if total is not None else "dose × weight (enter both)")

    def raw(self) -> dict[str, Any]:
        raw: dict[str, Any] = {field: self.value(field) for field, _ in INFUSION_FIELDS}
        raw["patient_id"] = self.patient_id
        raw["route"] = self.query_one("#f-route", Select).value
        raw["side_effects"] = list(self.query_one("#f-side_effects", SelectionList).selected)
        raw["notes"] = self.value("notes")
        return raw

    def cadss_check(self, when: str) -> Checked | None:
        if self.correcting is not None:
            return None
        items, total = self.value("cadss_items"), self.value("cadss_total")
        if not items and not total:
            return None
        return check_assessment({"patient_id": self.patient_id, "date": when, "scale": "cadss",
                                 "items": items, "total": total}, self.app.today)

    def action_save(self) -> None:
        self.save_flow()

    @work(exclusive=True, group="save")
    async def save_flow(self) -> None:
        """Check; refuse errors inline; ask for confirmation and show warnings; then save."""
        settings = self.app.settings
        checked = check_infusion(self.raw(), settings, self.app.today)
        problems = list(checked.errors)
        cadss = self.cadss_check(self.value("date"))
        if cadss is not None:
            problems += [Problem(f"cadss_{p.field}" if p.field in ("items", "total") else p.field,
                                 "CADSS: " + p.message) for p in cadss.errors]
        reason = self.value("reason") if self.correcting else ""
        if self.correcting and not reason:
            problems.append(Problem("reason", "a reason for the correction is required (kept in the audit trail)"))
        self.show_problems(problems)
        if problems:
            return
        for problem in checked.confirmations:
            if not await self.app.push_screen_wait(ConfirmModal(
                    "Confirm an unusual dose", problem.message, yes="Yes, this dose is intended")):
                self.query_one("#errors", Static).update("Not saved: the dose was not confirmed.")
                return
        if checked.warnings:
            if not await self.app.push_screen_wait(ConfirmModal(
                    "Blood pressure warning", problem_lines(checked.warnings), yes="Save anyway")):
                self.query_one("#errors", Static).update("Not saved: cancelled at the blood-pressure warning.")
                return
        database, who = self.app.database, self.app.clinician
        if self.correcting is not None:
            _, error = guarded(lambda: db.correct_infusion(database, self.correcting.id, checked.values, reason, who))
        else:
            def write() -> int:
                # The infusion and its CADSS rating are saved together or not at all.
                with one_transaction(database):
                    infusion_id = db.add_infusion(database, checked.values, who)
                    if cadss is not None:
                        db.add_assessment(database, cadss.values, who, infusion_id=infusion_id)
                return infusion_id
            _, error = guarded(write)
        if error:
            self.show_problems([Problem("date", error)])
            return
        self.dismiss(True)


class AssessmentForm(FormScreen):
    """Enter (or correct) a rating scale item by item, with live total and band."""

    def __init__(self, patient_id: str, patient: PatientData, status: PatientStatus | None,
                 scale_id: str, correcting: Assessment | None = None) -> None:
        super().__init__(status)
        self.patient_id, self.patient, self.correcting = patient_id, patient, correcting
        self.scale_id = scale_id if scale_id in SCALES else "phq9"

    def compose(self) -> ComposeResult:
        a = self.correcting
        yield Header()
        yield AlertBanner(id="banner")
        with Horizontal(classes="form-head"):
            yield Label(f"Correct assessment {a.id}" if a else f"Enter an assessment for {self.patient_id}",
                        classes="form-title")
            yield Select([(s.name, s.id) for s in SCALES.values()], value=self.scale_id,
                         allow_blank=False, id="f-scale", disabled=a is not None, compact=True)
        with Horizontal(classes="assessment-top"):
            yield Label("Date")
            yield Input(a.when.iso() if a else self.app.today.isoformat(), id="f-date", compact=True)
            yield Label("Rater")
            yield Input((a.rater or "") if a else "", id="f-rater", compact=True)
            if a is not None:  # up front: a correction is refused without it
                yield Label("Reason")
                yield Input(id="f-reason", placeholder="why (audit trail)", compact=True)
        yield Static("", id="summary")
        items = VerticalScroll(id="items")
        items.can_focus = False  # tab goes from field to field, not to the scroll box
        yield items
        with Horizontal(classes="assessment-bottom"):
            yield Label("Total only")
            yield Input(str(a.total) if a and a.items is None else "", id="f-total", compact=True,
                        placeholder="empty when items are entered")
            yield Label("Notes")
            yield Input((a.notes or "") if a else "", id="f-notes", compact=True)
        yield from self.buttons()
        yield Footer()

    async def on_mount(self) -> None:
        super().on_mount()
        await self.build_items()

    @property
    def scale(self):
        return get_scale(self.scale_id)

    async def build_items(self) -> None:
        """One row per item: number, text or name, an input with its allowed range."""
        scale = self.scale
        box = self.query_one("#items", VerticalScroll)
        await box.remove_children()
        initial = self.correcting.items if self.correcting and self.correcting.scale == scale.id else None
        rows = []
        for n in range(1, scale.n_items + 1):
            top = scale.item_max[n - 1]
            value = "" if initial is None else str(initial[n - 1])
            safety = " ⚠ safety item" if scale.safety_item == n else ""
            rows.append(Horizontal(
                Label(f"{n:>2}. {scale.item_label(n)}{safety}", classes="item-label"),
                Input(value, id=f"item-{n}", classes="item-input", placeholder=f"0-{top}",
                      validators=[Integer(minimum=0, maximum=top)], validate_on=["changed", "submitted"],
                      compact=True),
                Label(f"0-{top}", classes="item-range"),
                Label("", id=f"item-error-{n}", classes="item-error"),
                classes="item-row",
            ))
        await box.mount_all(rows)
        self.update_summary()
        first = self.query(".item-input")
        if first:
            first.first(Input).focus()

    @on(Select.Changed, "#f-scale")
    async def _scale_changed(self, event: Select.Changed) -> None:
        if event.value in SCALES and event.value != self.scale_id:
            self.scale_id = event.value
            await self.build_items()

    def item_texts(self) -> list[str]:
        return [self.query_one(f"#item-{n}", Input).value.strip() for n in range(1, self.scale.n_items + 1)]

    @on(Input.Changed, ".item-input")
    def _item_changed(self, event: Input.Changed) -> None:
        n = int(event.input.id.split("-")[1])
        text = event.value.strip()
        problems = item_problems(self.scale, n, text) if text else []
        self.query_one(f"#item-error-{n}", Label).update(problems[0].message if problems else "")
        self.update_summary()

    @on(Input.Changed, "#f-total")
    def _total_changed(self) -> None:
        self.update_summary()

    @on(Input.Submitted, ".item-input")
    def _next_item(self) -> None:
        self.focus_next()

    def baseline(self) -> Assessment | None:
        """The baseline on this scale, from the domain's status."""
        if self.status is not None and self.status.scale == self.scale_id:
            return self.status.baseline
        status = analyse_patient(self.patient, self.scale_id, self.app.settings, self.app.today)
        return status.baseline

    def update_summary(self) -> None:
        """Total, severity band and improvement from baseline, as typed."""
        scale = self.scale
        texts = self.item_texts() if self.query(".item-input") else []
        filled = [t for t in texts if t]
        bad = any(item_problems(scale, n, t) for n, t in enumerate(texts, start=1) if t)
        total_text = self.value("total")
        total: int | None = None
        note = ""
        if filled and bad:
            note = "an item is out of range: see the message beside it"
        elif filled and len(filled) < scale.n_items:
            note = f"{len(filled)} of {scale.n_items} items entered (a total needs every item: no proration)"
        elif filled:
            total = scale.total([int(t) for t in texts])
        elif total_text:
            problems = check_assessment({"patient_id": self.patient_id, "date": self.app.today.isoformat(),
                                         "scale": scale.id, "total": total_text}).errors
            if problems:
                note = problems[0].message
            else:
                total = int(float(total_text))
                note = "[b]total-only entry[/b]: no item scores, so item checks (safety item) are not possible"
        parts = [f"[b]{scale.name}[/b]"]
        if total is None:
            parts.append("total " + NO_VALUE)
        else:
            parts.append(f"total [b]{total}[/b] of {scale.total_max}")
            if scale.bands:
                parts.append(f"band {scale.band(total)}")
            base = self.baseline() if scale.is_outcome else None
            if base is not None and base.total:
                parts.append(f"{improvement(base.total, total):.0f}% below baseline {base.total}")
            elif scale.is_outcome:
                parts.append("no baseline yet")
        line = " · ".join(parts)
        self.query_one("#summary", Static).update(line + (f"\n{note}" if note else ""))

    def action_save(self) -> None:
        texts = self.item_texts()
        raw = {
            "patient_id": self.patient_id, "date": self.value("date"), "scale": self.scale_id,
            "items": " ".join(texts) if any(texts) else "", "total": self.value("total"),
            "rater": self.value("rater"), "notes": self.value("notes"),
        }
        checked = check_assessment(raw, self.app.today)
        problems = list(checked.errors)
        reason = self.value("reason") if self.correcting else ""
        if self.correcting and not reason:
            problems.append(Problem("reason", "a reason for the correction is required (kept in the audit trail)"))
        self.show_problems(problems)
        if problems:
            return
        database, who = self.app.database, self.app.clinician
        if self.correcting is not None:
            _, error = guarded(lambda: db.correct_assessment(database, self.correcting.id, checked.values,
                                                             reason, who))
        else:
            _, error = guarded(lambda: db.add_assessment(database, checked.values, who))
        if error:
            self.show_problems([Problem("date", error)])
            return
        self.dismiss(True)


# ---------------------------------------------------------------------------
# History, follow-ups, settings, help
# ---------------------------------------------------------------------------


class HistoryScreen(Screen):
    """The audit trail of one record: who changed what, old and new, and why."""

    BINDINGS = [Binding("escape", "app.pop_screen", "Back")]

    def __init__(self, patient_id: str, status: PatientStatus | None, kind: str, ident: int) -> None:
        super().__init__()
        self.patient_id, self.status, self.kind, self.ident = patient_id, status, kind, ident

    def compose(self) -> ComposeResult:
        yield Header()
        yield AlertBanner(id="banner")
        yield Label(f"History of {self.kind} {self.ident} ({self.patient_id}), oldest first", classes="form-title")
        with VerticalScroll(id="history"):
            yield Static("", id="history-text")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "History"
        self.query_one("#banner", AlertBanner).show(self.status)
        frame, error = guarded(lambda: db.history(self.app.database, self.kind, self.ident))
        if error or frame is None or frame.empty:
            self.query_one("#history-text", Static).update(error or "No audit rows for this record.")
            return
        blocks = [history_entry(row) for row in frame.to_dict("records")]
        self.query_one("#history-text", Static).update("\n\n".join(blocks))


def _decoded(value: Any) -> Any:
    if value is None or (isinstance(value, float) and value != value):
        return None
    try:
        return json.loads(value)
    except (TypeError, ValueError):
        return value


def history_entry(row: dict) -> str:
    """One audit row in words: when, who, what, why, and each changed value old -> new."""
    head = f"[b]{row.get('at')}[/b]  {row.get('action')} by {row.get('who')}"
    if row.get("record_id") is not None:
        head += f" (record {row.get('record_id')})"
    lines = [head]
    if row.get("reason"):
        lines.append(f"  reason: {escape(str(row['reason']))}")
    old, new = _decoded(row.get("old_value")), _decoded(row.get("new_value"))
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(set(old) | set(new)):
            if old.get(key) != new.get(key):
                lines.append(escape(f"  {key}: {old.get(key)} → {new.get(key)}"))
    else:
        if isinstance(new, dict):
            new = ", ".join(f"{k}={v}" for k, v in new.items() if v is not None)
        if isinstance(old, dict):
            old = ", ".join(f"{k}={v}" for k, v in old.items() if v is not None)
        if old is not None:
            lines.append(escape(f"  old: {old}"))
        if new is not None:
            lines.append(escape(f"  new: {new}"))
    return "\n".join(lines)


class FollowUpScreen(Screen):
    """Patients whose next follow-up assessment is due or overdue."""

    BINDINGS = [Binding("escape", "app.pop_screen", "Back"), Binding("enter", "open", "Open", show=False)]
    AUTO_FOCUS = "#followups"

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="followup-summary")
        table = DataTable(id="followups", cursor_type="row", zebra_stripes=True)
        for label in ("ID", "Name", "Follow-up", "Due on", "State", "Days late", "Course"):
            table.add_column(label, key=label)
        yield table
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "Follow-ups due"
        followups = self.app.followup_map()
        rows = [r for r in (self.app.rows or []) if followup_due(followups.get(r.patient_id))]
        rows.sort(key=lambda r: (-followups[r.patient_id].days_late, r.patient_id))
        table = self.query_one("#followups", DataTable)
        for r in rows:
            f = followups[r.patient_id]
            table.add_row(r.patient_id, r.name, f"day {f.day}", f.due_on.isoformat(),
                          Text(f.state, style="bold red" if f.state == OVERDUE else "yellow"),
                          str(f.days_late), r.progress, key=r.patient_id)
        schedule = ", ".join(str(d) for d in self.app.settings.followup_schedule_days)
        self.query_one("#followup-summary", Static).update(
            f"{len(rows)} patients with a follow-up due or overdue on {self.app.today.isoformat()} "
            f"(schedule: days {schedule} after the last induction infusion; setting followup_schedule_days)")

    @on(DataTable.RowSelected)
    def action_open(self) -> None:
        table = self.query_one("#followups", DataTable)
        if table.row_count:
            key = table.coordinate_to_cell_key((table.cursor_row, 0)).row_key.value
            self.app.open_patient(str(key))


class SettingsScreen(Screen):
    """Every clinic setting with its value; Enter edits it (validated)."""

    BINDINGS = [Binding("escape", "app.pop_screen", "Back"), Binding("enter", "edit", "Edit", show=False)]
    AUTO_FOCUS = "#settings"

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Enter (or click) a setting to change it. Changes are validated and kept in the audit trail.",
                     classes="intro")
        table = DataTable(id="settings", cursor_type="row", zebra_stripes=True)
        for label in ("Setting", "Value", "Meaning", "Source"):
            table.add_column(label, key=label)
        yield table
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "Settings"
        self.fill()

    def fill(self) -> None:
        table = self.query_one("#settings", DataTable)
        cursor = table.cursor_row
        table.clear()
        for spec in SETTING_SPECS:
            value = format_value(getattr(self.app.settings, spec.key))
            if len(value) > 40:
                value = value[:39] + "…"
            table.add_row(spec.key, value, spec.description, spec.source, key=spec.key)
        table.move_cursor(row=cursor or 0)

    @on(DataTable.RowSelected)
    def action_edit(self) -> None:
        table = self.query_one("#settings", DataTable)
        spec = SETTING_SPECS[table.cursor_row]
        current = format_value(getattr(self.app.settings, spec.key))

        def check(values: dict[str, str]) -> str | None:
            _, error = guarded(lambda: db.set_setting(self.app.database, spec.key, values["value"],
                                                      self.app.clinician))
            return error

        def done(values) -> None:
            if values:
                self.app.reload_settings()
                self.fill()
                self.app.list_screen().action_reload()  # every status depends on the settings
                self.notify(f"{spec.key} set to {values['value']}")

        allowed = ""
        if spec.choices:
            allowed = "allowed: " + ", ".join(spec.choices)
        elif spec.minimum is not None and spec.maximum is not None:
            allowed = f"allowed: {spec.minimum:g} to {spec.maximum:g}"
        self.app.push_screen(TextModal(
            f"Setting {spec.key}", [("value", "Value", current)],
            intro=f"{spec.description}. {allowed}".strip(), check=check, optional=("value",) if spec.optional else ()),
            done)


HELP_TEXT = """\
[b]Everywhere[/b]
  ctrl+p      command palette: every action by name
  ? / f1      this help
  ctrl+t      light / dark theme
  ctrl+q      quit

[b]Patient list[/b]
  ↑ ↓ enter   move, open the patient
  /           search by id or name
  1-9         sort by column 1-9 (again: reverse); or click a column header
  a           add a patient        f   follow-ups due
  ,           settings             r   reload

[b]Patient[/b]
  i   record an infusion         s   enter an assessment (score)
  a   acknowledge safety alerts  e   edit the patient
  n   start a new course         p   pick the scale for chart and status
  c   correct the selected record (with a reason)
  x   retract the selected record (with a reason)
  h   history of the selected record
  esc back

[b]Forms[/b]
  tab / shift+tab   next / previous field
  ctrl+s            save (nothing is saved while a field is refused)
  esc               cancel
"""


class HelpScreen(ModalScreen[None]):
    """The keys, on one page."""

    BINDINGS = [Binding("escape,q,question_mark,f1", "close", "Close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog help"):
            yield Label("Keys", classes="dialog-title")
            yield Static(HELP_TEXT)
            yield Button("Close (esc)", id="close")

    @on(Button.Pressed, "#close")
    def action_close(self) -> None:
        self.dismiss(None)


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
    """The OS user, as `db/` records it when no clinician name is known."""
    try:
        return db.current_user()
    except Exception:
        try:
            return getpass.getuser()
        except Exception:
            return "unknown"


def make_app(db_path: str | Path, patient: str | None = None, *, today: date | None = None,
             clinician: str | None = None, scale: str | None = None) -> App:
    """The app for the CLI and the tests: clinician mode, or patient mode for one patient.

    Args:
        db_path: The SQLite file.
        patient: A patient id for the read-only patient mode (`tui_patient`).
        today: A fixed "today" (tests, snapshots); the real date when None.
        clinician: The clinician's name for the audit trail; asked at start when None.
        scale: The list's scale; the clinic's primary scale when None.
    """
    if patient is not None:
        from tui_patient import PatientApp  # patient mode lives in its own module

        return PatientApp(db_path, patient)
    return OutcomesApp(db_path, today=today, clinician=clinician, scale=scale)


if __name__ == "__main__":  # pragma: no cover - the CLI is the usual way in
    import sys

    make_app(sys.argv[1] if len(sys.argv) > 1 else db.default_path()).run()
