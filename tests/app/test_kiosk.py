"""Patient mode as a kiosk (issue 23): closed only with the staff code, no shell, idle reset.

The real `KioskApp` (through `tui.make_app(..., kiosk=True)` and the setting
`kiosk_always`) on the fixed clinic of `tests.clinic` with a staff code set by
`db.set_setting`, driven by Textual's pilot at 80x24 and 120x36. The process
level (signals sent to a real `outcomes tui --kiosk` under a terminal) is in
`tests/cli/test_kiosk_cli.py`.
"""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import pytest
from textual.command import CommandPalette
from textual.widgets import Input

import db
import tui
from outcomes import kiosk as words
from outcomes import self_report as sr_words
from outcomes_app.patient_mode import KioskApp, PatientApp, PatientModeError
from outcomes_app.patient_mode.kiosk import KIOSK_SIGNALS, StaffCodeScreen
from outcomes_app.saving import WaitingModal
from outcomes_app.self_report import CrisisScreen, LeaveScreen, SelfReportScreen
from tests.app.driving import SIZE, SMALL, screen_text
from tests.clinic import TODAY

OWN = "P003"
CODE = "front-desk-42"


def with_code(path: Path, code: str = CODE) -> Path:
    database = db.connect(path)
    try:
        db.set_setting(database, "kiosk_staff_code", code, "test")
    finally:
        database.close()
    return path


def kiosk(path: Path, self_report: bool = False) -> KioskApp:
    app = tui.make_app(path, OWN, today=TODAY, self_report=self_report, kiosk=True)
    assert isinstance(app, KioskApp)
    return app


async def loaded(pilot) -> None:
    for _ in range(100):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        if pilot.app.view is not None:
            return
    raise AssertionError("patient mode did not load")


async def type_code(pilot, code: str) -> None:
    pilot.app.screen.query_one("#kiosk-code", Input).value = code
    await pilot.press("enter")
    await pilot.pause()


@pytest.mark.parametrize("size", [SMALL, SIZE])
async def test_q_asks_for_the_staff_code_wrong_codes_refused_and_counted(clinic_db, size):
    """q opens the staff-code dialog; wrong codes are refused with words and counted; the right
    one closes the kiosk."""
    app = kiosk(with_code(clinic_db))
    async with app.run_test(size=size) as pilot:
        await loaded(pilot)
        assert f"q {words.CLOSE_LABEL}" in screen_text(app)  # the footer says q is for staff
        await pilot.press("q")
        await pilot.pause()
        assert isinstance(app.screen, StaffCodeScreen)
        assert words.CODE_TITLE in screen_text(app)
        await type_code(pilot, "123456")
        await type_code(pilot, CODE.upper())
        assert app.is_running and isinstance(app.screen, StaffCodeScreen)
        assert app.wrong_codes == 2
        assert "That is not the staff code (2 wrong codes so far)" in screen_text(app)
        assert app.screen.query_one("#kiosk-code", Input).value == ""  # nothing left on screen
        await pilot.press("escape")  # a patient goes back
        await pilot.pause()
        assert not isinstance(app.screen, StaffCodeScreen) and app.is_running
        await pilot.press("q")
        await pilot.pause()
        await type_code(pilot, CODE)
        await pilot.pause()
        assert not app.is_running


async def test_ctrl_c_z_backslash_q_and_the_palette_do_not_close_it(clinic_db):
    """ctrl+c says the screen stays open; ctrl+z and ctrl+\\ do nothing; ctrl+q and the
    palette's Quit ask for the staff code like q."""
    app = kiosk(with_code(clinic_db))
    async with app.run_test(size=SMALL) as pilot:
        await loaded(pilot)
        for key in ("ctrl+c", "ctrl+z", "ctrl+backslash"):
            await pilot.press(key)
            await pilot.pause()
            assert app.is_running and not isinstance(app.screen, StaffCodeScreen), key
        assert words.STAYS_OPEN in [n.message for n in app._notifications]
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert isinstance(app.screen, StaffCodeScreen)
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"quit", "enter")
        await pilot.pause(0.3)
        assert app.is_running and isinstance(app.screen, StaffCodeScreen)


