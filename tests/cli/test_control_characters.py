"""Control characters in names, notes and text settings are refused at every input of the command line.

Each importer names the line, the column, the character and what is
allowed, and writes nothing; a note may break lines. `settings`,
`tui --clinician` and `$OUTCOMES_USER` (the name kept with a change) refuse
them too. Text stored before the rule keeps loading, shown escaped.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

import db
from outcomes_cli.cli import cli
from tests.clinic import add_infusion, add_patient, database_dump

ESC = "\x1b]0;owned\x07"


def run(db_path: Path, *args: str, env: dict | None = None):
    return CliRunner().invoke(cli, ["--db", str(db_path), *args], env=env)


@pytest.fixture
def clinic(tmp_path: Path) -> Path:
    path = tmp_path / "clinic.db"
    database = db.connect(path)
    add_patient(database, "P001", "Ada Example")
    add_infusion(database, "P001", "2026-01-06T09:00")
    database.close()
    return path


FILES = {
    "patients": ('patient_id,name,notes\nP002,Bea,fine\nP003,"Cy{bad}z",fine\n', 3, "name"),
    "infusions": (
        'patient_id,date,dose_mg_per_kg,notes\nP001,2026-01-08,0.5,"x{bad}z"\n',
        2,
        "notes",
    ),
    "assessments": (
        "patient_id,date,scale,items,rater,notes\n"
        'P001,2026-01-05,phq9,1 1 1 1 1 1 1 1 0,"R{bad}z",\n',
        2,
        "rater",
    ),
    "vitals": (
        "patient_id,session,at,heart_rate,notes\n"
        'P001,2026-01-06T09:00,2026-01-06T09:40,70,"n{bad}z"\n',
        2,
        "notes",
    ),
}


@pytest.mark.parametrize("kind", FILES)
@pytest.mark.parametrize(
    "bad, words",
    [
        (ESC, "U+001B escape"),
        ("\x85", "U+0085"),
        ("\u202e", "U+202E RIGHT-TO-LEFT OVERRIDE"),
        ("a\rb", "U+000D carriage return"),
    ],
)
def test_every_importer_refuses_control_characters_with_line_and_column(
    clinic, tmp_path, kind, bad, words
):
    text, line, column = FILES[kind]
    source = tmp_path / f"{kind}.csv"
    source.write_text(text.format(bad=bad), encoding="utf-8", newline="")
    before = database_dump(clinic)
    result = run(clinic, "import", kind, str(source))
    assert result.exit_code == 1, result.output
    assert (
        f"line {line}, column {column}: {column} holds a control character ({words})"
        in result.output
    )
    assert "printable text" in result.output
    assert "\x1b" not in result.output and "\x85" not in result.output  # never echoed raw
    assert database_dump(clinic) == before


def test_a_note_keeps_its_line_breaks_and_tabs_through_import_and_export(clinic, tmp_path):
    source = tmp_path / "patients.csv"
    source.write_text(
        'patient_id,name,notes\nP002,Bea,"seen by GP\r\nreferred\tMay"\n',
        encoding="utf-8",
        newline="",
    )
    assert run(clinic, "import", "patients", str(source)).exit_code == 0
    assert db.get_patient(db.connect(clinic), "P002")["notes"] == "seen by GP\r\nreferred\tMay"
    out = tmp_path / "out"
    assert run(clinic, "export", "csv", str(out)).exit_code == 0
    again = run(clinic, "import", "patients", str(out / "patients.csv"))
    assert again.exit_code == 0 and "identical records are already stored" in again.output


def test_settings_refuse_control_characters_in_clinic_name_and_crisis_text(clinic):
    before = database_dump(clinic)
    for key, value in (
        ("clinic_name", "Clinic\x1b[2J"),
        ("crisis_text", "Call\x07 988"),
        ("crisis_text", "Call 988\nnow"),
    ):
        result = run(clinic, "settings", key, value)
        assert result.exit_code == 1
        assert f"setting {key} holds a control character" in result.output
    assert database_dump(clinic) == before
    assert run(clinic, "settings", "clinic_name", "Clínica Sol [Norte]").exit_code == 0


def test_clinician_name_from_the_option_or_the_environment_is_checked(clinic):
    before = database_dump(clinic)
    result = run(clinic, "tui", "--clinician", "Dr\x1b[31m Red")
    assert (
        result.exit_code == 1
        and "--clinician holds a control character (U+001B escape)" in result.output
    )
    result = run(clinic, "settings", "clinic_name", "Sol", env={"OUTCOMES_USER": "nurse\x07"})
    assert result.exit_code == 1
    assert "$OUTCOMES_USER) holds a control character (U+0007 bell)" in result.output
    assert "nothing was saved" in result.output
    assert database_dump(clinic) == before


def test_text_stored_before_the_rule_still_loads_and_shows_escaped(clinic):
    conn = sqlite3.connect(clinic)
    conn.execute(
        "INSERT INTO settings (key, value, changed_at, changed_by) VALUES "
        "('clinic_name', 'Old\x1b[2Jclinic', '2026-01-01T00:00:00+00:00', 'old release')"
    )
    conn.commit()
    conn.close()
    result = run(clinic, "settings", "clinic_name")
    assert result.exit_code == 0 and result.output.strip() == "Old\\x1b[2Jclinic"
