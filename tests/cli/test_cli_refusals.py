"""The `outcomes` command against what a tired clinician types: clear words, exit 1 (2 for usage), nothing written."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

import db
from outcomes_cli.cli import cli

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
GOOD_PHQ9 = "1 1 1 1 1 1 1 1 0"


def invoke(db_path: Path, *args: str, **kwargs):
    return CliRunner().invoke(cli, ["--db", str(db_path), *args], **kwargs)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def refused(result, *words: str) -> None:
    """Exit 1, an `error:` line holding every word, and no traceback."""
    assert result.exit_code == 1, result.output
    assert result.output.startswith("error:") or "\nerror:" in result.output, result.output
    assert "Traceback" not in result.output
    for word in words:
        assert word in result.output, (word, result.output)


@pytest.fixture(scope="module")
def clinic(tmp_path_factory) -> Path:
    """A demo clinic of 8 patients plus Q-EMPTY, a patient with no infusions and no scores."""
    path = tmp_path_factory.mktemp("tired") / "clinic.db"
    assert invoke(path, "demo", "--patients", "8", "--seed", "5").exit_code == 0
    patients = path.parent / "empty.csv"
    patients.write_text("patient_id,name\nQ-EMPTY,Nobody Yet\n")
    assert invoke(path, "import", "patients", str(patients)).exit_code == 0
    return path


# ----- scale ids and patient ids ---------------------------------------------------


@pytest.mark.parametrize("typed", ["PHQ9", "phq-9", "PHQ-9", " phq9 ", "Phq 9"])
def test_scale_ids_are_read_case_and_dash_insensitively(clinic, typed):
    """`--scale PHQ-9` (and other spellings) means phq9: the same JSON as `--scale phq9`."""
    expected = json.loads(invoke(clinic, "status", "P001", "--scale", "phq9", "--json").stdout)
    result = invoke(clinic, "status", "P001", "--scale", typed, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == expected


def test_an_unknown_scale_is_a_usage_error_listing_the_scales(clinic):
    """`--scale phq8` exits 2 and names every allowed scale id."""
    result = invoke(clinic, "status", "P001", "--scale", "phq8")
    assert result.exit_code == 2 and "'phq8' is not a scale" in result.output
    assert "phq9, gad7, madrs, hamd17, qids_sr16, bdi2, cadss" in result.output


def test_patient_ids_ignore_surrounding_spaces_and_a_wrong_case_gets_a_suggestion(clinic):
    """' P001 ' finds P001; 'p001' is refused with 'did you mean P001?'."""
    assert invoke(clinic, "status", " P001 ").exit_code == 0
    refused(invoke(clinic, "status", "p001"), "'p001' is not known", "did you mean P001?")


def test_status_of_a_patient_without_scores_says_so(clinic):
    """A patient with no infusion and no score gets a plain summary and null fields, exit 0."""
    text = invoke(clinic, "status", "Q-EMPTY")
    assert text.exit_code == 0 and "no infusion given" in text.output
    doc = json.loads(invoke(clinic, "status", "Q-EMPTY", "--json").stdout)
    assert doc["baseline"] is None and doc["latest"] is None and doc["alerts"] == []


# ----- a database that is not there ------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ("status", "P001"),
        ("export", "csv", "OUT"),
        ("export", "fhir", "OUT.json"),
        ("report", "--out", "OUT", "--cohort-only"),
        ("tui", "--patient", "P001"),
        ("backup", "OUT.db"),
    ],
)
def test_commands_that_only_read_never_create_a_database(tmp_path, args):
    """A mistyped --db path is refused (exit 1) and no database file or output appears."""
    path = tmp_path / "typo" / "clinc.db"
    args = [a.replace("OUT", str(tmp_path / "out")) for a in args]
    refused(invoke(path, *args), str(path))
    assert not path.exists() and not path.parent.exists()
    assert not any(p.name.startswith("out") for p in tmp_path.iterdir())


def test_settings_never_create_a_database(tmp_path):
    """`settings` on a new path is refused with the path, listing or changing, and creates nothing (issue 10)."""
    path = tmp_path / "new.db"
    for args in (("settings",), ("settings", "relapse_confirmations", "2")):
        result = invoke(path, *args)
        assert result.exit_code == 1 and f"there is no clinic database at {path}" in result.output
    assert not path.exists()


# ----- files that are not what they should be ---------------------------------------


@pytest.mark.parametrize(
    "make, words",
    [
        (lambda tmp: tmp / "missing.csv", ["there is no file", "missing.csv"]),
        (lambda tmp: tmp / "no-folder" / "patients.csv", ["the folder", "does not exist either"]),
        (lambda tmp: tmp, ["is a folder; give the CSV file inside it"]),
    ],
)
def test_import_of_a_missing_file_or_a_folder_exits_1_and_writes_nothing(
    clinic, tmp_path, make, words
):
    """A missing file, a missing folder or a folder given as FILE: exit 1 (not a usage error), db unchanged."""
    before = digest(clinic)
    refused(invoke(clinic, "import", "patients", str(make(tmp_path))), *words)
    assert digest(clinic) == before


def test_excel_export_with_semicolons_bom_crlf_quotes_and_blank_lines_imports(tmp_path):
    """A European Excel CSV (BOM, ';', CRLF, quoted field with ';', trailing blank lines) imports as meant."""
    path = tmp_path / "clinic.db"
    data = (
        "\ufeffpatient_id;name;birth_date;weight_kg\r\n"
        'X1;"Smith; Ann";1980-01-02;70\r\n'
        " X2 ; Bob Jones ;1975-05-06; 80 \r\n"
        ";;;\r\n\r\n\r\n"
    )
    file = tmp_path / "patients.csv"
    file.write_bytes(data.encode("utf-8"))
    result = invoke(path, "import", "patients", str(file))
    assert result.exit_code == 0, result.output
    database = db.connect(path)
    assert db.get_patient(database, "X1")["name"] == "Smith; Ann"
    assert db.get_patient(database, "X2")["name"] == "Bob Jones"
    assert db.patient_ids(database) == ["X1", "X2"]
    database.close()


def test_latin1_file_is_refused_naming_line_column_and_how_to_save_it(clinic, tmp_path):
    """Bytes from a Windows 'CSV' save name the line, the column and the Excel 'CSV UTF-8' fix."""
    file = tmp_path / "patients.csv"
    file.write_bytes("patient_id,name\nZ1,Ann\nZ2,José\n".encode("latin-1"))
    before = digest(clinic)
    refused(
        invoke(clinic, "import", "patients", str(file)), "line 3, column name", "0xE9", "CSV UTF-8"
    )
    assert digest(clinic) == before


def test_decimal_comma_gets_a_hint(clinic, tmp_path):
    """A dose typed '0,5' is refused with the hint to write 0.5."""
    file = tmp_path / "infusions.csv"
    file.write_text("patient_id;date;dose_mg_per_kg\nP001;2026-01-05;0,5\n")
    refused(
        invoke(clinic, "import", "infusions", str(file)),
        "line 2, column dose_mg_per_kg",
        "write decimals with a point (0.5)",
    )


def test_items_typed_with_commas_are_told_to_use_spaces(clinic, tmp_path):
    """Items '1,1,1,...' (a quoted spreadsheet cell) are refused with 'separated by single spaces, not ','."""
    file = tmp_path / "assessments.csv"
    file.write_text('patient_id,date,scale,items\nP001,2026-01-05,phq9,"1,1,1,1,1,1,1,1,0"\n')
    refused(
        invoke(clinic, "import", "assessments", str(file)),
        "line 2, column items",
        "separated by single spaces, not ','",
    )


