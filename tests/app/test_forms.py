"""The entry forms: assessments, infusions (dose rules, blood pressure, CADSS) and patients."""

from __future__ import annotations

from textual.widgets import DataTable, Input, Select, SelectionList

import db
from outcomes_app.modals import ConfirmModal
from outcomes_app.screens.forms import AssessmentForm, InfusionForm, PatientForm
from outcomes_app.screens.patient_detail import PatientScreen
from tests.app.driving import (
    clinician_app,
    counts,
    list_rows,
    open_patient,
    screen_text,
    settle,
    text_of,
)
from tests.clinic import TODAY


async def test_out_of_range_item_is_refused_inline_and_nothing_written(clinic_db):
    """An item above its range shows the reason beside it, and saving writes nothing."""
    before = counts(clinic_db)
    async with clinician_app(clinic_db) as pilot:
        app = pilot.app
        await open_patient(pilot, "P003")
        await pilot.press("s")
        await settle(pilot)
        await pilot.press("5")
        await settle(pilot)
        error = str(app.screen.query_one("#item-error-1").render())
        assert "item 1" in error and "allowed 0-3" in error
        assert app.screen.query_one("#item-1", Input).has_class("-invalid")
        for n in range(2, 10):
            app.screen.query_one(f"#item-{n}", Input).value = "1"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, AssessmentForm)
        assert "Not saved" in text_of(app, "#errors") and "allowed 0-3" in text_of(app, "#errors")
    assert counts(clinic_db) == before


async def test_live_total_band_improvement_and_total_only(clinic_db):
    """Total, band and improvement update as items are typed; a total alone is saved and marked total-only."""
    async with clinician_app(clinic_db) as pilot:
        app = pilot.app
        await open_patient(pilot, "P003")
        await pilot.press("s")
        await settle(pilot)
        for n in range(1, 5):
            app.screen.query_one(f"#item-{n}", Input).value = "1"
        await settle(pilot)
        assert "4 of 9 items entered" in text_of(app, "#summary")
        for n in range(5, 10):
            app.screen.query_one(f"#item-{n}", Input).value = "0"
        await settle(pilot)
        summary = text_of(app, "#summary")
        assert (
            "total 4 of 27" in summary
            and "minimal" in summary
            and "73% below the starting score of 15" in summary
        )
        for n in range(1, 10):
            app.screen.query_one(f"#item-{n}", Input).value = ""
        app.screen.query_one("#f-total", Input).value = "9"
        await settle(pilot)
        assert "total-only entry" in text_of(app, "#summary")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, PatientScreen)
        timeline = app.screen.query_one("#timeline", DataTable)
        assert any(
            "PHQ-9 9 mild (total-only)" in str(timeline.get_row_at(i)[3])
            for i in range(timeline.row_count)
        )
    data = db.load_clinic(db.connect(clinic_db), patient_id="P003").assessments
    saved = data[data["taken_at"] == TODAY.isoformat()]
    assert list(saved["total"]) == [9] and saved["items"].isna().all()


async def start_infusion(pilot, pid: str, dose: str, **fields) -> None:
    """Open `pid`'s infusion form and fill in the dose and other `fields`."""
    app = pilot.app
    await open_patient(pilot, pid)
    await pilot.press("i")
    await pilot.pause()
    app.screen.query_one("#f-dose_mg_per_kg", Input).value = dose
    for name, value in fields.items():
        app.screen.query_one(f"#f-{name}", Input).value = value
    await pilot.pause()


async def test_dose_of_5_mg_per_kg_is_refused(clinic_db):
    """5 mg/kg is refused as an entry error with the rule, and nothing is written."""
    before = counts(clinic_db)
    async with clinician_app(clinic_db) as pilot:
        app = pilot.app
        await start_infusion(pilot, "P003", "5")
        assert "320 mg" in text_of(app, "#total-mg")  # 5 mg/kg x 64 kg
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, InfusionForm)
        assert "refused as an entry error" in text_of(app, "#errors")
        assert app.screen.query_one("#f-dose_mg_per_kg").has_class("field-invalid")
    assert counts(clinic_db) == before


