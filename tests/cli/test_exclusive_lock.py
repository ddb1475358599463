"""Another program's exclusive lock is waited for as a write lock is, and named when the wait ends.

A database browser may hold `PRAGMA locking_mode=EXCLUSIVE`: then not even reading is possible.
`outcomes status` said "database is locked" after about 10 s (issue 21). Now every command waits
as for any write lock (saying so on stderr, up to `db.lock_wait.LOCK_WAIT_LIMIT_S`), reads or
writes as soon as the lock is let go, and past the limit says that an exclusive lock is held.
A write that waited for an ordinary write lock says it was a write lock.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

import db
import db.lock_wait
from outcomes_cli.cli import cli
from tests.clinic import add_patient, release, write_lock_held

ROOT = Path(__file__).resolve().parents[2]


def clinic(tmp_path: Path) -> Path:
    path = tmp_path / "clinic.db"
    database = db.connect(path)
    add_patient(database, "P001", "Ada Example")
    database.close()
    return path


@contextlib.contextmanager
def exclusive_lock_held(path: Path, seconds: float = 60.0):
    """Another process holds the file in EXCLUSIVE locking mode (after one write) until released."""
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import select, sqlite3, sys\n"
            f"conn = sqlite3.connect({str(path)!r}, isolation_level=None)\n"
            "conn.execute('PRAGMA locking_mode=EXCLUSIVE')\n"
            "conn.execute('BEGIN EXCLUSIVE')\n"
            "conn.execute('COMMIT')\n"
            "print('locked', flush=True)\n"
            f"select.select([sys.stdin], [], [], {seconds})\n"
            "conn.close()\n",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        yield holder
    finally:
        release(holder)
        holder.wait(timeout=seconds + 30)


def test_status_waits_for_an_exclusive_lock_and_reads_once_it_is_gone(tmp_path):
    """`status` says it waits, and answers as soon as the other program lets go."""
    path = clinic(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with exclusive_lock_held(path) as holder:
        reading = subprocess.Popen(
            [sys.executable, "-m", "outcomes", "--db", str(path), "status", "P001"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        told = reading.stderr.readline()
        assert told.startswith("waiting for another write: another program"), told
        release(holder)
        out, err = reading.communicate(timeout=120)
    assert reading.returncode == 0, err
    assert "P001" in out


def test_past_the_limit_status_and_a_write_name_the_exclusive_lock(tmp_path, monkeypatch):
    """Past the limit: refused, naming the exclusive lock (not 'database is locked'); nothing written."""
    monkeypatch.setattr(db.lock_wait, "LOCK_WAIT_LIMIT_S", 1.0)
    path = clinic(tmp_path)
    with exclusive_lock_held(path):
        for args in (("status", "P001"), ("settings", "clinic_name", "Elsewhere")):
            result = CliRunner().invoke(cli, ["--db", str(path), *args])
            assert result.exit_code == 1, result.output
            assert "exclusive lock" in result.output and "locking_mode=EXCLUSIVE" in result.output
            assert "database is locked" not in result.output
    assert db.load_settings(db.connect(path)).clinic_name == "Ketamine clinic"


def test_past_the_limit_a_write_lock_is_named_as_one(tmp_path, monkeypatch):
    """An ordinary writer: the refusal says it was a write lock (reading still works)."""
    monkeypatch.setattr(db.lock_wait, "LOCK_WAIT_LIMIT_S", 1.0)
    path = clinic(tmp_path)
    with write_lock_held(path):
        result = CliRunner().invoke(cli, ["--db", str(path), "settings", "clinic_name", "X"])
    assert result.exit_code == 1
    assert "write lock" in result.output and "exclusive" not in result.output
