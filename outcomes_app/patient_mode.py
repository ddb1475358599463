"""Patient mode: one patient reviews their own progress, read-only.

`outcomes tui --patient ID [--charts DIR]` runs `PatientApp`, for
example on a clinic tablet or a waiting-room terminal. The app is locked to
one patient:

- it reads only that patient's rows (`db.load_clinic(..., patient_id=...)`)
  and the clinic settings, once, through a read-only connection
  (`db.connect(..., read_only=True)`: SQLite's ``mode=ro``, so SQLite itself
  refuses any write), and then closes the database; nothing in
  the app holds a connection, so no key can reach another patient or write;
- it has no patient list, no search and no input that takes a patient id; the
  command palette offers only patient-safe commands (theme, save chart, scale,
  help, quit); leaving patient mode means quitting;
- every sentence is plain language built from `outcomes/` results (the
  functions of `outcomes.wording`), and a positive suicidality item
  shows the clinic's crisis-resource text instead of the clinical alert.

The one file it writes is the chart PNG the patient asks for, into a folder
they can take home (`~/ketamine-outcomes-charts/` unless told otherwise).

With `--self-report` (``self_report=True``) the patient first answers the
clinic's self-report questionnaires (`outcomes_app.self_report`). The one
database write reachable then is `send_self_report`: that patient's new
scores, once, through a connection opened for that write and closed after it
(`db.add_self_report`). While the questions are open the chart keys and their
palette commands are off; after sending, patient mode is read-only as above.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Iterable, Sequence

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
from outcomes.dissociation import cadss_per_infusion
from outcomes.records import Assessment, PatientData, patient_name
from outcomes.response import RESPONSE_MIN_IMPROVEMENT
from outcomes.safety import SUICIDALITY
from outcomes.scales import OUTCOME_SCALE_IDS, get_scale
from outcomes.settings import Settings
from outcomes.status import PatientStatus, analyse_patient
from outcomes.terminal_text import terminal_safe
from outcomes.wording import day_text as _day_text
from outcomes.wording import (  # noqa: F401 - re-exported: the patient-mode sentences
    followup_line,
    headline,
    milestone_lines,
    patient_relief_line,
    scale_line,
    session_lines,
)
from outcomes.wording import patient_noun as _patient_noun
from outcomes.wording import share_words as _share
from outcomes.wording import what_it_measures as _what_it_measures
from outcomes_app.chart import ScoreChart, chart_data
from outcomes_app.help import HelpScreen
from outcomes_app.saving import lock_waits_shown, quit_refused_while_saving
from outcomes_app.self_report import SelfReportScreen, ThanksScreen
from outcomes_app.widgets import key_hint

#: Where saved charts go unless the app is told otherwise.
DEFAULT_CHART_DIR = Path("~/ketamine-outcomes-charts")
#: From this many columns the words and the chart sit side by side.
WIDE_AT = 110


class PatientModeError(Exception):
    """Patient mode cannot start; the message says why in plain words."""


@dataclass(frozen=True)
class PatientView:
    """What patient mode knows: one patient's records and the clinic settings."""

    patient_id: str
    name: str | None
    data: PatientData
    settings: Settings
    acknowledged: frozenset[str]

    @property
    def scales(self) -> tuple[str, ...]:
        """The outcome scales this patient has scores on, in the registry's order."""
        taken = {a.scale for a in self.data.assessments}
        return tuple(s for s in OUTCOME_SCALE_IDS if s in taken)

    @property
    def default_scale(self) -> str:
        """The clinic's primary scale when the patient has scores on it."""
        scales = self.scales
        primary = self.settings.primary_scale
        return primary if primary in scales or not scales else scales[0]


