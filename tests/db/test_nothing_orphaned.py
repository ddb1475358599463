"""A session's readings follow the session: a correction of its time moves them, a retraction retracts them.

Issue 21's patient C1: a session at 2026-01-07T09:00 with readings at 09:10 (SpO2 85, an alert)
and 09:40. Corrected to 10:00, the readings move with it (each by the same hour, audited); the
alert, the cohort's monitored sessions, the session report and a CSV round trip still see them.
Retracted, the readings go with it and no export holds them. `db.orphaned_readings` finds a reading
whose session is not current: none in the demo clinic, none after any correction.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

import db
from outcomes.readings import check_reading
from outcomes.validation import check_assessment, check_infusion, check_patient
from outcomes_cli.cli import cli

TODAY = date(2026, 3, 1)
WHO = "Dr Test"


def invoke(path: Path, *args: str):
    return CliRunner().invoke(cli, ["--db", str(path), *args])


def add_session(database, when: str, pid: str = "C1") -> int:
    checked = check_infusion(
        {"patient_id": pid, "date": when, "dose_mg_per_kg": "0.5", "duration_min": "40"},
        None,
        TODAY,
    )
    assert checked.ok, checked.problems
    return db.add_infusion(database, checked.values, WHO)


def add_reading(database, session: str, at: str, pid: str = "C1", **values) -> int:
    checked = check_reading({"patient_id": pid, "session": session, "at": at, **values}, TODAY)
    assert checked.ok, checked.problems
    return db.add_reading(database, checked.values, WHO)


def corrected(database, infusion_id: int, when: str, reason: str = "typed the wrong hour") -> int:
    checked = check_infusion(
        {"patient_id": "C1", "date": when, "dose_mg_per_kg": "0.5", "duration_min": "40"},
        None,
        TODAY,
    )
    assert checked.ok, checked.problems
    return db.correct_infusion(database, infusion_id, checked.values, reason, WHO)


@pytest.fixture
def c1(tmp_path) -> Path:
    """Issue 21's patient C1: one session at 09:00, readings at 09:10 (SpO2 85) and 09:40."""
    path = tmp_path / "clinic.db"
    database = db.connect(path)
    checked = check_patient({"patient_id": "C1", "weight_kg": "70"}, TODAY)
    db.add_patient(database, checked.values, WHO)
    add_session(database, "2026-01-07T09:00")
    add_reading(database, "2026-01-07T09:00", "2026-01-07T09:10", spo2="85", heart_rate="80")
    add_reading(database, "2026-01-07T09:00", "2026-01-07T09:40", spo2="97", heart_rate="76")
    database.close()
    return path


def session_id(path: Path) -> int:
    database = db.connect(path)
    try:
        return int(db.load_clinic(database, "C1").infusions["infusion_id"].iloc[0])
    finally:
        database.close()


def readings_of(path: Path) -> list[tuple[str, str, int]]:
    database = db.connect(path)
    try:
        frame = db.load_clinic(database, "C1").readings
        return [(r.session_at, r.taken_at, r.spo2) for r in frame.itertuples()]
    finally:
        database.close()


def test_correcting_the_session_time_moves_its_readings_audited(c1):
    """09:00 -> 10:00: the readings are now at 10:10 and 10:40 of the 10:00 session, each an audited correction."""
    database = db.connect(c1)
    corrected(database, session_id(c1), "2026-01-07T10:00")
    assert db.orphaned_readings(database) == []
    rows = database.conn.execute(
        "SELECT action, reason FROM audit WHERE table_name = 'readings' AND action = 'correct'"
    ).fetchall()
    database.close()
    assert readings_of(c1) == [
        ("2026-01-07T10:00", "2026-01-07T10:10", 85),
        ("2026-01-07T10:00", "2026-01-07T10:40", 97),
    ]
    assert len(rows) == 2 and all("typed the wrong hour" in reason for _, reason in rows)


def test_after_the_correction_status_report_and_csv_round_trip_keep_the_readings(c1, tmp_path):
    """The CLI sees the moved readings: the SpO2 alert, the session report, a CSV export that re-imports."""
    database = db.connect(c1)
    corrected(database, session_id(c1), "2026-01-07T10:00")
    database.close()
    status = invoke(c1, "status", "C1", "--json")
    assert status.exit_code == 0, status.output
    alerts = json.loads(status.output)["alerts"]
    assert any("85" in json.dumps(a) for a in alerts), alerts
    out = tmp_path / "out"
    report = invoke(c1, "report", "--session", "C1", "2026-01-07T10:00", "--out", str(out))
    assert report.exit_code == 0, report.output
    exported = tmp_path / "export"
    assert invoke(c1, "export", "csv", str(exported)).exit_code == 0
    vitals = (exported / "vitals.csv").read_text()
    assert "2026-01-07T10:10" in vitals and "09:10" not in vitals
    fresh = tmp_path / "fresh.db"
    for kind in ("patients", "infusions", "vitals"):
        result = invoke(fresh, "import", kind, str(exported / f"{kind}.csv"))
        assert result.exit_code == 0, result.output
    assert readings_of(fresh) == readings_of(c1)


