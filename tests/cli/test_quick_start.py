"""A quick command line: `--help`, `status` and `settings` load only what they use and read only what they need.

Measured as Python sees it (`python -X importtime`, one line per module
imported), on the real entry point in a fresh interpreter.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from outcomes_cli.cli import cli
from tests.clinic import traced_statements

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
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "outcomes", *args], env=ENV,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    names = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines()
             if line.startswith("import time:")}
    assert "outcomes_cli.cli" in names  # the trace is really there
    return {name.split(".")[0] for name in names}


def test_help_loads_neither_pandas_nor_sqlite_nor_any_heavy_library():
    """`outcomes --help` lists the commands without pandas, numpy, sqlite-utils or the db modules."""
    loaded = imported("--help")
    assert not loaded & (HEAVY | {"pandas", "numpy", "sqlite_utils"})


@pytest.mark.parametrize("args", [("status", "P001", "--json"), ("status", "P001"), ("settings",),
                                  ("settings", "induction_sessions")])
def test_status_and_settings_load_no_chart_app_statistics_or_fhir_library(clinic, args):
    """`outcomes status ID` and `outcomes settings` never load matplotlib, Textual, Rich, scipy or fhir.resources."""
    loaded = imported("--db", str(clinic), *args)
    assert not loaded & HEAVY, loaded & HEAVY


def test_status_reads_only_that_patients_rows(clinic, monkeypatch):
    """Every read of clinical rows by `outcomes status ID` is limited to that patient."""
    statements = traced_statements(monkeypatch)
    result = CliRunner().invoke(cli, ["--db", str(clinic), "status", "P003", "--json"])
    assert result.exit_code == 0, result.output
    clinical = [s for s in statements if s.lstrip().upper().startswith("SELECT")
                and any(f" {t} " in f"{s} " for t in ("assessments", "infusions", "courses", "patient_details",
                                                        "alert_acknowledgements"))]
    assert clinical, statements
    assert all("'P003'" in s for s in clinical), [s for s in clinical if "'P003'" not in s]
