"""One patient: timeline, status and its rule, chart, CADSS and side effects."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Header, Select, Static

import db
from outcomes.course import courses_of
from outcomes.drugs import DRUGS, ESKETAMINE, KETAMINE, induction_length
from outcomes.fields import date_problem
from outcomes.records import Assessment, Infusion, PatientData
from outcomes.scales import OUTCOME_SCALE_IDS, SCALES, get_scale
from outcomes.status import PatientStatus, analyse_patient
from outcomes.terminal_text import terminal_safe
from outcomes.timepoints import parse_timepoint
from outcomes.typed_text import text_problem
from outcomes.validation import reason_problems
from outcomes.wording.rems import medicines_line
from outcomes_app.acknowledging import acknowledge_open_alerts
from outcomes_app.audit_text import describe_record
from outcomes_app.clinic import Clinic
from outcomes_app.errors import guarded, notify_refusal
from outcomes_app.footer import KeyFooter
from outcomes_app.markup import NO_VALUE, safe_markup, words
from outcomes_app.messages import ReportWritten, RowChanged
from outcomes_app.modals import TextModal
from outcomes_app.saving import write_off_thread
from outcomes_app.screens.forms import AssessmentForm, InfusionForm, PatientForm
from outcomes_app.screens.records import HistoryScreen
from outcomes_app.text import (
    BOOSTER_STYLE,
    course_notes,
    status_text,
    timeline_rows,
)
from outcomes_app.widgets import AlertBanner, Table

#: The timeline's width before its first layout (#detail-left in clinician.tcss).
TIMELINE_WIDTH = 76


def make_chart(status: PatientStatus | None):
    """The terminal chart of one patient's scores (plotext loads on the first patient opened)."""
    from outcomes_app.chart import ScoreChart

    return ScoreChart(status, id="chart")


