"""A refusal is told in words; a program error is logged and shown as one, never as "could not save"."""

from __future__ import annotations

import sqlite3
import stat

from textual.widgets import Input

import db
from outcomes_app.errors import ProgramError, guarded
from outcomes_app.screens.forms import PatientForm
from tests.app.driving import clinician_app, settle, text_of


def _broken() -> None:
    raise ZeroDivisionError("a bug")


def test_expected_refusals_come_back_as_their_words():
    """A database refusal and a lock that outlasted the timeout are words, not program errors."""

    def refused():
        raise db.StorageError("patient 'P001' already exists")

    def locked():
        raise sqlite3.OperationalError("database is locked")

    assert guarded(refused) == (None, "patient 'P001' already exists")
    result, error = guarded(locked)
    assert result is None and error == db.failures.BUSY_MESSAGE
    assert not isinstance(error, ProgramError)


def test_a_program_error_is_logged_owner_only_with_its_traceback(tmp_path, monkeypatch):
    """Anything else is a program error: the traceback goes to an owner-only log named in the message."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    result, error = guarded(_broken)
    assert result is None and isinstance(error, ProgramError)
    logs = list((tmp_path / "state").rglob("error.log"))
    assert len(logs) == 1
    assert str(logs[0]) in error and "program error" in error and "could not save" not in error
    text = logs[0].read_text()
    assert "Traceback" in text and "ZeroDivisionError: a bug" in text and "_broken" in text
    assert stat.S_IMODE(logs[0].stat().st_mode) == 0o600


async def test_a_program_error_while_saving_is_notified_as_such(tmp_db_path, tmp_path, monkeypatch):
    """A bug in a save shows an error notification naming the log; the form does not ask to correct input."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))

    def add_patient(*args, **kwargs):
        raise RuntimeError("programming mistake")

    monkeypatch.setattr(db, "add_patient", add_patient)
    async with clinician_app(tmp_db_path) as pilot:
        app = pilot.app
        await pilot.press("a")
        await settle(pilot)
        app.screen.query_one("#f-patient_id", Input).value = "K-1"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, PatientForm)  # not saved, still open
        shown = text_of(app, "#errors")
        assert "program error" in shown and "please correct" not in shown
        notes = [n for n in app._notifications if n.severity == "error"]
        assert len(notes) == 1 and notes[0].title == "Program error"
        log = next((tmp_path / "state").rglob("error.log"))
        assert (
            str(log) in notes[0].message and "RuntimeError: programming mistake" in log.read_text()
        )
    assert db.patient_ids(db.connect(tmp_db_path)) == []
