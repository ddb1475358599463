"""Stored text with markup, control sequences, right-to-left script, zero-width characters and
1,000-character names: every screen of both apps shows it literally and none crashes.

Patients, settings and audit rows are written as the program writes them
(through `db/`), then each screen is opened with the real app and the text
it shows is read back.
"""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, Static

import db
import tui
from outcomes.validation import check_assessment
from outcomes_app.screens.patient_detail import PatientScreen
from outcomes_app.screens.records import HistoryScreen, SettingsScreen
from outcomes_app.virtual_table import VirtualTable
from tests.clinic import (
    TODAY,
    WHO,
    add_infusion,
    add_patient,
    add_phq9,
    stored_by_an_earlier_release,
)

SIZE = (120, 36)
OSC = "\x1b]0;pwned\x07"
NAMES = {
    "H001": "Ann Lee [twin A]",
    "H002": "[/] closing [bold]bold[/bold] [@click=app.quit]quit[/]",
    "H003": f"Bob {OSC}Example \x1b[2J\x9b1m",
    "H004": "שלום עליכם \u202eevil\u202c",
    "H005": "Zoe\u200bZero\u200dWidth",
    "H006": "L" * 1000,
}
CRISIS = "[bold]Call[/] 988 now \x1b[31m[red]or else[/red]"
CLINIC = "[/]Clinic [b]of[/b] \x1b]2;x\x07"


@pytest.fixture
def hostile_clinic(tmp_path):
    path = tmp_path / "hostile.db"
    with stored_by_an_earlier_release():  # control characters are refused at input now
        _store_hostile(path)
    return path


def _store_hostile(path) -> None:
    database = db.connect(path)
    for pid, name in NAMES.items():
        add_patient(database, pid, name)
        add_phq9(database, pid, "2026-01-05", 20, item9=1)
        add_infusion(database, pid, "2026-01-06", notes=f"note of {name[:40]} [i]x[/]")
    aid = add_phq9(database, "H002", "2026-01-09", 12)
    fixed = check_assessment(
        {"patient_id": "H002", "date": "2026-01-09", "scale": "phq9", "items": "1 1 1 1 1 1 1 1 1"},
        TODAY,
    )
    db.correct_assessment(
        database, aid, fixed.values, f"typo [/] {OSC} [bold]x", "[red]Dr[/] \x1b[5m"
    )
    db.set_setting(database, "crisis_text", CRISIS, WHO)
    db.set_setting(database, "clinic_name", CLINIC, WHO)
    database.close()


def shown(widget) -> str:
    return str(widget.render())


def assert_safe(text: str) -> None:
    """No raw control character reaches the screen."""
    assert not any(ord(c) < 32 and c != "\n" or 0x7F <= ord(c) < 0xA0 for c in text), repr(text)
    assert "\u202e" not in text


async def wait_ready(app, pilot) -> None:
    while app.clinic.rows is None:
        await app.workers.wait_for_complete()
        await pilot.pause()
    await pilot.pause()


