"""Corrections and retractions from the timeline, and the history that keeps them."""

from __future__ import annotations

from textual.widgets import DataTable, Input

import db
from outcomes_app.screens.forms import AssessmentForm, InfusionForm
from outcomes_app.screens.patient_detail import PatientScreen
from tests.app.driving import clinician_app, open_patient, select_timeline, settle, text_of


async def test_correction_with_reason_shows_in_history(pilot):
    """Correcting an assessment needs a reason; the history shows old and new values and the reason."""
    app = pilot.app
    await open_patient(pilot, "P003")
    select_timeline(app, "PHQ-9 11")
    await pilot.press("c")
    await settle(pilot)
    assert isinstance(app.screen, AssessmentForm)
    assert app.screen.query_one("#item-1", Input).value != ""
    for n, value in enumerate("332200000", start=1):
        app.screen.query_one(f"#item-{n}", Input).value = value
    await pilot.press("ctrl+s")
    await settle(pilot)
    assert "reason" in text_of(app, "#errors")
    app.screen.query_one("#f-reason", Input).value = "transcription error"
    await pilot.press("ctrl+s")
    await settle(pilot)
    assert isinstance(app.screen, PatientScreen)
    select_timeline(app, "PHQ-9 10")
    await pilot.press("h")
    await settle(pilot)
    history = text_of(app, "#history-text")
    assert "transcription error" in history and "total score: 11 → 10" in history
    assert "Corrected PHQ-9 assessment of 2026-02-04  by Dr Test" in history


async def test_infusion_correction_keeps_old_values_in_history(clinic_db):
    """Correcting an infusion's duration keeps the old value; the history shows old -> new and why."""
    async with clinician_app(clinic_db) as pilot:
        app = pilot.app
        await open_patient(pilot, "P003")
        select_timeline(app, "Infusion 1")
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, InfusionForm)
        assert app.screen.query_one("#f-duration_min", Input).value == "40"
        app.screen.query_one("#f-duration_min", Input).value = "45"
        app.screen.query_one("#f-reason", Input).value = "pump log says 45 min"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, PatientScreen)
        select_timeline(app, "Infusion 1")
        await pilot.press("h")
        await settle(pilot)
        history = text_of(app, "#history-text")
        assert "duration (min): 40 → 45" in history and "why: pump log says 45 min" in history
    infusions = db.load_clinic(db.connect(clinic_db), patient_id="P003").infusions
    assert sorted(infusions["duration_min"]) == [40.0, 45.0]


async def test_corrected_record_stays_selected_and_compares_with_its_own_course(pilot):
    """After a correction the timeline cursor stays on the corrected record (new id), even on the first row."""
    app = pilot.app
    await open_patient(pilot, "P001")
    select_timeline(app, "PHQ-9 20")  # the baseline, the timeline's first row
    await pilot.press("c")
    await settle(pilot)
    app.screen.query_one("#item-1", Input).value = "2"  # 3 -> 2: total 19
    app.screen.query_one("#f-reason", Input).value = "misread item 1"
    await settle(pilot)
    assert "below the starting score" in text_of(app, "#summary")
    await pilot.press("ctrl+s")
    await settle(pilot)
    assert isinstance(app.screen, PatientScreen)
    kind, ident = app.screen.selected_record()
    assert kind == "assessment" and app.screen.record(kind, ident).total == 19
    table = app.screen.query_one("#timeline", DataTable)
    assert table.cursor_row == 0


async def test_retract_needs_a_reason_and_removes_the_record(clinic_db):
    """A retracted infusion leaves the timeline and the course; the reason is kept in the audit trail."""
    async with clinician_app(clinic_db) as pilot:
        app = pilot.app
        await open_patient(pilot, "P003")
        select_timeline(app, "Infusion 2")
        await pilot.press("x")
        await settle(pilot)
        await pilot.click("#ok")
        await settle(pilot)
        assert "required" in text_of(app, "#modal-error")
        app.screen.query_one("#m-reason", Input).focus()
        await pilot.press(*"entered for the wrong patient", "enter")
        await settle(pilot)
        assert "session 1 of 6" in text_of(app, "#status-panel")
    database = db.connect(clinic_db)
    assert len(db.load_clinic(database, patient_id="P003").infusions) == 1
    assert any(
        db.history(database, "infusion", i)["reason"].eq("entered for the wrong patient").any()
        for i in range(1, 40)
    )
