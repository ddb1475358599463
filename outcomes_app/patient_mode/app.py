"""`PatientApp`: one patient's progress on one screen, read-only (see the package's docstring)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Iterable

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

import db
from outcomes import self_report as self_report_rules
from outcomes.followup import next_followup
from outcomes.scales import get_scale
from outcomes.settings import Settings
from outcomes.status import PatientStatus, analyse_patient
from outcomes.terminal_text import terminal_safe
from outcomes.wording import (
    headline,
    milestone_lines,
    patient_relief_line,
    scale_line,
    session_lines,
)
from outcomes.wording import what_it_measures as _what_it_measures
from outcomes_app.chart import ScoreChart
from outcomes_app.focus_keys import FOCUS_BINDINGS
from outcomes_app.help import HelpScreen
from outcomes_app.messages import SelfReportAnswered, SelfReportLeft
from outcomes_app.patient_mode.files import save_chart_png, save_handout
from outcomes_app.patient_mode.view import PatientModeError, PatientView, load_patient
from outcomes_app.patient_mode.words import (
    BUSY_TOO_LONG,
    FILE_REPLACED,
    NOT_SENT_FILE_REPLACED,
    PATIENT_WAIT,
    for_staff,
    help_text,
    needs_crisis_text,
    shown_path,
)
from outcomes_app.saving import WaitStopped, lock_waits_shown, quit_refused_while_saving
from outcomes_app.self_report import SelfReportScreen, ThanksScreen
from outcomes_app.widgets import key_hint

#: Where saved charts go unless the app is told otherwise.
DEFAULT_CHART_DIR = Path("~/ketamine-outcomes-charts")
#: Seconds between two looks at which file the clinic path names (a restore under the app).
FILE_CHECK_S = 2.0
#: Seconds the replaced-file notice stays up: until the app is closed, in practice.
REPLACED_NOTICE_S = 24 * 3600.0
#: From this many columns the words and the chart sit side by side.
WIDE_AT = 110


class PatientApp(App):
    """One patient's progress, read-only.

    Args:
        db_path: The clinic database file.
        patient_id: The one patient this app may show.
        today: "Today" for the time-dependent rules (tests fix it).
        chart_dir: Where saved chart PNGs go.
    """

    CSS_PATH = "patient_mode.tcss"
    TITLE = "My treatment progress"
    #: The waiting dialog's words while the answers wait for another program's write.
    wait_words = PATIENT_WAIT

    BINDINGS = [
        Binding("s", "save_chart", "Save chart"),
        Binding("p", "save_page", "Take-home page"),
        Binding("n", "next_scale", "Next scores"),
        # c and t are on the help page (?): the footer keeps room for the keys above at 80 columns.
        Binding("c", "show_chart", "Chart", show=False),
        Binding("t", "toggle_dark", "Light/dark", show=False),
        Binding("question_mark,f1", "help", "Help", key_display="?"),
        Binding("q", "quit", "Quit"),
        *FOCUS_BINDINGS,  # Tab moves the focus before the next key is handed out
    ]

    class Loaded(Message):
        """The patient's records arrived from the loading thread."""

        def __init__(self, view: PatientView | None, problem: str | None) -> None:
            super().__init__()
            self.view = view
            self.problem = problem

    class ChartSaved(Message):
        """A chart PNG or the take-home page was written (or could not be)."""

        def __init__(self, path: Path | None, problem: str | None, noun: str = "chart") -> None:
            super().__init__()
            self.path = path
            self.problem = problem
            self.noun = noun

    def __init__(
        self,
        db_path: str | Path,
        patient_id: str,
        today: date | None = None,
        chart_dir: str | Path | None = None,
        self_report: bool = False,
    ) -> None:
        super().__init__()
        self.db_path = Path(db_path)
        self.patient_id = patient_id
        self._fixed_today = today
        self.today = today or date.today()
        #: "off" (look only), "open" (questions on screen) or "sent" (stored, read-only again).
        self.self_report_state = "open" if self_report else "off"
        self.chart_dir = Path(chart_dir or DEFAULT_CHART_DIR).expanduser()
        self.view: PatientView | None = None
        self.scale: str | None = None
        self.status: PatientStatus | None = None
        #: A kiosk (`outcomes_app.patient_mode.kiosk.KioskApp`) is closed only by staff.
        self.kiosk = False

    # ----- layout -------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Header(show_clock=False, icon="")
        # One scrolling column on a small terminal; words beside the chart on a wide one.
        with VerticalScroll(id="main"):
            with VerticalScroll(id="words"):
                yield Static(id="crisis")
                yield Static(Text("Loading your results..."), id="headline")
                yield Static(id="about-scale")
                yield Static(id="milestones")
                yield Static(id="sessions")
                yield Static(id="save-note")
            yield ScoreChart(simple=True, id="chart")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#crisis").display = False
        self._fit(self.size.width)
        #: The file at the path when patient mode started: a different one later is a restore.
        self.opened_identity = db.identity_of(self.db_path.expanduser())
        self.file_was_replaced = False
        self.set_interval(FILE_CHECK_S, self.notice_replaced_file)
        self._load()

    def notice_replaced_file(self) -> bool:
        """Whether the clinic file was replaced since patient mode started; says so once, and from
        then on nothing is sent (the answers would go into another file than the one shown)."""
        if self.file_was_replaced:
            return True
        if self.opened_identity is None or db.identity_of(self.db_path.expanduser()) == (
            self.opened_identity
        ):
            return False
        self.file_was_replaced = True
        self.notify(FILE_REPLACED, severity="error", timeout=REPLACED_NOTICE_S, markup=False)
        return True

    def on_resize(self, event) -> None:
        self._fit(event.size.width)

    def _fit(self, width: int) -> None:
        self.set_class(width >= WIDE_AT, "-wide")

    @work(thread=True, exclusive=True, group="load")
    def _load(self) -> None:
        try:
            view = load_patient(self.db_path, self.patient_id)
        except PatientModeError as exc:
            self.post_message(self.Loaded(None, str(exc)))
        except Exception as exc:  # never a traceback on a patient's screen
            self.post_message(self.Loaded(None, f"Your results could not be read ({exc})."))
        else:
            self.post_message(self.Loaded(view, None))

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        if not self.query("#headline"):
            return  # the app is closing (its widgets are gone): a late read has nowhere to go
        if message.view is None:
            # The patient's sentence, what to do, then any reason meant for staff.
            lead, _, staff = (message.problem or "").partition("\n")
            close = "" if self.kiosk else f" Press {key_hint(self, 'quit')} to close."
            shown = f"{lead}\nPlease ask the clinic team.{close}" + (
                f"\n\n{staff}" if staff else ""
            )
            self.query_one("#headline", Static).update(Text(terminal_safe(shown, multiline=True)))
            self.refresh_bindings()
            return
        self.view = message.view
        self.sub_title = terminal_safe(self.view.name or self.view.patient_id)
        self._show_scale(self.view.default_scale if self.view.scales else None)
        if self.self_report_state == "open" and not isinstance(self.screen, SelfReportScreen):
            self.open_self_report()

    def open_self_report(self) -> None:
        """The questions, from their first page (the settings are read: `self.view` is set)."""
        assert self.view is not None
        self.push_screen(
            SelfReportScreen(
                self_report_rules.questions(self.view.settings.self_report_scales),
                self.view.settings,
            )
        )

    async def on_self_report_left(self, message: SelfReportLeft) -> None:
        """The patient left the questions without sending: patient mode closes (a kiosk stays)."""
        self.exit()

    def _show_scale(self, scale_id: str | None) -> None:
        view = self.view
        assert view is not None
        self.scale = scale_id
        self.status = (
            analyse_patient(view.data, scale_id, view.settings, self.today, view.acknowledged)
            if scale_id
            else None
        )
        status = self.status
        crisis = self.query_one("#crisis", Static)
        if needs_crisis_text(status):
            crisis.update(Text(terminal_safe(view.settings.crisis_text, multiline=True)))
            crisis.border_title = "Support is available"
            crisis.display = True
        else:
            crisis.display = False
        self.query_one("#headline", Static).update(Text(headline(status, scale_id)))
        about = self.query_one("#about-scale", Static)
        more = ""
        if len(view.scales) > 1:
            more = (
                f" Press {key_hint(self, 'next_scale')} to see your other questionnaires "
                f"({len(view.scales)} in all)."
            )
        about.update(Text(scale_line(scale_id) + more if scale_id else ""))
        about.display = scale_id is not None
        milestones = milestone_lines(status) if status else []
        relief = patient_relief_line(status) if status else None
        if relief:
            milestones.append(relief)
        self._set_lines("#milestones", milestones)
        follow = next_followup(status, self.today) if status else None
        self._set_lines("#sessions", session_lines(status, follow, self.today) if status else [])
        self.query_one(ScoreChart).show(status)
        self.query_one("#save-note", Static).update(
            Text(
                f"Press {key_hint(self, 'save_chart')} to save this chart as a picture in "
                f"{shown_path(self.chart_dir)}"
                if status and status.points
                else ""
            )
        )
        self.refresh_bindings()

    def _set_lines(self, selector: str, lines: Iterable[str]) -> None:
        lines = list(lines)
        widget = self.query_one(selector, Static)
        widget.update(Text("\n".join(lines)))
        widget.display = bool(lines)

    # ----- what the keys and the palette may do ---------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.self_report_state == "open" and action in (
            "next_scale",
            "save_chart",
            "show_chart",
            "save_page",
        ):
            return False  # the questions are on screen: only they, help, theme and quit
        if action == "next_scale":
            return bool(self.view and len(self.view.scales) > 1)
        if action == "save_page":
            return self.view is not None
        if action in ("save_chart", "show_chart"):
            return bool(self.status and self.status.points)
        return True

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        # Replaces Textual's list on purpose: no screenshot (a file write), no
        # key panel; only what a patient may do with their own results.
        yield SystemCommand("Theme", "Choose the screen's colours", self.action_change_theme)
        yield SystemCommand(
            "Light or dark", "Switch between a light and a dark screen", self.action_toggle_dark
        )
        if self.self_report_state == "open":
            yield SystemCommand("Help", "The keys and the words used here", self.action_help)
            yield SystemCommand("Quit", "Close without sending your answers", self.action_quit)
            return
        if self.status and self.status.points:
            yield SystemCommand(
                "Save my chart",
                f"Save your chart as a PNG in {shown_path(self.chart_dir)}",
                self.action_save_chart,
            )
        if self.view:
            for scale_id in self.view.scales:
                if scale_id != self.scale:
                    name = get_scale(scale_id).name
                    yield SystemCommand(
                        f"Show my {name} scores",
                        f"Your {_what_it_measures(scale_id)} questionnaire",
                        lambda s=scale_id: self._show_scale(s),
                    )
        if self.view:
            yield SystemCommand(
                "Save my take-home page",
                f"A one-page summary (PDF) to print, in {shown_path(self.chart_dir)}",
                self.action_save_page,
            )
        yield SystemCommand("Help", "The keys and the words used here", self.action_help)
        yield SystemCommand("Quit", "Close your progress view", self.action_quit)

    async def action_quit(self) -> None:
        if not quit_refused_while_saving(self):  # answers waiting for the lock would be lost
            await super().action_quit()

    def action_next_scale(self) -> None:
        if not self.view or len(self.view.scales) < 2:
            return
        scales = self.view.scales
        i = scales.index(self.scale) if self.scale in scales else -1
        self._show_scale(scales[(i + 1) % len(scales)])

    def action_show_chart(self) -> None:
        self.query_one("#main", VerticalScroll).scroll_to_widget(self.query_one(ScoreChart))

    def action_toggle_dark(self) -> None:
        self.theme = "textual-light" if self.current_theme.dark else "textual-dark"

    def action_help(self) -> None:
        text = help_text(
            self.status, self.view.settings if self.view else Settings(), kiosk=self.kiosk
        )
        self.push_screen(HelpScreen(Text(text), box_id="help-box"))

    def action_save_chart(self) -> None:
        if self.status is None or not self.status.points:
            self.notify("There is no chart to save yet.", severity="warning", markup=False)
            return
        self._save("chart")

    def action_save_page(self) -> None:
        if self.view is not None:
            self._save("take-home page")

    @work(thread=True, exclusive=True, group="save")
    def _save(self, noun: str) -> None:
        """Write the chart PNG or the take-home PDF into the take-home folder."""
        view, status = self.view, self.status
        try:
            if noun == "chart":
                path = save_chart_png(
                    status,
                    self.chart_dir,
                    self.today,
                    view.name if view else None,
                    view.data.of_scale("cadss") if view else (),
                )
            else:
                path = save_handout(view, self.scale, self.chart_dir, self.today)
        except OSError as exc:
            self.post_message(
                self.ChartSaved(
                    None,
                    f"The {noun} could not be saved in "
                    f"{shown_path(self.chart_dir)}: "
                    f"{exc.strerror or exc}.",
                    noun,
                )
            )
        except Exception as exc:  # never a traceback on a patient's screen
            self.post_message(
                self.ChartSaved(None, f"The {noun} could not be saved ({exc}).", noun)
            )
        else:
            self.post_message(self.ChartSaved(path, None, noun))

    @on(ChartSaved)
    def _chart_saved(self, message: ChartSaved) -> None:
        note = self.query_one("#save-note", Static)
        if message.path is None:
            note.update(Text(message.problem or f"The {message.noun} could not be saved."))
            self.notify(
                message.problem or f"The {message.noun} could not be saved.",
                severity="error",
                markup=False,
            )
            return
        note.update(Text(f"Your {message.noun} was saved as {shown_path(message.path)}"))
        self.notify(
            f"Saved: {shown_path(message.path)}",
            title=f"{message.noun.capitalize()} saved",
            markup=False,
        )

    # ----- self-report ----------------------------------------------------
    class SelfReportSent(Message):
        """The patient's answers were stored (problem None) or refused."""

        def __init__(self, problem: str | None, positive: bool) -> None:
            super().__init__()
            self.problem = problem
            self.positive = positive

    @property
    def crisis_text(self) -> str:
        return (self.view.settings if self.view else Settings()).crisis_text

    def positive_safety_item(self, questions, answers) -> bool:
        settings = self.view.settings if self.view else Settings()
        return self_report_rules.positive_safety_item(questions, answers, settings)

    def now(self) -> datetime:
        """Now; on a fixed "today" (tests) that day at the clock's time."""
        now = datetime.now()
        return datetime.combine(self._fixed_today, now.time()) if self._fixed_today else now

    def on_self_report_answered(self, message: SelfReportAnswered) -> None:
        self.send_self_report(message.questions, message.answers)

    def send_self_report(self, questions, answers: list[int | None]) -> None:
        """Store the answers as this patient's own scores, once per launch."""
        if self.self_report_state != "open":
            return
        if self.notice_replaced_file():
            self.post_message(self.SelfReportSent(NOT_SENT_FILE_REPLACED, False))
            return
        checked = self_report_rules.checked_answers(self.patient_id, questions, answers, self.now())
        problems = [p.message for c in checked for p in c.errors]
        if problems:
            self.post_message(self.SelfReportSent("; ".join(problems), False))
            return
        self._store_self_report(
            [c.values for c in checked], self.positive_safety_item(questions, answers)
        )

    @work(thread=True, exclusive=True, group="self-report")
    def _store_self_report(self, values: list[dict], positive: bool) -> None:
        # A connection for this one write, closed after it: the rest of
        # patient mode reads through a read-only one and holds none.
        try:
            database = db.connect(self.db_path, migrate=False)
            try:
                with lock_waits_shown(self):  # an import may hold the lock: wait, visibly
                    db.add_self_report(
                        database,
                        self.patient_id,
                        values,
                        self_report_rules.who(self.patient_id),
                        self_report_rules.AUDIT_REASON,
                    )
            finally:
                database.conn.close()
        except WaitStopped as exc:
            self.post_message(self.SelfReportSent(str(exc), positive))
        except db.LockWaitTooLong as exc:  # another kiosk, an import: a patient's words first
            self.post_message(self.SelfReportSent(f"{BUSY_TOO_LONG} ({for_staff(exc)})", positive))
        except Exception as exc:  # never a traceback on a patient's screen
            self.post_message(
                self.SelfReportSent(
                    f"the clinic's records could not be written ({for_staff(exc)})", positive
                )
            )
        else:
            self.post_message(self.SelfReportSent(None, positive))

    @on(SelfReportSent)
    async def _self_report_sent(self, message: SelfReportSent) -> None:
        screen = self.screen
        if message.problem is not None:
            if isinstance(screen, SelfReportScreen):
                await screen.send_failed(message.problem)
            return
        self.self_report_state = "sent"
        if isinstance(screen, SelfReportScreen):
            self.switch_screen(ThanksScreen(self.crisis_text if message.positive else None))
        self._load()  # the progress view now includes the new scores
        self.refresh_bindings()