def test_bad_dates_are_each_listed_with_line_and_column(clinic, tmp_path):
    """5/1/2026, 2026-13-01, 'tomorrow' and a blank date are all listed in one refusal."""
    file = tmp_path / "assessments.csv"
    file.write_text(
        "patient_id,date,scale,items\n"
        f"P001,5/1/2026,phq9,{GOOD_PHQ9}\nP001,2026-13-01,phq9,{GOOD_PHQ9}\n"
        f"P001,tomorrow,phq9,{GOOD_PHQ9}\nP001,,phq9,{GOOD_PHQ9}\n"
    )
    before = digest(clinic)
    refused(
        invoke(clinic, "import", "assessments", str(file)),
        "4 problems",
        "line 2, column date",
        "ambiguous",
        "line 3, column date",
        "not a real calendar date",
        "line 4, column date",
        "line 5, column date: assessment date is required",
    )
    assert digest(clinic) == before


def test_scale_column_is_case_insensitive_and_a_near_miss_is_named(tmp_path):
    """'PHQ9' and ' Phq9 ' in the scale column import as phq9, and so does 'PHQ-9' (as `settings` and
    --scale take it, issue 21); an unknown scale is refused naming the allowed ones."""
    path = tmp_path / "clinic.db"
    (tmp_path / "p.csv").write_text("patient_id\nA1\n")
    assert invoke(path, "import", "patients", str(tmp_path / "p.csv")).exit_code == 0
    (tmp_path / "bad.csv").write_text(
        f"patient_id,date,scale,items\nA1,2026-01-04,PHQ-10,{GOOD_PHQ9}\n"
    )
    refused(
        invoke(path, "import", "assessments", str(tmp_path / "bad.csv")),
        "line 2, column scale",
        "'phq-10' is not known",
        "allowed: phq9",
    )
    (tmp_path / "a.csv").write_text(
        f"patient_id,date,scale,items\nA1,2026-01-05,PHQ9,{GOOD_PHQ9}\n"
        f"A1,2026-01-06, Phq9 ,{GOOD_PHQ9}\n"
        f"A1,2026-01-07,PHQ-9,{GOOD_PHQ9}\n"
    )
    result = invoke(path, "import", "assessments", str(tmp_path / "a.csv"))
    assert result.exit_code == 0, result.output
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT scale, count(*) FROM assessments GROUP BY scale").fetchall() == [
        ("phq9", 3)
    ]
    conn.close()


