"""The patient list: every patient with course progress, latest score, verdict and alerts."""

from __future__ import annotations

from operator import attrgetter

from rich.cells import cell_len
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Header, Input, Select, Static

from outcomes import wording
from outcomes.scales import OUTCOME_SCALE_IDS, SCALES, get_scale
from outcomes.verdict import VERDICTS
from outcomes.wording import verdict_words
from outcomes_app.clinic import Clinic, followup_due
from outcomes_app.footer import KeyFooter
from outcomes_app.messages import OpenPatient, ReloadClinic
from outcomes_app.screens.forms import PatientForm
from outcomes_app.screens.records import FollowUpScreen, SettingsScreen
from outcomes_app.text import (
    CELL_PADDING,
    LIST_COLUMNS,
    SORT_BY,
    PatientRow,
    column_widths,
    fitting_columns,
)
from outcomes_app.virtual_table import VirtualTable
from outcomes_app.widgets import key_hint

#: Row attributes known only once the worker has analysed every patient.
COMPUTED = frozenset({"alerts", "improvement", "verdict", "relief_days"})
SEARCH_DELAY = 0.15  # seconds of no typing before the list is filtered

FILTERS = [
    ("All patients", "all"),
    ("Open alerts", "alerts"),
    ("Follow-up due", "followup"),
    ("Relapsed (response lost)", "relapsed"),
] + [(f"Verdict: {verdict_words(v)}", v) for v in VERDICTS]
LABELS = dict((key, label) for label, key in LIST_COLUMNS)
#: Cells the table itself takes beside its columns (the vertical scrollbar).
TABLE_CHROME = 2