async def test_dose_of_1_2_mg_per_kg_needs_confirmation(clinic_db):
    """1.2 mg/kg asks for confirmation: no writes when declined, saved when confirmed."""
    before = counts(clinic_db)
    async with clinician_app(clinic_db) as pilot:
        app = pilot.app
        await start_infusion(pilot, "P003", "1.2")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        assert "outside the usual 0.1-1" in text_of(app, "#message")
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, InfusionForm)
        assert counts(clinic_db) == before
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, PatientScreen)
        assert "session 3 of 6" in text_of(app, "#status-panel")
    after = counts(clinic_db)
    assert after["infusions"] == before["infusions"] + 1
    infusions = db.load_clinic(db.connect(clinic_db), patient_id="P003").infusions
    assert 1.2 in list(infusions["dose_mg_per_kg"])


async def test_blood_pressure_at_hold_threshold_warns_before_saving(clinic_db):
    """A pre-infusion blood pressure at 160/100 is shown in a warning before anything is saved."""
    before = counts(clinic_db)
    async with clinician_app(clinic_db) as pilot:
        app = pilot.app
        await start_infusion(pilot, "P003", "0.5", bp_systolic_pre="165", bp_diastolic_pre="95")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        assert "hold threshold 160/100" in text_of(app, "#message")
        assert counts(clinic_db) == before
        await pilot.click("#yes")
        await settle(pilot)
        assert isinstance(app.screen, PatientScreen)
    assert counts(clinic_db)["infusions"] == before["infusions"] + 1


async def test_infusion_with_side_effects_and_cadss(clinic_db):
    """Side effects are ticked from the vocabulary and CADSS items are saved linked to the infusion."""
    async with clinician_app(clinic_db) as pilot:
        app = pilot.app
        await start_infusion(pilot, "P003", "0.5", cadss_items=" ".join(["1"] * 10 + ["0"] * 13))
        effects = app.screen.query_one("#f-side_effects", SelectionList)
        effects.select("nausea")
        effects.select("dissociation")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, PatientScreen)
        side = app.screen.query_one("#per-infusion", DataTable)
        last = [str(c) for c in side.get_row_at(side.row_count - 1)]
        # The side effects wrap to the table's width: read them with the wrap undone.
        assert last[2] == "10" and " ".join(last[3].split()) == "nausea, dissociation"
    data = db.load_clinic(db.connect(clinic_db), patient_id="P003")
    cadss = data.assessments[data.assessments["scale"] == "cadss"]
    newest = data.infusions.iloc[-1]
    assert list(cadss["infusion_id"]) == [newest["infusion_id"]] and list(cadss["total"]) == [10]
    assert newest["side_effects"] == "nausea;dissociation"


async def test_invalid_cadss_refuses_the_whole_infusion(clinic_db):
    """A CADSS item out of range refuses the infusion too: nothing is written."""
    before = counts(clinic_db)
    async with clinician_app(clinic_db) as pilot:
        app = pilot.app
        await start_infusion(pilot, "P003", "0.5", cadss_items=" ".join(["7"] + ["0"] * 22))
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, InfusionForm)
        assert "CADSS" in text_of(app, "#errors") and "allowed 0-4" in text_of(app, "#errors")
    assert counts(clinic_db) == before


async def test_add_and_edit_patient_and_start_course(tmp_db_path):
    """A new patient is added from the list, edited with a reason, and given a new course."""
    async with clinician_app(tmp_db_path) as pilot:
        app = pilot.app
        assert "No patients yet" in text_of(app, "#list-summary")
        await pilot.press("a")
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "patient id is required" in text_of(app, "#errors")
        app.screen.query_one("#f-patient_id", Input).value = "K-100"
        app.screen.query_one("#f-name", Input).value = "Kay Tester"
        app.screen.query_one("#f-weight_kg", Input).value = "500"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "plausible range" in text_of(app, "#errors")
        app.screen.query_one("#f-weight_kg", Input).value = "72.5"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert [r[0] for r in list_rows(app)] == ["K-100"]
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        app.screen.query_one("#f-name", Input).value = "Kay Q. Tester"
        app.screen.query_one("#f-reason", Input).value = "middle initial"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "Kay Q. Tester" in text_of(app, "#patient-info")
        await pilot.press("n")
        await settle(pilot)
        await pilot.click("#ok")
        await settle(pilot)
    database = db.connect(tmp_db_path)
    assert db.get_patient(database, "K-100")["name"] == "Kay Q. Tester"
    assert list(db.load_clinic(database, patient_id="K-100").courses["course"]) == [1]


