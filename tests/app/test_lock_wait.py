"""A save while another process holds the write lock waits visibly, then lands; past the limit it is refused.

A real second process holds ``BEGIN IMMEDIATE`` on the real database file
(as a long import does) while the real app saves a form on its worker: the
waiting dialog counts on screen, the form keeps what was typed, and the save
lands with its audit row when the lock is released. Past a (shortened)
limit, or when the clinician stops waiting, nothing is written and the form
is still there to save again.
"""

from __future__ import annotations

import asyncio
import sqlite3
from contextlib import asynccontextmanager

from textual.widgets import Input

import db
import db.lock_wait
import tui
from outcomes_app.patient_mode.words import PATIENT_WAIT
from outcomes_app.saving import QUIT_WHILE_SAVING, WaitingModal
from outcomes_app.screens.forms import PatientForm
from outcomes_app.screens.patient_list import PatientListScreen
from outcomes_app.self_report import SelfReportScreen, ThanksScreen
from tests.app.driving import clinician_app, screen_text, settle, text_of
from tests.clinic import TODAY, database_dump, release, write_lock_held


async def fill_patient_form(pilot, pid: str, name: str) -> None:
    await pilot.press("a")
    await settle(pilot)
    pilot.app.screen.query_one("#f-patient_id", Input).value = pid
    pilot.app.screen.query_one("#f-name", Input).value = name


def refused_on_form(app) -> bool:
    return isinstance(app.screen, PatientForm) and "Not saved" in text_of(app, "#errors")


async def until(pilot, condition, turns: int = 250) -> None:
    """Let the app run until `condition()` holds; after `turns` tenths of a second it never will (a hang)."""
    for _ in range(turns):
        if condition():
            return
        await asyncio.sleep(0.1)
        await pilot.pause()
    assert condition(), screen_text(pilot.app)


@asynccontextmanager
async def saving_while_locked(path, pid: str, name: str):
    """Add-patient form filled, ctrl+s pressed while another process holds the write lock (until released)."""
    async with clinician_app(path) as pilot:
        await fill_patient_form(pilot, pid, name)
        with write_lock_held(path) as holder:
            await pilot.press("ctrl+s")
            yield pilot, holder


async def test_a_save_waits_for_another_process_then_lands_with_its_audit_row(clinic_db):
    async with saving_while_locked(clinic_db, "K-7", "Kay Waiting") as (pilot, holder):
        app = pilot.app
        await until(
            pilot,
            lambda: isinstance(app.screen, WaitingModal) and "(2 s)" in text_of(app, "#waiting"),
        )
        assert "waiting for another write… (2 s)" in screen_text(app)
        assert "What you typed is kept" in screen_text(app)
        assert db.patient_ids(db.connect(clinic_db)) == ["P001", "P002", "P003", "P004"]  # not yet
        release(holder)
        await until(pilot, lambda: not isinstance(app.screen, (WaitingModal, PatientForm)))
        # It waited (the dialog counted to 2 and the file had no K-7 meanwhile), then saved:
        assert db.get_patient(db.connect(clinic_db), "K-7") is not None
        assert isinstance(app.screen, PatientListScreen)
    database = db.connect(clinic_db)
    assert db.get_patient(database, "K-7")["name"] == "Kay Waiting"
    audit = db.history(database, "patient", "K-7")
    assert list(audit["action"]) == ["create"] and list(audit["who"]) == ["Dr Test"]


