"""Issue 21's small inconsistencies, each through the real command line.

Another script's digits in a setting (imports refuse them), "PHQ-9" in an import's scale column
(settings and --scale take it), refusals that rounded the refused value into an allowed one,
damage found in the middle of a read told as a program error, and an empty path meaning the
current folder.
"""

from __future__ import annotations

import os
from pathlib import Path

from click.testing import CliRunner

import db
from outcomes.validation import check_infusion
from outcomes_cli.cli import cli


def invoke(path: Path, *args: str):
    return CliRunner().invoke(cli, ["--db", str(path), *args])


def test_a_setting_takes_only_ascii_digits(clinic_db):
    """'٦' (Arabic-Indic six) and '1_0' are refused as imports refuse them; nothing is stored."""
    for typed in ("٦", "1_0", "٨/٩٠"):
        key = "esketamine_bp_caution" if "/" in typed else "induction_sessions"
        result = invoke(clinic_db, "settings", key, typed)
        assert result.exit_code == 1, (typed, result.output)
        assert "is not" in result.output
    assert db.stored_settings(db.connect(clinic_db)).get("induction_sessions") is None


def test_phq_9_is_one_scale_in_an_import_as_in_settings(clinic_db, tmp_path):
    """'PHQ-9' in the scale column imports as phq9, as `settings primary_scale PHQ-9` takes it."""
    assert invoke(clinic_db, "settings", "primary_scale", "PHQ-9").exit_code == 0
    source = tmp_path / "a.csv"
    source.write_text("patient_id,date,scale,total\nP001,2026-02-01,PHQ-9,5\n")
    result = invoke(clinic_db, "import", "assessments", str(source))
    assert result.exit_code == 0, result.output
    stored = db.load_clinic(db.connect(clinic_db), "P001").assessments
    assert "2026-02-01" in set(stored[stored["scale"] == "phq9"]["taken_at"])


def test_a_refusal_shows_the_refused_value_exactly():
    """56.00001 mg and 0.09999999999999999 mg/kg are named as read, not rounded to allowed values."""
    esk = check_infusion(
        {"patient_id": "P1", "date": "2026-01-07", "drug": "esketamine", "dose_mg": "56.00001"}
    )
    assert any("56.00001 mg" in p.message for p in esk.errors), esk.problems
    ket = check_infusion(
        {"patient_id": "P1", "date": "2026-01-07", "dose_mg_per_kg": "0.09999999999999999"}
    )
    messages = " ".join(p.message for p in ket.problems)
    assert "0.09999999999999999" in messages, messages  # as typed, never rounded to 0.1


def test_damage_found_mid_read_gets_the_damaged_file_message(tmp_path):
    """A file that opens but holds malformed pages: the damaged-file words, not 'something went wrong'."""
    path = tmp_path / "clinic.db"
    assert invoke(path, "demo", "--patients", "30", "--seed", "1").exit_code == 0
    size = path.stat().st_size
    with open(path, "r+b") as handle:
        for offset in range(size // 2, size // 2 + 40960, 4096):
            handle.seek(offset + 100)
            handle.write(os.urandom(600))
    result = invoke(path, "export", "csv", str(tmp_path / "out"))
    assert result.exit_code == 1
    assert "damaged" in result.output and "something went wrong" not in result.output


def test_an_empty_path_is_refused_not_taken_for_the_current_folder(
    clinic_db, tmp_path, monkeypatch
):
    """`export csv ""` and `report --out ""` write nothing into the current folder."""
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    for args in (("export", "csv", ""), ("report", "--out", "")):
        result = invoke(clinic_db, *args)
        assert result.exit_code == 1, (args, result.output)
        assert "the path is empty" in result.output
    assert list(here.iterdir()) == []
