"""The command line waits for another program's write lock (saying so on stderr) instead of failing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

import db
import db.lock_wait
from outcomes_cli.cli import cli
from tests.clinic import add_patient, database_dump, release, write_lock_held

ROOT = Path(__file__).resolve().parents[2]
PATIENTS = "patient_id,name\nW1,Wen Wait\nW2,Wim Wait\n"


def clinic(tmp_path: Path) -> Path:
    path = tmp_path / "clinic.db"
    database = db.connect(path)
    add_patient(database, "P001", "Ada Example")
    database.close()
    return path


def test_an_import_waits_for_a_short_lock_then_imports(tmp_path):
    path = clinic(tmp_path)
    source = tmp_path / "patients.csv"
    source.write_text(PATIENTS, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with write_lock_held(path) as holder:
        importing = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "outcomes",
                "--db",
                str(path),
                "import",
                "patients",
                str(source),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        told = importing.stderr.readline()  # it says so at once, and waits
        assert told.startswith("waiting for another write: another program"), told
        assert "this waits up to 1 minute" in told
        assert db.patient_ids(db.connect(path)) == ["P001"]
        release(holder)
        out, err = importing.communicate(timeout=120)
    assert importing.returncode == 0, err
    assert "Imported 2 patients" in out
    assert db.patient_ids(db.connect(path)) == ["P001", "W1", "W2"]


def test_past_the_limit_the_import_is_refused_and_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(db.lock_wait, "LOCK_WAIT_LIMIT_S", 1.0)
    path = clinic(tmp_path)
    source = tmp_path / "patients.csv"
    source.write_text(PATIENTS, encoding="utf-8")
    before = database_dump(path)
    with write_lock_held(path):  # released once the command has given up
        result = CliRunner().invoke(cli, ["--db", str(path), "import", "patients", str(source)])
    assert result.exit_code == 1
    assert (
        "error: another program (an import, another terminal) kept the database busy for more than 1 s, "
        "so nothing was saved; try again when it has finished"
    ) in result.output
    assert "Traceback" not in result.output
    assert database_dump(path) == before
