"""The patient list: every patient with course progress, latest score, verdict and alerts."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input, Select, Static
from textual.widgets.data_table import ColumnKey

from outcomes.scales import OUTCOME_SCALE_IDS, SCALES, get_scale
from outcomes.verdict import VERDICTS
from outcomes_app.text import (
    LIST_COLUMNS,
    SORT_BY,
    PatientRow,
    column_widths,
    fitting_columns,
)
from outcomes_app.widgets import (
    Table,
    followup_due,
    words,
)

#: Row attributes known only once the worker has analysed every patient.
COMPUTED = frozenset({"alerts", "improvement", "verdict", "relief_days"})
SEARCH_DELAY = 0.15  # seconds of no typing before the list is filtered

FILTERS = [("All patients", "all"), ("Open alerts", "alerts"), ("Follow-up due", "followup"),
           ("Relapsed (response lost)", "relapsed")] + [(f"Verdict: {words(v)}", v) for v in VERDICTS]
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
        Binding("comma", "settings", "Settings"),
        Binding("1", "sort(0)", "Sort 1-9"),
        *[Binding(str(i + 1), f"sort({i})", show=False) for i in range(1, len(LIST_COLUMNS))],
        Binding("r", "reload", "Reload"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.sort_key = LIST_COLUMNS[0][1]
        self.sort_reverse = False
        #: The column keys on screen, in order (a narrow terminal drops some).
        self.columns: list[str] = []
        self._widths: tuple[tuple[int, int], dict[str, int]] | None = None
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
        yield Table(id="patients", cursor_type="row", zebra_stripes=True)
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
        if self.app.computing:
            choice = "all"  # alerts, verdicts and follow-ups are not known yet: applied once they are
        if choice == "alerts":
            rows = [r for r in rows if r.alerts]
        elif choice == "followup":
            due = self.app.followup_map()
            rows = [r for r in rows if followup_due(due.get(r.patient_id))]
        elif choice == "relapsed":
            rows = [r for r in rows if r.relapsed]
        elif choice in VERDICTS:
            rows = [r for r in rows if r.verdict == choice]
        attr = SORT_BY.get(self.sort_key, self.sort_key)
        if self.app.computing and attr in COMPUTED:
            attr = "patient_id"
        present = [r for r in rows if getattr(r, attr) is not None]
        missing = [r for r in rows if getattr(r, attr) is None]
        present.sort(key=lambda r: getattr(r, attr), reverse=self.sort_reverse)
        return present + missing  # unknown values last in either direction

    def show_rows(self, keep_cursor: bool = False) -> None:
        """Refill the table in one go from the app's rows (`keep_cursor`: stay on the same patient)."""
        table = self.query_one("#patients", DataTable)
        selected = self.selected_patient() if keep_cursor else None
        self.shown = self.visible_rows()
        columns = self.fitting_columns()
        if columns != self.columns:
            table.clear(columns=True)
            for key in columns:
                table.add_column(LABELS[key], key=key)
            self.columns = columns
        else:
            table.clear()
        if len(columns) == len(LIST_COLUMNS):
            table.add_rows(row.cached_cells or row.cells() for row in self.shown)
        else:
            table.add_rows(self.visible_cells(row) for row in self.shown)
        if selected is not None:
            index = next((i for i, r in enumerate(self.shown) if r.patient_id == selected), None)
            if index is not None:
                table.move_cursor(row=index, animate=False, scroll=True)
        for key in columns:
            arrow = (" ▼" if self.sort_reverse else " ▲") if key == self.sort_key else ""
            table.columns[ColumnKey(key)].label = Text(LABELS[key] + arrow)
        self.update_summary()
        table.refresh()

    def fitting_columns(self) -> list[str]:
        """The columns that fit the screen's width, lower-priority ones dropped first."""
        rows = self.app.rows or []
        mark = (id(rows), len(rows))
        if self._widths is None or self._widths[0] != mark:  # measured once per clinic load
            self._widths = (mark, column_widths(rows))
        return fitting_columns(self._widths[1], self.size.width - TABLE_CHROME)

    def visible_cells(self, row: PatientRow) -> tuple:
        cells = dict(zip((key for _, key in LIST_COLUMNS), row.cached_cells or row.cells()))
        return tuple(cells[key] for key in self.columns)

    def on_resize(self) -> None:
        if self.app.rows is not None and self.fitting_columns() != self.columns:
            self.show_rows()

    def update_summary(self) -> None:
        total = len(self.app.rows)
        alerts = sum(1 for r in self.app.rows if r.alerts)
        followups = self.app.followups
        due = "? (press f)" if followups is None else sum(1 for f in followups.values() if followup_due(f))
        summary = f"{len(self.shown)} of {total} patients · scale {get_scale(self.app.list_scale).name}"
        summary += f" · {alerts} with open alerts · {due} follow-ups due"
        if self.app.computing:
            summary = (f"{len(self.shown)} of {total} patients · scale {get_scale(self.app.list_scale).name}"
                       f" · {self.app.progress_words()}")
        if not total:
            summary = "No patients yet: press a to add one."
        self.query_one("#list-summary", Static).update(summary)

    def replace_row(self, row: PatientRow) -> None:
        """Update one patient's cells in place (cheap with 10,000 rows)."""
        table = self.query_one("#patients", DataTable)
        for index, shown in enumerate(self.shown):
            if shown.patient_id == row.patient_id:
                self.shown[index] = row
                for column, cell in enumerate(self.visible_cells(row)):
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
            if self.app.computing and self.query_one("#filter", Select).value != "all":
                self.notify(f"This filter applies once the verdicts are in ({self.app.progress_words()}).")
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
        """Sort by the n-th column on screen; the same column again reverses the order."""
        if column >= len(self.columns):
            return  # a column a narrow terminal dropped
        key = self.columns[column]
        if self.app.computing and SORT_BY.get(key, key) in COMPUTED:
            self.notify(f"Sorting by {LABELS[key]} once the verdicts are in "
                        f"({self.app.progress_words()}).")
        if key == self.sort_key:
            self.sort_reverse = not self.sort_reverse
        else:
            self.sort_key, self.sort_reverse = key, False
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


