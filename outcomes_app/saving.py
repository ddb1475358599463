"""Every write of the apps runs off the UI thread and waits, visibly, for another program's write lock.

A long import holds the database's write lock for about 20 seconds. A save
meanwhile runs on a Textual thread worker (`write_off_thread`), so the
screen never freezes; from the first moment it has to wait, a dialog says
"waiting for another write… (N s)", counting, over the form, which keeps
what was typed. The save lands as soon as the lock is free; past the limit
(`db.lock_wait.LOCK_WAIT_LIMIT_S`, a minute) it is refused with a clear
message and nothing written, and the form is still there to try again.
Escape stops waiting (nothing saved, the form kept); quitting meanwhile is
refused with words that say so (`quit_refused_while_saving`).

While a write is in flight the app's own connection belongs to that worker:
`OutcomesApp.follow_database` skips its look at the database
(`writes_under_way`: a worker of the group `WRITE_GROUP` has not finished).
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any, Callable, Iterator, NamedTuple

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

import db
from outcomes_app.errors import NotDone, guarded

#: The worker group of every write (`writes_under_way` looks for it).
WRITE_GROUP = "write"


class WaitWords(NamedTuple):
    """The waiting dialog's words: the clinician's (`CLINICIAN_WAIT`), or an app's own
    (`wait_words` on the app: patient mode's are for a patient)."""

    title: str
    waiting: str  # counts: formatted with `seconds`
    intro: str  # formatted with `limit` (how long at most)
    stopped: str  # why nothing was saved after Escape
    quit_while: str  # q while it waits: why the app does not quit


CLINICIAN_WAIT = WaitWords(
    "Saving",
    "waiting for another write… ({seconds} s)",
    "Another program (an import, another terminal) is writing to the database. What you "
    "typed is kept and saved as soon as it has finished (waiting at most {limit}).",
    "you stopped waiting for the other write, so nothing was saved",
    "A save is still waiting for another program's write, and quitting now would lose "
    "what you entered. Press esc to stop waiting (nothing is saved), then quit.",
)
#: What the waiting dialog counts (the words the issue asks for).
WAITING = CLINICIAN_WAIT.waiting
STOPPED = CLINICIAN_WAIT.stopped
QUIT_WHILE_SAVING = CLINICIAN_WAIT.quit_while


class WaitStopped(db.StorageError):
    """The user stopped waiting for the lock; nothing was written."""


class WaitingModal(ModalScreen[None]):
    """ "waiting for another write… (N s)" while another program holds the write lock; esc stops waiting."""

    # q reaches the app's quit from here too, which says why it waits (`quit_refused_while_saving`).
    BINDINGS = [
        Binding("escape", "stop", "Stop waiting"),
        Binding("q", "app.quit", "Quit", show=False),
    ]
    # Its own layout: it shows in the clinician app and in patient mode alike.
    DEFAULT_CSS = """
    WaitingModal { align: center middle; }
    WaitingModal > Vertical { width: 64; height: auto; border: thick $warning; background: $surface;
                              padding: 1 2; }
    WaitingModal #waiting { text-style: bold; margin: 1 0; }
    WaitingModal Horizontal { height: auto; margin-top: 1; }
    """

    def __init__(self, stop: threading.Event, words: WaitWords = CLINICIAN_WAIT) -> None:
        super().__init__()
        self.stop = stop
        self.words = words

    def compose(self) -> ComposeResult:
        from db.lock_wait import limit_words

        with Vertical():
            yield Label(self.words.title)
            yield Static(self.words.waiting.format(seconds=0), id="waiting")
            yield Static(self.words.intro.format(limit=limit_words()), classes="intro")
            with Horizontal(classes="buttons"):
                yield Button("Stop waiting (esc)", id="stop")

    def show(self, seconds: float) -> None:
        if not self.stop.is_set():
            self.query_one("#waiting", Static).update(
                self.words.waiting.format(seconds=int(seconds))
            )

    def on_button_pressed(self) -> None:
        self.action_stop()

    def action_stop(self) -> None:
        self.stop.set()
        self.query_one("#waiting", Static).update("stopping… nothing will be saved")


def _reporter(
    app: App, stop: threading.Event, shown: list[WaitingModal]
) -> Callable[[float], None]:
    """The lock reporter of one write (called on the worker thread after each try at the lock)."""
    words = getattr(app, "wait_words", CLINICIAN_WAIT)

    def show(seconds: float) -> None:  # on the UI thread
        if not shown:
            shown.append(WaitingModal(stop, words))
            app.push_screen(shown[0])
        elif shown[0].is_mounted:
            shown[0].show(seconds)

    def report(seconds: float) -> None:
        if stop.is_set():
            raise WaitStopped(words.stopped)
        app.call_from_thread(show, seconds)

    return report


@contextlib.contextmanager
def lock_waits_shown(app: App) -> Iterator[None]:
    """On a worker thread: while its write waits for the lock, the waiting dialog shows and counts."""
    stop = threading.Event()
    shown: list[WaitingModal] = []
    with db.reporting_lock_waits(_reporter(app, stop, shown)):
        try:
            yield
        finally:
            if shown:
                app.call_from_thread(_close, app, shown[0])


def _close(app: App, modal: WaitingModal) -> None:
    if app.screen is modal:
        modal.dismiss()


def quit_refused_while_saving(app: App) -> bool:
    """Whether a quit must wait: the waiting dialog is up (a save waits for the lock). Says so if it is.

    Quitting would end the app with the form (or a patient's answers) and the
    save's worker under it, so q, ctrl+q and the palette's Quit say why and do
    nothing until the save lands or the user stops waiting.
    """
    if any(isinstance(screen, WaitingModal) for screen in app.screen_stack):
        words = getattr(app, "wait_words", CLINICIAN_WAIT)
        app.notify(words.quit_while, severity="warning", timeout=8)
        return True
    return False


def writes_under_way(app: App) -> bool:
    """Whether a save's worker (`write_off_thread`) is running, using the app's connection."""
    return any(w.group == WRITE_GROUP and not w.is_finished for w in app.workers)


async def write_off_thread(app: App, action: Callable[[], Any]) -> tuple[Any, str | None]:
    """Run the database write `action` on a thread worker; (result, None) or (None, the words of its failure).

    A refusal or a program error comes back exactly as `guarded` gives it
    (a program error is logged and notified). The waiting dialog, if it was
    shown, is gone when this returns.
    """

    def run() -> tuple[Any, BaseException | None]:
        with lock_waits_shown(app):
            try:
                return action(), None
            except Exception as exc:  # handed to `guarded` on the UI thread, which words or logs it
                return None, exc

    worker = app.run_worker(run, thread=True, group=WRITE_GROUP, exit_on_error=False)
    result, failure = await worker.wait()
    if failure is None:
        return result, None
    if isinstance(failure, (db.LockWaitTooLong, WaitStopped)):
        return None, NotDone(str(failure))

    def reraise() -> None:
        raise failure

    reraise.__qualname__ = getattr(action, "__qualname__", "write")
    return guarded(reraise)
