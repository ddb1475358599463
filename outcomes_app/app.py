"""The clinician's app over one SQLite file: `OutcomesApp`."""

from __future__ import annotations

import gc
import threading
from datetime import date
from pathlib import Path
from time import perf_counter
from typing import Iterable

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Static
from textual.worker import get_current_worker

import db
from outcomes.followup import FollowUp, next_followup
from outcomes.scales import SCALES
from outcomes.settings import Settings
from outcomes.status import PatientStatus, analyse_clinic
from outcomes.typed_text import text_problem
from outcomes_app.commands import PatientCommands
from outcomes_app.errors import guarded
from outcomes_app.help import HelpScreen
from outcomes_app.markup import safe_markup
from outcomes_app.messages import ClinicListed, ClinicLoaded, ClinicLoadFailed, ClinicProgress
from outcomes_app.modals import TextModal
from outcomes_app.saving import quit_refused_while_saving
from outcomes_app.screens.forms import PatientForm
from outcomes_app.screens.patient_detail import PatientScreen, analysed_patient
from outcomes_app.screens.patient_list import PatientListScreen
from outcomes_app.screens.records import FollowUpScreen, SettingsScreen, clinician_help
from outcomes_app.text import PatientRow

#: Seconds between two looks at SQLite's `data_version`: what another
#: process writes (a clinician, an import, a patient's self-report) shows
#: within this plus one reload, well inside the five seconds promised.
DATA_VERSION_POLL_S = 1.0

#: Where the clinician app writes patients' take-home pages.
HANDOUT_DIR = Path("~/ketamine-outcomes-handouts")

#: Longest the worker waits for the first rows to be drawn before it analyses anyway (a patient's
#: screen may hide the list during a reload).
PAINT_WAIT_S = 5.0
#: Patients analysed at a time: larger reads cost less than chunks of 1,000 (10,000 patients:
#: 3.8 s CPU in chunks of 5,000, 4.1 s of 2,500, 4.5 s of 1,000, 3.9 s in one go), and the
#: progress still moves ten times at 50,000.
ANALYSIS_CHUNK = 5_000
#: Patients in the first paint: more rows than a tall terminal shows, read in milliseconds
#: (`db.list_rows` with a limit); the whole list follows.
FIRST_SCREEN_ROWS = 150