async def test_keyboard_signals_are_ignored_while_it_runs_and_restored_after(clinic_db):
    """SIGINT, SIGQUIT and SIGTSTP are ignored while the kiosk runs; the handlers come back."""
    before = {sig: signal.getsignal(sig) for sig in KIOSK_SIGNALS}
    assert len(before) == 3
    app = kiosk(with_code(clinic_db))
    async with app.run_test(size=SMALL) as pilot:
        await loaded(pilot)
        assert all(signal.getsignal(sig) is signal.SIG_IGN for sig in KIOSK_SIGNALS)
    assert {sig: signal.getsignal(sig) for sig in KIOSK_SIGNALS} == before


async def test_idle_time_brings_back_the_first_page_of_the_questions(clinic_db):
    """After kiosk_idle_minutes the answers on screen go and the questions start again."""
    database = db.connect(with_code(clinic_db))
    db.set_setting(database, "kiosk_idle_minutes", "2", "test")
    database.close()
    app = kiosk(clinic_db, self_report=True)
    async with app.run_test(size=SMALL) as pilot:
        await loaded(pilot)
        assert app.idle_s == 120
        for _ in range(50):
            await pilot.pause()
            if isinstance(app.screen, SelfReportScreen) and app.screen.query("#sr-start"):
                break
        await pilot.press("enter", *"2222")
        await pilot.pause()
        first = app.screen
        assert first.answers[:4] == [1, 1, 1, 1]
        await pilot.press("question_mark")  # a dialog on top
        await pilot.pause()
        assert not await app.back_to_start_if_idle(app.last_input + 119)
        assert await app.back_to_start_if_idle(app.last_input + 120)
        await pilot.pause()
        assert len(app.screen_stack) == 2 and isinstance(app.screen, SelfReportScreen)
        assert app.screen is not first and app.screen.index == -1
        assert set(app.screen.answers) == {None}
        assert "2" not in screen_text(app).split("Questionnaires")[0]  # no answer shown


async def test_idle_time_closes_dialogs_on_the_progress_view(clinic_db):
    """On the progress view the idle time closes the help and the staff-code dialog."""
    app = kiosk(with_code(clinic_db))
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        await pilot.press("q")
        await pilot.pause()
        assert isinstance(app.screen, StaffCodeScreen)
        assert await app.back_to_start_if_idle(app.last_input + app.idle_s)
        await pilot.pause()
        assert len(app.screen_stack) == 1 and app.is_running and app.idle_resets == 1


async def test_leaving_the_questions_in_a_kiosk_shows_the_progress_view(clinic_db):
    """ "Leave" in a kiosk's self-report goes to the progress view; the app stays open."""
    app = kiosk(with_code(clinic_db), self_report=True)
    async with app.run_test(size=SMALL) as pilot:
        await loaded(pilot)
        for _ in range(50):
            await pilot.pause()
            if isinstance(app.screen, SelfReportScreen) and app.screen.query("#sr-start"):
                break
        await pilot.press("enter", "2", "q")
        await pilot.pause()
        assert isinstance(app.screen, LeaveScreen)
        await pilot.press("y")
        await pilot.pause()
        assert app.is_running and len(app.screen_stack) == 1
        assert "Your PHQ-9 score" in screen_text(app)


def test_the_setting_kiosk_always_makes_patient_mode_a_kiosk(clinic_db):
    """With kiosk_always on, patient mode is a kiosk without --kiosk; never without a code."""
    assert type(tui.make_app(clinic_db, OWN, today=TODAY)) is PatientApp
    database = db.connect(clinic_db)
    db.set_setting(database, "kiosk_always", "on", "test")
    database.close()
    with pytest.raises(PatientModeError, match="none is set"):
        tui.make_app(clinic_db, OWN, today=TODAY)
    with_code(clinic_db)
    assert isinstance(tui.make_app(clinic_db, OWN, today=TODAY), KioskApp)


