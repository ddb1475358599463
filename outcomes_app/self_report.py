"""The self-report screens of patient mode: one question at a time, a review, a thank-you.

`outcomes tui --patient ID --self-report` opens `SelfReportScreen` over the
read-only patient mode. The patient answers each item of the clinic's
`self_report_scales` with the instrument's own question and answers (keys 1-4
or a click), can go back (Backspace) and change an answer, reviews every
answer and sends them (`SelfReportAnswered`, posted up); the app
(`PatientApp.send_self_report`) stores them,
once, as that patient's own scores; then `ThanksScreen` asks for the device
back and patient mode goes on read-only.

Every sentence comes from `outcomes.self_report`; nothing here decides a rule.
A positive suicidality item shows `CrisisScreen` at once.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Footer, Header, Static

from outcomes import self_report as words
from outcomes.scales import get_scale
from outcomes.self_report import Question
from outcomes.settings import Settings
from outcomes_app.messages import SelfReportAnswered, SelfReportLeft

#: Number keys that choose an answer (the answer shown as "1" is stored as 0).
ANSWER_KEYS = ("1", "2", "3", "4")


class SelfReportScreen(Screen):
    """The questions, one at a time, then the review of every answer."""

    BINDINGS = [
        *(
            Binding(key, f"answer({n})", f"Answer {key}", show=False)
            for n, key in enumerate(ANSWER_KEYS)
        ),
        Binding("backspace,left", "back", "Previous question"),
        # Priority: the scrolling container would take the arrows to scroll instead.
        Binding("up", "app.focus_previous", "Up", show=False, priority=True),
        Binding("down", "app.focus_next", "Down", show=False, priority=True),
        Binding("q", "leave", "Leave"),
    ]

    def __init__(self, questions: list[Question], settings: Settings) -> None:
        super().__init__(id="self-report")
        self.questions = questions
        #: The clinic's settings: its crisis text and when an answer counts as positive.
        self.settings = settings
        self.answers: list[int | None] = [None] * len(questions)
        #: The question shown, or None for the intro (-1) / review (len).
        self.index = -1
        #: Where an answer changed from the review goes back to.
        self.return_to_review = False
        self.crisis_shown = False
        self.sending = False

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False, icon="")
        yield VerticalScroll(id="sr-body")
        yield Footer()

    async def on_mount(self) -> None:
        await self.show_intro()

    # ----- what is shown --------------------------------------------------
    async def _fill(self, *widgets) -> None:
        # Awaited: the old widgets (same ids) must be gone before the new mount.
        body = self.query_one("#sr-body", VerticalScroll)
        await body.remove_children()
        await body.mount_all(widgets)
        body.scroll_home(animate=False)

    async def show_intro(self) -> None:
        self.index = -1
        names = " and ".join(
            get_scale(s).name for s in dict.fromkeys(q.scale_id for q in self.questions)
        )
        await self._fill(
            Static(Text(f"Questionnaires: {names}"), classes="sr-title"),
            Static(Text(words.INTRO), classes="sr-text"),
            Button("Start", id="sr-start", variant="primary", classes="sr-wide"),
        )
        self.call_after_refresh(self._focus, "#sr-start")
        self.refresh_bindings()

    async def show_question(self, index: int) -> None:
        self.index = index
        q = self.questions[index]
        chosen = self.answers[index]
        buttons = [
            Button(
                f"{n + 1}  {text}" + ("   (your answer)" if chosen == n else ""),
                id=f"sr-opt-{n}",
                classes="sr-option" + (" -chosen" if chosen == n else ""),
            )
            for n, text in enumerate(q.options)
        ]
        await self._fill(
            Static(
                Text(f"{q.title}   ({index + 1} of {len(self.questions)} in all)"),
                classes="sr-title",
            ),
            Static(Text(q.stem), classes="sr-stem"),
            Static(Text(q.text), classes="sr-item"),
            Vertical(*buttons, id="sr-options"),
            Static(Text(words.KEYS_HINT), classes="sr-hint"),
        )
        self.call_after_refresh(self._focus, f"#sr-opt-{chosen if chosen is not None else 0}")
        self.refresh_bindings()

    async def show_review(self, problem: str | None = None) -> None:
        self.index = len(self.questions)
        self.return_to_review = False
        widgets = [
            Static(Text(words.REVIEW_TITLE), classes="sr-title"),
            Static(Text(words.REVIEW_HINT), classes="sr-hint"),
        ]
        if self.positive():
            widgets.append(crisis_panel(self.settings.crisis_text, words.TEAM_WILL_BE_TOLD))
        scale = None
        for i, (q, a) in enumerate(zip(self.questions, self.answers, strict=False)):
            if q.scale_id != scale:
                scale = q.scale_id
                widgets.append(
                    Static(Text(f"{get_scale(scale).name}: {q.stem}"), classes="sr-stem")
                )
            answer = q.options[a] if a is not None else "(not answered)"
            label = Text.assemble(f"{q.number}. {q.text}:  ", (answer, "bold"))
            widgets.append(Button(label, id=f"sr-review-{i}", classes="sr-review"))
        if problem:
            widgets.append(Static(Text(problem), id="sr-problem"))
        widgets.append(
            Button("Send my answers", id="sr-send", variant="primary", classes="sr-wide")
        )
        await self._fill(*widgets)
        self.call_after_refresh(self._focus, "#sr-send")
        self.refresh_bindings()

    def positive(self) -> bool:
        """Whether an answer so far is a positive safety item (the crisis text shows)."""
        return words.positive_safety_item(self.questions, self.answers, self.settings)

    def _focus(self, selector: str) -> None:
        found = self.query(selector)
        if found:
            found.first().focus()

    # ----- what the patient does ------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        in_question = 0 <= self.index < len(self.questions)
        if action == "answer":
            return in_question
        if action == "back":
            return in_question or self.index == len(self.questions)
        return True

    async def action_answer(self, n: int) -> None:
        if not 0 <= self.index < len(self.questions) or self.sending:
            return
        q = self.questions[self.index]
        if not 0 <= n < len(q.options):
            return
        self.answers[self.index] = n
        if self.positive() and not self.crisis_shown:
            self.crisis_shown = True
            self.app.push_screen(CrisisScreen(self.settings.crisis_text), lambda _: self._advance())
            return
        await self._advance()

    async def _advance(self) -> None:
        nxt = self.index + 1
        if self.return_to_review or nxt >= len(self.questions):
            await self.show_review()
        else:
            await self.show_question(nxt)

    async def action_back(self) -> None:
        if self.index == len(self.questions):
            await self.show_question(len(self.questions) - 1)
        elif self.index > 0:
            self.return_to_review = False
            await self.show_question(self.index - 1)
        elif self.index == 0:
            await self.show_intro()

    def action_leave(self) -> None:
        def done(leave: bool | None) -> None:
            if leave:
                self.post_message(SelfReportLeft())  # patient mode closes; a kiosk stays open

        # After a positive safety item the dialog says the team was not told, with the crisis text.
        self.app.push_screen(
            LeaveScreen(self.settings.crisis_text if self.positive() else None), done
        )

    @on(Button.Pressed)
    async def _pressed(self, event: Button.Pressed) -> None:
        ident = event.button.id or ""
        if ident == "sr-start":
            await self.show_question(0)
        elif ident.startswith("sr-opt-"):
            await self.action_answer(int(ident.rsplit("-", 1)[1]))
        elif ident.startswith("sr-review-"):
            self.return_to_review = True
            await self.show_question(int(ident.rsplit("-", 1)[1]))
        elif ident == "sr-send":
            await self.send()

    async def send(self) -> None:
        if self.sending:
            return
        missing = [i for i, a in enumerate(self.answers) if a is None]
        if missing:
            await self.show_question(missing[0])
            return
        self.sending = True
        self.post_message(SelfReportAnswered(self.questions, list(self.answers)))

    async def send_failed(self, reason: str) -> None:
        """The answers could not be stored: say so, and keep them on screen."""
        self.sending = False
        await self.show_review(words.NOT_SAVED.format(reason=reason))


def crisis_panel(crisis_text: str, team_line: str) -> Static:
    """The clinic's crisis text in a heavy frame, with what happens next."""
    panel = Static(Text(f"{crisis_text}\n\n{team_line}"), classes="sr-crisis")
    panel.border_title = "Support is available"
    return panel