class PatientScreen(Screen):
    """A patient's course: timeline, status and its rule, chart, CADSS and side effects."""

    AUTO_FOCUS = "#timeline"
    #: Below 110 columns the chart would be squeezed to a sliver beside the
    #: timeline; `-narrow` (clinician.tcss) gives each side half the width instead.
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]
    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("i", "infusion", "Infusion"),
        # The same key, named for an esketamine course (`check_action` shows the one that fits).
        Binding("i", "esketamine_session", "Esketamine"),
        Binding("s", "assessment", "Score"),
        Binding("v", "session", "Session"),
        Binding("a", "acknowledge", "Acknowledge"),
        Binding("e", "edit_patient", "Edit"),
        Binding("n", "new_course", "New course"),
        Binding("c", "correct", "Correct"),
        Binding("x", "retract", "Retract"),
        Binding("h", "history", "History"),
        Binding("l", "audit", "Audit log"),
        Binding("r", "report", "Report"),
        Binding("p", "pick_scale", "Scale", show=False),
        Binding("w", "app.take_home_page", "Take-home page", show=False),
        Binding("k", "checkin_link", "Check-in link", show=False),
    ]

    def __init__(self, clinic: Clinic, patient_id: str) -> None:
        super().__init__()
        self.clinic = clinic
        self.patient_id = patient_id
        self.patient: PatientData = PatientData(patient_id)
        self.status: PatientStatus | None = None
        self.info: dict = {"patient_id": patient_id}
        #: Course number -> the note given when a clinician started it.
        self.course_notes: dict[int, str] = {}
        #: The esketamine course's concomitant medicines and the session that confirmed them.
        self.medicines = None
        self.scale_id = ""
        #: The timeline key to select after the next reload (a record just saved).
        self.select_after_reload: str | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield AlertBanner(id="banner")
        with Horizontal(id="patient-bar"):
            yield Static("", id="patient-info")
            yield Select(
                [(get_scale(s).name, s) for s in OUTCOME_SCALE_IDS], allow_blank=False, id="scale"
            )
        with Horizontal(id="detail-body"):
            with Vertical(id="detail-left"):
                # Scrolls (Tab to it, then the arrows) where the screen is too short for all of it.
                with VerticalScroll(id="status-scroll"):
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
        yield KeyFooter()

    def on_mount(self) -> None:
        self.scale_id = self.clinic.settings.primary_scale
        self.reload(first=True)

    def reload(self, first: bool = False) -> None:
        """Read this patient again (one patient only) and redraw everything."""
        result, error = guarded(
            lambda: self.clinic.analysed_patient(self.patient_id, self.scale_id)
        )
        if error:
            notify_refusal(self, error)
            return
        self.patient, self.status, self.info, data = result
        self.course_notes = course_notes(data.courses)
        self.medicines = self.read_medicines()
        self.refresh_bindings()  # "i" is named for the course's drug
        if first and not self.patient.of_scale(self.scale_id):
            # Open on a scale this patient actually has, if the primary one is empty.
            used = [s for s in OUTCOME_SCALE_IDS if self.patient.of_scale(s)]
            if used:
                self.scale_id = used[0]
                self.status = analyse_patient(
                    self.patient,
                    self.scale_id,
                    self.clinic.settings,
                    self.clinic.today,
                    data.acknowledged,
                )
        with self.prevent(Select.Changed):
            self.query_one("#scale", Select).value = self.scale_id
        self.redraw()
        if not first:
            self.post_message(RowChanged(self.patient_id))  # the list row follows the change

    def read_medicines(self):
        """The current course's concomitant medicines (its latest confirmation), or None."""
        from db.rems import forms_of
        from outcomes.rems import course_medicines

        course = self.status.course if self.status is not None else None
        if course is None or course.drug != ESKETAMINE:
            return None
        forms, error = guarded(lambda: forms_of(self.clinic.database, self.patient_id))
        if error:
            return None
        return course_medicines(forms, [i.when.iso() for i in course.infusions])

    def redraw(self) -> None:
        status = self.status
        info = self.info
        self.sub_title = terminal_safe(f"{self.patient_id} {info.get('name') or ''}".strip())
        bits = [
            f"[b]{safe_markup(self.patient_id)}[/b]",
            safe_markup(info.get("name") or "(no name)"),
        ]
        if status and status.course and status.course.drug == ESKETAMINE:
            # Next to the name: on a narrow terminal the line wraps and its end is cut.
            bits.append(f"[b]{safe_markup(medicines_line(self.medicines))}[/b]")
        if info.get("birth_date"):
            bits.append(f"born {info['birth_date']}")
        if info.get("weight_kg"):
            bits.append(f"{float(info['weight_kg']):g} kg")
        if status and status.course_count:
            bits.append(f"course {status.course.number} of {status.course_count}")
        self.query_one("#patient-info", Static).update(" · ".join(bits))
        self.query_one("#banner", AlertBanner).show(status)
        self.query_one("#status-panel", Static).update(status_text(status, self.clinic.today))
        self.fill_timeline()
        chart = self.query_one("#chart")
        if hasattr(chart, "show"):
            chart.show(status)
        self.fill_per_infusion()

    def fill_timeline(self) -> None:
        """The timeline's rows, each record wrapped to the table's width; the same record selected."""
        table = self.query_one("#timeline", Table)
        selected = self.selected_record()
        table.clear()
        rows = timeline_rows(self.patient, self.clinic.settings, self.course_notes)
        table.add_wrapped_rows(rows, table.size.width or TIMELINE_WIDTH)
        if rows:
            # The same record stays selected (a corrected record keeps its place,
            # under its new id); a first view or a new record selects the latest.
            keys = [key for key, _ in rows]
            wanted = self.select_after_reload or (
                f"{selected[0]}:{selected[1]}" if selected else None
            )
            self.select_after_reload = None
            index = keys.index(wanted) if wanted in keys else len(keys) - 1
            table.move_cursor(row=index)

    def fill_per_infusion(self) -> None:
        """CADSS and side effects by infusion, the side effects wrapped to the table's width."""
        side = self.query_one("#per-infusion", Table)
        side.clear()
        cadss = {
            a.infusion_id: a
            for a in self.patient.assessments
            if a.scale == "cadss" and a.infusion_id
        }
        rows = []
        for course in courses_of(self.patient):
            for number, inf in enumerate(course.infusions, start=1):
                dissociation = cadss.get(inf.id)
                label = f"{course.number}.{number}"
                if course.is_booster(inf, induction_length(self.clinic.settings, course.drug)):
                    label = Text(
                        label + " B", style=BOOSTER_STYLE
                    )  # "B": booster, as in the timeline
                cells = (
                    label,
                    inf.when.day.isoformat(),
                    NO_VALUE if dissociation is None else str(dissociation.total),
                    ", ".join(words(e) for e in inf.side_effects) or NO_VALUE,
                )
                rows.append((f"infusion:{inf.id}", cells))
        side.add_wrapped_rows(rows, side.size.width or TIMELINE_WIDTH // 2)

    @on(Select.Changed, "#scale")
    def _scale_changed(self, event: Select.Changed) -> None:
        if event.value in SCALES and event.value != self.scale_id:
            self.scale_id = event.value
            self.reload()

    def on_resize(self) -> None:
        # A resize (and the narrow layout, which settles after the first draw)
        # changes the tables' widths: wrap their text again, the selected record kept in view.
        if self.patient.infusions or self.patient.assessments:
            self.call_after_refresh(self._refill)

    def _refill(self) -> None:
        self.fill_timeline()
        self.fill_per_infusion()

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
        records = {"infusion": self.patient.infusions, "assessment": self.patient.assessments}.get(
            kind, ()
        )
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

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("infusion", "esketamine_session"):
            course = self.status.course if self.status is not None else None
            esketamine = course is not None and course.drug == ESKETAMINE
            return (action == "esketamine_session") == esketamine
        return True

    def action_esketamine_session(self) -> None:
        self.action_infusion()

    def action_infusion(self) -> None:
        self.app.push_screen(
            InfusionForm(self.clinic, self.patient_id, self.info, self.status), self._after_save
        )

    def action_assessment(self) -> None:
        self.app.push_screen(
            AssessmentForm(self.clinic, self.patient_id, self.patient, self.status, self.scale_id),
            self._after_save,
        )

    def action_edit_patient(self) -> None:
        self.app.push_screen(PatientForm(self.clinic, self.info, self.status), self._after_save)

    def _after_save(self, saved: Any) -> None:
        if saved:
            if isinstance(saved, str):
                self.select_after_reload = saved  # the saved record is selected after the reload
            self.reload()

    def action_acknowledge(self) -> None:
        acknowledge_open_alerts(self)

    def action_new_course(self) -> None:
        def check(values: dict[str, str]) -> str | None:
            if values["drug"].lower() not in DRUGS:
                return f"drug {values['drug']!r}: give {' or '.join(DRUGS)} (a course has one drug)"
            return date_problem(values["date"], "start date", self.clinic.today)[1] or text_problem(
                values["note"], "note", note=True
            )

        async def save(values) -> str | None:
            number, error = await write_off_thread(
                self.app,
                lambda: db.start_course(
                    self.clinic.database,
                    self.patient_id,
                    parse_timepoint(values["date"]),
                    self.clinic.clinician,
                    values.get("note") or None,
                    drug=values["drug"].lower(),
                ),
            )
            if not error:
                self.select_after_reload = f"course:{number}"  # the new course's start row, in view
            return error

        def done(values) -> None:
            if values:
                self.reload()

        self.app.push_screen(
            TextModal(
                f"Start a new course for {self.patient_id}",
                [
                    ("date", "Start date (YYYY-MM-DD)", self.clinic.today.isoformat()),
                    ("drug", f"Drug ({' or '.join(DRUGS)})", KETAMINE),
                    ("note", "Note", ""),
                ],
                intro="Later sessions count from session 1 of the new course, which has one drug.",
                ok="Start course",
                check=check,
                optional=("note",),
                save=save,
            ),
            done,
        )

    def action_correct(self) -> None:
        selected = self.correctable()
        if selected is None:
            return
        kind, ident = selected
        record = self.record(kind, ident)
        if isinstance(record, Infusion):
            self.app.push_screen(
                InfusionForm(
                    self.clinic, self.patient_id, self.info, self.status, correcting=record
                ),
                self._after_save,
            )
        elif isinstance(record, Assessment):
            self.app.push_screen(
                AssessmentForm(
                    self.clinic,
                    self.patient_id,
                    self.patient,
                    self.status,
                    record.scale,
                    correcting=record,
                ),
                self._after_save,
            )

    def action_retract(self) -> None:
        selected = self.correctable()
        if selected is None:
            return
        kind, ident = selected

        async def save(values) -> str | None:
            return (
                await write_off_thread(
                    self.app,
                    lambda: db.retract(
                        self.clinic.database, kind, ident, values["reason"], self.clinic.clinician
                    ),
                )
            )[1]

        def done(values) -> None:
            if values:
                self.reload()

        self.app.push_screen(
            TextModal(
                f"Retract the {describe_record(self.record(kind, ident))}",
                [("reason", "Reason (kept in the audit trail)", "")],
                intro="The record stops counting; it is kept, with who, when and why.",
                ok="Retract",
                check=lambda values: next(
                    (p.message for p in reason_problems(values["reason"])), None
                ),
                save=save,
            ),
            done,
        )

    def action_session(self) -> None:
        """The session screen of the selected infusion (else the latest): readings, end, discharge."""
        from outcomes_app.screens.session import SessionScreen

        selected = self.selected_record()
        chosen = self.record(*selected) if selected and selected[0] == "infusion" else None
        if chosen is None:
            chosen = max(self.patient.infusions, key=lambda inf: inf.when.ikey, default=None)
        if chosen is None:
            self.notify("No session recorded yet: record an infusion first (i).")
            return
        self.app.push_screen(
            SessionScreen(self.clinic, self.patient_id, chosen.when, self.info.get("name")),
            lambda _: self.reload(),
        )

    def action_history(self) -> None:
        selected = self.selected_record()
        if selected is None:
            self.notify("Select an infusion or assessment in the timeline first.")
            return
        kind, ident = selected
        if kind == "course":
            what = f"course {ident}"
            ident = (
                f"{self.patient_id}:{ident}"  # the audit trail keys a course by patient and number
            )
        else:
            what = describe_record(self.record(kind, ident))
        database = self.clinic.database
        self.app.push_screen(
            HistoryScreen(
                self.patient_id,
                self.status,
                f"History of the {what} ({self.who()}), oldest first",
                lambda: db.history(database, kind, ident),
                empty="No audit rows for this record.",
            )
        )

    async def action_checkin_link(self) -> None:
        """Issue a one-time check-in link for this patient and show it once (issue 25)."""
        from outcomes_app.checkin_link import CheckinLinkModal, issue

        settings = db.load_settings(self.clinic.database)
        issued, problem = await write_off_thread(
            self.app,
            lambda: issue(self.clinic.database, self.patient_id, settings, self.clinic.clinician),
        )
        if issued is None:
            self.notify(f"No link was issued: {problem}", severity="error", markup=False)
            return
        code_page = f"{settings.checkin_base_url.rstrip('/')}/code"
        self.app.push_screen(CheckinLinkModal(self.who(), *issued, code_page))

    def action_audit(self) -> None:
        """Everything recorded and changed for this patient, newest first."""
        database, pid = self.clinic.database, self.patient_id
        self.app.push_screen(
            HistoryScreen(
                pid,
                self.status,
                f"Everything recorded and changed for {self.who()}, newest first",
                lambda: db.patient_audit(database, pid),
            )
        )

    def who(self) -> str:
        """The patient as a title names them: "P001 Ada Example"."""
        return f"{self.patient_id} {self.info.get('name') or ''}".strip()

    def action_report(self) -> None:
        """Ask where to, then write this patient's report (PDF and PNG) in a worker."""

        def check(values: dict[str, str]) -> str | None:
            folder = Path(values["folder"]).expanduser()
            if folder.exists() and not folder.is_dir():
                return f"{folder} is a file; give a folder for the report files"
            return None

        def done(values) -> None:
            if values:
                self.clinic.report_folder = str(Path(values["folder"]).expanduser())
                self.notify(f"Writing the report of {self.who()}…")
                self.write_report(Path(self.clinic.report_folder))

        self.app.push_screen(
            TextModal(
                f"Write the report of {self.who()}",
                [("folder", "Folder", self.clinic.report_folder)],
                intro="A PDF (every scale recorded, the primary one in full) and the progress chart as a PNG, "
                "both readable by you only. The folder is created if it does not exist.",
                ok="Write report",
                check=check,
            ),
            done,
        )

    @work(thread=True, exclusive=True, group="report")
    def write_report(self, folder: Path) -> None:
        """Read the patient through a connection of this thread's own, then draw the report off the UI
        thread (the reports are handed the records; they never open the database)."""
        from reports.batch import ReportError, run_report  # matplotlib loads on the first report

        try:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            # Report files are written owner-only (0600) by the one atomic file writer.
            database = db.connect(self.clinic.db_path)  # this thread's own connection
            try:
                records = db.report_records(database, patient=self.patient_id)
            finally:
                database.close()
            result = run_report(
                records,
                folder,
                patient=self.patient_id,
                scale=self.scale_id,
                as_of=self.clinic.today,
                progress=False,
                stderr=io.StringIO(),
            )
        except (ReportError, db.StorageError, OSError) as exc:
            self.post_message(ReportWritten(self.patient_id, [], str(exc)))
            return
        except Exception as exc:  # words on screen, never a traceback
            self.post_message(ReportWritten(self.patient_id, [], f"{type(exc).__name__}: {exc}"))
            return
        error = "; ".join(message for _, message in result.failures) or None
        self.post_message(ReportWritten(self.patient_id, result.files, error))

    def on_report_written(self, message: ReportWritten) -> None:
        if message.error or not message.files:
            self.notify(
                f"The report of {self.who()} was not written: {message.error or 'no file'}",
                severity="error",
                timeout=20,
                markup=False,
            )
            return
        where = "\n".join(str(path) for path in message.files)
        self.notify(
            f"Report of {self.who()} written (owner-only files):\n{where}", timeout=20, markup=False
        )


# ---------------------------------------------------------------------------
# Forms
# ---------------------------------------------------------------------------
