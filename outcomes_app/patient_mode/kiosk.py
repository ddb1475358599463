"""`KioskApp`: patient mode on a shared terminal, closed only with the staff code.

Patient mode as it is (`PatientApp`), with three differences (`outcomes.kiosk`
holds the rules and the words):

- leaving (q, ctrl+q, the palette's Quit, "Leave" in the self-report) never
  ends the program on the patient's word: q asks for the clinic's staff code
  (`StaffCodeScreen`); a wrong code is refused with words and counted (no
  lock-out: the kiosk is already locked, and a lock-out would lock staff out
  too); the right one closes the app;
- ctrl+c, ctrl+z and ctrl+\\ do not reach a shell. Textual 8's Linux driver
  turns the terminal's ISIG off (unless $TEXTUAL_ALLOW_SIGNALS is set, which
  the kiosk removes), so these arrive as keys: ctrl+c says the screen stays
  open, the others are bound to nothing. The driver also installs a SIGTSTP
  handler that stops the process, so a SIGTSTP sent by other means (`kill
  -TSTP`, a terminal that keeps ISIG) would still suspend it; the kiosk sets
  SIGINT, SIGQUIT and SIGTSTP to "ignore" while it runs and puts the earlier
  handlers back when it closes;
- after `kiosk_idle_minutes` without a key, a click or a touch it goes back
  to where it started (`go_to_start`): dialogs closed, the self-report's
  unsent answers discarded and its first page shown again (nothing unsent is
  kept, as when the patient leaves), or the progress view at its top.
"""

from __future__ import annotations

import os
import signal
from dataclasses import dataclass
from time import monotonic

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from outcomes import kiosk as words
from outcomes.kiosk import StaffCode
from outcomes_app.messages import SelfReportLeft
from outcomes_app.patient_mode.app import PatientApp
from outcomes_app.saving import quit_refused_while_saving
from outcomes_app.self_report import SelfReportScreen

#: Signals a keyboard can raise: ignored while the kiosk runs.
KIOSK_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGQUIT", "SIGTSTP") if hasattr(signal, name)
)
#: Seconds between two looks at the idle time (the idle time itself is minutes).
IDLE_CHECK_S = 5.0


@dataclass
class StaffCodeCheck:
    """What the staff-code dialog is handed: the code to match, and the wrong ones counted."""

    staff_code: StaffCode
    wrong: int = 0


class StaffCodeScreen(ModalScreen[bool]):
    """Asks for the staff code; dismissed with True only when it is right."""

    BINDINGS = [Binding("escape", "back", "Go back")]

    def __init__(self, check: StaffCodeCheck) -> None:
        super().__init__()
        self.check = check

    def compose(self) -> ComposeResult:
        with Vertical(id="kiosk-code-box"):
            yield Label(words.CODE_TITLE, classes="sr-title")
            yield Static(Text(words.CODE_INTRO), classes="sr-text")
            yield Input(password=True, placeholder=words.CODE_LABEL, id="kiosk-code")
            yield Static("", id="kiosk-code-problem")
            yield Button("Close the kiosk", id="kiosk-close", classes="sr-wide")
            yield Button("Go back", id="kiosk-back", variant="primary", classes="sr-wide")

    def on_mount(self) -> None:
        self.query_one("#kiosk-code-problem").display = False
        self.query_one("#kiosk-code", Input).focus()

    @on(Input.Submitted, "#kiosk-code")
    @on(Button.Pressed, "#kiosk-close")
    def _try(self) -> None:
        box = self.query_one("#kiosk-code", Input)
        typed, box.value = box.value, ""  # the typed code never stays on screen
        check = self.check
        if not typed:
            self._say(words.NO_CODE_TYPED)
        elif check.staff_code.matches(typed):
            self.dismiss(True)
        else:
            check.wrong += 1
            self._say(words.WRONG_CODE.format(count=words.wrong_count_words(check.wrong)))
        box.focus()

    def _say(self, problem: str) -> None:
        shown = self.query_one("#kiosk-code-problem", Static)
        shown.update(Text(problem))
        shown.display = True

    @on(Button.Pressed, "#kiosk-back")
    def action_back(self) -> None:
        self.dismiss(False)