class CrisisScreen(ModalScreen[None]):
    """Shown at once when an answer is a positive suicidality item."""

    BINDINGS = [Binding("enter,escape,space", "go_on", "Go on")]

    def __init__(self, crisis_text: str) -> None:
        super().__init__(id="sr-crisis-screen")
        self.crisis_text = crisis_text

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="sr-crisis-box"):
            yield crisis_panel(self.crisis_text, words.TEAM_WILL_BE_TOLD)
            yield Button(
                "Go on with the questions", id="sr-go-on", variant="primary", classes="sr-wide"
            )

    def on_mount(self) -> None:
        self.query_one("#sr-go-on", Button).focus()

    @on(Button.Pressed, "#sr-go-on")
    def action_go_on(self) -> None:
        self.dismiss(None)


class LeaveScreen(ModalScreen[bool]):
    """Leaving before sending: nothing answered is kept.

    After a positive suicidality item (`crisis_text` given) it says so plainly: the care team
    has not been told; the clinic's crisis text; tell a member of staff.
    """

    BINDINGS = [Binding("escape,n", "stay", "Stay"), Binding("y", "leave", "Leave")]

    def __init__(self, crisis_text: str | None = None) -> None:
        super().__init__()
        self.crisis_text = crisis_text

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="sr-leave-box"):
            if self.crisis_text is None:
                yield Static(Text(words.LEAVE_QUESTION), classes="sr-text")
            else:
                yield Static(Text(words.LEAVE_AFTER_SAFETY_ITEM), classes="sr-text")
                yield crisis_panel(self.crisis_text, words.TELL_STAFF)
            yield Button("Stay and go on", id="sr-stay", variant="primary", classes="sr-wide")
            yield Button("Leave", id="sr-leave", classes="sr-wide")

    def on_mount(self) -> None:
        self.query_one("#sr-stay", Button).focus()

    @on(Button.Pressed, "#sr-stay")
    def action_stay(self) -> None:
        self.dismiss(False)

    @on(Button.Pressed, "#sr-leave")
    def action_leave(self) -> None:
        self.dismiss(True)


class ThanksScreen(Screen):
    """After sending: hand the device back; then the read-only progress view."""

    BINDINGS = [Binding("enter", "done", "My progress")]

    def __init__(self, crisis_text: str | None) -> None:
        super().__init__(id="sr-thanks")
        self.crisis_text = crisis_text

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False, icon="")
        with VerticalScroll(id="sr-body"):
            yield Static(Text(words.THANK_YOU), id="sr-thank-you")
            if self.crisis_text:
                yield crisis_panel(self.crisis_text, words.TEAM_TOLD)
            yield Button(words.SEE_PROGRESS, id="sr-done", variant="primary", classes="sr-wide")
            yield Static(Text(words.AFTER_THANKS), classes="sr-hint")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#sr-done", Button).focus()

    @on(Button.Pressed, "#sr-done")
    def action_done(self) -> None:
        self.app.pop_screen()
