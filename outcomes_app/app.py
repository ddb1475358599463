"""The clinician's app over one SQLite file: `OutcomesApp`."""

from __future__ import annotations

import gc
from datetime import date
from pathlib import Path
from typing import Iterable

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Static
from textual.worker import get_current_worker

import db
from outcomes.status import PatientStatus
from outcomes.typed_text import text_problem
from outcomes_app.clinic import SETTINGS_UNREADABLE, Clinic
from outcomes_app.commands import PatientCommands
from outcomes_app.errors import guarded
from outcomes_app.focus_keys import FOCUS_BINDINGS
from outcomes_app.help import HelpScreen
from outcomes_app.loading import analyse_clinic_posting, first_screen
from outcomes_app.markup import safe_markup
from outcomes_app.messages import (
    ClinicListed,
    ClinicLoaded,
    ClinicLoadFailed,
    ClinicProgress,
    OpenPatient,
    ReloadClinic,
    RowChanged,
    SettingsChanged,
)
from outcomes_app.modals import TextModal
from outcomes_app.saving import quit_refused_while_saving, writes_under_way
from outcomes_app.screens.patient_detail import PatientScreen
from outcomes_app.screens.patient_list import PatientListScreen
from outcomes_app.screens.records import clinician_help

#: Seconds between two looks at SQLite's `data_version`: what another
#: process writes (a clinician, an import, a patient's self-report) shows
#: within this plus one reload, well inside the five seconds promised.
DATA_VERSION_POLL_S = 1.0

#: Seconds the replaced-file notice stays up: until the app is closed, in practice.
REPLACED_NOTICE_S = 24 * 3600.0

