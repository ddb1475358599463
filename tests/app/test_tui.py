"""The clinician's app, driven through Textual's pilot on real SQLite files.

Each test presses keys or clicks as a clinician would, then asserts what the
screen shows and what landed in the database.
"""

from __future__ import annotations

import asyncio

import pytest
from textual.widgets import DataTable, Input, Select, SelectionList, Static

import db
import tui
import outcomes_app.app
from outcomes_app.app import OutcomesApp
from outcomes_app.screens.forms import AssessmentForm, InfusionForm, PatientForm
from outcomes_app.screens.patient_detail import PatientScreen
from outcomes_app.screens.patient_list import SEARCH_DELAY
from outcomes_app.screens.records import FollowUpScreen, HELP_TEXT, HelpScreen, HistoryScreen
from outcomes_app.text import BOOSTER_STYLE, NAME_WIDTH
from outcomes_app.widgets import AcknowledgeModal, ConfirmModal, TextModal
from outcomes.validation import check_assessment
from tests.clinic import TODAY, WHO, add_infusion, add_patient, add_phq9, build_clinic

SIZE = (120, 36)


def make(path, **options) -> OutcomesApp:
    return tui.make_app(path, today=TODAY, clinician=options.pop("clinician", "Dr Test"), **options)


async def ready(app, pilot) -> None:
    """Wait until the clinic worker has filled the list."""
    while app.rows is None:
        await app.workers.wait_for_complete()
        await pilot.pause()
    await pilot.pause()


async def settle(pilot) -> None:
    """Let messages, screen pushes and the save worker's modal go through."""
    for _ in range(3):
        await pilot.pause()


def run(scenario) -> None:
    asyncio.run(scenario())