async def test_clinician_app_shows_hostile_text_literally_on_every_screen(hostile_clinic):
    """List, detail, history and settings screens show markup as typed and control sequences escaped."""
    app = tui.make_app(hostile_clinic, today=TODAY, clinician="Dr Test")
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(app, pilot)
        table = app.screen.query_one("#patients", VirtualTable)
        cells = [str(c) for i in range(table.row_count) for c in table.get_row_at(i)]
        listed = "\n".join(cells)
        assert "Ann Lee [twin A]" in listed
        assert "[/] closing [bold]b…" in listed  # the list cuts names at 20 characters
        assert "Bob \\x1b]0;pwned\\x07Examp…" in listed
        assert "שלום עליכם" in listed and "\\u202eevil" in listed
        assert "Zoe\u200bZero" in listed
        assert_safe(listed)
        assert_safe(app.export_screenshot())
        for pid, name in NAMES.items():
            app.open_patient(pid)
            await pilot.pause()
            await pilot.pause()
            assert isinstance(app.screen, PatientScreen)
            info = shown(app.screen.query_one("#patient-info", Static))
            assert_safe(info)
            if pid in ("H001", "H002", "H005"):
                assert name in info
            assert_safe(app.export_screenshot())
            await pilot.press("escape")
            await pilot.pause()
        corrected = app.clinic.database.conn.execute(
            "SELECT id FROM assessments WHERE supersedes IS NOT NULL"
        ).fetchone()[0]
        database = app.clinic.database
        history = HistoryScreen(
            "H002",
            None,
            "History of the corrected assessment",
            lambda: db.history(database, "assessment", corrected),
        )
        await app.push_screen(history)
        await pilot.pause()
        text = shown(app.screen.query_one("#history-text", Static))
        # The history screen shows control characters as the same visible escapes as the CLI.
        assert "typo [/] \\x1b]0;pwned\\x07 [bold]x" in text
        assert "[red]Dr[/] \\x1b[5m" in text and "\ufffd" not in text
        assert_safe(text)
        await pilot.press("escape")
        await pilot.press("comma")
        await pilot.pause()
        assert isinstance(app.screen, SettingsScreen)
        settings = app.screen.query_one("#settings", DataTable)
        rows = {
            str(settings.get_row_at(i)[0]): str(settings.get_row_at(i)[1])
            for i in range(settings.row_count)
        }
        assert rows["clinic_name"].startswith("[/]Clinic [b]of[/b] \\x1b]2")  # cut at 24
        keys = list(rows)
        settings.move_cursor(row=keys.index("crisis_text"))
        await pilot.pause()
        detail = shown(app.screen.query_one("#setting-detail", Static))
        assert "[bold]Call[/] 988 now \\x1b[31m[red]or else[/red]" in detail
        assert_safe(detail)
        assert_safe(app.export_screenshot())


async def test_patient_mode_shows_hostile_name_and_crisis_text_literally(hostile_clinic):
    """Patient mode (crisis text shown for a positive item 9) shows markup as typed, controls escaped."""
    for pid in NAMES:
        app = tui.make_app(hostile_clinic, pid, today=TODAY)
        async with app.run_test(size=SIZE) as pilot:
            await app.workers.wait_for_complete()
            await pilot.pause()
            await pilot.pause()
            crisis = shown(app.screen.query_one("#crisis", Static))
            assert "[bold]Call[/] 988 now \\x1b[31m[red]or else[/red]" in crisis
            assert_safe(crisis)
            assert_safe(app.export_screenshot())
            assert_safe(app.sub_title)


async def test_an_escape_sequence_in_a_name_reads_the_same_on_every_screen(hostile_clinic):
    """One rule (`terminal_safe`) everywhere stored text reaches a screen: the OSC and CSI
    sequences in H003's name read as the same visible escapes on the list, the patient
    screen, a record's history, the patient's audit log and the session screen."""
    from outcomes.terminal_text import terminal_safe
    from tests.app.driving import screen_text, select_timeline, settle

    visible = terminal_safe(NAMES["H003"])
    assert visible == "Bob \\x1b]0;pwned\\x07Example \\x1b[2J\\x9b1m"
    app = tui.make_app(hostile_clinic, today=TODAY, clinician="Dr Test")
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(app, pilot)
        table = app.screen.query_one("#patients", VirtualTable)
        listed = [str(c) for i in range(table.row_count) for c in table.get_row_at(i)]
        # The list cuts the name at 20 characters, then shows the cut the same way.
        assert terminal_safe(NAMES["H003"][:19]) + "…" in listed
        app.open_patient("H003")
        await settle(pilot)
        seen = {"patient": shown(app.screen.query_one("#patient-info", Static))}
        select_timeline(app, "Infusion 1")
        await pilot.press("h")
        await settle(pilot)
        seen["history"] = shown(app.screen.query_one("#history-text", Static))
        await pilot.press("escape")
        await pilot.press("l")
        await settle(pilot)
        seen["audit log"] = shown(app.screen.query_one("#history-text", Static))
        await pilot.press("escape")
        await pilot.press("v")
        await settle(pilot)
        seen["session"] = screen_text(app)
        for where, text in seen.items():
            # The session header may be cut at the screen's edge: the start of the same escapes.
            assert (visible if where != "session" else visible[:18]) in text, (where, text[:400])
            assert "\ufffd" not in text, where
            assert_safe(text)