def load_patient(db_path: str | Path, patient_id: str) -> PatientView:
    """Read one patient's records and the settings, then close the database.

    Raises:
        PatientModeError: no database file there, or no such patient.
    """
    path = Path(db_path).expanduser()
    if not path.is_file():
        raise PatientModeError(f"There is no clinic database at {path}.")
    # Read-only at the SQLite level (mode=ro): no migration, no file created,
    # and SQLite itself refuses any write, whatever the code below does.
    try:
        database = db.connect(path, read_only=True)
    except db.StorageError as exc:
        raise PatientModeError(f"The clinic's records cannot be opened here: {exc}.") from exc
    try:
        mine = db.load_patient(database, patient_id)
        settings = db.load_settings(database)
    finally:
        database.conn.close()
    if mine.info is None:
        raise PatientModeError(
            f"There is no patient with the id {patient_id!r} in this clinic's records."
        )
    return PatientView(
        patient_id,
        patient_name(mine.info.get("name")),
        mine.data,
        settings,
        frozenset(mine.clinic.acknowledged),
    )


# ----- plain language: every sentence from `outcomes.wording` -------------------
def shown_path(path: Path) -> str:
    """A path as the patient reads it: ``~/...`` under their home folder."""
    try:
        return "~/" + str(path.relative_to(Path.home()))
    except ValueError:
        return str(path)


def needs_crisis_text(status: PatientStatus | None) -> bool:
    """True when any of the patient's answers raised a suicidality alert."""
    # Acknowledged or not: the crisis resources stay on the patient's screen.
    return bool(status and any(a.kind == SUICIDALITY for a in status.alerts))


# ----- the app ---------------------------------------------------------------
HELP_TEXT = """\
Keys
  s        save your chart as a picture (PNG) to take home
  p        save a one-page summary (PDF) to print and take home
  n        your next questionnaire, when you have more than one
  c        go to your chart
  t        switch between a light and a dark screen
  ? or F1  this help
  q        quit: close your progress view
  Ctrl+P   a list of these commands

Words used here
  Baseline    your score shortly before your first {noun}:
              the starting point
  Response    your score dropped by at least {half} from the baseline
  Remission   your score fell into the range where few or no
              symptoms are left
  Session     one {noun}; the first {n} make up the treatment course
  Booster     an extra {noun} after the first {n}
  Check-in    the same questionnaire again after treatment,
              to see how you are doing

The chart
  ●  your score             --  half your starting score
  ·· the remission range    ▲   {a_noun}     ◆  a booster

This screen shows only your own results, and changes nothing.
Press Escape to close."""


def help_text(status: PatientStatus | None, settings: Settings) -> str:
    """The help page for this patient's course: its length and what a session is called
    (an infusion, or a nasal spray session for esketamine)."""
    n = status.induction_size if status is not None else settings.induction_sessions
    noun = _patient_noun(status) if status is not None else "infusion"
    return HELP_TEXT.format(
        half=_share(RESPONSE_MIN_IMPROVEMENT),
        n=n,
        noun=noun,
        a_noun=f"{'an' if noun[0] in 'aeiou' else 'a'} {noun}",
    )


def glossary(status: PatientStatus | None, settings: Settings) -> list[tuple[str, str]]:
    """The "Words used here" of the help page as (word, meaning) pairs (the take-home page lists them)."""
    text = help_text(status, settings)
    block = text.split("Words used here\n", 1)[1].split("\n\n", 1)[0]
    pairs: list[tuple[str, str]] = []
    for line in block.splitlines():
        word, meaning = line[:14].strip(), line[14:].strip()
        if word:
            pairs.append((word, meaning))
        elif pairs:  # a meaning's second line
            pairs[-1] = (pairs[-1][0], f"{pairs[-1][1]} {meaning}")
    return pairs


