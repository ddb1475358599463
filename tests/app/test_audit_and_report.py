"""The history and audit views in clinic words, and a patient's report written from the app."""

from __future__ import annotations

import re
import stat
import time

from textual.widgets import Input

import db
from outcomes_app.modals import TextModal
from outcomes_app.screens.patient_detail import PatientScreen
from outcomes_app.screens.records import HistoryScreen
from tests.app.driving import clinician_app, open_patient, select_timeline, settle, text_of
from tests.clinic import TODAY, WHO, add_phq9


async def test_history_speaks_clinic_words_with_local_times(clinic_db):
    """A corrected score reads "total score: 11 → 9", the reason after "why:", literally; no column names, no nan."""
    database = db.connect(clinic_db)
    patient = db.load_clinic(database, patient_id="P003").by_patient()["P003"]
    old = next(a.id for a in patient.assessments if a.total == 11)
    from outcomes.validation import check_assessment

    checked = check_assessment(
        {"patient_id": "P003", "date": "2026-02-04", "scale": "phq9", "items": "3 3 3 0 0 0 0 0 0"},
        TODAY,
    )
    db.correct_assessment(
        database, int(old), checked.values, "item 4 was [b]misread[/b]", "Dr Avery"
    )
    stamp = db.history(database, "assessment", int(old))["at"].iloc[-1]
    database.conn.close()
    async with clinician_app(clinic_db) as pilot:
        app = pilot.app
        await open_patient(pilot, "P003")
        select_timeline(app, "PHQ-9 9")
        await pilot.press("h")
        await settle(pilot)
        assert isinstance(app.screen, HistoryScreen)
        text = text_of(app, "#history-text")
        assert (
            "History of the PHQ-9 assessment of 2026-02-04 (P003 Cy Person), oldest first"
            in str(app.screen.query_one(".form-title").render())
        )
        assert "Recorded PHQ-9 assessment of 2026-02-04  by Dr Test" in text
        assert "Corrected PHQ-9 assessment of 2026-02-04  by Dr Avery" in text
        assert (
            "total score: 11 → 9" in text
            and "item scores: 3 3 3 2 0 0 0 0 0 → 3 3 3 0 0 0 0 0 0" in text
        )
        assert "why: item 4 was [b]misread[/b]" in text  # stored text, not markup
        from outcomes_app.audit_text import local_time

        assert local_time(stamp) in text and "+00:00" not in text
        assert not re.search(r"\d{4}-\d\d-\d\dT", text)
        for developer in ("nan", "taken_at", "total_only", "id:", "reason:", "→ 17"):
            assert developer not in text


async def test_correction_dialog_names_the_record_in_words(clinic_db):
    """The correction form is titled by scale and date, not by a database id."""
    async with clinician_app(clinic_db) as pilot:
        app = pilot.app
        await open_patient(pilot, "P003")
        select_timeline(app, "PHQ-9 11")
        await pilot.press("c")
        await settle(pilot)
        assert "Correct the PHQ-9 assessment of 2026-02-04" in str(
            app.screen.query_one(".form-title").render()
        )


async def test_patient_audit_lists_everything_newest_first(clinic_db):
    """`l` shows every change to this patient's records, newest first, and none of another patient's."""
    database = db.connect(clinic_db)
    add_phq9(database, "P003", "2026-02-06", 7)
    db.update_patient(database, "P003", {"name": "Cy Person-Smith"}, "married", "Dr Avery")
    database.conn.close()
    async with clinician_app(clinic_db) as pilot:
        app = pilot.app
        await open_patient(pilot, "P003")
        await pilot.press("l")
        await settle(pilot)
        text = text_of(app, "#history-text")
        lines = [line for line in text.split("\n") if line and not line.startswith(" ")]
        assert lines[0].endswith("Changed patient details  by Dr Avery")
        assert "Recorded PHQ-9 assessment of 2026-02-06" in lines[1]
        assert lines[-1].endswith("Recorded patient details  by " + WHO)
        assert "name: Cy Person → Cy Person-Smith" in text and "why: married" in text
        assert sum("Recorded infusion of" in line for line in lines) == 2
        assert "Ben Sample" not in text and "P001" not in text


def test_patient_audit_is_one_query_over_every_kind(clinic_db):
    """db.patient_audit finds courses, acknowledgements and the patient's rows, newest first."""
    database = db.connect(clinic_db)
    from outcomes.timepoints import parse_timepoint

    db.start_course(database, "P001", parse_timepoint("2026-02-08"), "Dr Avery", "second course")
    db.acknowledge_alert(database, "P002", "any-key", "Dr Avery", "safety plan reviewed")
    audit = db.patient_audit(database, "P001")
    assert audit["table_name"].iloc[0] == "courses" and list(audit["id"]) == sorted(
        audit["id"], reverse=True
    )
    assert not audit["new_value"].fillna("").str.contains("P002").any()
    assert db.patient_audit(database, "P002")["table_name"].iloc[0] == "alert_acknowledgements"
    assert db.patient_audit(database, "nobody").empty


async def test_report_from_the_patient_screen_is_written_owner_only_and_says_where(
    clinic_db, tmp_path
):
    """`r` asks for a folder, writes the PDF and PNG in a worker (0600) and names both files."""
    folder = tmp_path / "reports"
    notes = []
    async with clinician_app(clinic_db) as pilot:
        app = pilot.app
        app.notify = lambda message, **kw: notes.append(message)  # keep what the clinician was told
        await open_patient(pilot, "P001")
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, TextModal)
        app.screen.query_one("#m-folder", Input).value = str(folder)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, PatientScreen)
        await app.workers.wait_for_complete()
        await settle(pilot)
    files = sorted(folder.rglob("*.*"))
    assert [f.suffix for f in files] == [".pdf", ".png"]
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert files[0].read_bytes().startswith(b"%PDF") and files[1].read_bytes()[:4] == b"\x89PNG"
    written = [n for n in notes if "written" in n]
    assert written and all(str(f) in written[-1] for f in files)


async def test_report_into_a_file_is_refused_in_words(clinic_db, tmp_path):
    """A folder that is a file is refused in the dialog; nothing is written."""
    blocker = tmp_path / "taken"
    blocker.write_text("x")
    async with clinician_app(clinic_db) as pilot:
        app = pilot.app
        await open_patient(pilot, "P001")
        await pilot.press("r")
        await settle(pilot)
        app.screen.query_one("#m-folder", Input).value = str(blocker)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TextModal)
        assert "is a file" in text_of(app, "#modal-error")
    assert blocker.read_text() == "x"


def test_audit_times_are_shown_in_the_clinic_local_time(monkeypatch):
    """A stored UTC moment is shown in the computer's time zone (New York is 5 hours behind in winter)."""
    from outcomes_app.audit_text import local_time

    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        assert local_time("2026-01-05T14:03:09+00:00") == "2026-01-05 09:03"
    finally:
        monkeypatch.undo()
        time.tzset()
