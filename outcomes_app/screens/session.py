"""One treatment session at the chair side: readings as they are taken, then the end and discharge.

A nurse adds a reading in a few keystrokes: the time is filled with now
(or typed as "09:40" or "+40", minutes after the start), the last values are
offered in each field (typing replaces them), Enter saves. The readings show
as a table and as a chart over minutes since the start with the clinic's
thresholds drawn; ctrl+e records the end of the session (end time or
duration, ready to leave, accompanied) as a correction of the session's
record; ctrl+r writes the one-page session record PDF. Every number, alert and
sentence comes from `outcomes/` (`outcomes.sessions`, `outcomes.session_record`).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Header, Input, Label, Static

import db
from outcomes.drugs import ESKETAMINE
from outcomes.readings import (
    MEASUREMENTS,
    READING_WINDOW_HOURS,
    check_reading,
    moment,
    reading_time,
    split_pressure,
)
from outcomes.records import PatientData
from outcomes.session_record import (
    READING_HEADERS,
    SessionNotFound,
    locate_session,
    reading_row,
    session_cadss,
    summary_lines,
)
from outcomes.sessions import (
    SESSION_ALERT_NAMES,
    SessionSummary,
    discharge_problem,
    summarise_session,
)
from outcomes.status import analyse_patient
from outcomes.timepoints import Timepoint
from outcomes.validation import Problem, check_infusion
from outcomes.wording import plural, session_place
from outcomes_app.acknowledging import acknowledge_open_alerts
from outcomes_app.clinic import Clinic
from outcomes_app.errors import guarded
from outcomes_app.footer import KeyFooter
from outcomes_app.markup import literal, problem_lines, safe_markup
from outcomes_app.messages import RowChanged
from outcomes_app.modals import TextModal
from outcomes_app.saving import write_off_thread
from outcomes_app.widgets import AlertBanner, Table

#: The reading form's fields: (id, label, width).
READING_INPUTS = (
    ("at", "Time", 8),
    ("bp", "BP", 9),
    ("heart_rate", "HR", 5),
    ("spo2", "SpO2", 5),
    ("respiratory_rate", "RR", 5),
    ("sedation_moaas", "MOAA/S", 6),
    ("notes", "Notes", 0),
)
DEFAULT_RECORD_DIR = "~/ketamine-outcomes-reports"
#: The readings table's headers on screen, one per `READING_HEADERS` (the record PDF's):
#: short, so that the notes column fits beside the chart; the units are in the chart's titles.
SCREEN_HEADERS = ("time", "after", "BP", "HR", "SpO2", "RR", "MOAA/S", "notes")


class SessionScreen(Screen):
    """One session: its facts and alerts, the readings table and chart, and the reading form."""

    #: A short terminal (80x24) gets `-short` (clinician.tcss): the facts scroll in a
    #: smaller box so that the readings table stays on screen.
    VERTICAL_BREAKPOINTS = [(0, "-short"), (30, "-tall")]
    #: Below 100 columns the readings table and the chart would each be cut to half:
    #: `-narrow` stacks them (the readings first) and the body scrolls.
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]
    BINDINGS = [
        Binding("escape", "back", "Back"),
        # Ctrl keys: letters belong to the reading form's fields. Priority, so
        # that they work from inside a field too (over Input's own ctrl+e/ctrl+k).
        Binding("ctrl+s", "save_reading", "Add reading", priority=True),
        Binding("ctrl+e", "discharge", "End & discharge", priority=True),
        Binding("ctrl+r", "record", "Record PDF", priority=True),
        Binding("ctrl+k", "acknowledge", "Acknowledge", priority=True),
        Binding("ctrl+g", "rems_form", "REMS form", priority=True),
        Binding("ctrl+f", "mark_submitted", "REMS form sent", priority=True),
    ]

    def __init__(
        self, clinic: Clinic, patient_id: str, session: Timepoint, name: str | None = None
    ) -> None:
        super().__init__()
        self.clinic = clinic
        self.patient_id, self.session, self.patient_name = patient_id, session, name
        self.patient = PatientData(patient_id)
        self.summary: SessionSummary | None = None
        self.place = (0, 0)
        self.acknowledged: frozenset[str] = frozenset()
        self.status = None
        #: The REMS form of an esketamine session: its fields, submission and the course's medicines.
        self.rems = RemsView()
        #: True while a reading is being written (it may wait for another program's lock).
        self.saving = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield AlertBanner(id="banner")
        with Horizontal(id="session-body"):
            with Vertical(id="session-left"):
                yield Static("", id="session-info")
                table = Table(id="readings", cursor_type="row", zebra_stripes=True)
                for label, short in zip(READING_HEADERS, SCREEN_HEADERS, strict=True):
                    table.add_column(short, key=label)
                yield table
            with Vertical(id="session-right"):
                yield make_session_chart()
        yield Label(
            "New reading: time (now, 09:40 or +40 min), BP as 120/80; Enter saves; "
            "the last values are offered, typing replaces them",
            id="reading-help",
        )
        with Horizontal(id="reading-form"):
            for key, label, width in READING_INPUTS:
                box = Input(id=f"r-{key}", placeholder=label, compact=True, select_on_focus=True)
                if width:
                    box.styles.width = width + 2
                yield box
        yield Static("", id="errors", classes="errors")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.reload()
        self.offer_values()
        self.query_one("#r-at", Input).focus()

    # ----- reading and drawing ------------------------------------------------
    def reload(self) -> None:
        """Read this patient again and redraw the session."""
        clinic = self.clinic

        def load():
            data = db.load_clinic(clinic.database, patient_id=self.patient_id)
            patient = data.by_patient().get(self.patient_id) or PatientData(self.patient_id)
            inf, k, n = locate_session(patient, self.session, clinic.settings)
            rems = RemsView.read(clinic.database, patient, inf)
            return patient, inf, (k, n), data.acknowledged, rems

        result, error = guarded(load)
        if error:
            self.notify(error, severity="error")
            return
        self.patient, inf, self.place, self.acknowledged, self.rems = result
        self.summary = summarise_session(inf, self.patient.readings_of(inf), clinic.settings)
        self.status = analyse_patient(
            self.patient,
            clinic.settings.primary_scale,
            clinic.settings,
            clinic.today,
            self.acknowledged,
        )
        self.redraw()

    def redraw(self) -> None:
        summary, settings = self.summary, self.clinic.settings
        inf = summary.infusion
        k, n = self.place
        self.sub_title = f"{self.patient_id} {session_place(k, n)}"
        lines = [
            f"[b]{safe_markup(self.patient_id)}[/b] {safe_markup(self.patient_name or '')} · {session_place(k, n)} "
            f"({inf.drug}) · {inf.when.iso().replace('T', ' ')}"
        ]
        # Open alerts are in the banner above; the acknowledged ones of this session stay listed here.
        for alert in summary.alerts:
            if alert.key in self.acknowledged:
                lines.append(
                    f"✓ {SESSION_ALERT_NAMES.get(alert.kind, alert.kind)} (acknowledged): "
                    f"{safe_markup(alert.detail)}"
                )
        cadss = session_cadss(inf, self.patient.assessments)
        lines += [
            f"{label}: {safe_markup(value)}"
            for label, value in summary_lines(summary, cadss, settings)
            if value not in ("-", "not recorded", "none recorded")
        ]
        if inf.drug == ESKETAMINE:  # first under the title: the nurse watching sedation sees them
            lines[1:1] = self.rems.lines(summary, cadss, self.clinic.today)
        self.query_one("#session-info", Static).update("\n".join(lines))
        self.query_one("#banner", AlertBanner).show(self.status)
        table = self.query_one("#readings", Table)
        table.clear()
        rows = [
            (r.when.iso(), tuple(literal(c) for c in reading_row(inf, r))) for r in summary.readings
        ]
        # Notes wrap under the row rather than run past the chart's rule.
        table.add_wrapped_rows(rows, table.size.width or 60)
        if summary.readings:
            table.move_cursor(row=len(summary.readings) - 1)
        chart = self.query_one("#session-chart")
        if hasattr(chart, "show"):
            chart.show(summary, settings)

    def on_resize(self) -> None:
        # The notes wrap to the table's width: wrap them again once the layout settles.
        if self.summary is not None:
            self.call_after_refresh(self.redraw)

    def offer_values(self) -> None:
        """Now in the time field (within the session's window), the last values in the others."""
        last = self.summary.readings[-1] if self.summary and self.summary.readings else None
        now = datetime.now().replace(second=0, microsecond=0)
        start = moment(self.session)
        within = (
            self.session.at is not None
            and 0 <= (now - start).total_seconds() <= READING_WINDOW_HOURS * 3600
        )
        offered = {"at": now.strftime("%H:%M") if within else "", "notes": ""}
        if last is not None:
            offered["bp"] = (
                ""
                if last.bp_systolic is None
                else f"{last.bp_systolic}/{last.bp_diastolic or ''}".rstrip("/")
            )
            for name in MEASUREMENTS[2:]:
                offered[name] = "" if getattr(last, name) is None else str(getattr(last, name))
        for key, _, _ in READING_INPUTS:
            if key in offered:
                self.query_one(f"#r-{key}", Input).value = offered[key]

    # ----- actions ------------------------------------------------------------
    def raw_reading(self) -> dict:
        value = {
            key: self.query_one(f"#r-{key}", Input).value.strip() for key, _, _ in READING_INPUTS
        }
        systolic, diastolic = split_pressure(value.pop("bp"))
        return {
            **value,
            "patient_id": self.patient_id,
            "session": self.session.iso(),
            "at": reading_time(value["at"], self.session),
            "bp_systolic": systolic,
            "bp_diastolic": diastolic,
        }

    @on(Input.Submitted, "#reading-form Input")
    def action_save_reading(self) -> None:
        checked = check_reading(self.raw_reading(), self.clinic.today)
        if checked.errors:
            self.show_problems(checked.errors)
            return
        if not self.saving:
            self.saving = True
            self.run_worker(self._save_reading(checked), group="save")

    async def _save_reading(self, checked) -> None:
        try:
            _, error = await write_off_thread(
                self.app,
                lambda: db.add_reading(self.clinic.database, checked.values, self.clinic.clinician),
            )
        finally:
            self.saving = False
        if error:
            self.show_problems([Problem("at", error)])
            return
        self.show_problems([])
        before = {a.key for a in self.summary.alerts} if self.summary else set()
        self.reload()
        for alert in self.summary.alerts:
            if alert.key not in before:
                self.notify(
                    alert.detail,
                    title=SESSION_ALERT_NAMES.get(alert.kind, alert.kind),
                    severity="warning",
                    timeout=10,
                )
        self.offer_values()
        self.query_one("#r-at", Input).focus()
        self.post_message(RowChanged(self.patient_id))

    def show_problems(self, problems: list[Problem]) -> None:
        for box in self.query("#reading-form Input"):
            box.remove_class("field-invalid")
        for p in problems:
            target = "bp" if p.field.startswith("bp_") else p.field
            for box in self.query(f"#r-{target}"):
                box.add_class("field-invalid")
        self.query_one("#errors", Static).update(
            ("Not saved — please correct:\n" + problem_lines(problems)) if problems else ""
        )

    def action_discharge(self) -> None:
        inf = self.summary.infusion
        ended = inf.ended_at.at.strftime("%H:%M") if inf.ended_at and inf.ended_at.at else ""
        duration = "" if inf.duration_min is None else f"{inf.duration_min:g}"
        ready = inf.ready_to_leave_at.at.strftime("%H:%M") if inf.ready_to_leave_at else ""
        accompanied = {True: "yes", False: "no", None: ""}[inf.accompanied]
        fields = [
            ("ended", "Infusion ended at (HH:MM), or leave blank and give the duration", ended),
            ("duration", "Duration (min)", duration),
            ("ready", "Ready to leave at (HH:MM)", ready),
            ("accompanied", "Accompanied home (yes/no)", accompanied),
        ]
        if inf.drug == ESKETAMINE:
            fields = fields[2:]
        self.app.push_screen(
            TextModal(
                f"End of {session_place(*self.place)} for {self.patient_id}",
                fields,
                intro="Saved as a correction of the session's record (the audit trail keeps both)."
                + (
                    " The REMS form's effects observed and resolved: ctrl+g after this."
                    if inf.drug == ESKETAMINE
                    else ""
                ),
                ok="Save",
                check=self.discharge_check,
                optional=("ended", "duration"),
                save=self.save_discharge,
            ),
            self.after_discharge,
        )

    def discharge_values(self, values: dict[str, str]):
        inf = self.summary.infusion
        raw = infusion_raw(inf)
        if "ended" in values:
            raw["ended_at"] = reading_time(values["ended"], inf.when) if values["ended"] else ""
            raw["duration_min"] = values["duration"]
        raw["ready_to_leave_at"] = reading_time(values["ready"], inf.when)
        raw["accompanied"] = values["accompanied"]
        return check_infusion(raw, self.clinic.settings, self.clinic.today)

    def discharge_check(self, values: dict[str, str]) -> str | None:
        checked = self.discharge_values(values)
        return problem_lines(checked.errors) if checked.errors else None

    async def save_discharge(self, values) -> str | None:
        checked = self.discharge_values(values)
        return (
            await write_off_thread(
                self.app,
                lambda: db.correct_infusion(
                    self.clinic.database,
                    self.summary.infusion.id,
                    checked.values,
                    "end of session and discharge recorded",
                    self.clinic.clinician,
                ),
            )
        )[1]

    def after_discharge(self, values) -> None:
        if not values:
            return
        self.reload()
        early = discharge_problem(self.summary.infusion, self.clinic.settings)
        if early:
            self.notify(early, title="Early discharge", severity="warning", timeout=12)
        self.post_message(RowChanged(self.patient_id))

    def action_record(self) -> None:
        def write(folder: Path) -> None:  # on a worker thread: matplotlib takes seconds to load
            path, error = guarded(lambda: write_record(self, folder))
            if error:
                self.app.call_from_thread(self.notify, error, severity="error")
            else:
                self.app.call_from_thread(self.notify, f"Wrote {path}", title="Session record")

        def done(values) -> None:
            if values:
                self.warn_missing()
                self.notify("Writing the session record…")
                self.run_worker(
                    lambda: write(Path(values["folder"]).expanduser()), thread=True, group="record"
                )

        self.app.push_screen(
            TextModal(
                "Write the session record (PDF)",
                [("folder", "Folder (created when missing)", DEFAULT_RECORD_DIR)],
                ok="Write",
            ),
            done,
        )

    def warn_missing(self) -> None:
        """Before an esketamine session's record is written: the REMS fields it lacks, in words."""
        from outcomes.rems_record import missing_fields
        from outcomes.wording.rems import missing_words

        if self.summary is None or self.summary.infusion.drug != ESKETAMINE:
            return
        missing = missing_fields(self.summary, self.rems.form)
        if missing:
            self.notify(missing_words(missing), title="REMS form", severity="warning", timeout=15)

    def action_acknowledge(self) -> None:
        acknowledge_open_alerts(self)

    def _esketamine_session(self):
        """This session's record when it gives esketamine; else says why there is no form (None)."""
        inf = self.summary.infusion if self.summary else None
        if inf is not None and inf.drug != ESKETAMINE:
            self.notify(
                f"This session gives {inf.drug}: only esketamine (Spravato) sessions have a REMS "
                "monitoring form. Nothing was changed.",
                title="No REMS form",
                severity="warning",
            )
            return None
        return inf

    def action_rems_form(self) -> None:
        """Fill in the esketamine session's REMS form fields (refused in words for ketamine)."""
        inf = self._esketamine_session()
        if inf is None:
            return
        from outcomes_app.screens.rems_form_edit import RemsFormEdit

        def saved(done) -> None:
            if done:
                self.reload()
                self.post_message(RowChanged(self.patient_id))

        edit = RemsFormEdit(self.clinic, self.patient_id, inf, self.rems, self.status)
        self.app.push_screen(edit, saved)

    def action_mark_submitted(self) -> None:
        """Mark this esketamine session's REMS form submitted today, by the clinician (audited)."""
        inf = self._esketamine_session()
        if inf is None:
            return
        self.run_worker(self._mark_submitted(inf), group="save")

    async def _mark_submitted(self, inf) -> None:
        from db.rems import mark_submitted

        clinic = self.clinic
        _, error = await write_off_thread(
            self.app,
            lambda: mark_submitted(
                clinic.database,
                self.patient_id,
                inf.when.iso(),
                clinic.today,
                clinic.clinician,
                clinic.today,
            ),
        )
        if error:
            self.notify(str(error), title="Not marked", severity="error", markup=False)
            return
        self.notify(
            f"REMS form of {inf.when.iso().replace('T', ' ')} marked submitted on "
            f"{clinic.today.isoformat()} by {clinic.clinician}.",
            title="REMS form",
            markup=False,
        )
        self.reload()
        self.post_message(RowChanged(self.patient_id))

    def action_back(self) -> None:
        self.dismiss(True)


class RemsView:
    """An esketamine session's REMS form as the session screen shows it (issue 26)."""

    def __init__(self, form=None, submission=None, medicines=None) -> None:
        self.form, self.submission, self.medicines = form, submission, medicines

    @classmethod
    def read(cls, database, patient, inf) -> "RemsView":
        """Read the session's form and submission, and its course's medicines (esketamine only)."""
        if inf.drug != ESKETAMINE:
            return cls()
        from db.rems import forms_of, submissions_of
        from outcomes.rems import course_medicines

        forms = forms_of(database, patient.patient_id)
        at = inf.when.iso()
        times = [i.when.iso() for i in patient.infusions if i.course == inf.course]
        return cls(
            forms.get(at),
            submissions_of(database, patient.patient_id).get((patient.patient_id, at)),
            course_medicines(forms, times),
        )

    def record_inputs(self, pid: str, inf) -> dict:
        """The form and submission as `reports.session_record.session_record_input` takes them."""
        at = inf.when.iso()
        forms = {} if self.form is None else {at: self.form}
        subs = {} if self.submission is None else {(pid, at): self.submission}
        return {"rems_forms": forms, "rems_submissions": subs}

    def medicines_confirmed(self) -> tuple[str, ...] | None:
        """The course's last confirmed medicine classes (what the form's ticks start from)."""
        return self.medicines[0] if self.medicines else None

    def lines(self, summary, cadss, today) -> list[str]:
        """The form's state and what it lacks, and the medicines taken (the nurse watches them)."""
        from outcomes.rems import form_state
        from outcomes.rems_record import missing_fields
        from outcomes.wording.rems import concomitant_words, medicines_line, state_words

        inf = summary.infusion
        state = form_state(inf.when.day, self.submission, today)
        missing = missing_fields(summary, self.form)
        lacks = (
            f"; {plural(len(missing), 'required field')} missing (ctrl+g fills them in)"
            if missing
            else "; every field given"
        )
        confirmed = getattr(self.form, "concomitant_medicines", None)
        medicines = (
            f"REMS medicines this session: {concomitant_words(confirmed)}"
            if confirmed is not None
            else medicines_line(self.medicines)
            + ("; not yet confirmed this session" if self.medicines else "")
        )
        return [
            f"[b]{safe_markup(medicines)}[/b]",
            f"REMS form: {safe_markup(state_words(state, today) + lacks)}",
        ]


def infusion_raw(inf) -> dict:
    """A stored infusion as the raw values `check_infusion` reads (for a correction)."""
    raw = {
        "patient_id": inf.patient_id,
        "date": inf.when.iso(),
        "course": inf.course,
        "drug": inf.drug,
        "side_effects": list(inf.side_effects),
        "notes": inf.notes,
        "accompanied": {True: "yes", False: "no", None: ""}[inf.accompanied],
    }
    for name in (
        "dose_mg_per_kg",
        "dose_mg",
        "route",
        "duration_min",
        "weight_kg",
        "bp_systolic_pre",
        "bp_diastolic_pre",
        "bp_systolic_post",
        "bp_diastolic_post",
        "heart_rate_pre",
        "heart_rate_post",
    ):
        raw[name] = getattr(inf, name)
    for name in ("ended_at", "ready_to_leave_at"):
        raw[name] = getattr(inf, name).iso() if getattr(inf, name) else ""
    return raw


def write_record(screen: SessionScreen, folder: Path) -> Path:
    """Write the session's record PDF into `folder` (created owner-only when missing)."""
    from reports.session_record import session_record_input, write_session_record

    if not folder.exists():
        db.output_folder(folder)  # refuses a missing parent in words
        folder.mkdir(mode=0o700)
    item = session_record_input(
        screen.patient,
        screen.session,
        screen.clinic.settings,
        name=screen.patient_name,
        acknowledged=screen.acknowledged,
        as_of=screen.clinic.today,
        **screen.rems.record_inputs(screen.patient_id, screen.summary.infusion),
    )
    return write_session_record(item, folder)


def make_session_chart():
    from outcomes_app.session_chart import SessionChart

    return SessionChart(id="session-chart")


__all__ = ["SessionNotFound", "SessionScreen"]
