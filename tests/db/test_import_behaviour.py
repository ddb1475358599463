"""Accepted CSV imports: BOM, re-import without duplicates, dose confirmation, warnings, courses, audit."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import db
from outcomes_cli.cli import cli

PATIENTS = "patient_id,name,birth_date,weight_kg,notes\nP001,Alice Example,1980-04-02,70,\nP002,Bob Example,,82.5,likes tea\n"
ASSESSMENTS = (
    "patient_id,date,scale,items,total,rater,notes\n"
    "P001,2026-01-05,phq9,2 2 2 2 2 2 2 2 0,,self,\n"
    "P001,2026-01-07T09:00,phq9,,9,self,\n"
    "P002,2026-01-05,madrs,3 3 3 3 3 3 3 3 3 1,,Dr A,\n"
)


def invoke(db_path: Path, *args: str):
    return CliRunner().invoke(cli, ["--db", str(db_path), *args])


def write(tmp_path: Path, name: str, text: str, bom: bool = False) -> Path:
    path = tmp_path / name
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


@pytest.fixture
def with_patients(tmp_path: Path) -> Path:
    """A database with P001 and P002 imported from patients.csv."""
    path = tmp_path / "clinic.db"
    result = invoke(path, "import", "patients", str(write(tmp_path, "patients.csv", PATIENTS)))
    assert result.exit_code == 0, result.output
    return path


def counts(path: Path) -> dict[str, int]:
    database = db.connect(path)
    try:
        return db.record_counts(database)
    finally:
        database.close()


def test_spreadsheet_bom_is_accepted(tmp_path):
    """A UTF-8 file with a byte-order mark (as spreadsheets save it) imports normally."""
    path = tmp_path / "clinic.db"
    result = invoke(
        path, "import", "patients", str(write(tmp_path, "patients.csv", PATIENTS, bom=True))
    )
    assert result.exit_code == 0, result.output
    database = db.connect(path)
    assert db.patient_ids(database) == ["P001", "P002"]
    assert db.get_patient(database, "P002")["weight_kg"] == 82.5
    database.close()


def test_reimporting_the_same_rows_skips_them_and_says_how_many(with_patients, tmp_path):
    """Importing the same assessments twice stores them once and reports the skipped rows."""
    file = write(tmp_path, "assessments.csv", ASSESSMENTS)
    first = invoke(with_patients, "import", "assessments", str(file))
    assert first.exit_code == 0 and "Imported 3 assessments" in first.output
    again = invoke(with_patients, "import", "assessments", str(file))
    assert again.exit_code == 0, again.output
    assert "Imported 0 assessments" in again.output and "3 rows skipped" in again.output
    assert counts(with_patients)["assessments"] == 3
    patients_again = invoke(with_patients, "import", "patients", str(tmp_path / "patients.csv"))
    assert patients_again.exit_code == 0 and "2 rows skipped" in patients_again.output


def test_identical_rows_within_one_file_are_stored_once(with_patients, tmp_path):
    """A row repeated word for word inside one file is stored once and counted as skipped."""
    lines = ASSESSMENTS.splitlines()
    file = write(tmp_path, "assessments.csv", "\n".join(lines + [lines[1]]) + "\n")
    result = invoke(with_patients, "import", "assessments", str(file))
    assert result.exit_code == 0 and "1 row skipped" in result.output
    assert counts(with_patients)["assessments"] == 3


def test_unusual_dose_is_imported_only_with_confirmation(with_patients, tmp_path):
    """A 1.5 mg/kg dose is refused without --confirm-unusual-doses and stored (with its alert) with it."""
    file = write(tmp_path, "infusions.csv", "patient_id,date,dose_mg_per_kg\nP001,2026-01-06,1.5\n")
    assert invoke(with_patients, "import", "infusions", str(file)).exit_code == 1
    result = invoke(with_patients, "import", "infusions", str(file), "--confirm-unusual-doses")
    assert result.exit_code == 0, result.output
    database = db.connect(with_patients)
    frame = db.load_clinic(database).infusions
    database.close()
    assert frame["dose_mg_per_kg"].tolist() == [1.5]


def test_blood_pressure_at_hold_threshold_warns_and_saves(with_patients, tmp_path):
    """A pre-infusion 160/100 prints a warning naming the line and is saved."""
    file = write(
        tmp_path,
        "infusions.csv",
        "patient_id,date,dose_mg_per_kg,bp_systolic_pre,bp_diastolic_pre\n"
        "P001,2026-01-06,0.5,160,100\n",
    )
    result = invoke(with_patients, "import", "infusions", str(file))
    assert result.exit_code == 0, result.output
    assert "infusions.csv line 2" in result.output and "hold threshold" in result.output
    assert counts(with_patients)["infusions"] == 1


def test_course_column_is_kept_and_missing_course_joins_the_latest(with_patients, tmp_path):
    """Rows with a course column keep it; rows without one join the patient's latest course."""
    first = write(
        tmp_path,
        "infusions.csv",
        "patient_id,date,dose_mg_per_kg,course\nP001,2026-01-06,0.5,1\nP001,2026-03-06,0.5,2\n",
    )
    assert invoke(with_patients, "import", "infusions", str(first)).exit_code == 0
    later = write(
        tmp_path,
        "more.csv",
        "patient_id,date,dose_mg_per_kg\nP001,2026-03-08,0.5\nP002,2026-03-08,0.5\n",
    )
    assert invoke(with_patients, "import", "infusions", str(later)).exit_code == 0
    database = db.connect(with_patients)
    frame = db.load_clinic(database).infusions
    database.close()
    got = {
        (p, g): c
        for p, g, c in zip(frame["patient_id"], frame["given_at"], frame["course"], strict=False)
    }
    assert got == {
        ("P001", "2026-01-06"): 1,
        ("P001", "2026-03-06"): 2,
        ("P001", "2026-03-08"): 2,
        ("P002", "2026-03-08"): 1,
    }


