"""Schema upgrades: a database made by the first migration alone opens and upgrades without loss."""

from __future__ import annotations

import hashlib
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
        conn.execute("INSERT INTO patient_details (patient_id, name, weight_kg, recorded_at, recorded_by)"
                     " VALUES ('P001', 'Alice Example', 70.0, 'then', 'old release')")
        conn.execute("INSERT INTO infusions (patient_id, course, given_at, dose_mg_per_kg, recorded_at, recorded_by)"
                     " VALUES ('P001', 1, '2026-01-06T10:00', 0.5, 'then', 'old release')")
        conn.execute("INSERT INTO assessments (patient_id, taken_at, scale, items, total, total_only, recorded_at,"
                     " recorded_by) VALUES ('P001', '2026-01-05', 'phq9', '2 2 2 2 2 2 2 2 0', 16, 0, 'then', 'x')")
        conn.execute("INSERT INTO settings VALUES ('induction_sessions', '5', 'then', 'old release')")
        conn.execute("INSERT INTO audit (at, who, table_name, record_id, action) VALUES"
                     " ('then', 'old release', 'patients', 'P001', 'create')")
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
        assert [row[:width] for row in after[table]] == before[table], table  # new columns only append
    assert "imports" in handle.table_names()
    assert db.load_settings(handle).induction_sessions == 5
    data = db.load_clinic(handle)
    assert data.assessments["total"].tolist() == [16]
    # The upgraded database takes new records, including an import.
    values = check_assessment({"patient_id": "P001", "date": "2026-01-08", "scale": "phq9", "total": "6"},
                              TODAY).values
    db.add_assessment(handle, values, "new release")
    assert len(db.load_clinic(handle).assessments) == 2
    handle.close()


def test_opening_an_up_to_date_database_writes_nothing(tmp_path):
    """Connecting to a current database (and reading it) leaves the file byte-for-byte unchanged."""
    path = tmp_path / "clinic.db"
    handle = db.connect(path)
    db.add_patient(handle, check_patient({"patient_id": "P001"}, TODAY).values, "x")
    db.add_infusion(handle, check_infusion({"patient_id": "P001", "date": "2026-01-06", "dose_mg_per_kg": "0.5"},
                                           None, TODAY).values, "x")
    handle.close()
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    handle = db.connect(path)
    db.load_clinic(handle)
    db.load_settings(handle)
    handle.close()
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