async def test_the_leave_dialog_after_a_positive_item_9_says_the_team_was_not_told(clinic_db):
    """Leaving after a positive item 9: the crisis text, 'your care team has not been told',
    'tell a member of staff'; leaving keeps nothing (issue 23)."""
    before = db.connect(clinic_db)
    rows = before.conn.execute("SELECT count(*) FROM assessments").fetchone()[0]
    audits = before.conn.execute("SELECT count(*) FROM audit").fetchone()[0]
    before.close()
    app = tui.make_app(clinic_db, OWN, today=TODAY, self_report=True)
    async with app.run_test(size=SMALL) as pilot:
        await loaded(pilot)
        for _ in range(50):
            await pilot.pause()
            if isinstance(app.screen, SelfReportScreen) and app.screen.query("#sr-start"):
                break
        await pilot.press("enter", *"11111111", "2")  # item 9: "Several days"
        await pilot.pause()
        assert isinstance(app.screen, CrisisScreen)
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("q")
        await pilot.pause()
        assert isinstance(app.screen, LeaveScreen)
        shown = " ".join(str(w.render()) for w in app.screen.query("Static"))
        assert sr_words.LEAVE_AFTER_SAFETY_ITEM in shown.replace("\n", " ")
        assert "Samaritans on 116 123" in shown and sr_words.TELL_STAFF in shown
        assert sr_words.LEAVE_QUESTION not in shown
        await pilot.press("y")
        await pilot.pause()
        assert not app.is_running
    after = db.connect(clinic_db)
    assert after.conn.execute("SELECT count(*) FROM assessments").fetchone()[0] == rows
    assert after.conn.execute("SELECT count(*) FROM audit").fetchone()[0] == audits
    after.close()


async def test_the_settings_screen_sets_a_staff_code_without_showing_it(clinic_db):
    """In the clinician app's settings the staff code is typed afresh (never pre-filled nor shown
    back, not even its hash); an empty entry does not unset it."""
    from textual.widgets import DataTable

    from tests.app.driving import clinician_app, settle

    with_code(clinic_db)
    async with clinician_app(clinic_db) as pilot:
        app = pilot.app
        await pilot.press("comma")
        await settle(pilot)
        table = app.screen.query_one("#settings", DataTable)
        keys = [str(table.get_row_at(i)[0]) for i in range(table.row_count)]
        table.move_cursor(row=keys.index("kiosk_staff_code"))
        await settle(pilot)
        assert str(table.get_row_at(keys.index("kiosk_staff_code"))[1]) == words.HIDDEN
        assert "scrypt" not in screen_text(app)
        await pilot.press("enter")
        await settle(pilot)
        box = app.screen.query_one("#m-value", Input)
        assert box.value == ""
        await pilot.press("enter")  # empty: refused, the code stays
        await settle(pilot)
        assert app.screen.query("#m-value")
        box.value = "new-code-77"
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await settle(pilot)
        shown = " ".join(n.message for n in app._notifications) + screen_text(app)
        assert "new-code-77" not in shown and "kiosk_staff_code set to a new code" in shown
    database = db.connect(clinic_db)
    assert db.load_settings(database).kiosk_staff_code.matches("new-code-77")
    database.close()


async def test_the_idle_time_never_interrupts_answers_being_sent(clinic_db):
    """While the answers wait for another program's lock, the idle time changes nothing."""
    from tests.clinic import release, write_lock_held

    app = kiosk(with_code(clinic_db), self_report=True)
    async with app.run_test(size=SMALL) as pilot:
        await loaded(pilot)
        for _ in range(50):
            await pilot.pause()
            if isinstance(app.screen, SelfReportScreen) and app.screen.query("#sr-start"):
                break
        questions = app.screen
        await pilot.press("enter", *"1111111111111111")
        await pilot.pause()
        with write_lock_held(clinic_db) as holder:
            await pilot.press("enter")
            for _ in range(100):  # the waiting dialog is up, over the questions
                await asyncio.sleep(0.05)
                await pilot.pause()
                if isinstance(app.screen, WaitingModal):
                    break
            assert questions.sending and isinstance(app.screen, WaitingModal)
            assert not await app.back_to_start_if_idle(app.last_input + app.idle_s)
            assert questions in app.screen_stack
            release(holder)
            for _ in range(100):
                await app.workers.wait_for_complete()
                await pilot.pause()
                if app.self_report_state == "sent":
                    break
        assert app.self_report_state == "sent"