class OutcomesApp(App):
    """The clinician's app over one SQLite file."""

    TITLE = "Ketamine outcomes"
    CSS_PATH = "clinician.tcss"
    COMMANDS = App.COMMANDS | {PatientCommands}
    BINDINGS = [
        # Shown in the footer, so that leaving the app is never a guess (ctrl+q works too).
        Binding("q", "quit", "Quit"),
        Binding("question_mark,f1", "help", "Help"),
        Binding("ctrl+t", "toggle_theme", "Theme"),
    ]

    def __init__(
        self,
        db_path: str | Path,
        *,
        today: date | None = None,
        clinician: str | None = None,
        scale: str | None = None,
    ) -> None:
        super().__init__()
        self.db_path = Path(db_path)
        self._today = today
        self.clinician = clinician or ""
        self.list_scale = scale or ""
        self.database = None
        self.settings = Settings()
        self.rows: list[PatientRow] | None = None
        #: Statuses of the patients with an open alert (the others' are not kept: memory).
        self.statuses: dict[str, PatientStatus] = {}
        #: Next follow-up per patient (None until the verdicts are in).
        self.followups: dict[str, FollowUp | None] | None = None
        self.load_seconds: float | None = None
        #: (analysed, total) while the statuses are being computed, else None.
        self.progress: tuple[int, int] | None = None
        #: True while `rows` holds only the first screen of a larger clinic (the rest is being read).
        self.partial_list = False
        #: Set by the patient list's table once it has drawn rows (the worker waits for the first screen).
        self.rows_drawn = threading.Event()
        #: SQLite's data_version when the app last read the clinic.
        self.data_version: int | None = None
        #: (patient, alert key) of every open alert at the last full read (None before it).
        self.open_alerts: set[tuple[str, str]] | None = None
        #: Saves under way on worker threads (`outcomes_app.saving`), which use `database` meanwhile.
        self.writing = 0
        #: Where the patient screen's `r` writes reports (the clinician may choose another).
        self.report_folder = str(Path.home() / "ketamine-outcomes-reports")

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
        self.data_version, _ = guarded(lambda: db.data_version(database))
        self.set_interval(DATA_VERSION_POLL_S, self.follow_database)
        self.reload_settings()
        self.list_scale = self.list_scale or self.settings.primary_scale
        self.load_clinic()  # started before the screens compose: the list is the slow part
        if not self.clinician:
            self.ask_clinician()

    async def action_quit(self) -> None:
        if not quit_refused_while_saving(self):
            await super().action_quit()

    def on_unmount(self) -> None:
        if self.database is not None:
            self.database.conn.close()

    def ask_clinician(self) -> None:
        def done(values) -> None:
            self.clinician = (values or {}).get("who") or db.default_user()
            self.sub_title = f"clinician: {self.clinician}"

        self.push_screen(
            TextModal(
                "Who is using the app?",
                [("who", "Your name (recorded with every change)", db.default_user())],
                intro="Asked once per session; it goes into the audit trail.",
                ok="Start",
                check=lambda values: text_problem(values["who"], "your name"),
            ),
            done,
        )

    def reload_settings(self) -> None:
        settings, error = guarded(lambda: db.load_settings(self.database))
        if error:
            self.notify(f"settings could not be read, using defaults: {error}", severity="error")
        else:
            self.settings = settings

    def show_first_screen(self) -> None:
        """The first screen of rows (id, name, course, latest score), read here on the UI thread.

        One indexed query of `FIRST_SCREEN_ROWS` patients takes milliseconds at
        any size, so the app's very first frame shows patients rather than an
        empty table that a worker fills a frame later. A failure is left to the
        worker, which reads the same file and says why on the list.
        """
        scale = self.list_scale if self.list_scale in SCALES else self.settings.primary_scale
        read, error = guarded(
            lambda: (
                db.patient_count(self.database),
                db.list_rows(self.database, scale, FIRST_SCREEN_ROWS),
            )
        )
        if error:
            self.rows_drawn.set()  # nothing to wait for: the worker says why on the list
            return
        total, first = read
        rows = [PatientRow.quick(*row, scale, self.settings.induction_sessions) for row in first]
        self.rows_drawn.clear()
        self.on_clinic_listed(ClinicListed(rows, self.settings, scale, total))

    # ----- the clinic-wide analysis, off the UI thread -------------------------
    def load_clinic(self, first_paint: bool = True) -> None:
        """Read and analyse the clinic: the first screen of rows at once (unless `first_paint` is
        False: a reload behind a list already shown), everything else on a worker."""
        if first_paint:
            self.show_first_screen()
        self._analyse_clinic(first_paint)

    @work(thread=True, exclusive=True, group="clinic")
    def _analyse_clinic(self, first_paint: bool) -> None:
        """Read and analyse every patient with a connection of the worker's own.

        On the first load the app has painted the first screen of rows
        (`show_first_screen`); the worker waits for that paint, has the rest of
        the list read by a thread of its own, and computes the statuses a chunk
        of patients at a time with the progress posted after each, the full rows
        at the end. A reload behind a list already shown (`first_paint=False`,
        when another process wrote) goes straight to the statuses: the full rows
        replace the old at once.
        """
        started = perf_counter()
        worker = get_current_worker()
        scale = self.list_scale
        try:
            database = db.connect(self.db_path)
            try:
                settings = db.load_settings(database)
                scale = scale if scale in SCALES else settings.primary_scale
                total = db.patient_count(database)
                rest = self._rest_of_list(worker, scale, settings, total) if first_paint else None
                analysed = self._analyse_in_chunks(database, worker, scale, settings, total)
                if rest is not None:
                    rest.join()  # its list is posted before the verdicts that replace it
            finally:
                close = getattr(database, "close", None) or getattr(
                    getattr(database, "conn", None), "close", None
                )
                if close:
                    close()
            if analysed is None:
                return  # cancelled: a newer load replaces this one
            rows, followups, alerting = analysed
        except Exception as exc:  # shown as words on the list, never a traceback
            if not worker.is_cancelled:
                self.post_message(ClinicLoadFailed(f"could not read the patients: {exc}"))
            return
        if not worker.is_cancelled:
            self.post_message(
                ClinicLoaded(rows, alerting, followups, settings, scale, perf_counter() - started)
            )

    def _rest_of_list(
        self, worker, scale: str, settings: Settings, total: int
    ) -> threading.Thread | None:
        """Once the first screen of rows is painted, read the whole list in a thread of its own.

        Returned (None when the first screen holds everyone): its query runs
        inside SQLite, off the interpreter's lock, on the second core while
        this worker analyses. The wait keeps the rest from competing with the
        first paint for the interpreter.
        """
        if total <= FIRST_SCREEN_ROWS:
            return None
        self.rows_drawn.wait(PAINT_WAIT_S)

        def whole_list() -> None:
            connection = db.connect(self.db_path)
            try:
                rows = [
                    PatientRow.quick(*row, scale, settings.induction_sessions)
                    for row in db.list_rows(connection, scale)
                ]
            except Exception:  # the verdicts bring every row anyway; nothing to tell the clinician
                return
            finally:
                connection.conn.close()
            if not worker.is_cancelled:
                self.post_message(ClinicListed(rows, settings, scale))

        rest = threading.Thread(target=whole_list, name="whole patient list", daemon=True)
        rest.start()
        return rest

    def _analyse_in_chunks(self, database, worker, scale: str, settings: Settings, total: int):
        """Every patient's list row and next follow-up, a chunk of patients at a time (None if cancelled).

        A chunk's statuses are dropped once its rows are made: those of 50,000
        patients would hold about a gigabyte. Only the statuses with an open
        alert are kept (returned third, by patient), to announce new alerts.
        """
        rows: list[PatientRow] = []
        followups: dict[str, FollowUp | None] = {}
        alerting: dict[str, PatientStatus] = {}
        for chunk in db.clinic_chunks(database, ANALYSIS_CHUNK):
            if worker.is_cancelled:
                return None
            names = chunk.names()
            for status in analyse_clinic(chunk, scale, settings, self.today):
                pid = status.patient_id
                rows.append(PatientRow.of(status, names.get(pid, "")))
                followups[pid] = next_followup(status, self.today)
                if status.open_alerts:
                    alerting[pid] = status
            self.post_message(ClinicProgress(len(rows), total))
        return rows, followups, alerting

    def on_clinic_listed(self, message: ClinicListed) -> None:
        first = self.rows is None or not self.partial_list  # not the rest of a list already painted
        self.rows, self.statuses, self.followups = message.rows, {}, None
        self.settings, self.list_scale = message.settings, message.scale
        self.partial_list = len(message.rows) < message.total
        if first:
            self.progress = (0, message.total)
        screen = self.list_screen()
        if screen.is_mounted:
            screen.show_rows(keep_cursor=not first)

    def on_clinic_progress(self, message: ClinicProgress) -> None:
        if self.progress is None:
            return  # the full rows are already in
        self.progress = (message.done, message.total)
        screen = self.list_screen()
        if screen.is_mounted:
            screen.update_summary()

    @property
    def computing(self) -> bool:
        """Whether the list still shows first-paint rows (verdicts, relief and alerts to come)."""
        return self.progress is not None

    def follow_database(self) -> None:
        """Reload when another connection wrote (a cheap PRAGMA, once a second).

        The list and any open patient are read again; forms and dialogs on
        top keep what the clinician is typing, and the list keeps its
        search, filter, sort and selected patient.
        """
        if self.database is None or self.writing:
            return  # while a save's worker has the connection (`outcomes_app.saving`), look next time
        version, error = guarded(lambda: db.data_version(self.database))
        if error or version == self.data_version:
            return
        self.data_version = version
        self.load_clinic(first_paint=False)
        for screen in self.screen_stack:
            if isinstance(screen, PatientScreen):
                screen.reload()

    def on_clinic_loaded(self, message: ClinicLoaded) -> None:
        # The analysis left millions of long-lived objects; freezing them keeps
        # the cyclic garbage collector from walking them again on every full
        # collection while the table paints (they are freed by reference
        # counting when a reload replaces them).
        gc.freeze()
        open_now = {(pid, a.key) for pid, st in message.statuses.items() for a in st.open_alerts}
        if self.open_alerts is not None:
            announce_new_alerts(self, open_now - self.open_alerts, message.statuses)
        self.open_alerts = open_now
        self.rows, self.statuses = message.rows, message.statuses
        self.followups = message.followups
        self.settings, self.list_scale = message.settings, message.scale
        self.load_seconds = message.seconds
        self.progress, self.partial_list = None, False
        # None while the app shuts down (a reload may finish after the screens are gone).
        screen = next((s for s in self.screen_stack if isinstance(s, PatientListScreen)), None)
        if screen is not None and screen.is_mounted:
            screen.show_rows(keep_cursor=True)

    def followup_map(self) -> dict[str, FollowUp | None]:
        """Every patient's next follow-up: they come with the verdicts (empty until then)."""
        return {} if self.computing or self.followups is None else self.followups

    def on_clinic_load_failed(self, message: ClinicLoadFailed) -> None:
        self.progress, self.partial_list = None, False
        screen = self.list_screen()
        if screen.is_mounted:
            screen.query_one("#list-summary", Static).update(
                f"[b red]{safe_markup(message.reason)}[/]"
            )
        else:
            self.notify(message.reason, severity="error", timeout=30)

    def list_screen(self) -> PatientListScreen:
        return next(s for s in self.screen_stack if isinstance(s, PatientListScreen))

    def refresh_row(self, pid: str) -> None:
        """Recompute one patient's list row after a change (no clinic-wide reload)."""
        if self.rows is None:
            return
        result, error = guarded(lambda: analysed_patient(self, pid, self.list_scale))
        if error:
            return
        _, status, info, _ = result
        row = PatientRow.of(status, info.get("name") or "")
        if status.open_alerts:
            self.statuses[pid] = status
        else:
            self.statuses.pop(pid, None)
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
        if self.computing:
            self.notify(
                f"Follow-ups are known once every patient is analysed ({self.progress_words()})."
            )
            return
        self.push_screen(FollowUpScreen())

    def progress_words(self) -> str:
        """'computing verdicts… 4,000 of 10,000'."""
        done, total = self.progress or (0, 0)
        return f"computing verdicts… {done:,} of {total:,}"

    def action_settings(self) -> None:
        self.push_screen(SettingsScreen())

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(clinician_help())

    def action_toggle_theme(self) -> None:
        self.theme = "textual-light" if self.theme == "textual-dark" else "textual-dark"

    def action_patients(self) -> None:
        while not isinstance(self.screen, PatientListScreen) and len(self.screen_stack) > 1:
            self.pop_screen()

    def action_take_home_page(self) -> None:
        """The open patient's one-page, plain-language PDF, into the handouts folder."""
        if isinstance(self.screen, PatientScreen):
            self._write_take_home_page(self.screen.patient_id, self.screen.scale_id)

    @work(thread=True, group="handout")
    def _write_take_home_page(self, pid: str, scale_id: str) -> None:
        from outcomes_app.checkin_link import checkin_print
        from outcomes_app.patient_mode.files import save_handout
        from outcomes_app.patient_mode.view import load_patient

        try:
            view = load_patient(self.db_path, pid)
            database = db.connect(self.db_path)  # this thread's own: the next check-in's link
            try:
                checkin = checkin_print(database, pid, view.settings, self.clinician, self.today)
            finally:
                database.conn.close()
            path = save_handout(view, scale_id, HANDOUT_DIR.expanduser(), self.today, checkin)
        except Exception as exc:  # words, never a traceback
            self.call_from_thread(
                self.notify,
                f"The take-home page of {pid} could not be written: {exc}",
                severity="error",
                markup=False,
            )
        else:
            self.call_from_thread(
                self.notify,
                f"{pid}: {path}",
                title="Take-home page written",
                markup=False,
                timeout=20,
            )

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Patients", "Go back to the patient list", self.action_patients)
        yield SystemCommand("Add patient", "Register a new patient", self.action_add_patient)
        yield SystemCommand(
            "Follow-ups due",
            "Patients whose next follow-up is due or overdue",
            self.action_followups,
        )
        yield SystemCommand(
            "Settings", "Clinic settings (validated, audited)", self.action_settings
        )
        yield SystemCommand("Help: keys", "Every key on one page", self.action_help)
        yield SystemCommand(
            "Toggle light/dark theme",
            "Switch between the light and dark theme",
            self.action_toggle_theme,
        )
        yield SystemCommand(
            "Reload patients", "Read and analyse every patient again", self.load_clinic
        )
        if isinstance(screen, PatientListScreen):
            yield SystemCommand(
                "Open selected patient", "The patient under the cursor", screen.action_open_patient
            )
            yield SystemCommand("Search patients", "Search by id or name", screen.action_search)
        if isinstance(screen, PatientScreen):
            for title, help_text, action in (
                (
                    "Record infusion",
                    "Dose, vital signs, side effects, CADSS",
                    screen.action_infusion,
                ),
                ("Enter assessment", "A rating scale, item by item", screen.action_assessment),
                ("Acknowledge alerts", "With your name and a note", screen.action_acknowledge),
                ("Edit patient", "Name, birth date, weight, notes", screen.action_edit_patient),
                (
                    "Start new course",
                    "Later infusions count from session 1",
                    screen.action_new_course,
                ),
                ("Correct selected record", "A correction with a reason", screen.action_correct),
                (
                    "Retract selected record",
                    "Stops counting, kept in the audit trail",
                    screen.action_retract,
                ),
                (
                    "History of selected record",
                    "Old and new values, who and why",
                    screen.action_history,
                ),
                (
                    "Audit log of this patient",
                    "Everything recorded and changed, newest first",
                    screen.action_audit,
                ),
                (
                    "Write this patient's report",
                    "PDF and PNG, saying where they went",
                    screen.action_report,
                ),
                ("Pick scale", "The scale of the chart and status", screen.action_pick_scale),
                (
                    "Take-home page",
                    "The patient's one-page, plain-language PDF (key w)",
                    self.action_take_home_page,
                ),
            ):
                yield SystemCommand(title, help_text, action)


def announce_new_alerts(
    app: App, new: set[tuple[str, str]], statuses: dict[str, PatientStatus]
) -> None:
    """A notification for each open alert that was not open at the last full read."""
    for pid, key in sorted(new):
        alert = next(a for a in statuses[pid].open_alerts if a.key == key)
        app.notify(
            f"{pid}: {alert.detail} ({alert.when.iso()}). Open the patient to acknowledge it.",
            title="New safety alert",
            severity="error",
            timeout=60,
            markup=False,
        )