def test_a_correction_that_would_put_a_reading_out_of_its_window_is_refused_with_words(c1):
    """Date-only session correction keeps readings on its day; a clash with another reading is refused."""
    database = db.connect(c1)
    add_session(database, "2026-01-09T09:00")
    add_reading(database, "2026-01-09T09:00", "2026-01-09T10:10", spo2="95")
    with pytest.raises(db.StorageError, match="10:10") as refused:
        corrected(database, session_id(c1), "2026-01-09T10:00")
    assert "reading" in str(refused.value) and "nothing was" in str(refused.value)
    database.close()
    assert readings_of(c1)[0] == ("2026-01-07T09:00", "2026-01-07T09:10", 85)


def test_retracting_a_session_retracts_its_readings_and_exports_leave_them_out(c1, tmp_path):
    """Retracted: its readings are retracted with it (audited); CSV, FHIR and NDJSON hold none."""
    database = db.connect(c1)
    db.retract(database, "infusion", session_id(c1), "entered for the wrong patient", WHO)
    assert db.orphaned_readings(database) == []
    retracted = database.conn.execute(
        "SELECT count(*) FROM audit WHERE table_name = 'readings' AND action = 'retract'"
    ).fetchone()[0]
    database.close()
    assert retracted == 2 and readings_of(c1) == []
    assert invoke(c1, "export", "csv", str(tmp_path / "csv")).exit_code == 0
    assert (tmp_path / "csv" / "vitals.csv").read_text().count("\n") == 1  # the header alone
    assert invoke(c1, "export", "fhir", str(tmp_path / "b.json")).exit_code == 0
    assert "vital-signs" not in (tmp_path / "b.json").read_text()


def test_exports_leave_out_readings_an_older_release_orphaned(c1, tmp_path):
    """A reading left behind by an older release (its session moved without it) is found and not exported."""
    database = db.connect(c1)
    with db.write_transaction(database):  # what the previous release's correction did
        old = session_id(c1)
        database.conn.execute(
            "UPDATE infusions SET retracted_at = '2026-02-01', retracted_by = 'x',"
            " retract_reason = 'old release' WHERE id = ?",
            (old,),
        )
    assert [r["taken_at"] for r in db.orphaned_readings(database)] == [
        "2026-01-07T09:10",
        "2026-01-07T09:40",
    ]
    database.close()
    assert invoke(c1, "export", "csv", str(tmp_path / "csv")).exit_code == 0
    assert (tmp_path / "csv" / "vitals.csv").read_text().count("\n") == 1


def test_the_demo_clinic_has_no_orphaned_reading(tmp_path):
    """`outcomes demo` writes no reading without its session."""
    path = tmp_path / "demo.db"
    assert invoke(path, "demo", "--patients", "40", "--seed", "5").exit_code == 0
    database = db.connect(path)
    try:
        assert db.record_counts(database)["readings"] > 0
        assert db.orphaned_readings(database) == []
    finally:
        database.close()


def test_a_correction_cannot_make_a_second_score_of_one_scale_at_one_time(c1):
    """Correcting a PHQ-9 of 01-08 to 01-06, where one exists, is refused (spec section 9); nothing is written."""
    database = db.connect(c1)
    ids = []
    for day, total in (("2026-01-06", 9), ("2026-01-08", 7)):
        checked = check_assessment(
            {"patient_id": "C1", "date": day, "scale": "phq9", "total": total}, TODAY
        )
        ids.append(db.add_assessment(database, checked.values, WHO))
    moved = check_assessment(
        {"patient_id": "C1", "date": "2026-01-06", "scale": "phq9", "total": 7}, TODAY
    )
    with pytest.raises(db.StorageError, match="PHQ-9 of C1 at 2026-01-06 is already recorded"):
        db.correct_assessment(database, ids[1], moved.values, "wrong day", WHO)
    frame = db.load_clinic(database, "C1").assessments
    database.close()
    assert sorted(frame["taken_at"]) == ["2026-01-06", "2026-01-08"]


def test_a_second_session_at_one_time_is_refused_as_a_duplicate(c1):
    """A second session of C1 at 09:00 (new, or a correction onto it) is refused: the readings could
    not tell the two apart, and a CSV round trip kept only one (found by the property test)."""
    database = db.connect(c1)
    with pytest.raises(
        db.StorageError, match="session of C1 at 2026-01-07 09:00 is already recorded"
    ):
        add_session(database, "2026-01-07T09:00")
    other = add_session(database, "2026-01-08T09:00")
    with pytest.raises(db.StorageError, match="already recorded"):
        corrected(database, other, "2026-01-07T09:00")
    assert len(db.load_clinic(database, "C1").infusions) == 2
    database.close()
