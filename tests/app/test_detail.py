"""A patient's detail screen: status panel, timeline, the alert banner and its acknowledgement."""

from __future__ import annotations

from textual.widgets import DataTable, Input, Select

import db
from outcomes.validation import check_assessment
from outcomes_app.modals import AcknowledgeModal
from outcomes_app.screens.patient_detail import PatientScreen
from outcomes_app.screens.records import HistoryScreen
from outcomes_app.text import BOOSTER_STYLE
from tests.app.driving import clinician_app, list_rows, open_patient, settle, text_of, timeline_rows
from tests.clinic import TODAY, WHO, add_infusion


async def test_detail_screen_states_the_verdict_and_its_rule(pilot):
    """The status panel names the course, the verdict, the rule behind it, best improvement and trend."""
    app = pilot.app
    await open_patient(pilot, "P001")
    panel = text_of(app, "#status-panel")
    assert "Six-session verdict: responder" in panel and "Rule behind it: response" in panel
    assert "at session 6, 70% below the starting score of 20" in panel
    assert "Course: course 1: first infusion 2026-01-06; session 6 of 6" in panel
    assert "Best improvement: 75% below the starting score within the induction" in panel
    assert "Trend: about the same as the score before: 5 then 6, 1 point higher" in panel
    timeline = app.screen.query_one("#timeline", DataTable)
    cells = [" ".join(str(c) for c in timeline.get_row_at(i)) for i in range(timeline.row_count)]
    assert any("Infusion 6" in c and "35mg" in c for c in cells)
    assert any("follow-up d7" in c for c in cells)
    app.screen.query_one("#scale", Select).value = "gad7"
    await settle(pilot)
    panel = text_of(app, "#status-panel")
    assert (
        "Six-session verdict: no baseline\nRule behind it: no usable baseline" in panel
        and "Status:" not in panel  # without a baseline, the status is the rule, said once
    )


async def test_timeline_shows_cadss_under_its_infusion(clinic_db):
    """A CADSS rating of an infusion sits right under that infusion, in its course, not "pre-course"."""
    database = db.connect(clinic_db)
    infusion_id = add_infusion(database, "P004", "2026-02-09T09:00")
    checked = check_assessment(
        {"patient_id": "P004", "date": "2026-02-09T09:00", "scale": "cadss", "total": "12"}, TODAY
    )
    db.add_assessment(database, checked.values, WHO, infusion_id=infusion_id)
    database.conn.close()

    async with clinician_app(clinic_db) as pilot:
        app = pilot.app
        await open_patient(pilot, "P004")
        rows = timeline_rows(app)
        assert [r[2] for r in rows] == ["Course 1 start", "Infusion 1", "at infusion 1"]
        assert rows[2][1] == "1" and rows[2][3] == "CADSS 12 (total-only)"


async def test_timeline_shows_course_starts_and_marks_boosters(clinic_db):
    """Each course opens the timeline with its start (and note); an infusion after the sixth is a coloured booster."""
    database = db.connect(clinic_db)
    add_infusion(database, "P001", "2026-01-31T09:00")  # the 7th infusion of course 1: a booster
    database.conn.close()

    async with clinician_app(clinic_db) as pilot:
        app = pilot.app
        await open_patient(pilot, "P001")
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
        assert list(stored["course"]) == [1, 2] and list(stored["begun_by_session"]) == [
            1,
            0,
        ]  # 1: its first infusion's
        assert (
            list(stored["notes"])[1] == "relapse after booster"
            and list(stored["drug"]) == ["ketamine"] * 2
        )
        rows = timeline_rows(app)
        starts = [r for r in rows if r[2].startswith("Course")]
        assert starts == [
            ["2026-01-06 09:00", "1", "Course 1 start", "at its first infusion"],
            ["2026-02-09", "2", "Course 2 start", "relapse after booster"],
        ]
        # Course 1 opens after its baseline (5 Jan), course 2 after course 1's last record.
        assert rows[1] == starts[0] and rows[0][3] == "PHQ-9 20 severe" and rows[-1] == starts[1]
        sessions = [r[2] for r in rows]
        assert (
            "Infusion 6" in sessions
            and "Booster 1 (s7)" in sessions
            and "Infusion 7" not in sessions
        )
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
        assert "Recorded course 2  by Dr Test" in history and "relapse after booster" in history


async def test_suicidality_item_alert_stays_until_acknowledged(clinic_db):
    """A PHQ-9 with item 9 = 1 raises an alert on the list and every patient screen until acknowledged."""
    async with clinician_app(clinic_db) as pilot:
        app = pilot.app
        await open_patient(pilot, "P004")
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
