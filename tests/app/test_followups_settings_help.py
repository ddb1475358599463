"""The screens beside the list: follow-ups due, settings, help, theme and the command palette."""

from __future__ import annotations

from textual.widgets import DataTable, Input

import db
from outcomes_app.help import HelpScreen
from outcomes_app.screens.patient_detail import PatientScreen
from outcomes_app.screens.records import HELP_TEXT, FollowUpScreen
from tests.app.driving import clinician_app, list_rows, open_patient, settle, text_of


async def test_follow_ups_due_screen(pilot):
    """Patients whose next scheduled follow-up is due or overdue are listed with the day and state."""
    app = pilot.app
    await pilot.press("f")
    await settle(pilot)
    table = app.screen.query_one("#followups", DataTable)
    rows = {
        str(table.get_row_at(i)[0]): [str(c) for c in table.get_row_at(i)]
        for i in range(table.row_count)
    }
    assert set(rows) == {"P001", "P002"}
    assert (
        rows["P001"][2] == "day 14"
        and rows["P001"][3] == "2026-01-31"
        and rows["P001"][4] == "overdue"
    )
    await pilot.press("enter")
    await settle(pilot)
    assert isinstance(app.screen, PatientScreen)


async def test_settings_change_is_validated_and_persists(clinic_db):
    """A setting is refused inline when invalid and, when valid, is stored and used at once."""
    async with clinician_app(clinic_db) as pilot:
        app = pilot.app
        await pilot.press("comma")
        await settle(pilot)
        table = app.screen.query_one("#settings", DataTable)
        keys = [str(table.get_row_at(i)[0]) for i in range(table.row_count)]
        table.move_cursor(row=keys.index("induction_sessions"))
        await pilot.press("enter")
        await settle(pilot)
        app.screen.query_one("#m-value", Input).value = "99"
        await pilot.press("enter")
        await settle(pilot)
        assert "out of range" in text_of(app, "#modal-error")
        app.screen.query_one("#m-value", Input).value = "8"
        await pilot.press("enter")
        await settle(pilot)
        assert (
            str(
                app.screen.query_one("#settings", DataTable).get_row_at(
                    keys.index("induction_sessions")
                )[1]
            )
            == "8"
        )
        await pilot.press("escape")
        await app.workers.wait_for_complete()
        await settle(pilot)
        assert {r[0]: r for r in list_rows(app)}["P001"][3] == "6/8"
    assert db.load_settings(db.connect(clinic_db)).induction_sessions == 8


async def test_help_theme_and_command_palette(pilot):
    """The help screen lists the keys, ctrl+t switches theme, and the palette offers the patient actions."""
    app = pilot.app
    await pilot.press("question_mark")
    await settle(pilot)
    assert isinstance(app.screen, HelpScreen) and "record an infusion" in HELP_TEXT
    await pilot.press("escape")
    theme = app.theme
    await pilot.press("ctrl+t")
    assert app.theme != theme
    await open_patient(pilot, "P001")
    titles = [c.title for c in app.get_system_commands(app.screen)]
    for title in (
        "Record infusion",
        "Enter assessment",
        "Acknowledge alerts",
        "Follow-ups due",
        "Settings",
        "Start new course",
        "History of selected record",
    ):
        assert title in titles
    await pilot.press("ctrl+p")
    await settle(pilot)
    await pilot.press(*"follow-ups")
    await pilot.pause(0.5)
    await pilot.press("enter")
    await settle(pilot)
    assert isinstance(app.screen, FollowUpScreen)
