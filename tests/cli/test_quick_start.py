"""A quick command line: `--help`, `status` and `settings` load only what they use and read only what they need.

Measured as Python sees it (`python -X importtime`, one line per module
imported), on the real entry point in a fresh interpreter.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import db.connection
from db.schema_version import MIGRATION_NAMES, MIGRATION_SET
from outcomes_cli.cli import cli
from tests.clinic import traced_statements
from tests.db.test_migrations import make_sessions_release_database

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
#: Never needed by a quick command: charts, the terminal app, Kaplan-Meier, FHIR models.
HEAVY = {"matplotlib", "textual", "scipy", "fhir", "rich"}


@pytest.fixture(scope="module")
def clinic(tmp_path_factory) -> Path:
    """A demo clinic of 12 patients made through `outcomes demo`."""
    path = tmp_path_factory.mktemp("quick") / "clinic.db"
    result = CliRunner().invoke(cli, ["--db", str(path), "demo", "--patients", "12", "--seed", "2"])
    assert result.exit_code == 0, result.output
    return path


def imported(*args: str) -> set[str]:
    """Top-level packages a command imports, from `python -X importtime -m outcomes ARGS`."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "outcomes", *args],
        env=ENV,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    names = {
        line.rsplit("|", 1)[-1].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:")
    }
    assert "outcomes_cli.cli" in names  # the trace is really there
    return {name.split(".")[0] for name in names}


def test_help_loads_neither_pandas_nor_sqlite_nor_any_heavy_library():
    """`outcomes --help` lists the commands without pandas, numpy, sqlite-utils or the db modules."""
    loaded = imported("--help")
    assert not loaded & (HEAVY | {"pandas", "numpy", "sqlite_utils"})


@pytest.mark.parametrize(
    "args",
    [
        ("status", "P001", "--json"),
        ("status", "P001"),
        ("settings",),
        ("settings", "induction_sessions"),
    ],
)
def test_status_and_settings_load_no_chart_app_statistics_or_fhir_library(clinic, args):
    """`outcomes status ID` and `outcomes settings` never load matplotlib, Textual, Rich, scipy or fhir.resources."""
    loaded = imported("--db", str(clinic), *args)
    assert not loaded & HEAVY, loaded & HEAVY


@pytest.mark.parametrize("args", [("status", "P001", "--json"), ("status", "P001")])
def test_status_of_a_current_file_loads_no_sqlite_utils(clinic, args):
    """`outcomes status` on a file of this program's schema reads it through plain sqlite3
    (`db.connect_to_read`): sqlite-utils is not even imported."""
    assert "sqlite_utils" not in imported("--db", str(clinic), *args)


def test_status_of_an_older_file_upgrades_it_first_and_a_newer_one_is_refused(clinic, tmp_path):
    """A file an older release made goes through `db.connect` (upgraded, then read); a file a newer
    release upgraded is refused with `connect`'s words, and nothing is written to it."""
    older = tmp_path / "older.db"
    make_sessions_release_database(
        older
    )  # migrations 1-4: the release before courses recorded their drug
    assert db.connection.applied_migrations(sqlite3.connect(older)) == MIGRATION_NAMES[:4]
    result = CliRunner().invoke(cli, ["--db", str(older), "status", "P001", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["patient_id"] == "P001"
    assert (
        db.connection.applied_migrations(sqlite3.connect(older)) == MIGRATION_NAMES
    )  # upgraded first

    newer = tmp_path / "newer.db"
    newer.write_bytes(clinic.read_bytes())
    newer.chmod(0o600)
    conn = sqlite3.connect(newer)
    conn.execute(
        "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES (?, ?, ?)",
        (MIGRATION_SET, "0099_from_the_future", "2030-01-01"),
    )
    conn.commit()
    conn.close()
    before = newer.read_bytes()
    result = CliRunner().invoke(cli, ["--db", str(newer), "status", "P001"])
    assert result.exit_code != 0 and "newer release" in result.output
    assert "Traceback" not in result.output and newer.read_bytes() == before


def test_status_reads_only_that_patients_rows(clinic, monkeypatch):
    """Every read of clinical rows by `outcomes status ID` is limited to that patient."""
    statements = traced_statements(monkeypatch)
    result = CliRunner().invoke(cli, ["--db", str(clinic), "status", "P003", "--json"])
    assert result.exit_code == 0, result.output
    clinical = [
        s
        for s in statements
        if s.lstrip().upper().startswith("SELECT")
        and any(
            f" {t} " in f"{s} "
            for t in (
                "assessments",
                "infusions",
                "courses",
                "patient_details",
                "alert_acknowledgements",
            )
        )
    ]
    assert clinical, statements
    assert all("'P003'" in s for s in clinical), [s for s in clinical if "'P003'" not in s]