class KioskApp(PatientApp):
    """Patient mode that only staff can close (see the module's docstring).

    Args:
        staff_code: The clinic's staff code (its stored hash).
        idle_minutes: Minutes without input before the start screen comes back.
        Others as `PatientApp`.
    """

    BINDINGS = [Binding("q", "quit", words.CLOSE_LABEL)]

    def __init__(self, *args, staff_code: StaffCode, idle_minutes: int, **kwargs) -> None:
        # Before the driver starts: with this set, Textual would keep ctrl+c/z/\ as signals.
        os.environ.pop("TEXTUAL_ALLOW_SIGNALS", None)
        super().__init__(*args, **kwargs)
        self.kiosk = True
        #: The staff code, and the wrong codes typed since the kiosk started.
        self.code_check = StaffCodeCheck(staff_code)
        self.idle_s = idle_minutes * 60.0
        #: When the last key, click or touch arrived (`time.monotonic`).
        self.last_input = monotonic()
        self._saved_handlers: dict[int, object] = {}
        #: How many times the idle time brought the start screen back.
        self.idle_resets = 0

    def on_mount(self) -> None:
        super().on_mount()
        self._ignore_signals()
        self.set_interval(IDLE_CHECK_S, self._idle_tick)

    def on_unmount(self) -> None:
        for sig, handler in self._saved_handlers.items():
            signal.signal(sig, handler)
        self._saved_handlers.clear()

    def _ignore_signals(self) -> None:
        # After the driver's own SIGTSTP handler (installed when it was made).
        for sig in KIOSK_SIGNALS:
            try:
                self._saved_handlers[sig] = signal.signal(sig, signal.SIG_IGN)
            except ValueError:  # not the main thread: the terminal's ISIG is off all the same
                pass

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.InputEvent) and not event.is_forwarded:
            self.last_input = monotonic()
        await super().on_event(event)

    # ----- leaving needs the staff code -----------------------------------
    async def action_quit(self) -> None:
        if quit_refused_while_saving(self) or isinstance(self.screen, StaffCodeScreen):
            return

        def done(right: bool | None) -> None:
            if right:
                self.exit(message=words.closed_words(self.wrong_codes))

        self.push_screen(StaffCodeScreen(self.code_check), done)

    @property
    def wrong_codes(self) -> int:
        """Wrong staff codes typed since the kiosk started."""
        return self.code_check.wrong

    def action_help_quit(self) -> None:
        self.notify(words.STAYS_OPEN, markup=False)  # ctrl+c: no shell behind this screen

    async def on_self_report_left(self, message: SelfReportLeft) -> None:
        """The patient left the questions: the progress view, not the shell."""
        message.prevent_default()  # not `PatientApp`'s handler, which closes the app
        self.self_report_state = "left"
        if isinstance(self.screen, SelfReportScreen):
            await self.pop_screen()
        self.refresh_bindings()

    # ----- back to the start after the idle time --------------------------
    def _idle_tick(self) -> None:
        self.call_later(self.back_to_start_if_idle)

    async def back_to_start_if_idle(self, now: float | None = None) -> bool:
        """Go back to the start screen when the idle time has passed; whether it did."""
        now = monotonic() if now is None else now
        if now - self.last_input < self.idle_s:
            return False
        self.last_input = now
        if any(isinstance(s, SelfReportScreen) and s.sending for s in self.screen_stack):
            return False  # the answers are being stored (perhaps waiting for a lock): thanks next
        await self.go_to_start()
        return True

    async def go_to_start(self) -> None:
        """Close every dialog and show the screen the kiosk started with."""
        while len(self.screen_stack) > 1:
            await self.pop_screen()
        self.idle_resets += 1
        if self.self_report_state in ("open", "left") and self.view is not None:
            self.self_report_state = "open"
            self.open_self_report()
        elif self.view is not None:
            self._show_scale(self.view.default_scale if self.view.scales else None)
        self.query_one("#main").scroll_home(animate=False)
        self.refresh_bindings()