#: Where the clinician app writes patients' take-home pages.
HANDOUT_DIR = Path("~/ketamine-outcomes-handouts")


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
        *FOCUS_BINDINGS,  # Tab moves the focus before the next key is handed out
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
        #: The one state the screens are handed (today, settings, clinician, database, rows).
        self.clinic = Clinic(db_path, today=today, clinician=clinician or "", scale=scale or "")
        #: The clinic file at the path was found replaced (`notice_replaced_file`).
        self.replaced_file_noticed = False

    def get_default_screen(self) -> Screen:
        return PatientListScreen(self.clinic)

    def on_mount(self) -> None:
        self.theme = "textual-dark"
        clinic = self.clinic
        database, error = guarded(lambda: db.connect(clinic.db_path))
        if error:
            self.exit(message=f"cannot open the database {clinic.db_path}: {error}", return_code=1)
            return
        clinic.database = database
        clinic.data_version, _ = guarded(lambda: db.data_version(database))
        self.set_interval(DATA_VERSION_POLL_S, self.follow_database)
        self.reload_settings()
        clinic.list_scale = clinic.list_scale or clinic.settings.primary_scale
        self.load_clinic()  # started before the screens compose: the list is the slow part
        if not clinic.clinician:
            self.ask_clinician()

    async def action_quit(self) -> None:
        if not quit_refused_while_saving(self):
            await super().action_quit()

    def on_unmount(self) -> None:
        if self.clinic.database is not None:
            self.clinic.database.conn.close()

    def ask_clinician(self) -> None:
        def done(values) -> None:
            self.clinic.clinician = (values or {}).get("who") or db.default_user()
            self.sub_title = f"clinician: {self.clinic.clinician}"

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
        error = self.clinic.reload_settings()
        if error:
            self.notify(SETTINGS_UNREADABLE.format(error=error), severity="error")

    # ----- the clinic-wide analysis, off the UI thread (`outcomes_app.loading`) ----
    def load_clinic(self, first_paint: bool = True) -> None:
        """Read and analyse the clinic: the first screen of rows at once (unless `first_paint` is
        False: a reload behind a list already shown), everything else on a worker."""
        if first_paint:
            listed = first_screen(self.clinic)
            if listed is None:
                self.clinic.rows_drawn.set()  # nothing to wait for: the worker says why on the list
            else:
                self.clinic.rows_drawn.clear()
                self.on_clinic_listed(listed)
        self._analyse_clinic(first_paint)

    @work(thread=True, exclusive=True, group="clinic")
    def _analyse_clinic(self, first_paint: bool) -> None:
        analyse_clinic_posting(self.clinic, get_current_worker(), self.post_message, first_paint)

    def on_clinic_listed(self, message: ClinicListed) -> None:
        first = self.clinic.listed(message)
        screen = self.shown_list()
        if screen is not None:
            screen.show_rows(keep_cursor=not first)

    def on_clinic_progress(self, message: ClinicProgress) -> None:
        if self.clinic.progress is None:
            return  # the full rows are already in
        self.clinic.progress = (message.done, message.total)
        screen = self.shown_list()
        if screen is not None:
            screen.update_summary()

    def follow_database(self) -> None:
        """Reload when another connection wrote (a cheap PRAGMA, once a second).

        The list and any open patient are read again; forms and dialogs on
        top keep what the clinician is typing, and the list keeps its
        search, filter, sort and selected patient.
        """
        clinic = self.clinic
        if clinic.database is None or self.notice_replaced_file():
            return
        if writes_under_way(self):
            return  # while a save's worker has the connection (`outcomes_app.saving`), look next time
        version, error = guarded(lambda: db.data_version(clinic.database))
        if error or version == clinic.data_version:
            return
        clinic.data_version = version
        self.load_clinic(first_paint=False)
        for screen in self.screen_stack:
            if isinstance(screen, PatientScreen):
                screen.reload()

    def notice_replaced_file(self) -> bool:
        """Whether the path names another file than the one opened (a restore by `mv`, a copy
        over it); said once, at once, in a notice that stays. Every write is refused from then
        on (`db.write_transaction`), and the app stops reloading from the old file."""
        clinic = self.clinic
        if self.replaced_file_noticed:
            return True
        if clinic.database is None or not db.file_replaced(clinic.database.conn):
            return False
        self.replaced_file_noticed = True
        self.sub_title = "clinic file replaced: nothing is saved; restart the app"
        self.notify(
            db.replaced_notice(clinic.db_path),
            title="The clinic file was replaced",
            severity="error",
            timeout=REPLACED_NOTICE_S,
            markup=False,
        )
        return True

    def on_clinic_loaded(self, message: ClinicLoaded) -> None:
        # The analysis left millions of long-lived objects; freezing them keeps
        # the cyclic garbage collector from walking them again on every full
        # collection while the table paints (they are freed by reference
        # counting when a reload replaces them).
        gc.freeze()
        new = self.clinic.loaded(message)
        announce_new_alerts(self, new, message.statuses)
        screen = self.shown_list()
        if screen is not None:
            screen.show_rows(keep_cursor=True)

    def on_clinic_load_failed(self, message: ClinicLoadFailed) -> None:
        self.clinic.load_failed()
        screen = self.shown_list()
        if screen is not None:
            screen.query_one("#list-summary", Static).update(
                f"[b red]{safe_markup(message.reason)}[/]"
            )
        else:
            self.notify(message.reason, severity="error", timeout=30)

    def list_screen(self) -> PatientListScreen:
        return next(s for s in self.screen_stack if isinstance(s, PatientListScreen))

    def shown_list(self) -> PatientListScreen | None:
        """The patient list if it is mounted; None before it is, and while the app shuts down
        (a message or a reload may arrive after the screens are gone)."""
        screen = next((s for s in self.screen_stack if isinstance(s, PatientListScreen)), None)
        return screen if screen is not None and screen.is_mounted else None

    # ----- what the screens post up (`outcomes_app.messages`) -----------------
    def on_row_changed(self, message: RowChanged) -> None:
        """Recompute one patient's list row after a change (no clinic-wide reload)."""
        changed = self.clinic.row_changed(message.patient_id)
        if changed is None:
            return
        row, index = changed
        screen = self.shown_list()
        if screen is None:
            return
        if index is None:
            screen.show_rows()  # a new patient
        else:
            screen.replace_row(row)

    def on_open_patient(self, message: OpenPatient) -> None:
        self.open_patient(message.patient_id)

    def on_reload_clinic(self, message: ReloadClinic) -> None:
        if self.shown_list() is None:
            return  # the app is shutting down
        if message.scale:
            self.clinic.list_scale = message.scale
        self.load_clinic()

    def on_settings_changed(self, message: SettingsChanged) -> None:
        screen = self.shown_list()
        if screen is not None:
            screen.action_reload()  # every status depends on the settings

    # ----- navigation and actions ------------------------------------------
    def open_patient(self, pid: str) -> None:
        self.push_screen(PatientScreen(self.clinic, pid))

    def action_add_patient(self) -> None:
        self.list_screen().action_add_patient()

    def action_followups(self) -> None:
        self.list_screen().action_followups()

    def action_settings(self) -> None:
        self.list_screen().action_settings()

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

        clinic = self.clinic
        try:
            view = load_patient(clinic.db_path, pid)
            database = db.connect(clinic.db_path)  # this thread's own: the next check-in's link
            try:
                checkin = checkin_print(
                    database, pid, view.settings, clinic.clinician, clinic.today
                )
            finally:
                database.conn.close()
            path = save_handout(view, scale_id, HANDOUT_DIR.expanduser(), clinic.today, checkin)
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
