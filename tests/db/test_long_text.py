"""Free text is bounded where it enters, and every export re-imports (issue 21).

A note of more than 131,072 characters (the CSV reader's default field limit) was stored, and its
export no longer re-imported ("field larger than field limit"). Now free text holds at most
`outcomes.typed_text.TEXT_MAX` characters, refused above with the length and the limit (each
importer with its line and column, every form through the same rule), and the reader's field limit
is above it, so the longest allowed note makes the round trip.
"""

from __future__ import annotations

from datetime import date

from click.testing import CliRunner

import db
from outcomes.typed_text import TEXT_MAX, text_problem
from outcomes.validation import check_assessment, check_patient
from outcomes_cli.cli import cli

TODAY = date(2026, 3, 1)


def invoke(path, *args):
    return CliRunner().invoke(cli, ["--db", str(path), *args])


def test_the_longest_allowed_note_makes_the_csv_round_trip(tmp_path):
    """A patient note and an assessment note of TEXT_MAX characters: exported, re-imported, equal."""
    assert TEXT_MAX > 131_072
    path = tmp_path / "clinic.db"
    database = db.connect(path)
    note = ("word " * TEXT_MAX)[: TEXT_MAX - 1] + "."
    db.add_patient(database, check_patient({"patient_id": "P1", "notes": note}, TODAY).values, "Dr")
    checked = check_assessment(
        {"patient_id": "P1", "date": "2026-01-05", "scale": "phq9", "total": "12", "notes": note},
        TODAY,
    )
    assert checked.ok, checked.problems
    db.add_assessment(database, checked.values, "Dr")
    database.close()
    out = tmp_path / "export"
    assert invoke(path, "export", "csv", str(out)).exit_code == 0
    fresh = tmp_path / "fresh.db"
    for kind in ("patients", "assessments"):
        result = invoke(fresh, "import", kind, str(out / f"{kind}.csv"))
        assert result.exit_code == 0, result.output
    back = db.load_clinic(db.connect(fresh))
    assert back.patients["notes"].tolist() == [note]
    assert back.assessments["notes"].tolist() == [note]


def test_a_longer_note_is_refused_where_it_enters(tmp_path):
    """One character over: the rule, the form's check and the CSV importer (line, column) refuse it."""
    long = "a" * (TEXT_MAX + 1)
    assert f"{TEXT_MAX + 1:,} characters" in text_problem(long, "notes", note=True)
    checked = check_patient({"patient_id": "P1", "notes": long}, TODAY)
    assert not checked.ok and f"at most {TEXT_MAX:,}" in checked.problems[0].message
    patients = tmp_path / "patients.csv"
    patients.write_text("patient_id,notes\nP1,ok\n")
    assert invoke(tmp_path / "c.db", "import", "patients", str(patients)).exit_code == 0
    assessments = tmp_path / "assessments.csv"
    assessments.write_text(f"patient_id,date,scale,total,notes\nP1,2026-01-05,phq9,12,{long}\n")
    result = invoke(tmp_path / "c.db", "import", "assessments", str(assessments))
    assert result.exit_code == 1 and "line 2" in result.output and "notes" in result.output
    assert f"at most {TEXT_MAX:,}" in result.output
    assert db.record_counts(db.connect(tmp_path / "c.db"))["assessments"] == 0
