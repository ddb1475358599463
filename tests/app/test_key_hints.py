"""Every key a banner, a summary line or a button names is a key its screen really has.

The hint comes from the binding (`outcomes_app.widgets.key_hint`), so the
session screen, where "a" is typed into fields, says ctrl+k, and pressing
the key a hint names does what the hint says.
"""

from __future__ import annotations

import re

from textual.widgets import Button

from outcomes_app.widgets import key_hint
from tests.app.driving import clinician_app, open_patient, screen_text, settle

#: "press a to acknowledge", "Press ^k ...", "(press f)".
PRESS = re.compile(r"\b[Pp]ress (\S+?)(?=[\s.,)]|$)")
#: A button's key in brackets at the end of its label: "Save (^s)".
BUTTON_KEY = re.compile(r"\(([^()\s]+)\)$")


def bound_keys(app) -> set[str]:
    """Every key of the current screen and the app, as the footer shows it."""
    keys = set()
    for owner in (app.screen, app):
        for bindings in owner._bindings.key_to_bindings.values():
            keys.update(app.get_key_display(b) for b in bindings)
    return keys


def hints(app) -> list[str]:
    """Every key the screen names now: "press X" anywhere, "(X)" at the end of a button."""
    named = PRESS.findall(screen_text(app))
    for button in app.screen.query(Button):
        named += BUTTON_KEY.findall(str(button.label))
    return named


def assert_hints_are_bindings(app, at_least: int = 1) -> list[str]:
    named = hints(app)
    assert len(named) >= at_least, screen_text(app)
    assert set(named) <= bound_keys(app), (type(app.screen).__name__, named, bound_keys(app))
    return named


async def test_every_key_hint_names_a_real_binding_and_the_session_banner_says_its_own_key(
    clinic_db,
):
    """List, patient, session, form and confirmation: each hint is a binding of that screen;
    the session screen's alert banner names ctrl+k (its acknowledge key), and that key acknowledges."""
    async with clinician_app(clinic_db) as pilot:
        app = pilot.app
        await open_patient(pilot, "P002")  # an open suicidality alert
        assert "press a to acknowledge" in screen_text(app)
        assert_hints_are_bindings(app)

        await pilot.press("v")
        await settle(pilot)
        assert type(app.screen).__name__ == "SessionScreen"
        key = key_hint(app.screen, "acknowledge")
        assert key == app.get_key_display(
            next(b for b in app.screen.BINDINGS if b.action == "acknowledge")
        )
        assert f"press {key} to acknowledge" in screen_text(app) and "press a " not in screen_text(
            app
        )
        assert_hints_are_bindings(app)
        session = app.screen
        await pilot.press("ctrl+k")
        await settle(pilot)
        assert app.screen is not session and "cknowledg" in screen_text(app)
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)

        await pilot.press("i")  # the infusion form: Save and Cancel name their keys
        await settle(pilot)
        named = assert_hints_are_bindings(app, at_least=2)
        assert key_hint(app.screen, "save") in named and key_hint(app.screen, "cancel") in named


#: Keys the help names that Textual's widgets and app give every screen (not the screen's own bindings).
BUILT_IN = {
    "tab",
    "shift+tab",
    "↑",
    "↓",
    "enter",
    "pgup",
    "pgdn",
    "home",
    "end",
    "1-9",
    "ctrl+p",
    "ctrl+q",
    "f1",
}
#: The help's spelling of a key -> the binding's name for it.
KEY_NAMES = {"esc": "escape", "?": "question_mark", ",": "comma", "/": "slash"}
#: A key as the help names it: one character or a named key, at the start of a column.
KEY = re.compile(
    r"(?:^ {2}| {2,})((?:ctrl|shift)\+\w+|esc|enter|tab|f\d|pgup|pgdn|home|end|1-9|\S)(?= )"
)


def test_every_key_the_help_page_names_is_bound_on_its_screen():
    """The help's Patient list, Patient, Session and Forms keys are bindings of those screens."""
    from outcomes_app.app import OutcomesApp
    from outcomes_app.screens.forms import FormScreen
    from outcomes_app.screens.patient_detail import PatientScreen
    from outcomes_app.screens.patient_list import PatientListScreen
    from outcomes_app.screens.records import HELP_TEXT
    from outcomes_app.screens.session import SessionScreen

    screens = {
        "Everywhere": OutcomesApp,
        "Patient list": PatientListScreen,
        "Patient": PatientScreen,
        "Session": SessionScreen,
        "Forms": FormScreen,
    }
    sections = dict(re.findall(r"\[b\]([^\[]+)\[/b\][^\n]*\n(.*?)(?=\n\[b\]|\Z)", HELP_TEXT, re.S))
    checked = 0
    for title, screen in screens.items():
        bound = {
            key.strip()
            for b in [*screen.BINDINGS, *OutcomesApp.BINDINGS]
            for key in b.key.split(",")
        }
        for line in sections[title].splitlines():
            for key in KEY.findall(line):
                for part in key.split(" / "):
                    if part in BUILT_IN:
                        continue
                    assert KEY_NAMES.get(part, part) in bound, (title, part, line)
                    checked += 1
    assert checked >= 25  # the parse found the keys (i, s, a, e, ..., ctrl+e, ctrl+k, ctrl+s, ...)
