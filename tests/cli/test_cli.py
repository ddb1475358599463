"""The `outcomes` command: entry points, exit statuses, status JSON, settings, tui/demo/report guards."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

import db
from outcomes.settings import SETTING_SPECS
from outcomes_cli.cli import cli

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}


def invoke(db_path: Path, *args: str, **kwargs):
    return CliRunner().invoke(cli, ["--db", str(db_path), *args], **kwargs)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def clinic(tmp_path_factory) -> Path:
    """A demo clinic of 30 patients made through `outcomes demo`."""
    path = tmp_path_factory.mktemp("cli") / "clinic.db"
    result = invoke(path, "demo", "--patients", "30", "--seed", "3")
    assert result.exit_code == 0, result.output
    return path


def test_python_dash_m_outcomes_help_lists_the_commands():
    """`python -m outcomes --help` runs the real entry point and lists every command."""
    done = subprocess.run(
        [sys.executable, "-m", "outcomes", "--help"],
        env=ENV,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    for command in ("tui", "demo", "import", "export", "status", "report", "settings", "backup"):
        assert command in done.stdout


def test_usage_errors_exit_2(clinic):
    """An unknown command, a missing argument or a bad --scale is a usage error (exit 2)."""
    assert invoke(clinic, "frobnicate").exit_code == 2
    assert invoke(clinic, "status").exit_code == 2
    assert invoke(clinic, "status", "P001", "--scale", "phq8").exit_code == 2


STATUS_KEYS = {
    "patient_id",
    "scale",
    "baseline",
    "sessions_completed",
    "latest",
    "status",
    "first_response",
    "six_session_verdict",
    "relapse",
    "relief_days",
    "relief_censored",
    "alerts",
}


def test_status_json_follows_the_interface_schema(clinic):
    """`status ID --json` prints the interface.md document for every demo patient."""
    database = db.connect(clinic)
    ids = db.patient_ids(database)
    database.close()
    seen_status = set()
    for pid in ids:
        result = invoke(clinic, "status", pid, "--json")
        assert result.exit_code == 0, result.output
        doc = json.loads(result.stdout)
        assert STATUS_KEYS <= set(doc)
        assert doc["patient_id"] == pid and doc["scale"] == "phq9"
        assert doc["status"] in {
            "remission",
            "response",
            "partial_response",
            "non_response",
            "no_baseline",
            None,
        }
        assert doc["six_session_verdict"] in {
            "responder",
            "non_responder",
            "incomplete",
            "in_progress",
            "no_baseline",
        }
        if doc["baseline"] is not None:
            assert set(doc["baseline"]) >= {"date", "score"}
            date.fromisoformat(doc["baseline"]["date"])
        if doc["latest"] is not None:
            assert set(doc["latest"]) >= {"date", "score", "percent_change"}
        if doc["first_response"] is not None:
            assert set(doc["first_response"]) >= {"session", "date", "days_from_first_infusion"}
        for alert in doc["alerts"]:
            assert set(alert) >= {"date", "kind", "detail"}
        seen_status.add(doc["status"])
    assert len(seen_status) >= 3


def test_status_text_is_a_readable_summary_and_scale_can_be_chosen(clinic):
    """Without --json the status is the labelled lines of the status card; --scale madrs is accepted."""
    result = invoke(clinic, "status", "P001")
    assert result.exit_code == 0
    assert "-session verdict:" in result.output and "Course:" in result.output
    assert "{" not in result.output
    assert invoke(clinic, "status", "P001", "--scale", "madrs", "--json").exit_code == 0


def test_status_of_an_unknown_patient_exits_1(clinic):
    """An unknown patient id is refused with exit 1 and a message naming it."""
    result = invoke(clinic, "status", "NOPE")
    assert result.exit_code == 1 and "'NOPE' is not known" in result.output


def test_settings_list_read_and_change(tmp_path):
    """`settings` lists every setting, reads one, and changes one with an audit row."""
    path = tmp_path / "clinic.db"
    db.connect(path).close()  # `settings` never creates a database (issue 10)
    listing = invoke(path, "settings")
    assert listing.exit_code == 0
    for spec in SETTING_SPECS:
        assert spec.key in listing.output
    assert invoke(path, "settings", "relapse_confirmations").output.strip() == "1"
    changed = invoke(path, "settings", "relapse_confirmations", "2")
    assert changed.exit_code == 0 and "relapse_confirmations = 2 (was 1)" in changed.output
    assert invoke(path, "settings", "relapse_confirmations").output.strip() == "2"
    assert "* relapse_confirmations" in invoke(path, "settings").output
    database = db.connect(path)
    assert db.history(database, "setting", "relapse_confirmations")["who"].tolist() == [
        db.current_user()
    ]
    database.close()


@pytest.mark.parametrize(
    "key, value, expected",
    [
        ("relapse_confirmations", "3", "out of range"),
        ("booster_ends_relief", "maybe", "true or false"),
        ("primary_scale", "cadss", "not allowed"),
        ("followup_schedule_days", "soon", "comma-separated"),
        ("no_such_setting", "1", "unknown setting"),
    ],
)
def test_settings_refusals_exit_1_and_write_nothing(tmp_path, key, value, expected):
    """A refused setting exits 1 with the reason, and the database file is unchanged."""
    path = tmp_path / "clinic.db"
    db.connect(path).close()
    before = digest(path)
    result = invoke(path, "settings", key, value)
    assert result.exit_code == 1 and expected in result.output
    assert "Traceback" not in result.output
    assert digest(path) == before


def test_reading_an_unknown_setting_exits_1(tmp_path):
    """`settings KEY` for an unknown key exits 1 and lists the known ones."""
    result = invoke(tmp_path / "c.db", "settings", "colour")
    assert result.exit_code == 1 and "induction_sessions" in result.output


def test_demo_refuses_a_database_with_patients_unless_forced(clinic, tmp_path):
    """`demo` on a non-empty database exits 1; with --force it adds new patients beside the old."""
    copy = tmp_path / "copy.db"
    db.backup(clinic, copy)
    refused = invoke(copy, "demo", "--patients", "5")
    assert refused.exit_code == 1 and "already holds 30 patients" in refused.output
    forced = invoke(copy, "demo", "--patients", "5", "--force")
    assert forced.exit_code == 0, forced.output
    database = db.connect(copy)
    ids = db.patient_ids(database)
    database.close()
    assert len(ids) == 35 and ids[-1] == "P035"


def test_tui_demo_fills_an_empty_database_and_unknown_patient_exits_1(tmp_path):
    """`tui --demo --patient X` fills the empty database, then refuses the unknown patient before the app starts."""
    path = tmp_path / "fresh.db"
    done = invoke(path, "tui", "--demo", "--patient", "ZZZ")
    assert done.exit_code == 1
    assert "'ZZZ' is not known" in done.stderr and "Traceback" not in done.stderr
    database = db.connect(path)
    assert len(db.patient_ids(database)) == 60
    database.close()


def test_report_with_an_unknown_patient_exits_1(clinic, tmp_path):
    """`report --patient` with an unknown id is refused before any report is drawn."""
    result = invoke(clinic, "report", "--out", str(tmp_path / "out"), "--patient", "NOPE")
    assert result.exit_code == 1 and "'NOPE' is not known" in result.output
    assert not (tmp_path / "out").exists()


def test_backup_command_makes_a_consistent_copy(clinic, tmp_path):
    """`backup FILE` writes a copy that passes integrity_check and holds the same records."""
    target = tmp_path / "backup.db"
    result = invoke(clinic, "backup", str(target))
    assert result.exit_code == 0, result.output
    conn = sqlite3.connect(target)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    copied = conn.execute("SELECT count(*) FROM assessments").fetchone()[0]
    conn.close()
    database = db.connect(clinic)
    assert copied == database.conn.execute("SELECT count(*) FROM assessments").fetchone()[0]
    database.close()


def test_a_database_path_that_cannot_be_created_is_a_one_line_error(tmp_path):
    """A --db path under a plain file gives a short error and exit 1, no traceback."""
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    result = invoke(blocker / "clinic.db", "status", "P001")
    assert result.exit_code == 1
    assert result.output.startswith("error:") and "Traceback" not in result.output


def test_unexpected_failure_prints_a_short_message_and_logs_the_details(tmp_path):
    """A broken database (tables missing) gives one message naming a log file; the traceback goes there."""
    path = tmp_path / "broken.db"
    handle = db.connect(path)
    handle.conn.execute("PRAGMA foreign_keys = OFF")
    handle.conn.execute("DROP TRIGGER patient_details_never_deleted")
    handle.conn.execute("DROP TABLE patient_details")
    handle.conn.commit()
    handle.close()
    state = tmp_path / "state"
    done = subprocess.run(
        [sys.executable, "-m", "outcomes", "--db", str(path), "status", "P001"],
        env={**ENV, "XDG_STATE_HOME": str(state)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr and "something went wrong" in done.stderr
    logs = list(state.rglob("error.log"))
    assert logs and "Traceback" in logs[0].read_text()


def test_report_json_prints_the_cohort_summary_of_the_database(clinic, tmp_path):
    """`report --cohort-only --json` prints exactly the domain's cohort summary for this database."""
    from outcomes.cohort import summarise
    from outcomes.session_safety import session_safety
    from outcomes.status import analyse_clinic

    result = invoke(clinic, "report", "--out", str(tmp_path / "out"), "--cohort-only", "--json")
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    database = db.connect(clinic)
    data, settings = db.load_clinic(database), db.load_settings(database)
    database.close()
    cadss = {pid: patient.of_scale("cadss") for pid, patient in data.by_patient().items()}
    expected = summarise(
        analyse_clinic(data, "phq9", settings, date.today()),
        "phq9",
        settings.induction_sessions,
        cadss,
        safety=session_safety(data.by_patient().values(), settings),
    ).as_json()
    assert "safety" in expected
    assert printed == json.loads(json.dumps(expected))
    assert any((tmp_path / "out").rglob("*.pdf"))


@pytest.mark.parametrize(
    "args", [["--patient", "NOBODY"], ["--clinician", "Dr A", "--patient", "NOBODY"]]
)
def test_app_options_without_a_command_reach_the_app(clinic, args):
    """`outcomes --db FILE --patient X` goes to the app (the default command), not "Missing command"."""
    result = invoke(clinic, *args)
    assert result.exit_code == 1, result.output
    assert "NOBODY" in result.output and "not known" in result.output
    assert "Missing command" not in result.output