def handout_of(view: PatientView, scale_id: str | None, today: date, checkin=None):
    """The take-home page's words and chart: patient mode's own, for one scale (`checkin`: the
    next check-in's link, `outcomes_app.checkin_link.checkin_print`)."""
    from reports.handout import Handout  # matplotlib is loaded only when a page is asked for

    status = (
        analyse_patient(view.data, scale_id, view.settings, today, view.acknowledged)
        if scale_id
        else None
    )
    return Handout(
        patient_id=view.patient_id,
        who=view.name or view.patient_id,
        clinic=view.settings.clinic_name,
        day=today,
        headline=headline(status, scale_id),
        about=scale_line(scale_id) if scale_id else "",
        milestones=[
            line.removeprefix("[x] ").removeprefix("[ ] ") for line in milestone_lines(status)
        ]
        if status
        else [],
        sessions=session_lines(status, today) if status else [],
        crisis=view.settings.crisis_text if needs_crisis_text(status) else None,
        glossary=glossary(status, view.settings),
        marks=chart_data(status) if status and status.points else None,
        checkin=checkin,
    )


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

    BINDINGS = [
        Binding("s", "save_chart", "Save chart"),
        Binding("p", "save_page", "Take-home page", show=False),
        Binding("n", "next_scale", "Next scores"),
        Binding("c", "show_chart", "Chart"),
        Binding("t", "toggle_dark", "Light/dark"),
        Binding("question_mark,f1", "help", "Help", key_display="?"),
        Binding("q", "quit", "Quit"),
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
        self._load()

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
        if message.view is None:
            self.query_one("#headline", Static).update(
                Text(
                    terminal_safe(
                        f"{message.problem}\nPlease ask the clinic team. "
                        f"Press {key_hint(self, 'quit')} to close.",
                        multiline=True,
                    )
                )
            )
            self.refresh_bindings()
            return
        self.view = message.view
        self.sub_title = terminal_safe(self.view.name or self.view.patient_id)
        self._show_scale(self.view.default_scale if self.view.scales else None)
        if self.self_report_state == "open" and not isinstance(self.screen, SelfReportScreen):
            self.push_screen(
                SelfReportScreen(self_report_rules.questions(self.view.settings.self_report_scales))
            )

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
        self._set_lines("#sessions", session_lines(status, self.today) if status else [])
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
        text = help_text(self.status, self.view.settings if self.view else Settings())
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

    def send_self_report(self, questions, answers: list[int | None]) -> None:
        """Store the answers as this patient's own scores, once per launch."""
        if self.self_report_state != "open":
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
        except db.StorageError as exc:
            self.post_message(self.SelfReportSent(str(exc), positive))
        except Exception as exc:  # never a traceback on a patient's screen
            self.post_message(
                self.SelfReportSent(f"the clinic's records could not be written ({exc})", positive)
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


def save_handout(
    view: PatientView, scale_id: str | None, folder: Path, today: date, checkin=None
) -> Path:
    """Write the patient's take-home page (PDF) into `folder`; returns its path."""
    from db.files import private_folder
    from reports.handout import handout_path, write_handout

    private_folder(folder, parents=True)
    return write_handout(
        handout_of(view, scale_id, today, checkin), handout_path(folder, view.patient_id, today)
    )


def save_chart_png(
    status: PatientStatus,
    folder: Path,
    today: date,
    name: str | None = None,
    cadss: Sequence[Assessment] = (),
) -> Path:
    """Save the patient's progress chart (the report's, `reports.patient_chart`) as a PNG.

    The file is named after the patient, the scale and the day, e.g.
    ``P001-1a2b3c4d-phq9-2026-02-20.png``; saving again the same day replaces
    that day's picture. `cadss` are the patient's CADSS ratings, drawn per
    infusion; the clinical alert flags are left out (the screen shows the
    clinic's crisis text instead).
    """
    # Imported here: matplotlib is only needed when a patient asks for a file.
    from db.files import private_folder
    from reports.names import inside, patient_stem
    from reports.patient_chart import write_chart_png

    private_folder(folder, parents=True)
    path = inside(
        folder, f"{patient_stem(status.patient_id)}-{status.scale}-{today.isoformat()}.png"
    )
    who = f" - {name}" if name else ""
    title = f"Your {get_scale(status.scale).name} scores{who} (to {_day_text(today)})"
    return write_chart_png(status, cadss_per_infusion(status, cadss), path, title, alerts=False)
