"""Schema upgrades: a database made by the first migration alone opens and upgrades without loss."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from datetime import date

import db
from db.migrations import MIGRATIONS, migration_names
from outcomes.validation import check_assessment, check_infusion, check_patient

TODAY = date(2026, 3, 1)


def make_v1_database(path):
    """A database at migration 1 only, with records written as that release would have."""
    handle = db.connect(path, migrate=False)
    first = migration_names()[0]
    db.apply_migrations(handle, stop_before=migration_names()[1])
    assert [m.name for m in MIGRATIONS.applied(handle)] == [first]
    conn = handle.conn
    with conn:
        conn.execute("INSERT INTO patients VALUES ('P001', 'then', 'old release')")
        conn.execute(
            "INSERT INTO patient_details (patient_id, name, weight_kg, recorded_at, recorded_by)"
            " VALUES ('P001', 'Alice Example', 70.0, 'then', 'old release')"
        )
        conn.execute(
            "INSERT INTO infusions (patient_id, course, given_at, dose_mg_per_kg, recorded_at, recorded_by)"
            " VALUES ('P001', 1, '2026-01-06T10:00', 0.5, 'then', 'old release')"
        )
        conn.execute(
            "INSERT INTO assessments (patient_id, taken_at, scale, items, total, total_only, recorded_at,"
            " recorded_by) VALUES ('P001', '2026-01-05', 'phq9', '2 2 2 2 2 2 2 2 0', 16, 0, 'then', 'x')"
        )
        conn.execute(
            "INSERT INTO settings VALUES ('induction_sessions', '5', 'then', 'old release')"
        )
        conn.execute(
            "INSERT INTO audit (at, who, table_name, record_id, action) VALUES"
            " ('then', 'old release', 'patients', 'P001', 'create')"
        )
    handle.close()


def dump(path, tables):
    conn = sqlite3.connect(path)
    try:
        return {t: conn.execute(f"SELECT * FROM {t} ORDER BY rowid").fetchall() for t in tables}
    finally:
        conn.close()


def test_there_is_more_than_one_migration():
    """The schema has grown by at least one migration after the first, so the upgrade path is real."""
    assert len(migration_names()) >= 2


def test_first_migration_database_upgrades_without_loss(tmp_path):
    """Opening a migration-1 database applies the later migrations and keeps every row and value."""
    path = tmp_path / "old.db"
    make_v1_database(path)
    tables = ("patients", "patient_details", "infusions", "assessments", "settings", "audit")
    before = dump(path, tables)
    handle = db.connect(path)
    assert [m.name for m in MIGRATIONS.applied(handle)] == migration_names()
    after = dump(path, tables)
    for table in tables:
        width = len(before[table][0])
        kept, added = after[table][: len(before[table])], after[table][len(before[table]) :]
        assert [row[:width] for row in kept] == before[table], table  # new columns only append
        # The one row added: migration 5's audit row (courses recorded for their drug).
        assert not added or (table == "audit" and [r[2] for r in added] == ["schema upgrade"]), (
            table
        )
    assert "imports" in handle.table_names()
    assert db.load_settings(handle).induction_sessions == 5
    data = db.load_clinic(handle)
    assert data.assessments["total"].tolist() == [16]
    # The upgraded database takes new records, including an import.
    values = check_assessment(
        {"patient_id": "P001", "date": "2026-01-08", "scale": "phq9", "total": "6"}, TODAY
    ).values
    db.add_assessment(handle, values, "new release")
    assert len(db.load_clinic(handle).assessments) == 2
    handle.close()


def test_opening_an_up_to_date_database_writes_nothing(tmp_path):
    """Connecting to a current database (and reading it) leaves the file byte-for-byte unchanged."""
    path = tmp_path / "clinic.db"
    handle = db.connect(path)
    db.add_patient(handle, check_patient({"patient_id": "P001"}, TODAY).values, "x")
    db.add_infusion(
        handle,
        check_infusion(
            {"patient_id": "P001", "date": "2026-01-06", "dose_mg_per_kg": "0.5"}, None, TODAY
        ).values,
        "x",
    )
    handle.close()
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    handle = db.connect(path)
    db.load_clinic(handle)
    db.load_settings(handle)
    handle.close()
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


def make_previous_release_database(path):
    """A database as the previous release (migrations 1-2) left it: a corrected infusion, a linked CADSS."""
    handle = db.connect(path, migrate=False)
    db.apply_migrations(handle, stop_before="0003_treatment_sessions")
    conn = handle.conn
    with conn:
        conn.execute("INSERT INTO patients VALUES ('P001', 'then', 'old release')")
        conn.execute(
            "INSERT INTO imports (kind, source, sha256, rows_added, rows_skipped, at, who)"
            " VALUES ('infusions', 'infusions.csv', 'abc', 2, 0, 'then', 'old release')"
        )
        for day in ("06", "08"):
            conn.execute(
                "INSERT INTO infusions (patient_id, course, given_at, dose_mg_per_kg, recorded_at,"
                f" recorded_by, import_id) VALUES ('P001', 1, '2026-01-{day}T10:00', 0.5, 'then', 'x', 1)"
            )
        conn.execute("UPDATE infusions SET superseded_at = 'then' WHERE id = 2")
        conn.execute(
            "INSERT INTO infusions (patient_id, course, given_at, dose_mg_per_kg, recorded_at, recorded_by,"
            " supersedes, change_reason) VALUES ('P001', 1, '2026-01-08T10:00', 0.6, 'then', 'x', 2, 'typo')"
        )
        conn.execute("UPDATE infusions SET superseded_by = 3 WHERE id = 2")
        conn.execute(
            "INSERT INTO assessments (patient_id, taken_at, scale, items, total, total_only, recorded_at,"
            " recorded_by) VALUES ('P001', '2026-01-05', 'phq9', NULL, 20, 1, 'then', 'x')"
        )
        conn.execute(
            "INSERT INTO assessments (patient_id, taken_at, scale, items, total, total_only, recorded_at,"
            " recorded_by) VALUES ('P001', '2026-01-09', 'phq9', NULL, 9, 1, 'then', 'x')"
        )
        conn.execute(
            "INSERT INTO assessments (patient_id, taken_at, scale, total, total_only, recorded_at,"
            " recorded_by, infusion_id) VALUES ('P001', '2026-01-08T11:00', 'cadss', 12, 1, 'then', 'x', 3)"
        )
    handle.close()


def test_previous_release_database_upgrades_to_sessions_without_loss(tmp_path):
    """Migration 3 keeps every infusion (versions, links, imports), makes each ketamine, keeps the status."""
    path = tmp_path / "previous.db"
    make_previous_release_database(path)
    tables = ("infusions", "assessments", "imports")
    before = dump(path, tables)
    handle = db.connect(path)
    after = dump(path, tables)
    assert after["assessments"] == before["assessments"]
    assert [r[:7] for r in after["imports"]] == [r[:7] for r in before["imports"]]
    columns = [r[1] for r in handle.conn.execute("PRAGMA table_info(infusions)")]
    old_columns = columns[: columns.index("import_id") + 1]
    assert len(after["infusions"]) == 3
    assert [r[1] for r in handle.conn.execute("SELECT id, drug FROM infusions")] == ["ketamine"] * 3
    assert handle.conn.execute("PRAGMA foreign_key_check").fetchall() == []
    row = handle.conn.execute(
        "SELECT supersedes, change_reason, import_id FROM infusions WHERE id = 3"
    ).fetchone()
    assert tuple(row) == (2, "typo", None) and "dose_mg" in columns and "recorded_at" in old_columns
    # Status unchanged: baseline 20, then 9 after infusion 2 (8 Jan) is a 55% response at session 2.
    from outcomes.status import analyse_clinic

    status = analyse_clinic(db.load_clinic(handle), "phq9", db.load_settings(handle), TODAY)[0]
    assert (status.baseline.total, status.first_response.session, status.progress) == (
        20,
        2,
        "session 2 of 6",
    )
    # The guards still hold on the rebuilt table.
    import pytest

    with pytest.raises(sqlite3.IntegrityError, match="never changed in place"):
        handle.conn.execute("UPDATE infusions SET drug = 'esketamine' WHERE id = 3")
    with pytest.raises(sqlite3.IntegrityError, match="never deleted"):
        handle.conn.execute("DELETE FROM infusions WHERE id = 1")
    handle.close()


def make_sessions_release_database(path):
    """A database as the release before migration 5 left it (migrations 1-4): P001 a ketamine course and an
    esketamine course without course rows; P002 a course a clinician started (recorded then as ketamine)
    whose sessions are esketamine; P003 a started course with no session yet."""
    handle = db.connect(path, migrate=False)
    db.apply_migrations(handle, stop_before="0005_courses_record_their_drug")
    conn = handle.conn
    session = (
        "INSERT INTO infusions (patient_id, course, given_at, drug, dose_mg_per_kg, dose_mg, route,"
        " recorded_at, recorded_by) VALUES (?, ?, ?, ?, ?, ?, ?, 'then', 'old release')"
    )
    with conn:
        for pid in ("P001", "P002", "P003"):
            conn.execute("INSERT INTO patients VALUES (?, 'then', 'old release')", (pid,))
        conn.execute(
            "INSERT INTO courses (patient_id, course, started_at, recorded_at, recorded_by)"
            " VALUES ('P002', 1, '2026-01-02', 'then', 'old release')"
        )
        conn.execute(
            "INSERT INTO courses (patient_id, course, started_at, recorded_at, recorded_by)"
            " VALUES ('P003', 1, '2026-01-02', 'then', 'old release')"
        )
        for day in ("06", "08"):
            conn.execute(session, ("P001", 1, f"2026-01-{day}T10:00", "ketamine", 0.5, None, "iv"))
        conn.execute(session, ("P001", 2, "2026-03-02T10:00", "esketamine", None, 56, "intranasal"))
        conn.execute(session, ("P002", 1, "2026-01-05T10:00", "esketamine", None, 56, "intranasal"))
        conn.execute(
            "INSERT INTO assessments (patient_id, taken_at, scale, items, total, total_only, recorded_at,"
            " recorded_by) VALUES ('P002', '2026-01-04', 'phq9', NULL, 20, 1, 'then', 'x')"
        )
    handle.close()


def test_every_course_records_its_drug_after_the_upgrade(tmp_path):
    """Migration 5: a course row for each course its first session began (that session's drug and time),
    a started course's drug from its first session; the course's drug is then what is read; one audit row."""
    path = tmp_path / "sessions.db"
    make_sessions_release_database(path)
    handle = db.connect(path)
    rows = handle.conn.execute(
        "SELECT patient_id, course, started_at, drug, begun_by_session FROM courses"
        " ORDER BY patient_id, course"
    ).fetchall()
    assert rows == [
        ("P001", 1, "2026-01-06T10:00", "ketamine", 1),
        ("P001", 2, "2026-03-02T10:00", "esketamine", 1),
        ("P002", 1, "2026-01-02", "esketamine", 0),
        ("P003", 1, "2026-01-02", "ketamine", 0),
    ]
    (audit,) = handle.conn.execute("SELECT who, table_name, new_value FROM audit").fetchall()
    assert audit[:2] == ("schema upgrade", "courses")
    assert json.loads(audit[2]) == {"courses_recorded": 2, "drug_from_first_session": 1}
    from outcomes.status import analyse_clinic

    statuses = {
        s.patient_id: s
        for s in analyse_clinic(db.load_clinic(handle), "phq9", db.load_settings(handle), TODAY)
    }
    assert statuses["P002"].progress == "session 1 of 8"  # an esketamine course
    assert statuses["P001"].course.number == 2 and statuses["P001"].course.drug == "esketamine"
    # A clinician's start stays a start; a course a session began is not one (the timeline shows no extra row).
    patients = db.load_clinic(handle).by_patient()
    assert patients["P001"].course_starts == () and [
        c for c, _ in patients["P002"].course_starts
    ] == [1]
    handle.close()


def make_release_5_database(path):
    """A database as the release before migration 6 left it (issue 21): P001 two current PHQ-9s on
    2026-01-06 (a correction made the second); a session moved 09:00 -> 10:00 whose readings stayed
    at 09:00; a retracted session whose reading stayed current; a session moved to the next day,
    whose 09:10 reading cannot follow it (a reading already at the moved time)."""
    handle = db.connect(path, migrate=False)
    db.apply_migrations(handle, stop_before="0006_one_score_per_scale_and_time")
    session = (
        "INSERT INTO infusions (id, patient_id, course, given_at, dose_mg_per_kg, recorded_at, recorded_by,"
        " supersedes, change_reason) VALUES (?, 'P001', 1, ?, 0.5, 'then', 'old', ?, ?)"
    )
    reading = (
        "INSERT INTO readings (patient_id, session_at, taken_at, spo2, recorded_at, recorded_by)"
        " VALUES ('P001', ?, ?, ?, 'then', 'old')"
    )
    phq9 = (
        "INSERT INTO assessments (patient_id, taken_at, scale, total, total_only, recorded_at,"
        " recorded_by) VALUES ('P001', '2026-01-06', 'phq9', ?, 1, 'then', 'old')"
    )
    with db.write_transaction(handle):
        conn = handle.conn
        conn.execute("INSERT INTO patients VALUES ('P001', 'then', 'old')")
        conn.execute(phq9, (14,))
        conn.execute(phq9, (9,))
        conn.execute(session, (1, "2026-01-07T09:00", None, None))
        conn.execute(session, (2, "2026-01-07T10:00", 1, "wrong hour"))
        conn.execute("UPDATE infusions SET superseded_at = 'then', superseded_by = 2 WHERE id = 1")
        conn.execute(reading, ("2026-01-07T09:00", "2026-01-07T09:10", 85))
        conn.execute(reading, ("2026-01-07T09:00", "2026-01-07T09:40", 97))
        conn.execute(session, (3, "2026-01-09T09:00", None, None))
        conn.execute(reading, ("2026-01-09T09:00", "2026-01-09T09:30", 95))
        conn.execute(
            "UPDATE infusions SET retracted_at = 'then', retracted_by = 'x', retract_reason = 'dup'"
            " WHERE id = 3"
        )
        conn.execute(session, (4, "2026-01-12T09:00", None, None))
        conn.execute(session, (5, "2026-01-13T09:00", 4, "wrong day"))
        conn.execute("UPDATE infusions SET superseded_at = 'then', superseded_by = 5 WHERE id = 4")
        conn.execute(session, (6, "2026-01-13T08:00", None, None))
        conn.execute(reading, ("2026-01-13T08:00", "2026-01-13T09:10", 96))
        conn.execute(reading, ("2026-01-12T09:00", "2026-01-12T09:10", 94))
    handle.close()


def test_upgrade_6_keeps_one_score_per_time_and_ties_readings_to_their_session(tmp_path):
    """Migration 6: the later of two PHQ-9s at one time stays current (the earlier superseded by it, audited);
    readings follow their moved session, or are retracted (retracted session, no room); none is orphaned;
    a unique index then refuses a second current score even from another tool."""
    path = tmp_path / "release5.db"
    make_release_5_database(path)
    rows_before = dump(path, ("assessments", "readings"))
    handle = db.connect(path)
    assert db.orphaned_readings(handle) == []
    phq9 = db.load_clinic(handle, "P001").assessments
    assert phq9["total"].tolist() == [9]
    readings = db.load_clinic(handle, "P001").readings
    assert [(r.session_at, r.taken_at) for r in readings.itertuples()] == [
        ("2026-01-07T10:00", "2026-01-07T10:10"),
        ("2026-01-07T10:00", "2026-01-07T10:40"),
        ("2026-01-13T08:00", "2026-01-13T09:10"),
    ]
    retracted = handle.conn.execute(
        "SELECT taken_at, retract_reason FROM readings WHERE retracted_at IS NOT NULL ORDER BY taken_at"
    ).fetchall()
    assert [r[0] for r in retracted] == ["2026-01-09T09:30", "2026-01-12T09:10"]
    assert "retracted" in retracted[0][1] and "does not fit" in retracted[1][1]
    reasons = [
        r[0] for r in handle.conn.execute("SELECT reason FROM audit WHERE who = 'schema upgrade'")
    ]
    assert sum("schema upgrade 0006" in (r or "") for r in reasons) == 1 + 2 + 2
    after = dump(path, ("assessments", "readings"))
    assert len(after["readings"]) == len(rows_before["readings"]) + 2  # moved versions added
    assert len(after["assessments"]) == len(rows_before["assessments"])  # nothing deleted
    import pytest

    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
        handle.conn.execute(
            "INSERT INTO assessments (patient_id, taken_at, scale, total, total_only, recorded_at,"
            " recorded_by) VALUES ('P001', '2026-01-06', 'phq9', 3, 1, 'now', 'other tool')"
        )
    handle.close()