def list_rows(app) -> list[list[str]]:
    table = app.screen.query_one("#patients", DataTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


def text_of(app, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


def counts(path) -> dict[str, int]:
    database = db.connect(path)
    try:
        return db.record_counts(database)
    finally:
        database.conn.close()


async def open_patient(app, pilot, pid: str) -> None:
    app.open_patient(pid)
    await pilot.pause()
    await pilot.pause()


async def type_into(pilot, app, selector: str, text: str) -> None:
    widget = app.screen.query_one(selector, Input)
    widget.focus()
    widget.value = ""
    await pilot.press(*text) if text else None
    await pilot.pause()


def test_list_shows_progress_verdict_relief_and_alerts(clinic_db):
    """The list shows each patient's course, latest score, verdict, relief days and open alerts."""
    async def scenario():
        app = make(clinic_db)
        async with app.run_test(size=SIZE) as pilot:
            await ready(app, pilot)
            rows = {r[0]: r for r in list_rows(app)}
            assert set(rows) == {"P001", "P002", "P003", "P004"}
            assert rows["P001"][3:9] == ["6/6", "6", "mild", "70%", "responder", "7+"]
            assert rows["P002"][7] == "non responder" and rows["P002"][2] == "⚠ 1"
            assert rows["P003"][3] == "2/6" and rows["P003"][7] == "in progress"
            assert rows["P004"][3] == "none yet" and rows["P004"][4] == "–" and rows["P001"][2] == ""
            assert "1 with open alerts" in text_of(app, "#list-summary")
            labels = [str(c.label) for c in app.screen.query_one("#patients", DataTable).columns.values()]
            assert labels == ["ID ▲", "Name", "Alerts", "Course", "Latest", "Band", "Improved", "Verdict", "Relief"]
    run(scenario)


def test_every_list_column_fits_120_columns_with_long_names_and_boosters(clinic_db):
    """A long name ends in "…" and two boosters read "6/6 +2 boosters": no column is cut off at 120 columns."""
    database = db.connect(clinic_db)
    add_patient(database, "P005", "Maximiliana Wolfeschlegelsteinhausen-Bergerdorff")
    add_phq9(database, "P005", "2026-01-05", 21, item9=1)
    for day in ("2026-01-06", "2026-01-08", "2026-01-10", "2026-01-13", "2026-01-15", "2026-01-17",
                "2026-01-27", "2026-02-06"):
        add_infusion(database, "P005", day + "T09:00")
    add_phq9(database, "P005", "2026-02-07", 17)
    database.conn.close()

    async def scenario():
        app = make(clinic_db)
        async with app.run_test(size=SIZE) as pilot:
            await ready(app, pilot)
            row = {r[0]: r for r in list_rows(app)}["P005"]
            assert row[1] == "Maximiliana Wolfesc…" and len(row[1]) == NAME_WIDTH
            assert row[2] == "⚠ 1" and row[3] == "6/6 +2 boosters" and row[7] == "non responder"
            table = app.screen.query_one("#patients", DataTable)
            # Every column, "Relief" the last, inside the table: nothing to scroll sideways to.
            assert table.virtual_size.width <= table.scrollable_content_region.width
            assert table.max_scroll_x == 0
            await pilot.press("slash", *"wolfeschlegel")  # search still finds the whole name
            await pilot.pause(SEARCH_DELAY + 0.1)
            assert [r[0] for r in list_rows(app)] == ["P005"]
        app = make(clinic_db)
        async with app.run_test(size=(80, 30)) as pilot:
            await ready(app, pilot)
            table = app.screen.query_one("#patients", DataTable)
            assert table.max_scroll_x > 0  # at 80 columns the right-hand ones are a sideways scroll away
    run(scenario)


def test_search_filter_and_sort(clinic_db):
    """Search by name or id, filter by alert or verdict, sort by a column key or header click."""
    async def scenario():
        app = make(clinic_db)
        async with app.run_test(size=SIZE) as pilot:
            await ready(app, pilot)
            await pilot.press("slash", *"ben")
            await pilot.pause(SEARCH_DELAY + 0.1)
            assert [r[0] for r in list_rows(app)] == ["P002"]
            app.screen.query_one("#search", Input).value = "p00"
            await pilot.pause(SEARCH_DELAY + 0.1)
            assert len(list_rows(app)) == 4
            app.screen.query_one("#filter", Select).value = "alerts"
            await settle(pilot)
            assert [r[0] for r in list_rows(app)] == ["P002"]
            app.screen.query_one("#filter", Select).value = "responder"
            await settle(pilot)
            assert [r[0] for r in list_rows(app)] == ["P001"]
            app.screen.query_one("#filter", Select).value = "all"
            app.screen.query_one("#patients", DataTable).focus()
            await settle(pilot)
            await pilot.press("7")  # improvement, ascending; unknown values last
            assert [r[0] for r in list_rows(app)] == ["P002", "P003", "P001", "P004"]
            await pilot.press("7")  # again: descending
            assert [r[0] for r in list_rows(app)] == ["P001", "P003", "P002", "P004"]
            await pilot.click("#patients", offset=(3, 0))  # the ID header
            await settle(pilot)
            assert [r[0] for r in list_rows(app)] == ["P001", "P002", "P003", "P004"]
            await pilot.press("4")  # course: by sessions given, not by text
            assert [r[0] for r in list_rows(app)] == ["P004", "P003", "P001", "P002"]
    run(scenario)


def test_suicidality_item_alert_stays_until_acknowledged(clinic_db):
    """A PHQ-9 with item 9 = 1 raises an alert on the list and every patient screen until acknowledged."""
    async def scenario():
        app = make(clinic_db)
        async with app.run_test(size=SIZE) as pilot:
            await ready(app, pilot)
            await open_patient(app, pilot, "P004")
            assert not app.screen.query_one("#banner").display
            await pilot.press("s")
            await settle(pilot)
            for n, value in enumerate("100000001", start=1):
                app.screen.query_one(f"#item-{n}", Input).value = value
            await settle(pilot)
            assert "total 2 of 27" in text_of(app, "#summary")
            await pilot.press("ctrl+s")
            await settle(pilot)
            assert isinstance(app.screen, PatientScreen)
            banner = app.screen.query_one("#banner")
            assert banner.display and "item 9" in str(banner.render())
            await pilot.press("i")  # the infusion form carries the banner too
            await settle(pilot)
            assert app.screen.query_one("#banner").display
            await pilot.press("escape")
            await settle(pilot)
            flagged = {row.patient_id: str(row.cells()[2]) for row in app.list_screen().shown}
            assert flagged["P004"] == "⚠ 1"  # the list row, underneath the patient's screen

            await pilot.press("a")
            await settle(pilot)
            assert isinstance(app.screen, AcknowledgeModal)
            await pilot.click("#ok")  # without a note: refused inline
            await settle(pilot)
            assert "note" in text_of(app, "#modal-error")
            app.screen.query_one("#m-note", Input).focus()
            await pilot.press(*"safety plan reviewed", "enter")
            await settle(pilot)
            assert not app.screen.query_one("#banner").display
            await pilot.press("escape")
            await settle(pilot)
            assert {r[0]: r for r in list_rows(app)}["P004"][2] == ""
        database = db.connect(clinic_db)
        acks = db.acknowledgements(database, "P004")
        assert list(acks["who"]) == ["Dr Test"] and list(acks["note"]) == ["safety plan reviewed"]
    run(scenario)


def test_out_of_range_item_is_refused_inline_and_nothing_written(clinic_db):
    """An item above its range shows the reason beside it, and saving writes nothing."""
    async def scenario():
        before = counts(clinic_db)
        app = make(clinic_db)
        async with app.run_test(size=SIZE) as pilot:
            await ready(app, pilot)
            await open_patient(app, pilot, "P003")
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
    run(scenario)


def test_live_total_band_improvement_and_total_only(clinic_db):
    """Total, band and improvement update as items are typed; a total alone is saved and marked total-only."""
    async def scenario():
        app = make(clinic_db)
        async with app.run_test(size=SIZE) as pilot:
            await ready(app, pilot)
            await open_patient(app, pilot, "P003")
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
            assert "total 4 of 27" in summary and "minimal" in summary and "73% below baseline 15" in summary
            for n in range(1, 10):
                app.screen.query_one(f"#item-{n}", Input).value = ""
            app.screen.query_one("#f-total", Input).value = "9"
            await settle(pilot)
            assert "total-only entry" in text_of(app, "#summary")
            await pilot.press("ctrl+s")
            await settle(pilot)
            assert isinstance(app.screen, PatientScreen)
            timeline = app.screen.query_one("#timeline", DataTable)
            assert any("PHQ-9 9 mild (total-only)" in str(timeline.get_row_at(i)[3])
                       for i in range(timeline.row_count))
        data = db.load_clinic(db.connect(clinic_db), patient_id="P003").assessments
        saved = data[data["taken_at"] == TODAY.isoformat()]
        assert list(saved["total"]) == [9] and saved["items"].isna().all()
    run(scenario)


async def start_infusion(app, pilot, pid: str, dose: str, **fields) -> None:
    await open_patient(app, pilot, pid)
    await pilot.press("i")
    await pilot.pause()
    app.screen.query_one("#f-dose_mg_per_kg", Input).value = dose
    for name, value in fields.items():
        app.screen.query_one(f"#f-{name}", Input).value = value
    await pilot.pause()


def test_dose_of_5_mg_per_kg_is_refused(clinic_db):
    """5 mg/kg is refused as an entry error with the rule, and nothing is written."""
    async def scenario():
        before = counts(clinic_db)
        app = make(clinic_db)
        async with app.run_test(size=SIZE) as pilot:
            await ready(app, pilot)
            await start_infusion(app, pilot, "P003", "5")
            assert "320 mg" in text_of(app, "#total-mg")  # 5 mg/kg x 64 kg
            await pilot.press("ctrl+s")
            await settle(pilot)
            assert isinstance(app.screen, InfusionForm)
            assert "refused as an entry error" in text_of(app, "#errors")
            assert app.screen.query_one("#f-dose_mg_per_kg").has_class("field-invalid")
        assert counts(clinic_db) == before
    run(scenario)


def test_dose_of_1_2_mg_per_kg_needs_confirmation(clinic_db):
    """1.2 mg/kg asks for confirmation: no writes when declined, saved when confirmed."""
    async def scenario():
        before = counts(clinic_db)
        app = make(clinic_db)
        async with app.run_test(size=SIZE) as pilot:
            await ready(app, pilot)
            await start_infusion(app, pilot, "P003", "1.2")
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
    run(scenario)


def test_blood_pressure_at_hold_threshold_warns_before_saving(clinic_db):
    """A pre-infusion blood pressure at 160/100 is shown in a warning before anything is saved."""
    async def scenario():
        before = counts(clinic_db)
        app = make(clinic_db)
        async with app.run_test(size=SIZE) as pilot:
            await ready(app, pilot)
            await start_infusion(app, pilot, "P003", "0.5", bp_systolic_pre="165", bp_diastolic_pre="95")
            await pilot.press("ctrl+s")
            await settle(pilot)
            assert isinstance(app.screen, ConfirmModal)
            assert "hold threshold 160/100" in text_of(app, "#message")
            assert counts(clinic_db) == before
            await pilot.click("#yes")
            await settle(pilot)
            assert isinstance(app.screen, PatientScreen)
        assert counts(clinic_db)["infusions"] == before["infusions"] + 1
    run(scenario)


def test_infusion_with_side_effects_and_cadss(clinic_db):
    """Side effects are ticked from the vocabulary and CADSS items are saved linked to the infusion."""
    async def scenario():
        app = make(clinic_db)
        async with app.run_test(size=SIZE) as pilot:
            await ready(app, pilot)
            await start_infusion(app, pilot, "P003", "0.5", cadss_items=" ".join(["1"] * 10 + ["0"] * 13))
            effects = app.screen.query_one("#f-side_effects", SelectionList)
            effects.select("nausea")
            effects.select("dissociation")
            await pilot.press("ctrl+s")
            await settle(pilot)
            assert isinstance(app.screen, PatientScreen)
            side = app.screen.query_one("#per-infusion", DataTable)
            last = [str(c) for c in side.get_row_at(side.row_count - 1)]
            assert last[2] == "10" and last[3] == "nausea, dissociation"
        data = db.load_clinic(db.connect(clinic_db), patient_id="P003")
        cadss = data.assessments[data.assessments["scale"] == "cadss"]
        newest = data.infusions.iloc[-1]
        assert list(cadss["infusion_id"]) == [newest["infusion_id"]] and list(cadss["total"]) == [10]
        assert newest["side_effects"] == "nausea;dissociation"
    run(scenario)


def test_invalid_cadss_refuses_the_whole_infusion(clinic_db):
    """A CADSS item out of range refuses the infusion too: nothing is written."""
    async def scenario():
        before = counts(clinic_db)
        app = make(clinic_db)
        async with app.run_test(size=SIZE) as pilot:
            await ready(app, pilot)
            await start_infusion(app, pilot, "P003", "0.5", cadss_items=" ".join(["7"] + ["0"] * 22))
            await pilot.press("ctrl+s")
            await settle(pilot)
            assert isinstance(app.screen, InfusionForm)
            assert "CADSS" in text_of(app, "#errors") and "allowed 0-4" in text_of(app, "#errors")
        assert counts(clinic_db) == before
    run(scenario)


def select_timeline(app, text: str) -> None:
    table = app.screen.query_one("#timeline", DataTable)
    for i in range(table.row_count):
        if text in " ".join(str(c) for c in table.get_row_at(i)):
            table.move_cursor(row=i)
            return
    raise AssertionError(f"{text!r} not in the timeline")


def test_correction_with_reason_shows_in_history(clinic_db):
    """Correcting an assessment needs a reason; the history shows old and new values and the reason."""
    async def scenario():
        app = make(clinic_db)
        async with app.run_test(size=SIZE) as pilot:
            await ready(app, pilot)
            await open_patient(app, pilot, "P003")
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
            assert "transcription error" in history and "total: 11 → 10" in history
            assert "correct by Dr Test" in history
    run(scenario)


def test_infusion_correction_keeps_old_values_in_history(clinic_db):
    """Correcting an infusion's duration keeps the old value; the history shows old -> new and why."""
    async def scenario():
        app = make(clinic_db)
        async with app.run_test(size=SIZE) as pilot:
            await ready(app, pilot)
            await open_patient(app, pilot, "P003")
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
            assert "duration_min: 40.0 → 45.0" in history and "pump log says 45 min" in history
        infusions = db.load_clinic(db.connect(clinic_db), patient_id="P003").infusions
        assert sorted(infusions["duration_min"]) == [40.0, 45.0]
    run(scenario)


def test_retract_needs_a_reason_and_removes_the_record(clinic_db):
    """A retracted infusion leaves the timeline and the course; the reason is kept in the audit trail."""
    async def scenario():
        app = make(clinic_db)
        async with app.run_test(size=SIZE) as pilot:
            await ready(app, pilot)
            await open_patient(app, pilot, "P003")
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
        assert any(db.history(database, "infusion", i)["reason"].eq("entered for the wrong patient").any()
                   for i in range(1, 40))
    run(scenario)


def test_add_and_edit_patient_and_start_course(tmp_db_path):
    """A new patient is added from the list, edited with a reason, and given a new course."""
    async def scenario():
        app = make(tmp_db_path)
        async with app.run_test(size=SIZE) as pilot:
            await ready(app, pilot)
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
    run(scenario)


def test_duplicate_patient_id_is_refused_in_words(clinic_db):
    """Adding an id that exists shows the database's refusal inline; nothing changes."""
    async def scenario():
        app = make(clinic_db)
        async with app.run_test(size=SIZE) as pilot:
            await ready(app, pilot)
            await pilot.press("a")
            await settle(pilot)
            app.screen.query_one("#f-patient_id", Input).value = "P001"
            app.screen.query_one("#f-name", Input).value = "Someone Else"
            await pilot.press("ctrl+s")
            await settle(pilot)
            assert isinstance(app.screen, PatientForm)
            assert "already exists" in text_of(app, "#errors")
        assert db.get_patient(db.connect(clinic_db), "P001")["name"] == "Ada Example"
    run(scenario)


def test_follow_ups_due_screen(clinic_db):
    """Patients whose next scheduled follow-up is due or overdue are listed with the day and state."""
    async def scenario():
        app = make(clinic_db)
        async with app.run_test(size=SIZE) as pilot:
            await ready(app, pilot)
            await pilot.press("f")
            await settle(pilot)
            table = app.screen.query_one("#followups", DataTable)
            rows = {str(table.get_row_at(i)[0]): [str(c) for c in table.get_row_at(i)] for i in range(table.row_count)}
            assert set(rows) == {"P001", "P002"}
            assert rows["P001"][2] == "day 14" and rows["P001"][3] == "2026-01-31" and rows["P001"][4] == "overdue"
            await pilot.press("enter")
            await settle(pilot)
            assert isinstance(app.screen, PatientScreen)
    run(scenario)


def test_follow_ups_computed_on_demand_in_a_large_clinic(clinic_db, monkeypatch):
    """Above the inline limit the list skips follow-ups; the filter computes them when asked."""
    monkeypatch.setattr(outcomes_app.app, "FOLLOWUPS_WITH_LIST_MAX", 0)

    async def scenario():
        app = make(clinic_db)
        async with app.run_test(size=SIZE) as pilot:
            await ready(app, pilot)
            assert app.followups is None and "? (press f)" in text_of(app, "#list-summary")
            app.screen.query_one("#filter", Select).value = "followup"
            await settle(pilot)
            assert [r[0] for r in list_rows(app)] == ["P001", "P002"]
    run(scenario)


def test_settings_change_is_validated_and_persists(clinic_db):
    """A setting is refused inline when invalid and, when valid, is stored and used at once."""
    async def scenario():
        app = make(clinic_db)
        async with app.run_test(size=SIZE) as pilot:
            await ready(app, pilot)
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
            assert str(app.screen.query_one("#settings", DataTable).get_row_at(keys.index("induction_sessions"))[1]) == "8"
            await pilot.press("escape")
            await app.workers.wait_for_complete()
            await settle(pilot)
            assert {r[0]: r for r in list_rows(app)}["P001"][3] == "6/8"
        assert db.load_settings(db.connect(clinic_db)).induction_sessions == 8
    run(scenario)


def test_clinician_name_is_asked_once_and_audited(tmp_db_path):
    """Without a name option the app asks who is using it, and that name goes into the audit trail."""
    async def scenario():
        app = tui.make_app(tmp_db_path, today=TODAY)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            assert isinstance(app.screen, TextModal)
            app.screen.query_one("#m-who", Input).value = "Dr Nurse"
            await pilot.press("enter")
            await settle(pilot)
            assert app.clinician == "Dr Nurse"
            await ready(app, pilot)
            await pilot.press("a")
            await settle(pilot)
            app.screen.query_one("#f-patient_id", Input).value = "Z1"
            await pilot.press("ctrl+s")
            await settle(pilot)
        history = db.history(db.connect(tmp_db_path), "patient", "Z1")
        assert list(history["who"]) == ["Dr Nurse"]
    run(scenario)


def test_help_theme_and_command_palette(clinic_db):
    """The help screen lists the keys, ctrl+t switches theme, and the palette offers the patient actions."""
    async def scenario():
        app = make(clinic_db)
        async with app.run_test(size=SIZE) as pilot:
            await ready(app, pilot)
            await pilot.press("question_mark")
            await settle(pilot)
            assert isinstance(app.screen, HelpScreen) and "record an infusion" in HELP_TEXT
            await pilot.press("escape")
            theme = app.theme
            await pilot.press("ctrl+t")
            assert app.theme != theme
            await open_patient(app, pilot, "P001")
            titles = [c.title for c in app.get_system_commands(app.screen)]
            for title in ("Record infusion", "Enter assessment", "Acknowledge alerts", "Follow-ups due",
                          "Settings", "Start new course", "History of selected record"):
                assert title in titles
            await pilot.press("ctrl+p")
            await settle(pilot)
            await pilot.press(*"follow-ups")
            await pilot.pause(0.5)
            await pilot.press("enter")
            await settle(pilot)
            assert isinstance(app.screen, FollowUpScreen)
    run(scenario)


def test_detail_screen_states_the_verdict_and_its_rule(clinic_db):
    """The status panel names the verdict, the rule behind it, progress, best improvement and trend."""
    async def scenario():
        app = make(clinic_db)
        async with app.run_test(size=SIZE) as pilot:
            await ready(app, pilot)
            await open_patient(app, pilot, "P001")
            panel = text_of(app, "#status-panel")
            assert "responder" in panel and "at session 3" in panel
            assert "70% below baseline 20 at session 6" in panel
            assert "session 6 of 6 · best improvement so far 75% · trend worsening" in panel
            timeline = app.screen.query_one("#timeline", DataTable)
            cells = [" ".join(str(c) for c in timeline.get_row_at(i)) for i in range(timeline.row_count)]
            assert any("Infusion 6" in c and "35mg" in c for c in cells)
            assert any("follow-up d7" in c for c in cells)
            app.screen.query_one("#scale", Select).value = "gad7"
            await settle(pilot)
            panel = text_of(app, "#status-panel")
            assert "Six-session verdict: no baseline — no usable baseline" in panel and "Status (GAD-7)" in panel
    run(scenario)


def test_unreadable_database_is_refused_in_words(tmp_path):
    """A file that is not a database stops the app with a message, not a traceback."""
    bad = tmp_path / "not.db"
    bad.write_text("hello, this is not SQLite" * 10)

    async def scenario():
        app = make(bad)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
        assert app.return_code == 1
    run(scenario)


def test_make_app_builds_patient_mode_when_a_patient_is_given(clinic_db):
    """make_app(path, patient=...) returns the read-only patient app, else the clinician app."""
    assert isinstance(make(clinic_db), OutcomesApp)
    patient_app = tui.make_app(clinic_db, patient="P001")
    assert type(patient_app).__name__ == "PatientApp"


def test_make_app_passes_today_to_patient_mode(clinic_db):
    """make_app(..., patient=, today=) fixes patient mode's date: days since the last infusion count from it."""

    async def scenario():
        app = tui.make_app(clinic_db, patient="P001", today=TODAY)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.app.workers.wait_for_complete()
            await settle(pilot)
            text = " ".join(str(getattr(w, "content", "")) for w in app.screen.walk_children(with_self=True))
            # P001's last infusion is 17 January 2026; TODAY is 10 February 2026.
            assert "Your last infusion was 24 days ago, on 17 January 2026." in " ".join(text.split())
    run(scenario)


def timeline_rows(app) -> list[list[str]]:
    table = app.screen.query_one("#timeline", DataTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


def test_timeline_shows_cadss_under_its_infusion(clinic_db):
    """A CADSS rating of an infusion sits right under that infusion, in its course, not "pre-course"."""
    database = db.connect(clinic_db)
    infusion_id = add_infusion(database, "P004", "2026-02-09T09:00")
    checked = check_assessment({"patient_id": "P004", "date": "2026-02-09T09:00", "scale": "cadss",
                                "total": "12"}, TODAY)
    db.add_assessment(database, checked.values, WHO, infusion_id=infusion_id)
    database.conn.close()

    async def scenario():
        app = make(clinic_db)
        async with app.run_test(size=SIZE) as pilot:
            await ready(app, pilot)
            await open_patient(app, pilot, "P004")
            rows = timeline_rows(app)
            assert [r[2] for r in rows] == ["Course 1 start", "Infusion 1", "at infusion 1"]
            assert rows[2][1] == "1" and rows[2][3] == "CADSS 12 (total-only)"
    run(scenario)


def test_corrected_record_stays_selected_and_compares_with_its_own_course(clinic_db):
    """After a correction the timeline cursor stays on the corrected record (new id), even on the first row."""
    async def scenario():
        app = make(clinic_db)
        async with app.run_test(size=SIZE) as pilot:
            await ready(app, pilot)
            await open_patient(app, pilot, "P001")
            select_timeline(app, "PHQ-9 20")  # the baseline, the timeline's first row
            await pilot.press("c")
            await settle(pilot)
            app.screen.query_one("#item-1", Input).value = "2"  # 3 -> 2: total 19
            app.screen.query_one("#f-reason", Input).value = "misread item 1"
            await settle(pilot)
            assert "below baseline" in text_of(app, "#summary")
            await pilot.press("ctrl+s")
            await settle(pilot)
            assert isinstance(app.screen, PatientScreen)
            kind, ident = app.screen.selected_record()
            assert kind == "assessment" and app.screen.record(kind, ident).total == 19
            table = app.screen.query_one("#timeline", DataTable)
            assert table.cursor_row == 0
    run(scenario)


def test_timeline_shows_course_starts_and_marks_boosters(clinic_db):
    """Each course opens the timeline with its start (and note); an infusion after the sixth is a coloured booster."""
    database = db.connect(clinic_db)
    add_infusion(database, "P001", "2026-01-31T09:00")  # the 7th infusion of course 1: a booster
    database.conn.close()

    async def scenario():
        app = make(clinic_db)
        async with app.run_test(size=SIZE) as pilot:
            await ready(app, pilot)
            await open_patient(app, pilot, "P001")
            await pilot.press("n")
            await settle(pilot)
            app.screen.query_one("#m-date", Input).value = "2026-02-09"
            app.screen.query_one("#m-note", Input).value = "relapse after booster"
            await pilot.click("#ok")
            await settle(pilot)
            # Stored at once, as the app runs: a second connection sees the course.
            other = db.connect(clinic_db)
            try:
                stored = db.load_clinic(other, patient_id="P001").courses
            finally:
                other.conn.close()
            assert list(stored["course"]) == [2] and list(stored["notes"]) == ["relapse after booster"]
            rows = timeline_rows(app)
            starts = [r for r in rows if r[2].startswith("Course")]
            assert starts == [
                ["2026-01-06 09:00", "1", "Course 1 start", "at its first infusion"],
                ["2026-02-09", "2", "Course 2 start", "relapse after booster"],
            ]
            # Course 1 opens after its baseline (5 Jan), course 2 after course 1's last record.
            assert rows[1] == starts[0] and rows[0][3] == "PHQ-9 20 severe" and rows[-1] == starts[1]
            sessions = [r[2] for r in rows]
            assert "Infusion 6" in sessions and "Booster 1 (s7)" in sessions and "Infusion 7" not in sessions
            table = app.screen.query_one("#timeline", DataTable)
            booster = table.get_row_at(sessions.index("Booster 1 (s7)"))[2]
            assert str(booster.style) == BOOSTER_STYLE  # coloured, not just worded
            side = app.screen.query_one("#per-infusion", DataTable)
            assert str(side.get_row_at(side.row_count - 1)[0]) == "1.7 B"
            # The new course's row is selected; it is no record to correct (nothing opens),
            # but its history shows who started it and the whole note.
            assert app.screen.selected_record() == ("course", 2)
            await pilot.press("c")
            await settle(pilot)
            assert isinstance(app.screen, PatientScreen)
            await pilot.press("h")
            await settle(pilot)
            assert isinstance(app.screen, HistoryScreen)
            history = text_of(app, "#history-text")
            assert "create by Dr Test" in history and "relapse after booster" in history
    run(scenario)
