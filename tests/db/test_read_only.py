"""`db.connect(path, read_only=True)`: SQLite refuses every write, nothing is created or migrated."""

from __future__ import annotations

import hashlib
import sqlite3
from datetime import date
from pathlib import Path

import pytest

import db
from db.migrations import migration_names
from outcomes.validation import check_patient

TODAY = date(2026, 3, 1)


def _clinic(path: Path) -> Path:
    database = db.connect(path)
    db.add_patient(
        database, check_patient({"patient_id": "P001", "name": "Alice"}, TODAY).values, "Dr Test"
    )
    database.close()
    return path


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_read_only_connection_reads_and_sqlite_refuses_writes(tmp_path):
    """Reads work; an INSERT fails inside SQLite itself; the file's bytes and time stay the same."""
    path = _clinic(tmp_path / "clinic.db")
    before, mtime = _digest(path), path.stat().st_mtime_ns
    database = db.connect(path, read_only=True)
    try:
        assert db.patient_ids(database) == ["P001"]
        assert db.load_settings(database).primary_scale == "phq9"
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            database.conn.execute("INSERT INTO patients VALUES ('P002', 'now', 'x')")
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            database.conn.execute("CREATE TABLE sneaky (x)")
    finally:
        database.close()
    assert _digest(path) == before and path.stat().st_mtime_ns == mtime


def test_read_only_never_creates_a_missing_file_or_folder(tmp_path):
    """A missing file is a clear StorageError, and neither the file nor its folder appears."""
    target = tmp_path / "nowhere" / "clinic.db"
    with pytest.raises(db.StorageError, match="there is no clinic database at"):
        db.connect(target, read_only=True)
    assert not target.parent.exists()


def test_read_only_refuses_a_database_that_needs_a_migration(tmp_path):
    """A database at migration 1 is refused with a message saying it needs an upgrade; it stays at 1."""
    path = tmp_path / "old.db"
    handle = db.connect(path, migrate=False)
    db.apply_migrations(handle, stop_before=migration_names()[1])
    handle.close()
    before = _digest(path)
    with pytest.raises(db.StorageError, match="needs an upgrade"):
        db.connect(path, read_only=True)
    assert _digest(path) == before
    conn = sqlite3.connect(path)
    applied = conn.execute("SELECT count(*) FROM _sqlite_migrations").fetchone()[0]
    conn.close()
    assert applied == 1


def test_read_only_refuses_a_file_that_is_not_sqlite(tmp_path):
    """A text file given as the database is refused in words, and left as it was."""
    path = tmp_path / "notes.txt"
    path.write_text("shopping list\n" * 10)
    with pytest.raises(db.StorageError, match="not an SQLite database"):
        db.connect(path, read_only=True)
    assert path.read_text() == "shopping list\n" * 10
