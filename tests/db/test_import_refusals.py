"""Malformed CSV imports: each is refused whole, names file, line and column, and writes nothing."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

import db
from outcomes.validation import check_assessment, check_infusion, check_patient
from outcomes_cli.cli import cli

TODAY = date.today()
WHO = "Dr Test"

PATIENTS_HEADER = "patient_id,name,birth_date,weight_kg,notes\n"
INFUSIONS_HEADER = (
    "patient_id,date,dose_mg_per_kg,route,bp_systolic_pre,bp_diastolic_pre,side_effects\n"
)
ASSESSMENTS_HEADER = "patient_id,date,scale,items,total,rater\n"
GOOD_PHQ9 = "1 1 1 1 1 1 1 1 0"


@pytest.fixture
def clinic(tmp_path: Path) -> Path:
    """A closed database holding P001 and P002 with an infusion and an assessment each."""
    path = tmp_path / "clinic.db"
    database = db.connect(path)
    for pid, name in (("P001", "Alice Example"), ("P002", "Bob Example")):
        db.add_patient(
            database, check_patient({"patient_id": pid, "name": name}, TODAY).values, WHO
        )
        inf = check_infusion(
            {"patient_id": pid, "date": "2026-01-06T10:00", "dose_mg_per_kg": "0.5"}, None, TODAY
        )
        db.add_infusion(database, inf.values, WHO)
        a = check_assessment(
            {"patient_id": pid, "date": "2026-01-05", "scale": "phq9", "items": GOOD_PHQ9}, TODAY
        )
        db.add_assessment(database, a.values, WHO)
    database.close()
    return path


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run(db_path: Path, kind: str, file: Path, *extra: str):
    return CliRunner().invoke(cli, ["--db", str(db_path), "import", kind, str(file), *extra])


# (id, kind, file content (str or bytes), text the message must contain)
CASES = [
    # patients
    ("empty-file", "patients", "", "patients.csv: the file is empty"),
    (
        "missing-id-column",
        "patients",
        "name\nAlice\n",
        "line 1: required column patient_id missing",
    ),
    (
        "unknown-column",
        "patients",
        "patient_id,colour\nP9,red\n",
        "line 1, column 2: column 'colour' is not known",
    ),
    (
        "duplicate-header",
        "patients",
        "patient_id,name,name\nP9,a,b\n",
        "line 1: column 'name' appears twice",
    ),
    (
        "id-too-long",
        "patients",
        PATIENTS_HEADER + "P" * 65 + ",x,,,\n",
        "line 2, column patient_id",
    ),
    (
        "blank-id-among-good",
        "patients",
        PATIENTS_HEADER + "P9,A,,,\n,B,,,\n",
        "line 3, column patient_id",
    ),
    (
        "birth-day-first",
        "patients",
        PATIENTS_HEADER + "P9,A,05/01/1980,,\n",
        "line 2, column birth_date",
    ),
    (
        "birth-impossible",
        "patients",
        PATIENTS_HEADER + "P9,A,1980-02-30,,\n",
        "not a real calendar date",
    ),
    ("birth-future", "patients", PATIENTS_HEADER + "P9,A,2099-01-01,,\n", "is in the future"),
    ("weight-text", "patients", PATIENTS_HEADER + "P9,A,,heavy,\n", "line 2, column weight_kg"),
    ("weight-range", "patients", PATIENTS_HEADER + "P9,A,,900,\n", "outside the plausible range"),
    (
        "too-many-values",
        "patients",
        PATIENTS_HEADER + "P9,A,,70,,extra\n",
        "line 2: 6 values but the header has 5",
    ),
    (
        "same-id-twice-differs",
        "patients",
        PATIENTS_HEADER + "P9,Ann,,,\nP9,Anne,,,\n",
        "line 3: patient P9 is also on line 2",
    ),
    (
        "existing-id-differs",
        "patients",
        PATIENTS_HEADER + "P001,Alicia Example,,,\n",
        "line 2: patient P001 is already recorded with different values",
    ),
    (
        "not-utf8",
        "patients",
        PATIENTS_HEADER.encode() + "P9,Jos\xe9,,,\n".encode("latin-1"),
        "line 2, column name: the file is not UTF-8",
    ),
    ("unclosed-quote", "patients", PATIENTS_HEADER + 'P9,"Ann,,,\n', "the CSV cannot be read"),
    (
        "birth-year-1",
        "patients",
        PATIENTS_HEADER + "P9,A,0001-01-01,,\n",
        "outside the plausible range 1900-01-01 to",
    ),
    (
        "weight-python-underscore",
        "patients",
        PATIENTS_HEADER + "P9,A,,7_0,\n",
        "line 2, column weight_kg: weight '7_0' is not a number",
    ),
    (
        "weight-exponent",
        "patients",
        PATIENTS_HEADER + "P9,A,,7e1,\n",
        "weight '7e1' is not a number",
    ),
    (
        "weight-arabic-digits",
        "patients",
        PATIENTS_HEADER + "P9,A,,\u0667\u0660,\n",
        "is not a number",
    ),
    (
        "weight-thousands-of-digits",
        "patients",
        PATIENTS_HEADER + "P9,A,," + "7" * 5000 + ",\n",
        "line 2, column weight_kg: weight '777777777777'... (5000 characters) is not a number",
    ),
    (
        "id-zero-width-space",
        "patients",
        PATIENTS_HEADER + "P001\u200b,Twin,,,\n",
        "line 2, column patient_id: patient id holds an invisible or control character (U+200B ZERO WIDTH SPACE)",
    ),
    (
        "id-no-break-space",
        "patients",
        PATIENTS_HEADER + "P\u00a0001,Twin,,,\n",
        "U+00A0 NO-BREAK SPACE",
    ),
    ("id-inner-tab", "patients", PATIENTS_HEADER + '"P\t001",Twin,,,\n', "U+0009"),
    ("id-direction-override", "patients", PATIENTS_HEADER + "P\u202e100,Twin,,,\n", "U+202E"),
    (
        "row-one-field-short",
        "patients",
        PATIENTS_HEADER + "P9,A,70,\n",
        "line 2: 4 values but the header has 5 columns",
    ),
    # infusions
    (
        "no-dose-column",
        "infusions",
        "patient_id,date\nP001,2026-01-08\n",
        "a 'dose_mg_per_kg' column (ketamine) or a 'dose_mg' column (esketamine) is required",
    ),
    (
        "dose-text",
        "infusions",
        INFUSIONS_HEADER + "P001,2026-01-08,abc,iv,,,\n",
        "line 2, column dose_mg_per_kg",
    ),
    (
        "dose-five",
        "infusions",
        INFUSIONS_HEADER + "P001,2026-01-08,5,iv,,,\n",
        "refused as an entry error",
    ),
    (
        "dose-zero",
        "infusions",
        INFUSIONS_HEADER + "P001,2026-01-08,0,iv,,,\n",
        "refused as an entry error",
    ),
    (
        "dose-unconfirmed",
        "infusions",
        INFUSIONS_HEADER + "P001,2026-01-08,1.5,iv,,,\n",
        "--confirm-unusual-doses",
    ),
    (
        "unknown-patient",
        "infusions",
        INFUSIONS_HEADER + "P999,2026-01-08,0.5,iv,,,\n",
        "line 2, column patient_id: patient 'P999' is not known",
    ),
    (
        "unknown-route",
        "infusions",
        INFUSIONS_HEADER + "P001,2026-01-08,0.5,rectal,,,\n",
        "column route",
    ),
    (
        "unknown-side-effect",
        "infusions",
        INFUSIONS_HEADER + "P001,2026-01-08,0.5,iv,,,sneezing\n",
        "column side_effects",
    ),
    (
        "bp-swapped",
        "infusions",
        INFUSIONS_HEADER + "P001,2026-01-08,0.5,iv,80,90,\n",
        "are the two swapped",
    ),
    (
        "infusion-day-first",
        "infusions",
        INFUSIONS_HEADER + "P001,08/01/2026,0.5,iv,,,\n",
        "ambiguous",
    ),
    (
        "infusion-timezone",
        "infusions",
        INFUSIONS_HEADER + "P001,2026-01-08T10:00+01:00,0.5,iv,,,\n",
        "line 2, column date",
    ),
    (
        "infusion-future",
        "infusions",
        INFUSIONS_HEADER + "P001,2099-01-08,0.5,iv,,,\n",
        "is in the future",
    ),
    (
        "course-zero",
        "infusions",
        "patient_id,date,dose_mg_per_kg,course\nP001,2026-01-08,0.5,0\n",
        "line 2, column course",
    ),
    (
        "heart-rate-range",
        "infusions",
        "patient_id,date,dose_mg_per_kg,heart_rate_pre\nP001,2026-01-08,0.5,400\n",
        "column heart_rate_pre",
    ),
    (
        "one-bad-among-good",
        "infusions",
        INFUSIONS_HEADER
        + "P001,2026-01-08,0.5,iv,,,\nP001,2026-01-10,9,iv,,,\nP002,2026-01-08,0.5,iv,,,\n",
        "line 3, column dose_mg_per_kg",
    ),
    (
        "stored-infusion-differs",
        "infusions",
        INFUSIONS_HEADER + "P001,2026-01-06T10:00,0.6,iv,,,\n",
        "line 2: the infusion of P001 on 2026-01-06T10:00 is already recorded with different values",
    ),
    (
        "missing-middle-field",
        "infusions",
        INFUSIONS_HEADER + "P001,2026-01-08,0.5,iv,150,\n",
        "line 2: 6 values but the header has 7 columns",
    ),
    (
        "truncated-file",
        "infusions",
        INFUSIONS_HEADER + "P001,2026-01-08,0.5,iv,,,\nP002,2026-01-0",
        "line 3: 2 values but the header has 7 columns",
    ),
    (
        "bp-python-underscore",
        "infusions",
        INFUSIONS_HEADER + "P001,2026-01-08,0.5,iv,1_2_0,80,\n",
        "line 2, column bp_systolic_pre: systolic pressure (pre) '1_2_0' is not a number",
    ),
    (
        "dose-underscore",
        "infusions",
        INFUSIONS_HEADER + "P001,2026-01-08,0_5,iv,,,\n",
        "column dose_mg_per_kg",
    ),
    (
        "dose-nan",
        "infusions",
        INFUSIONS_HEADER + "P001,2026-01-08,nan,iv,,,\n",
        "column dose_mg_per_kg",
    ),
    (
        "infusion-year-1999",
        "infusions",
        INFUSIONS_HEADER + "P001,1999-12-31,0.5,iv,,,\n",
        "infusion date 1999-12-31 is outside the plausible range 2000-01-01 to",
    ),
    # assessments
    (
        "total-thousands-of-digits",
        "assessments",
        ASSESSMENTS_HEADER + "P001,2026-01-08,phq9,," + "1" * 5000 + ",\n",
        "line 2, column total: PHQ-9 total '111111111111'... (5000 characters) is not a whole number",
    ),
    (
        "items-thousands-of-digits",
        "assessments",
        ASSESSMENTS_HEADER + "P001,2026-01-08,phq9,1 1 1 1 1 1 1 1 " + "1" * 5000 + ",,\n",
        "line 2, column items: PHQ-9 item 9",
    ),
    (
        "item-underscore",
        "assessments",
        ASSESSMENTS_HEADER + "P001,2026-01-08,phq9,1 1 1 1 1 1 1 1 0_0,,\n",
        "is not a whole number",
    ),
    (
        "assessment-year-1",
        "assessments",
        ASSESSMENTS_HEADER + "P001,0001-01-01,phq9,,10,\n",
        "assessment date 0001-01-01 is outside the plausible range 2000-01-01 to",
    ),
    (
        "unknown-scale",
        "assessments",
        ASSESSMENTS_HEADER + "P001,2026-01-08,phq8,,10,\n",
        "scale 'phq8' is not known",
    ),
    (
        "eight-items",
        "assessments",
        ASSESSMENTS_HEADER + "P001,2026-01-08,phq9,1 1 1 1 1 1 1 1,,\n",
        "PHQ-9 has 9 items but 8 were given",
    ),
    (
        "item-range",
        "assessments",
        ASSESSMENTS_HEADER + "P001,2026-01-08,phq9,4 1 1 1 1 1 1 1 0,,\n",
        "PHQ-9 item 1",
    ),
    (
        "item-text",
        "assessments",
        ASSESSMENTS_HEADER + "P001,2026-01-08,phq9,x 1 1 1 1 1 1 1 0,,\n",
        "is not a whole number",
    ),
    (
        "total-mismatch",
        "assessments",
        ASSESSMENTS_HEADER + f"P001,2026-01-08,phq9,{GOOD_PHQ9},12,\n",
        "does not match the items",
    ),
    (
        "total-range",
        "assessments",
        ASSESSMENTS_HEADER + "P001,2026-01-08,phq9,,30,\n",
        "allowed 0-27",
    ),
    (
        "total-fraction",
        "assessments",
        ASSESSMENTS_HEADER + "P001,2026-01-08,gad7,,12.5,\n",
        "not a whole number",
    ),
    (
        "neither-items-nor-total",
        "assessments",
        ASSESSMENTS_HEADER + "P001,2026-01-08,phq9,,,\n",
        "give the item scores or a total",
    ),
    (
        "missing-date",
        "assessments",
        ASSESSMENTS_HEADER + "P001,,phq9,,10,\n",
        "line 2, column date",
    ),
    (
        "impossible-date",
        "assessments",
        ASSESSMENTS_HEADER + "P001,2026-13-01,phq9,,10,\n",
        "line 2, column date",
    ),
    (
        "no-items-or-total-column",
        "assessments",
        "patient_id,date,scale\nP001,2026-01-08,phq9\n",
        "an 'items' or a 'total' column is required",
    ),
    (
        "assessment-unknown-patient",
        "assessments",
        ASSESSMENTS_HEADER + "P404,2026-01-08,phq9,,10,\n",
        "patient 'P404' is not known",
    ),
    (
        "stored-assessment-differs",
        "assessments",
        ASSESSMENTS_HEADER + "P001,2026-01-05,phq9,,20,\n",
        "is already recorded with different values",
    ),
    (
        "madrs-item-range",
        "assessments",
        ASSESSMENTS_HEADER + "P001,2026-01-08,madrs,7 0 0 0 0 0 0 0 0 0,,\n",
        "MADRS item 1",
    ),
]


@pytest.mark.parametrize("case_id, kind, content, expected", CASES, ids=[c[0] for c in CASES])
def test_malformed_import_is_refused_and_writes_nothing(
    clinic, tmp_path, case_id, kind, content, expected
):
    """A malformed file exits 1, says where and why, and leaves the database byte-for-byte unchanged."""
    file = tmp_path / f"{kind}.csv"
    file.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    before = digest(clinic)
    result = run(clinic, kind, file)
    assert result.exit_code == 1, result.output
    assert expected in result.output
    assert f"{kind}.csv" in result.output
    assert "Traceback" not in result.output
    assert digest(clinic) == before


def test_there_are_at_least_thirty_distinct_refusals():
    """The refusal table covers at least 30 distinct malformed inputs across the three kinds."""
    assert len({c[0] for c in CASES}) >= 30
    assert {c[1] for c in CASES} == {"patients", "infusions", "assessments"}


def test_every_bad_row_is_listed_not_just_the_first(clinic, tmp_path):
    """A file with three bad rows names all three lines."""
    file = tmp_path / "assessments.csv"
    file.write_text(
        ASSESSMENTS_HEADER + "P001,2026-01-08,phq9,,30,\nP001,2026-01-09,phq9,,10,\n"
        "P001,2026-01-10,phq9,,31,\nP001,2099-01-01,phq9,,3,\n"
    )
    result = run(clinic, "assessments", file)
    assert result.exit_code == 1
    for line in (2, 4, 5):
        assert f"assessments.csv line {line}, column" in result.output
    assert "line 3," not in result.output
    assert "3 problems found" in result.output


def test_refused_import_into_a_new_path_creates_no_database(tmp_path):
    """A refused file never creates the database it was meant for."""
    file = tmp_path / "patients.csv"
    file.write_text(PATIENTS_HEADER + "P1,A,2099-01-01,,\n")
    target = tmp_path / "new" / "clinic.db"
    result = run(target, "patients", file)
    assert result.exit_code == 1
    assert not target.exists()


def test_header_only_file_imports_as_nothing(clinic, tmp_path):
    """A header-only file (an export of an empty table) imports as nothing, says so, and writes nothing."""
    for kind, header in (
        ("patients", PATIENTS_HEADER),
        ("infusions", INFUSIONS_HEADER),
        ("assessments", ASSESSMENTS_HEADER),
    ):
        file = tmp_path / f"{kind}.csv"
        file.write_text(header, encoding="utf-8")
        before = digest(clinic)
        result = run(clinic, kind, file)
        assert result.exit_code == 0, result.output
        assert f"Nothing to import: {kind}.csv has a header but no rows" in result.output
        assert digest(clinic) == before


def test_a_device_as_import_file_is_refused(clinic):
    """/dev/zero (endless bytes) is refused at once as not a regular file, not read until memory runs out."""
    result = run(clinic, "patients", Path("/dev/zero"))
    assert result.exit_code == 1
    assert "/dev/zero is not a regular file" in result.output


def test_ids_are_stored_in_nfc(clinic, tmp_path):
    """An id typed with a combining accent and one typed precomposed are the same patient."""
    file = tmp_path / "patients.csv"
    file.write_text(PATIENTS_HEADER + "Jose\u0301-1,A,,,\n", encoding="utf-8")
    assert run(clinic, "patients", file).exit_code == 0
    file.write_text(PATIENTS_HEADER + "Jos\u00e9-1,A,,,\n", encoding="utf-8")
    result = run(clinic, "patients", file)
    assert result.exit_code == 0 and "1 row skipped" in result.output
    database = db.connect(clinic)
    try:
        assert "Jos\u00e9-1" in db.patient_ids(database)
    finally:
        database.close()
