"""Bookkeeping columns and the patients, courses, imports and settings tables are guarded:
only the program's write path (its audit row in the same transaction) may change them.

A hand edit through another SQLite connection (what the sqlite3 shell or a
database browser would do) is refused; the program's own corrections,
retractions, settings and imports still work, each with its audit row; and a
database from the previous release (migrations 1-2) opens and upgrades to
the guarded schema without losing a row.
"""

from __future__ import annotations

import sqlite3

import pytest

import db
from db.migrations import MIGRATIONS, migration_names
from outcomes.timepoints import parse_timepoint
from tests.clinic import TODAY, WHO, add_infusion, add_patient, add_phq9

HAND_EDITS = [
    "UPDATE assessments SET retracted_at = '2026-01-01', retract_reason = 'x' WHERE id = 1",
    "UPDATE assessments SET superseded_at = '2026-01-01' WHERE id = 1",
    "UPDATE infusions SET retracted_at = '2026-01-01', retract_reason = 'x' WHERE id = 1",
    "UPDATE patient_details SET superseded_at = '2026-01-01' WHERE id = 1",
    "UPDATE patients SET created_by = 'someone else'",
    "DELETE FROM patients WHERE patient_id = 'P002'",
    "UPDATE settings SET value = '9'",
    "DELETE FROM settings",
    "UPDATE imports SET rows_added = 0",
    "DELETE FROM imports",
    "UPDATE courses SET notes = 'x'",
    "DELETE FROM courses",
]


@pytest.fixture
def guarded_db(tmp_path):
    path = tmp_path / "clinic.db"
    database = db.connect(path)
    add_patient(database, "P001", "Ada Example")
    add_patient(database, "P002", "Ben Example")
    add_infusion(database, "P001", "2026-01-06")
    add_phq9(database, "P001", "2026-01-05", 20)
    db.start_course(database, "P001", parse_timepoint("2026-02-01"), WHO)
    db.set_setting(database, "induction_sessions", "6", WHO)
    csv_file = tmp_path / "patients.csv"
    csv_file.write_text("patient_id\nP003\n")
    db.import_file(database, csv_file, "patients", WHO, today=TODAY)
    database.close()
    return path


def contents(path) -> dict:
    conn = sqlite3.connect(path)
    try:
        return {
            t: conn.execute(f"SELECT * FROM {t} ORDER BY rowid").fetchall()
            for t in (
                "patients",
                "patient_details",
                "infusions",
                "assessments",
                "courses",
                "imports",
                "settings",
                "audit",
            )
        }
    finally:
        conn.close()


@pytest.mark.parametrize("statement", HAND_EDITS)
def test_a_hand_edit_of_a_guarded_column_or_table_is_refused(guarded_db, statement):
    """Another tool's UPDATE or DELETE of bookkeeping columns or guarded tables fails; nothing changes."""
    before = contents(guarded_db)
    conn = sqlite3.connect(guarded_db)
    try:
        with pytest.raises(sqlite3.DatabaseError):
            conn.execute(statement)
        conn.rollback()
    finally:
        conn.close()
    assert contents(guarded_db) == before


def test_a_raw_update_through_the_programs_own_connection_outside_its_write_path_is_refused(
    guarded_db,
):
    """Even the program's connection cannot hide a record without going through `write_transaction`."""
    database = db.connect(guarded_db)
    try:
        with pytest.raises(sqlite3.DatabaseError, match="audit row"):
            database.conn.execute(
                "UPDATE assessments SET retracted_at = 'x', retract_reason = 'x' WHERE id = 1"
            )
        database.conn.rollback()
    finally:
        database.close()


def test_the_programs_write_path_still_corrects_retracts_and_sets_with_audit_rows(guarded_db):
    """Retraction, patient update and settings go through (each with its audit row) under the guards."""
    database = db.connect(guarded_db)
    try:
        before = database.conn.execute("SELECT count(*) FROM audit").fetchone()[0]
        db.retract(database, "assessment", 1, "entered twice", WHO)
        db.update_patient(database, "P002", {"name": "Benjamin Example"}, "spelling", WHO)
        db.set_setting(database, "induction_sessions", "8", WHO)
        after = database.conn.execute("SELECT count(*) FROM audit").fetchone()[0]
        assert after == before + 3
        assert db.load_settings(database).induction_sessions == 8
        assert db.get_patient(database, "P002")["name"] == "Benjamin Example"
    finally:
        database.close()


def test_a_previous_release_database_upgrades_to_the_guards_without_loss(tmp_path):
    """A database at the previous release's schema (migrations 1-3, with data) opens, gains the guards,
    and keeps every row; hand edits are refused afterwards."""
    path = tmp_path / "previous.db"
    handle = db.connect(path, migrate=False)
    db.apply_migrations(handle, stop_before="0004_guard_bookkeeping")
    assert [m.name for m in MIGRATIONS.applied(handle)] == migration_names()[:3]
    handle.close()
    database = db.connect(path, migrate=False)  # written as the previous release wrote
    with (
        database.conn
    ):  # the patient and its infusion, without a course row (as that release wrote it)
        database.conn.execute(
            "INSERT INTO patients (patient_id, created_at, created_by) VALUES ('P001', 'then', 'old')"
        )
        database.conn.execute(
            "INSERT INTO patient_details (patient_id, name, weight_kg, recorded_at, recorded_by)"
            " VALUES ('P001', 'Ada Example', 70, 'then', 'old release')"
        )
        database.conn.execute(
            "INSERT INTO infusions (patient_id, course, given_at, dose_mg_per_kg, recorded_at,"
            " recorded_by) VALUES ('P001', 1, '2026-01-06', 0.5, 'then', 'old release')"
        )
    add_phq9(database, "P001", "2026-01-05", 20)
    db.set_setting(database, "clinic_name", "Old clinic", WHO)
    database.close()
    before = contents(path)
    upgraded = db.connect(path)
    assert [m.name for m in MIGRATIONS.applied(upgraded)] == migration_names()
    upgraded.close()
    after = contents(path)
    kept = [t for t in before if t not in ("courses", "audit")]
    # Later migrations only add columns at the end (0007: the patient's email, empty here).
    width = {t: len(before[t][0]) if before[t] else 0 for t in kept}
    assert {t: [r[: width[t]] for r in after[t]] for t in kept} == {t: before[t] for t in kept}
    assert all(r[width["patient_details"] :] == (None,) for r in after["patient_details"])
    # Migration 5 adds the course row of the course its infusion began, and says so in one audit row.
    assert [r[:3] for r in after["courses"]] == [("P001", 1, "2026-01-06")]
    assert after["audit"][:-1] == before["audit"] and after["audit"][-1][2] == "schema upgrade"
    conn = sqlite3.connect(path)
    try:
        with pytest.raises(sqlite3.DatabaseError):
            conn.execute("UPDATE assessments SET retracted_at = 'x', retract_reason = 'x'")
    finally:
        conn.close()
