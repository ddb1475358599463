"""The installed command in processes of its own: what in-process `CliRunner` tests cannot show.

Most command-line tests run the command in the test's process through click's
`CliRunner` (exit status, stdout and stderr are the same; starting Python
and importing pandas for every command is not). These few run the real
thing: the `outcomes` console script `pip install` made, `python -m
outcomes`, a report whose stderr is a terminal (the progress bar) drawn by
worker processes (`--jobs 2`), and commands with no standard input at all,
as from cron or a service.
"""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
from pathlib import Path

import pytest

#: The console script `pip install` put beside this Python.
CONSOLE_SCRIPT = Path(sys.executable).parent / "outcomes"
ENV = {**os.environ, "OUTCOMES_USER": "End To End"}
ENV.pop("OUTCOMES_DB", None)


def outcomes(*args, stdin=None) -> subprocess.CompletedProcess:
    """`python -m outcomes ARGS` in a new process."""
    return subprocess.run(
        [sys.executable, "-m", "outcomes", *map(str, args)],
        env=ENV,
        stdin=stdin,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def clinic(tmp_path_factory) -> Path:
    """A demo clinic of four patients, made by the console script."""
    path = tmp_path_factory.mktemp("e2e") / "clinic.db"
    done = subprocess.run(
        [str(CONSOLE_SCRIPT), "--db", str(path), "demo", "--patients", "4", "--seed", "5"],
        env=ENV,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "Added a demonstration clinic" in done.stdout
    return path


def test_the_console_script_and_python_dash_m_give_the_same_status(clinic):
    """`outcomes status P001 --json` through the console script and through `python -m outcomes`."""
    script = subprocess.run(
        [str(CONSOLE_SCRIPT), "--db", str(clinic), "status", "P001", "--json"],
        env=ENV,
        capture_output=True,
        text=True,
        timeout=120,
    )
    module = outcomes("--db", clinic, "status", "P001", "--json")
    assert script.returncode == module.returncode == 0, script.stderr + module.stderr
    assert json.loads(script.stdout) == json.loads(module.stdout)
    assert json.loads(script.stdout)["patient_id"] == "P001"


def _run_on_a_terminal(args: list[str]) -> tuple[int, str]:
    """Run `python -m outcomes ARGS` with stderr on a pseudo-terminal; (exit status, what it showed)."""
    master, slave = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "outcomes", *args],
        env=ENV,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=slave,
    )
    os.close(slave)
    shown = b""
    while True:
        ready, _, _ = select.select([master], [], [], 300)
        if not ready:
            process.kill()
            break
        try:
            chunk = os.read(master, 4096)
        except OSError:  # the terminal closed: every writer has gone
            break
        if not chunk:
            break
        shown += chunk
    os.close(master)
    return process.wait(timeout=60), shown.decode("utf-8", "replace")


def test_a_report_on_a_terminal_shows_the_progress_bar_and_its_workers_write_every_file(
    clinic, tmp_path
):
    """`report --jobs 2` with stderr on a terminal: a progress bar to 4/4, files from two workers."""
    out = tmp_path / "out"
    status, shown = _run_on_a_terminal(
        ["--db", str(clinic), "report", "--out", str(out), "--jobs", "2"]
    )
    assert status == 0, shown
    assert "patient reports [##############################] 4/4" in shown
    assert "report: 17 files written to" in shown
    assert len(list((out / "patients").glob("*.pdf"))) == 4


def test_without_a_terminal_there_is_no_progress_bar(clinic, tmp_path):
    """The same report with stderr a pipe: the summary line only."""
    done = outcomes("--db", clinic, "report", "--out", tmp_path / "out", "--patient", "P001")
    assert done.returncode == 0, done.stderr
    assert "patient reports [" not in done.stderr
    assert done.stderr.strip().startswith("report: 2 files written to")


def test_commands_run_with_no_standard_input_at_all(clinic, tmp_path):
    """From cron or a service (standard input closed, not a terminal): status, settings and export work."""
    closed_stdin = ["sh", "-c", 'exec "$0" "$@" <&-', sys.executable, "-m", "outcomes"]
    for args in (
        ["status", "P002"],
        ["settings", "induction_sessions"],
        ["export", "csv", str(tmp_path / "exported")],
    ):
        done = subprocess.run(
            [*closed_stdin, "--db", str(clinic), *args],
            env=ENV,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, (args, done.stderr)
        assert "Traceback" not in done.stderr
    assert sorted(p.name for p in (tmp_path / "exported").iterdir()) == [
        "assessments.csv",
        "infusions.csv",
        "patients.csv",
        "vitals.csv",
    ]
