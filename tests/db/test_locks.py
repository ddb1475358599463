"""Opening a second connection never costs the first one its locks (no lost writes)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

import db
from outcomes.timepoints import parse_timepoint


def _lock_count(path) -> int:
    """POSIX locks this process holds on the database file, from /proc/locks."""
    inode = path.stat().st_ino
    count = 0
    with open("/proc/locks", encoding="ascii") as locks:
        for line in locks:
            parts = line.split()
            if (
                len(parts) > 5
                and parts[5].endswith(f":{inode}")
                and parts[4] == str(__import__("os").getpid())
            ):
                count += 1
    return count


def test_connecting_again_keeps_the_open_connections_locks(tmp_path):
    """A second `db.connect` + close in the same process leaves the first connection's lock in place."""
    path = tmp_path / "clinic.db"
    first = db.connect(path)
    first.execute("SELECT count(*) FROM patients").fetchone()
    before = _lock_count(path)
    assert before >= 1
    db.connect(path).close()
    assert _lock_count(path) == before
    first.close()


def test_writes_after_another_process_opens_and_closes_are_kept(tmp_path):
    """The app's later writes survive another process opening and closing the database."""
    path = tmp_path / "clinic.db"
    app = db.connect(path)
    db.add_patient(app, {"patient_id": "A1", "name": "First"}, "test")
    db.connect(path).close()  # what the app does on every reload
    subprocess.run(
        [sys.executable, "-c", f"import sqlite3; sqlite3.connect({str(path)!r}).close()"],
        check=True,
    )
    db.start_course(app, "A1", parse_timepoint("2026-01-05"), "test", note="second course")
    db.add_patient(app, {"patient_id": "A2", "name": "Second"}, "test")
    app.close()
    conn = sqlite3.connect(path)
    ids = [r[0] for r in conn.execute("SELECT patient_id FROM patients ORDER BY patient_id")]
    conn.close()
    assert ids == ["A1", "A2"]