# ----- where output goes --------------------------------------------------------------


def test_backup_refuses_an_existing_file_a_folder_and_a_missing_folder(clinic, tmp_path):
    """No overwrite, no file into a folder path, no silently created folder; nothing appears."""
    existing = tmp_path / "old.db"
    existing.write_bytes(b"precious")
    refused(invoke(clinic, "backup", str(existing)), "already exists")
    assert existing.read_bytes() == b"precious"
    refused(invoke(clinic, "backup", str(tmp_path)), "is a folder")
    refused(invoke(clinic, "backup", str(tmp_path / "usb-bakcup" / "b.db")), "does not exist")
    assert not (tmp_path / "usb-bakcup").exists()


def test_export_csv_never_overwrites_an_earlier_export(clinic, tmp_path):
    """A folder already holding patients.csv is refused and the old file is untouched."""
    out = tmp_path / "export"
    out.mkdir()
    (out / "patients.csv").write_text("an older export\n")
    refused(invoke(clinic, "export", "csv", str(out)), "already holds patients.csv")
    assert (out / "patients.csv").read_text() == "an older export\n"
    assert sorted(p.name for p in out.iterdir()) == ["patients.csv"]
    other = tmp_path / "other"
    other.mkdir()
    (other / "readme.txt").write_text("x")
    assert invoke(clinic, "export", "csv", str(other)).exit_code == 0  # unrelated files are fine


def test_export_fhir_refuses_an_existing_file_and_a_folder(clinic, tmp_path):
    """An existing FHIR file is not overwritten; a folder given as FILE is refused."""
    target = tmp_path / "bundle.json"
    target.write_text("{}")
    refused(invoke(clinic, "export", "fhir", str(target)), "already exists")
    assert target.read_text() == "{}"
    refused(invoke(clinic, "export", "fhir", str(tmp_path)), "is a folder")


def test_report_out_pointing_at_a_file_or_under_a_missing_folder_is_refused(clinic, tmp_path):
    """`report --out FILE` and `--out missing/deeper` exit 1 before any chart is drawn."""
    blocker = tmp_path / "notes.txt"
    blocker.write_text("x")
    refused(
        invoke(clinic, "report", "--out", str(blocker), "--cohort-only"), "is a file, not a folder"
    )
    refused(
        invoke(clinic, "report", "--out", str(tmp_path / "missing" / "deeper"), "--cohort-only"),
        "does not exist",
    )
    assert not (tmp_path / "missing").exists()


# ----- settings -----------------------------------------------------------------------


def test_settings_keys_and_scale_values_are_read_as_meant(tmp_path):
    """'PRIMARY-SCALE' is primary_scale and 'MADRS' is madrs; a near-miss key gets a suggestion."""
    path = tmp_path / "clinic.db"
    db.connect(path).close()  # `settings` changes a clinic's database; it never makes one
    result = invoke(path, "settings", "PRIMARY-SCALE", "MADRS")
    assert result.exit_code == 0 and "primary_scale = madrs" in result.output
    assert invoke(path, "settings", " primary_scale ").output.strip() == "madrs"
    before = digest(path)
    refused(invoke(path, "settings", "primary_scal", "phq9"), "did you mean primary_scale?")
    refused(invoke(path, "settings", "primary_scale", "phq8"), "not allowed", "phq9")
    assert digest(path) == before


# ----- the terminal app's guards ------------------------------------------------------


