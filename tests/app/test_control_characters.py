"""The app refuses control characters in what a clinician types, inline, and writes nothing.

Forms (a patient's name and notes), the clinician-name prompt, a reason for
a retraction and an acknowledgement's note each name the character and its
position; the form or dialog stays open with what was typed.
"""

from __future__ import annotations

from textual.widgets import Input

from outcomes_app.modals import AcknowledgeModal, TextModal
from outcomes_app.screens.forms import PatientForm
from tests.app.driving import clinician_app, counts, open_patient, select_timeline, settle, text_of
from tests.clinic import database_dump


async def test_patient_form_refuses_a_control_character_inline(clinic_db):
    before = database_dump(clinic_db)
    async with clinician_app(clinic_db) as pilot:
        app = pilot.app
        await pilot.press("a")
        await settle(pilot)
        app.screen.query_one("#f-patient_id", Input).value = "K-1"
        app.screen.query_one("#f-name", Input).value = "Kay\x1b]0;owned\x07"
        app.screen.query_one("#f-notes", Input).value = "fine"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, PatientForm)
        errors = text_of(app, "#errors")
        assert (
            "Not saved" in errors
            and "name holds a control character (U+001B escape) at position 4" in errors
        )
        assert app.screen.query_one("#f-name", Input).has_class("field-invalid")
        assert (
            app.screen.query_one("#f-patient_id", Input).value == "K-1"
        )  # kept for the correction
    assert database_dump(clinic_db) == before


async def refused_in_dialog(pilot, dialog: type, field: str, typed: str, expected: str) -> None:
    """Type into a dialog's field and press OK: the dialog stays, naming the refused character."""
    app = pilot.app
    assert isinstance(app.screen, dialog)
    app.screen.query_one(field, Input).value = typed
    await pilot.click("#ok")
    await settle(pilot)
    assert isinstance(app.screen, dialog)
    assert expected in text_of(app, "#modal-error")


async def test_clinician_name_prompt_refuses_a_control_character(clinic_db):
    async with clinician_app(clinic_db, clinician=None, loaded=False) as pilot:
        await refused_in_dialog(
            pilot,
            TextModal,
            "#m-who",
            "Dr\x07 Bell",
            "your name holds a control character (U+0007 bell)",
        )


async def test_retraction_reason_and_acknowledgement_note_refuse_control_characters(clinic_db):
    before = counts(clinic_db)
    dump = database_dump(clinic_db)
    async with clinician_app(clinic_db) as pilot:
        app = pilot.app
        await open_patient(pilot, "P003")
        select_timeline(app, "Infusion 2")
        await pilot.press("x")
        await settle(pilot)
        await refused_in_dialog(
            pilot,
            TextModal,
            "#m-reason",
            "wrong\u202epatient",
            "reason holds a control character (U+202E RIGHT-TO-LEFT OVERRIDE)",
        )
        await pilot.press("escape")
        await settle(pilot)
        app.pop_screen()
        await open_patient(pilot, "P002")  # an open suicidality alert
        await pilot.press("a")
        await settle(pilot)
        await refused_in_dialog(
            pilot,
            AcknowledgeModal,
            "#m-note",
            "called\x1b[2J",
            "note holds a control character (U+001B escape)",
        )
    assert counts(clinic_db) == before and database_dump(clinic_db) == dump