async def test_duplicate_patient_id_is_refused_in_words(clinic_db):
    """Adding an id that exists shows the database's refusal inline; nothing changes."""
    async with clinician_app(clinic_db) as pilot:
        app = pilot.app
        await pilot.press("a")
        await settle(pilot)
        app.screen.query_one("#f-patient_id", Input).value = "P001"
        app.screen.query_one("#f-name", Input).value = "Someone Else"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, PatientForm)
        assert "already exists" in text_of(app, "#errors")
    assert db.get_patient(db.connect(clinic_db), "P001")["name"] == "Ada Example"


async def test_second_score_of_a_scale_at_the_same_time_is_refused(clinic_db):
    """A PHQ-9 for P001 on 24 Jan (one is stored) is refused as the importer refuses it; nothing is written."""
    before = counts(clinic_db)
    async with clinician_app(clinic_db) as pilot:
        app = pilot.app
        await open_patient(pilot, "P001")
        await pilot.press("s")
        await settle(pilot)
        app.screen.query_one("#f-date", Input).value = "2026-01-24"
        app.screen.query_one("#f-total", Input).value = "7"
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, AssessmentForm)
        assert (
            "a PHQ-9 of P001 at 2026-01-24 is already recorded; correct the stored record instead"
            in text_of(app, "#errors")
        )
    assert counts(clinic_db) == before


async def test_a_session_of_another_drug_than_its_started_course_is_refused_in_the_form(clinic_db):
    """`n` asks the new course's drug (an unknown one refused in the dialog); with course 2 started for
    esketamine, a ketamine session is refused in the form, naming the course's drug and what to do;
    nothing is written."""
    async with clinician_app(clinic_db) as pilot:
        app = pilot.app
        await open_patient(pilot, "P003")
        await pilot.press("n")
        await settle(pilot)
        app.screen.query_one("#m-date", Input).value = TODAY.isoformat()
        app.screen.query_one("#m-drug", Input).value = "aspirin"
        await pilot.click("#ok")
        await settle(pilot)
        assert "give ketamine or esketamine" in text_of(app, "#modal-error")
        field = app.screen.query_one("#m-drug", Input)
        field.value = "Esketamine"
        field.focus()
        await pilot.press("enter")  # Enter in a field submits the dialog
        for _ in range(
            200
        ):  # the dialog writes off the UI thread before it closes (slow on a busy machine)
            if isinstance(app.screen, PatientScreen):
                break
            await pilot.pause(0.05)
        assert isinstance(app.screen, PatientScreen), screen_text(app)
        before = counts(clinic_db)
        await pilot.press("i")
        await pilot.pause()
        # The form follows the course's drug (issue 23); the clinician picks ketamine instead.
        assert "Record an esketamine session" in screen_text(app)
        app.screen.query_one("#f-drug", Select).value = "ketamine"
        await pilot.pause()
        app.screen.query_one("#f-dose_mg_per_kg", Input).value = "0.5"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, InfusionForm)
        assert "course 2 was started for esketamine and has no session yet" in text_of(
            app, "#errors"
        )
        assert "record this session as esketamine, or start a new course for ketamine" in text_of(
            app, "#errors"
        )
    assert counts(clinic_db) == before
    database = db.connect(clinic_db)
    assert database.conn.execute(
        "SELECT drug, begun_by_session FROM courses WHERE patient_id = 'P003' AND course = 2"
    ).fetchone() == ("esketamine", 0)
    database.close()