async def test_past_the_limit_nothing_is_written_and_the_form_is_kept(clinic_db, monkeypatch):
    monkeypatch.setattr(db.lock_wait, "LOCK_WAIT_LIMIT_S", 1.0)
    before = database_dump(clinic_db)
    async with saving_while_locked(clinic_db, "K-8", "Kay Refused") as (pilot, holder):
        app = pilot.app
        await until(pilot, lambda: refused_on_form(app))
        errors = text_of(app, "#errors")
        assert (
            "Not saved: another program (an import, another terminal) kept the database busy for more "
            "than 1 s, so nothing was saved; try again when it has finished (it held the write lock; "
            "reading was still possible)." in errors
        )
        assert "What you typed is kept: press ctrl+s to save again" in errors
        assert not app.screen.query_one("#f-patient_id", Input).has_class(
            "field-invalid"
        )  # not the input
        assert database_dump(clinic_db) == before
        assert app.screen.query_one("#f-name", Input).value == "Kay Refused"  # the form is kept
        release(holder)
        await asyncio.to_thread(holder.wait, 30)
        await pilot.press("ctrl+s")  # the lock is free now: saving again works
        await until(pilot, lambda: isinstance(app.screen, PatientListScreen))
    assert db.get_patient(db.connect(clinic_db), "K-8")["name"] == "Kay Refused"


async def test_escape_stops_waiting_and_writes_nothing(clinic_db):
    before = database_dump(clinic_db)
    async with saving_while_locked(clinic_db, "K-9", "Kay Impatient") as (pilot, _):
        app = pilot.app
        await until(pilot, lambda: isinstance(app.screen, WaitingModal))
        await pilot.press("escape")
        await until(pilot, lambda: refused_on_form(app))
        assert (
            "Not saved: you stopped waiting for the other write, so nothing was saved"
            in text_of(app, "#errors")
        )
        assert app.screen.query_one("#f-name", Input).value == "Kay Impatient"
    assert database_dump(clinic_db) == before


async def test_a_patients_self_report_waits_for_the_lock_then_is_stored(clinic_db):
    """Patient mode's one write (the questionnaires) waits visibly too, then lands."""
    app = tui.make_app(clinic_db, "P003", today=TODAY, self_report=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(
            pilot,
            lambda: isinstance(app.screen, SelfReportScreen) and app.screen.query("#sr-start"),
        )
        await pilot.press("enter")
        for key in "1111111111111111":  # PHQ-9 then GAD-7, every answer "several days"
            await pilot.press(key)
            await pilot.pause()
        with write_lock_held(clinic_db) as holder:
            await pilot.press("enter")
            await until(pilot, lambda: isinstance(app.screen, WaitingModal))
            shown = " ".join(screen_text(app).split())
            assert "Please wait…" in shown and "Sending your answers" in shown  # a patient's words
            assert "waiting for another write" not in shown and "terminal" not in shown
            await pilot.press("q")  # the patient's answers would be lost: refused, with words
            await pilot.pause()
            assert app.is_running and PATIENT_WAIT.quit_while in [
                str(n.message) for n in app._notifications
            ]
            assert QUIT_WHILE_SAVING not in [str(n.message) for n in app._notifications]
            release(holder)
            await until(pilot, lambda: isinstance(app.screen, ThanksScreen))
    conn = sqlite3.connect(clinic_db)
    scales = [
        r[0]
        for r in conn.execute(
            "SELECT scale FROM assessments WHERE patient_id = 'P003' AND rater = 'self'"
        )
    ]
    conn.close()
    assert sorted(scales) == ["gad7", "phq9"]


async def test_quitting_while_a_save_waits_is_refused_with_words_and_the_form_kept(clinic_db):
    """q (and ctrl+q) while the waiting dialog counts does not quit: the words say why and what to do, and the
    save still lands once the other program lets go."""
    async with saving_while_locked(clinic_db, "K-10", "Kay Staying") as (pilot, holder):
        app = pilot.app
        await until(pilot, lambda: isinstance(app.screen, WaitingModal))
        for key in ("q", "ctrl+q"):
            await pilot.press(key)
            await pilot.pause()
        assert app.is_running and isinstance(app.screen, WaitingModal)
        said = [str(n.message) for n in app._notifications]
        assert said.count(QUIT_WHILE_SAVING) == 2 and "Press esc to stop waiting" in said[0]
        release(holder)
        await until(pilot, lambda: isinstance(app.screen, PatientListScreen))
        await pilot.press("q")  # nothing waits now: q quits
        await until(pilot, lambda: not app.is_running)
    assert db.get_patient(db.connect(clinic_db), "K-10")["name"] == "Kay Staying"