class PatientListScreen(Screen):
    """Every patient with course progress, latest score, verdict and alerts."""

    AUTO_FOCUS = "#patients"
    BINDINGS = [
        Binding("enter", "open_patient", "Open", show=False),
        Binding("slash", "search", "Search"),
        Binding("a", "add_patient", "Add patient"),
        Binding("f", "followups", "Follow-ups"),
        Binding("e", "rems_forms", "REMS forms"),
        Binding("comma", "settings", "Settings"),
        Binding("1", "sort(0)", "Sort 1-9"),
        *[Binding(str(i + 1), f"sort({i})", show=False) for i in range(1, len(LIST_COLUMNS))],
        Binding("r", "reload", "Reload"),
    ]

    def __init__(self, clinic: Clinic) -> None:
        super().__init__()
        self.clinic = clinic
        self.sort_key = LIST_COLUMNS[0][1]
        self.sort_reverse = False
        #: The column keys on screen, in order (a narrow terminal drops some).
        self.columns: list[str] = []
        #: Where each column on screen is in a row's full `cells()`.
        self._positions: list[int] = []
        self._widths: tuple[tuple[int, int], dict[str, int]] | None = None
        self.shown: list[PatientRow] = []
        self._search_timer = None
        self._needle = ""

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="list-bar"):
            yield Input(placeholder="Search id or name (/)", id="search")
            yield Select(FILTERS, value="all", allow_blank=False, id="filter")
            yield Select(
                [(get_scale(s).name, s) for s in OUTCOME_SCALE_IDS],
                allow_blank=False,
                id="list-scale",
            )
        yield Static("Loading patients…", id="list-summary")
        yield VirtualTable(id="patients", zebra_stripes=True, rows_drawn=self.clinic.rows_drawn)
        yield KeyFooter()

    def on_mount(self) -> None:
        self.sub_title = "Patients"
        if self.clinic.database is None:
            return  # the app is exiting: the database could not be opened
        with self.prevent(Select.Changed):
            self.query_one("#list-scale", Select).value = self.clinic.list_scale
        if self.clinic.rows is not None:
            self.show_rows()  # the worker, started by the app, was quicker than this screen
        else:
            self.query_one("#list-summary", Static).update("Loading and analysing patients…")

    # ----- filling the table -------------------------------------------
    def visible_rows(self) -> list[PatientRow]:
        """The app's rows after search and filter, in the chosen order."""
        rows = self.clinic.rows
        if self.clinic.partial_list:
            return rows  # the first screen only, by id: search, filter and sort apply to the whole list
        needle = self._needle = self.query_one("#search", Input).value.strip().lower()
        if needle:
            rows = [r for r in rows if needle in r.patient_id.lower() or needle in r.name.lower()]
        choice = self.query_one("#filter", Select).value
        if self.clinic.computing:
            choice = (
                "all"  # alerts, verdicts and follow-ups are not known yet: applied once they are
            )
        if choice == "alerts":
            rows = [r for r in rows if r.alerts]
        elif choice == "followup":
            due = self.clinic.followup_map()
            rows = [r for r in rows if followup_due(due.get(r.patient_id))]
        elif choice == "relapsed":
            rows = [r for r in rows if r.relapsed]
        elif choice in VERDICTS:
            rows = [r for r in rows if r.verdict == choice]
        attr = SORT_BY.get(self.sort_key, self.sort_key)
        if self.clinic.computing and attr in COMPUTED:
            attr = "patient_id"
        value = attrgetter(attr)
        present = [r for r in rows if value(r) is not None]
        missing = [r for r in rows if value(r) is None]
        present.sort(key=value, reverse=self.sort_reverse)
        return present + missing  # unknown values last in either direction

    def show_rows(self, keep_cursor: bool = True) -> None:
        """Show the app's rows as searched, filtered and sorted (`keep_cursor`: stay on the same patient).

        The table draws only the rows on screen, so this costs the sort and
        filter alone, at any number of patients.
        """
        table = self.query_one("#patients", VirtualTable)
        selected = self.selected_patient() if keep_cursor else None
        self.shown = self.visible_rows()
        self.set_columns()
        table.set_rows(self.shown, self.visible_cells)
        index = 0
        if selected is not None:
            index = next((i for i, r in enumerate(self.shown) if r.patient_id == selected), 0)
        table.move_cursor(row=index)
        self.update_summary()

    def set_columns(self) -> None:
        """The columns that fit, their widths measured on the app's rows, the sort mark on the sorted one."""
        self.columns = self.fitting_columns()
        keys = [key for _, key in LIST_COLUMNS]
        self._positions = [keys.index(key) for key in self.columns]
        self.query_one("#patients", VirtualTable).set_columns(
            [self.header(key) for key in self.columns]
        )

    def header(self, key: str) -> tuple[str, int]:
        """A column's label, with the sort mark on the sorted one, and its width."""
        arrow = (" ▼" if self.sort_reverse else " ▲") if key == self.sort_key else ""
        label = LABELS[key] + arrow
        return label, max(self._widths[1][key], cell_len(label) + CELL_PADDING)

    def fitting_columns(self) -> list[str]:
        """The columns that fit the screen's width, lower-priority ones dropped first."""
        rows = self.clinic.rows or []
        mark = (id(rows), len(rows))
        if self._widths is None or self._widths[0] != mark:  # measured once per clinic load
            self._widths = (mark, column_widths(rows))
        return fitting_columns(self._widths[1], self.size.width - TABLE_CHROME)

    def visible_cells(self, row: PatientRow) -> tuple:
        """The cells of the columns on screen (the table asks for the rows it draws only)."""
        cells = row.cells()
        if len(self._positions) == len(cells):
            return cells
        return tuple(cells[i] for i in self._positions)

    def on_resize(self) -> None:
        if self.clinic.rows is not None and self.fitting_columns() != self.columns:
            self.show_rows(keep_cursor=True)

    def update_summary(self) -> None:
        total = len(self.clinic.rows)
        shown = self.shown
        # The counts follow the search and filter: they count the patients listed.
        alerts = sum(1 for r in shown if r.alerts)
        followups = self.clinic.followups
        due = (
            f"? (press {key_hint(self, 'followups')})"
            if followups is None
            else sum(1 for r in shown if followup_due(followups.get(r.patient_id)))
        )
        scale = get_scale(self.clinic.list_scale).name
        summary = wording.list_counts(len(shown), total, scale, alerts, due)
        if self.clinic.computing:
            summary = (
                f"{wording.shown_of(len(shown), self.clinic.progress[1], 'patient')} · scale "
                f"{scale} · {self.clinic.progress_words()}"
            )
        if self.clinic.partial_list:
            summary = f"first {summary} · reading the whole list…"
        if not total:
            summary = f"No patients yet: press {key_hint(self, 'add_patient')} to add one."
        self.query_one("#list-summary", Static).update(summary)

    def replace_row(self, row: PatientRow) -> None:
        """Update one patient's row in place (no refill, whatever the number of rows)."""
        for index, shown in enumerate(self.shown):
            if shown.patient_id == row.patient_id:
                self.shown[index] = row
                self._widths = None  # its cells may be wider than any before (a booster added)
                self.set_columns()
                self.query_one("#patients", VirtualTable).refresh_rows()
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
        if self.clinic.rows is not None:
            if self.clinic.computing and self.query_one("#filter", Select).value != "all":
                self.notify(
                    f"This filter applies once the verdicts are in ({self.clinic.progress_words()})."
                )
            self.show_rows()

    @on(Select.Changed, "#list-scale")
    def _scale_changed(self, event: Select.Changed) -> None:
        if event.value != self.clinic.list_scale and event.value in SCALES:
            self.action_reload(scale=event.value)

    @on(Input.Submitted, "#search")
    def _search_done(self) -> None:
        self.query_one("#patients", VirtualTable).focus()

    @on(VirtualTable.HeaderSelected, "#patients")
    def _header_clicked(self, event: VirtualTable.HeaderSelected) -> None:
        self.action_sort(event.column_index)

    @on(VirtualTable.RowSelected, "#patients")
    def _row_chosen(self) -> None:
        self.action_open_patient()

    # ----- actions ------------------------------------------------------
    def action_sort(self, column: int) -> None:
        """Sort by the n-th column on screen; the same column again reverses the order."""
        if column >= len(self.columns):
            return  # a column a narrow terminal dropped
        key = self.columns[column]
        if self.clinic.computing and SORT_BY.get(key, key) in COMPUTED:
            self.notify(
                f"Sorting by {LABELS[key]} once the verdicts are in ({self.clinic.progress_words()})."
            )
        if key == self.sort_key:
            self.sort_reverse = not self.sort_reverse
        else:
            self.sort_key, self.sort_reverse = key, False
        if self.clinic.rows is not None:
            self.show_rows()

    def selected_patient(self) -> str | None:
        table = self.query_one("#patients", VirtualTable)
        if not self.shown or table.cursor_row >= len(self.shown):
            return None
        return self.shown[table.cursor_row].patient_id

    def action_open_patient(self) -> None:
        pid = self.selected_patient()
        if pid is not None:
            self.post_message(OpenPatient(pid))

    def action_search(self) -> None:
        self.query_one("#search", Input).focus()

    def action_add_patient(self) -> None:
        def done(saved) -> None:
            if saved:
                self.show_rows()

        self.app.push_screen(PatientForm(self.clinic), done)

    def action_followups(self) -> None:
        if self.clinic.computing:
            self.notify(
                "Follow-ups are known once every patient is analysed "
                f"({self.clinic.progress_words()})."
            )
            return
        self.app.push_screen(FollowUpScreen(self.clinic))

    def action_rems_forms(self) -> None:
        from outcomes_app.screens.rems_forms import RemsFormsScreen

        self.app.push_screen(RemsFormsScreen(self.clinic))

    def action_settings(self) -> None:
        self.app.push_screen(SettingsScreen(self.clinic))

    def action_reload(self, scale: str | None = None) -> None:
        """Read and analyse every patient again (on `scale` when one is chosen)."""
        # A plain "Loading" line rather than an animated indicator: an animation
        # would compete with the worker for the interpreter while it analyses.
        self.query_one("#list-summary", Static).update("Loading and analysing patients…")
        self.post_message(ReloadClinic(scale))