def test_an_import_is_one_audited_event_naming_the_file(with_patients, tmp_path):
    """The history of an imported assessment shows the import, its file and the ids it added."""
    file = write(tmp_path, "assessments.csv", ASSESSMENTS)
    assert invoke(with_patients, "import", "assessments", str(file)).exit_code == 0
    database = db.connect(with_patients)
    ids = db.load_clinic(database).assessments["assessment_id"].tolist()
    history = db.history(database, "assessment", ids[0])
    database.close()
    assert history["action"].tolist() == ["import"]
    assert '"file": "assessments.csv"' in history["new_value"][0]
    assert f'"first_id": {min(ids)}' in history["new_value"][0]
    assert f'"last_id": {max(ids)}' in history["new_value"][0]


def test_total_only_record_is_marked(with_patients, tmp_path):
    """A total without items is stored total-only (items NULL)."""
    file = write(tmp_path, "assessments.csv", ASSESSMENTS)
    assert invoke(with_patients, "import", "assessments", str(file)).exit_code == 0
    database = db.connect(with_patients)
    frame = db.load_clinic(database).assessments
    total_only = database.conn.execute(
        "SELECT total_only, items FROM assessments WHERE total = 9"
    ).fetchone()
    database.close()
    assert total_only == (1, None)
    assert frame["items"].isna().sum() == 1


def test_items_typed_with_tabs_or_extra_spaces_are_stored_in_the_normal_form(
    with_patients, tmp_path
):
    """Item scores separated by tabs or several spaces are stored as single-space text."""
    file = write(
        tmp_path,
        "assessments.csv",
        "patient_id,date,scale,items\n"
        'P001,2026-01-05,gad7,"1\t2\t0\t1\t2\t0\t1"\nP001,2026-01-06,gad7, 1  2 0 1 2 0 2 \n',
    )
    result = invoke(with_patients, "import", "assessments", str(file))
    assert result.exit_code == 0, result.output
    database = db.connect(with_patients)
    items = db.load_clinic(database).assessments["items"].tolist()
    database.close()
    assert items == ["1 2 0 1 2 0 1", "1 2 0 1 2 0 2"]


def test_chunked_import_finds_duplicates_and_conflicts_across_chunks(
    with_patients, tmp_path, monkeypatch
):
    """Checked in chunks of 50 rows, a file still skips a repeat and refuses a contradiction far apart."""
    import db.imports

    monkeypatch.setattr(db.imports, "CHUNK_ROWS", 50)
    rows = [
        f"P00{1 + i % 2},2025-01-01T{i // 60:02d}:{i % 60:02d},gad7,,{i % 22}" for i in range(300)
    ]
    header = "patient_id,date,scale,items,total\n"
    ok = write(tmp_path, "ok.csv", header + "\n".join(rows + [rows[3]]) + "\n")
    result = invoke(with_patients, "import", "assessments", str(ok))
    assert (
        result.exit_code == 0
        and "Imported 300 assessments" in result.output
        and "1 row skipped" in result.output
    )
    bad = write(
        tmp_path,
        "bad.csv",
        header
        + "\n".join(
            rows[:5]
            + ["P009,2025-02-01,gad7,,3"]
            + [r.replace("2025-01-01", "2025-03-01") for r in rows]
            + [rows[7].replace("2025-01-01", "2025-03-01")[:-2] + ",1"]
        )
        + "\n",
    )
    before = counts(with_patients)
    refused = invoke(with_patients, "import", "assessments", str(bad))
    assert refused.exit_code == 1
    assert "bad.csv line 7, column patient_id" in refused.output  # unknown patient, first chunk
    assert (
        "bad.csv line 308: the gad7 of P002 on 2025-03-01T00:07 is also on line 15"
        in refused.output
    )
    assert counts(with_patients) == before
