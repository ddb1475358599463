"""Imports under stress: killed part-way, two at once, a backup while a writer runs."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

import db

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}


def outcomes(*args: str, **kwargs) -> subprocess.Popen:
    """Start the real `outcomes` entry point as its own process (and process group)."""
    return subprocess.Popen(
        [sys.executable, "-m", "outcomes", *args],
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        **kwargs,
    )


def make_clinic(tmp_path: Path, patients: int = 50) -> Path:
    path = tmp_path / "clinic.db"
    file = tmp_path / "patients.csv"
    file.write_text("patient_id\n" + "".join(f"K{p:04d}\n" for p in range(patients)))
    database = db.connect(path)
    from datetime import date

    db.apply_import(
        database, db.plan_import(file, "patients", db.load_settings(database), date.today()), "test"
    )
    database.close()
    return path


def assessments_file(
    tmp_path: Path, name: str, rows: int, patients: int = 50, hour: int = 9
) -> Path:
    path = tmp_path / name
    with open(path, "w") as handle:
        handle.write("patient_id,date,scale,items,total\n")
        for i in range(rows):
            p, k = divmod(i, rows // patients)
            day = 1 + k % 28
            month = 1 + (k // 28) % 12
            handle.write(
                f"K{p:04d},2025-{month:02d}-{day:02d}T{hour:02d}:{k % 60:02d},phq9,1 2 0 1 2 0 1 2 0,\n"
            )
    return path


def stored(path: Path) -> tuple[str, int]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0], conn.execute(
            "SELECT count(*) FROM assessments"
        ).fetchone()[0]
    finally:
        conn.close()


@pytest.mark.parametrize("moment", ["while checking", "while writing"])
def test_kill_9_part_way_leaves_all_or_nothing(tmp_path, moment):
    """SIGKILL during a 120,000-row import leaves a clean database with all rows or none.

    (So many rows that the import is still writing when the kill comes, fast as imports are.)
    """
    path = make_clinic(tmp_path)
    file = assessments_file(tmp_path, "assessments.csv", 120_000)
    wal = path.with_name(path.name + "-wal")
    process = outcomes("--db", str(path), "import", "assessments", str(file))
    if moment == "while checking":
        time.sleep(0.8)
    else:
        # Pages reach the WAL file only once the write transaction is under way.
        deadline = time.time() + 60
        while time.time() < deadline and process.poll() is None:
            if wal.exists() and wal.stat().st_size > 64 * 1024:
                break
            time.sleep(0.005)
        assert process.poll() is None, "the import finished before it could be killed"
    os.killpg(process.pid, signal.SIGKILL)  # the import and any worker it forked
    process.wait(timeout=30)
    integrity, count = stored(path)
    assert integrity == "ok"
    assert count in (0, 120_000)
    if moment == "while writing":
        assert count == 0


def test_two_imports_at_once_both_succeed_and_lose_nothing(tmp_path):
    """Two processes importing different files into one database both finish and every row is kept."""
    path = make_clinic(tmp_path)
    first = assessments_file(tmp_path, "morning.csv", 3_000, hour=8)
    second = assessments_file(tmp_path, "evening.csv", 3_000, hour=18)
    processes = [
        outcomes("--db", str(path), "import", "assessments", str(f)) for f in (first, second)
    ]
    results = [p.communicate(timeout=120) for p in processes]
    assert [p.returncode for p in processes] == [0, 0], results
    assert stored(path) == ("ok", 6_000)


def test_the_same_file_imported_twice_at_once_is_stored_once(tmp_path):
    """Two simultaneous imports of one file store its rows once; the second skips them all."""
    path = make_clinic(tmp_path)
    file = assessments_file(tmp_path, "assessments.csv", 3_000)
    processes = [outcomes("--db", str(path), "import", "assessments", str(file)) for _ in range(2)]
    outputs = [p.communicate(timeout=120)[0] for p in processes]
    assert [p.returncode for p in processes] == [0, 0]
    assert stored(path) == ("ok", 3_000)
    assert sorted("3000 rows skipped" in out for out in outputs) == [False, True]


WRITER = """
import sys, time
from datetime import datetime, timedelta
import db
from outcomes.validation import check_assessment
database = db.connect(sys.argv[1])
end = time.time() + float(sys.argv[2])
n = 0
while time.time() < end:
    n += 1
    when = (datetime(2025, 1, 1) + timedelta(minutes=n)).isoformat(timespec="minutes")  # never twice
    values = check_assessment({"patient_id": "K0001", "date": when, "scale": "gad7", "total": str(n % 21)}).values
    db.add_assessment(database, values, "writer")
print(n)
"""


def test_backup_taken_while_a_writer_runs_is_consistent(tmp_path):
    """Backups taken during a stream of writes pass integrity_check and hold whole transactions only."""
    path = make_clinic(tmp_path)
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path), "3"],
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.time() + 60
    while stored(path)[1] == 0 and time.time() < deadline:  # let the writer get going
        time.sleep(0.05)
    copies = []
    for n in range(3):
        copies.append(db.backup(path, tmp_path / f"copy{n}.db"))
        time.sleep(0.3)
    out, err = writer.communicate(timeout=60)
    assert writer.returncode == 0, err
    seen = []
    for copy in copies:
        conn = sqlite3.connect(copy)
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = conn.execute("SELECT count(*) FROM assessments").fetchone()[0]
        audited = conn.execute(
            "SELECT count(*) FROM audit WHERE table_name = 'assessments'"
        ).fetchone()[0]
        conn.close()
        assert rows == audited  # each write and its audit row are in the copy together, or neither
        seen.append(rows)
    assert seen == sorted(seen) and seen[-1] > 0
    assert oct(copies[0].stat().st_mode & 0o777) == "0o600"


def test_backup_command_refuses_an_existing_target(tmp_path):
    """`outcomes backup` will not overwrite a file; it exits 1 and says so."""
    path = make_clinic(tmp_path, patients=2)
    target = tmp_path / "copy.db"
    target.write_text("precious")
    process = outcomes("--db", str(path), "backup", str(target))
    out, err = process.communicate(timeout=60)
    assert process.returncode == 1
    assert "already exists" in err and "Traceback" not in err
    assert target.read_text() == "precious"


def test_two_processes_creating_the_same_new_database_both_succeed(tmp_path):
    """Two commands that open a not-yet-existing database at once both work; the schema is made once."""
    path = tmp_path / "clinic.db"
    files = []
    for n in range(3):
        files.append(tmp_path / f"patients{n}.csv")
        files[-1].write_text(f"patient_id\nP{n}\n")
    processes = [outcomes("--db", str(path), "import", "patients", str(file)) for file in files]
    results = [p.communicate(timeout=120) for p in processes]
    assert [p.returncode for p in processes] == [0, 0, 0], results
    conn = sqlite3.connect(path)
    applied = conn.execute("SELECT name FROM _sqlite_migrations ORDER BY id").fetchall()
    conn.close()
    assert [a[0] for a in applied] == db.migration_names()