def test_tui_patient_unknown_and_charts_without_patient(clinic, tmp_path):
    """Unknown --patient exits 1 naming it; --charts without --patient is a usage error (exit 2)."""
    before = digest(clinic)
    refused(invoke(clinic, "tui", "--patient", "UNKNOWN"), "'UNKNOWN' is not known")
    result = invoke(clinic, "tui", "--charts", str(tmp_path))
    assert result.exit_code == 2 and "--charts works only with --patient" in result.output
    blocker = tmp_path / "file.png"
    blocker.write_text("x")
    refused(invoke(clinic, "tui", "--patient", "P001", "--charts", str(blocker)), "is a file")
    assert digest(clinic) == before


# ----- help, environment, default path -------------------------------------------------

COMMANDS = [
    (),
    ("tui",),
    ("demo",),
    ("import",),
    ("import", "patients"),
    ("import", "infusions"),
    ("import", "assessments"),
    ("export",),
    ("export", "csv"),
    ("export", "fhir"),
    ("status",),
    ("report",),
    ("settings",),
    ("backup",),
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "outcomes")
def test_every_help_reads_whole(command, tmp_path):
    """Each --help exits 0 with a usage line, and no command summary is cut off with '...'."""
    result = invoke(tmp_path / "x.db", *command, "--help")
    assert result.exit_code == 0 and result.output.startswith("Usage:")
    assert "..." not in result.output.replace("[ARGS]...", "")
    assert not (tmp_path / "x.db").exists()


def test_outcomes_db_is_honoured_and_the_default_is_the_user_data_folder(tmp_path, monkeypatch):
    """$OUTCOMES_DB picks the file; without it the path is platformdirs' user_data_dir/outcomes.db."""
    import platformdirs

    target = tmp_path / "from-env.db"
    monkeypatch.setenv("OUTCOMES_DB", str(target))
    refused = CliRunner().invoke(cli, ["settings", "clinic_name", "Env Clinic"])
    assert refused.exit_code == 1 and str(target) in refused.output and not target.exists()
    db.connect(target).close()
    assert CliRunner().invoke(cli, ["settings", "clinic_name", "Env Clinic"]).exit_code == 0
    assert db.load_settings(db.connect(target)).clinic_name == "Env Clinic"
    monkeypatch.delenv("OUTCOMES_DB")
    assert (
        db.default_path() == Path(platformdirs.user_data_dir("ketamine-outcomes")) / "outcomes.db"
    )


# ----- Ctrl-C ---------------------------------------------------------------------------


def test_ctrl_c_during_an_import_rolls_it_back_without_a_traceback(tmp_path):
    """SIGINT while rows are being written: exit 1, one plain line, no rows kept, integrity ok."""
    path = tmp_path / "clinic.db"
    patients, assessments = tmp_path / "patients.csv", tmp_path / "assessments.csv"
    patients.write_text("patient_id\n" + "".join(f"S{p:04d}\n" for p in range(1000)))
    with open(assessments, "w") as handle:
        handle.write("patient_id,date,scale,items\n")
        for n in range(120_000):
            handle.write(
                f"S{n % 1000:04d},2025-{1 + n // 10000:02d}-{1 + n % 28:02d}T{n // 1000 % 24:02d}:"
                f"{n % 60:02d},phq9,{GOOD_PHQ9}\n"
            )
    assert invoke(path, "import", "patients", str(patients)).exit_code == 0
    wal = Path(f"{path}-wal")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "outcomes",
            "--db",
            str(path),
            "import",
            "assessments",
            str(assessments),
        ],
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while (
        not (wal.exists() and wal.stat().st_size > 0)
        and process.poll() is None
        and time.monotonic() < deadline
    ):
        time.sleep(0.005)  # the write-ahead log appears once rows are being written
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 1, (out, err)
    assert "Interrupted" in err and "Traceback" not in err
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("SELECT count(*) FROM assessments").fetchone()[0] == 0
    assert (
        conn.execute("SELECT count(*) FROM imports WHERE kind = 'assessments'").fetchone()[0] == 0
    )
    conn.close()


@pytest.mark.parametrize(
    "args",
    [
        ("status", "P001"),
        ("settings", "clinic_name", "X"),
        ("tui", "--patient", "P001"),
        ("export", "csv", "OUT"),
    ],
)
def test_db_pointing_at_a_folder_or_a_text_file_is_refused_untouched(tmp_path, args):
    """--db naming a folder or a non-SQLite file: exit 1 saying which, and the file keeps its bytes."""
    args = [a.replace("OUT", str(tmp_path / "out")) for a in args]
    refused(invoke(tmp_path, *args), "is a folder; give the path of a database file")
    text = tmp_path / "notes.txt"
    text.write_text("not a database\n")
    refused(invoke(text, *args), "is not an SQLite database file")
    assert text.read_text() == "not a database\n"
    assert not (tmp_path / "out").exists()
