"""Starting the app: `tui.make_app`, the clinician's name, a file that is not a database."""

from __future__ import annotations

from textual.widgets import Input

import db
import tui
from outcomes_app.app import OutcomesApp
from outcomes_app.modals import TextModal
from tests.app.driving import SIZE, clinician_app, patient_app, ready, settle
from tests.clinic import TODAY, WHO


def test_make_app_builds_patient_mode_when_a_patient_is_given(clinic_db):
    """make_app(path, patient=...) returns the read-only patient app, else the clinician app."""
    assert isinstance(tui.make_app(clinic_db, today=TODAY, clinician=WHO), OutcomesApp)
    patient_app = tui.make_app(clinic_db, patient="P001")
    assert type(patient_app).__name__ == "PatientApp"


async def test_make_app_passes_today_to_patient_mode(clinic_db):
    """make_app(..., patient=, today=) fixes patient mode's date: days since the last infusion count from it."""
    async with patient_app(clinic_db, "P001", size=SIZE, today=TODAY) as pilot:
        await settle(pilot)
        screen = pilot.app.screen
        text = " ".join(
            str(getattr(w, "content", "")) for w in screen.walk_children(with_self=True)
        )
        # P001's last infusion is 17 January 2026; TODAY is 10 February 2026.
        assert "Your last infusion was 24 days ago, on 17 January 2026." in " ".join(text.split())


async def test_clinician_name_is_asked_once_and_audited(tmp_db_path):
    """Without a name option the app asks who is using it, and that name goes into the audit trail."""
    async with clinician_app(tmp_db_path, clinician=None, loaded=False) as pilot:
        app = pilot.app
        await settle(pilot)
        assert isinstance(app.screen, TextModal)
        app.screen.query_one("#m-who", Input).value = "Dr Nurse"
        await pilot.press("enter")
        await settle(pilot)
        assert app.clinic.clinician == "Dr Nurse"
        await ready(pilot)
        await pilot.press("a")
        await settle(pilot)
        app.screen.query_one("#f-patient_id", Input).value = "Z1"
        await pilot.press("ctrl+s")
        await settle(pilot)
    history = db.history(db.connect(tmp_db_path), "patient", "Z1")
    assert list(history["who"]) == ["Dr Nurse"]


async def test_unreadable_database_is_refused_in_words(tmp_path):
    """A file that is not a database stops the app with a message, not a traceback."""
    bad = tmp_path / "not.db"
    bad.write_text("hello, this is not SQLite" * 10)

    async with clinician_app(bad, loaded=False) as pilot:
        app = pilot.app
        await settle(pilot)
    assert app.return_code == 1
