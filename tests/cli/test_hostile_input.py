"""Careless and hostile input through the real command line: each class of issue 10 once.

Files: exports and reports owner-only, written through a fresh temporary
file, never through a planted link; formula-looking cells neutralised and
restored on import. Databases: a newer schema refused by every command, a
missing one never created by a command that only reads or changes
settings, a loosely readable one reported. Text: control sequences never
reach the terminal raw, markup shown literally.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import db
from outcomes_cli.cli import cli
from tests.clinic import (
    add_infusion,
    add_patient,
    add_phq9,
    database_dump,
    stored_by_an_earlier_release,
)

ROOT = Path(__file__).resolve().parents[2]


def run(db_path: Path, *args: str, env: dict | None = None):
    return CliRunner().invoke(cli, ["--db", str(db_path), *args], env=env)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def hostile_db(tmp_path: Path) -> Path:
    """Patients whose names and notes start like formulas or hold markup and control sequences."""
    path = tmp_path / "clinic.db"
    database = db.connect(path)
    add_patient(database, "P001", '=HYPERLINK("http://x","click")')
    add_patient(database, "P002", "Ann Lee [twin A]")
    with stored_by_an_earlier_release():  # refused at input now; stored ones must still show safely
        add_patient(database, "P003", "Bob\x1b]0;pwned\x07 Example")
    add_patient(database, "-P004", "'=already quoted")
    add_patient(database, "@P005", "+1 555")
    add_infusion(database, "P001", "2026-01-06", notes="-2+3")
    add_phq9(database, "P001", "2026-01-05", 20)
    add_phq9(database, "P002", "2026-01-05", 18)
    database.close()
    return path


def test_export_files_and_folder_are_owner_only(hostile_db, tmp_path):
    """`export csv` makes an owner-only folder of owner-only files; `export fhir` an owner-only file."""
    out = tmp_path / "exported"
    assert run(hostile_db, "export", "csv", str(out)).exit_code == 0
    assert mode(out) == 0o700
    assert {mode(f) for f in out.iterdir()} == {0o600}
    assert {"assessments.csv", "infusions.csv", "patients.csv"} <= {f.name for f in out.iterdir()}
    bundle = tmp_path / "bundle.json"
    assert run(hostile_db, "export", "fhir", str(bundle)).exit_code == 0
    assert mode(bundle) == 0o600
    copy = tmp_path / "copy.db"
    assert run(hostile_db, "backup", str(copy)).exit_code == 0
    assert mode(copy) == 0o600


def test_export_never_writes_through_a_planted_link(hostile_db, tmp_path):
    """A link planted as the target (or as the output folder) is refused; what it points at is untouched."""
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    link = tmp_path / "bundle.json"
    link.symlink_to(victim)
    result = run(hostile_db, "export", "fhir", str(link))
    assert result.exit_code == 1 and "symbolic link" in result.output
    out = tmp_path / "out"
    out.mkdir()
    (out / "patients.csv").symlink_to(victim)
    result = run(hostile_db, "export", "csv", str(out))
    assert result.exit_code == 1
    linked_dir = tmp_path / "elsewhere"
    linked_dir.symlink_to(tmp_path / "out")
    result = run(hostile_db, "export", "csv", str(linked_dir))
    assert result.exit_code == 1 and "symbolic link" in result.output
    assert victim.read_text() == "precious"
    assert [p.name for p in out.iterdir()] == ["patients.csv"]  # no partial or temporary file left


def test_formula_cells_are_neutralised_and_the_round_trip_is_exact(hostile_db, tmp_path):
    """Cells starting =, +, -, @ get a leading quote in every CSV; re-importing restores them exactly."""
    out = tmp_path / "exported"
    assert run(hostile_db, "export", "csv", str(out)).exit_code == 0
    with open(out / "patients.csv", encoding="utf-8", newline="") as handle:
        rows = {r["patient_id"]: r for r in csv.DictReader(handle)}
    assert rows["P001"]["name"] == '\'=HYPERLINK("http://x","click")'
    assert rows["'-P004"]["name"] == "''=already quoted"
    assert rows["'@P005"]["name"] == "'+1 555"
    assert rows["P002"]["name"] == "Ann Lee [twin A]"
    infusions = (out / "infusions.csv").read_text(encoding="utf-8")
    assert ",'-2+3" in infusions
    for cell in (c for row in csv.reader(infusions.splitlines()) for c in row):
        assert not cell[:1] in ("=", "+", "@", "\t", "\r") and not (
            cell[:1] == "-" and not cell[1:2].isdigit()
        )
    fresh = tmp_path / "fresh.db"
    # A name an earlier release stored with an escape sequence is refused on the way back in,
    # with its line and column; the round trip goes on without that patient.
    refused = run(fresh, "import", "patients", str(out / "patients.csv"))
    assert (
        refused.exit_code == 1
        and "name holds a control character (U+001B escape)" in refused.output
    )
    kept = [
        line
        for line in (out / "patients.csv").read_bytes().splitlines(keepends=True)
        if not line.startswith(b"P003,")
    ]
    (out / "patients.csv").write_bytes(b"".join(kept))
    for kind in ("patients", "infusions", "assessments"):
        result = run(fresh, "import", kind, str(out / f"{kind}.csv"))
        assert result.exit_code == 0, result.output
    again = tmp_path / "again"
    assert run(fresh, "export", "csv", str(again)).exit_code == 0
    for kind in ("patients", "infusions", "assessments"):
        assert (again / f"{kind}.csv").read_bytes() == (out / f"{kind}.csv").read_bytes()
    database = db.connect(fresh)
    try:
        assert db.get_patient(database, "-P004")["name"] == "'=already quoted"
        assert db.get_patient(database, "P001")["name"] == '=HYPERLINK("http://x","click")'
    finally:
        database.close()


def test_report_patients_csv_is_neutralised_and_owner_only(hostile_db, tmp_path):
    """The cohort report's patients.csv quotes formula-like ids; report folders and files are owner-only."""
    out = tmp_path / "report"
    result = run(hostile_db, "report", "--out", str(out), "--cohort-only")
    assert result.exit_code == 0, result.output
    text = (out / "cohort" / "patients.csv").read_text(encoding="utf-8")
    ids = [row[0] for row in csv.reader(text.splitlines())][1:]
    assert "'-P004" in ids and "'@P005" in ids and "P001" in ids
    assert mode(out) == 0o700 and mode(out / "cohort") == 0o700
    assert {mode(f) for f in (out / "cohort").iterdir()} == {0o600}


def test_deidentified_fhir_carries_no_original_order_or_ids(tmp_path):
    """Entries follow the pseudonyms; two databases holding the same records stored in another order
    (same pseudonym secret) give the same de-identified bundle."""
    first, second = tmp_path / "a.db", tmp_path / "b.db"
    for path, order in ((first, ("P001", "P002", "P003")), (second, ("P003", "P001", "P002"))):
        database = db.connect(path)
        for pid in order:
            add_patient(database, pid, f"Name of {pid}")
        for pid in reversed(order):
            add_infusion(database, pid, "2026-01-08")
            add_phq9(database, pid, "2026-01-09", 10)
            add_infusion(database, pid, "2026-01-06")
            add_phq9(database, pid, "2026-01-05", 20)
        database.conn.execute(
            "INSERT INTO meta (key, value) VALUES ('pseudonym_secret', ?)", ("ab" * 32,)
        )
        database.conn.commit()
        database.close()
    bundles = []
    for path in (first, second):
        target = path.with_suffix(".json")
        assert run(path, "export", "fhir", str(target), "--deidentify").exit_code == 0
        bundle = json.loads(target.read_text())
        text = json.dumps(bundle["entry"])
        assert "P00" not in text and "Name of" not in text
        labels = [
            e["resource"]["identifier"][0]["value"]
            for e in bundle["entry"]
            if e["resource"]["resourceType"] == "Patient"
        ]
        assert labels == sorted(labels)
        bundles.append(bundle["entry"])
    assert bundles[0] == bundles[1]


def test_newer_schema_is_refused_by_every_command(hostile_db, tmp_path):
    """A database a newer release upgraded is refused by every command, naming both versions; nothing written."""
    conn = sqlite3.connect(hostile_db)
    conn.execute(
        "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
        "VALUES ('ketamine-outcomes', '0099_from_the_future', '2030-01-01')"
    )
    conn.commit()
    conn.close()
    before = digest(hostile_db)
    patients = tmp_path / "p.csv"
    patients.write_text("patient_id\nP9\n")
    commands = [
        ("status", "P001"),
        ("settings",),
        ("settings", "clinic_name", "X"),
        ("export", "csv", str(tmp_path / "x")),
        ("export", "fhir", str(tmp_path / "x.json")),
        ("import", "patients", str(patients)),
        ("demo", "--force"),
        ("backup", str(tmp_path / "b.db")),
        ("report", "--out", str(tmp_path / "r")),
        ("tui", "--patient", "P001"),
    ]
    for command in commands:
        result = run(hostile_db, *command)
        assert result.exit_code == 1, (command, result.output)
        assert "newer release" in result.output and "schema version 99" in result.output, command
        assert "knows up to version" in result.output
    assert digest(hostile_db) == before
    assert not (tmp_path / "x").exists() and not (tmp_path / "b.db").exists()


def test_a_missing_database_is_only_created_by_commands_that_add_data(tmp_path):
    """`settings KEY VALUE`, `status`, exports refuse a missing database by path; demo needs its folder."""
    missing = tmp_path / "typo" / "outcomes.db"
    for command in (
        ("settings", "clinic_name", "X"),
        ("settings",),
        ("status", "P001"),
        ("export", "csv", str(tmp_path / "e")),
        ("backup", str(tmp_path / "b.db")),
    ):
        result = run(missing, *command)
        assert result.exit_code == 1, command
        assert f"there is no clinic database at {missing}" in result.output
    result = run(missing, "demo", "--patients", "2")
    assert result.exit_code == 1 and "does not exist" in result.output
    env_result = CliRunner().invoke(
        cli, ["settings", "clinic_name", "X"], env={"OUTCOMES_DB": str(missing)}
    )
    assert env_result.exit_code == 1 and "$OUTCOMES_DB" in env_result.output
    assert not (tmp_path / "typo").exists()
    made = tmp_path / "new.db"
    assert run(made, "demo", "--patients", "2").exit_code == 0 and mode(made) == 0o600


def test_a_readable_database_is_reported_once_with_the_fix(hostile_db):
    """A group- or world-readable database gets one warning naming the chmod that fixes it."""
    os.chmod(hostile_db, 0o644)
    result = run(hostile_db, "status", "P001")
    assert result.exit_code == 0
    assert result.output.count("can be read by other users") == 1
    assert f"chmod 600 {hostile_db}" in result.output


def test_control_sequences_and_markup_in_stored_text_reach_the_terminal_escaped(hostile_db):
    """An OSC sequence in a name is printed as visible escapes; markup-like names print literally."""
    result = run(hostile_db, "status", "P003")
    assert "\x1b" not in result.output and "\x07" not in result.output
    assert "Bob\\x1b]0;pwned\\x07 Example" in result.output
    result = run(hostile_db, "status", "P002")
    assert "(Ann Lee [twin A])" in result.output


def test_the_error_log_is_private_follows_no_link_and_holds_no_patient_id(tmp_path, monkeypatch):
    """The log goes to the user's own owner-only log folder, refuses a planted link, omits arguments."""
    from db import failures

    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setattr(sys, "argv", ["outcomes", "status", "P-SECRET-ID"])
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        where = failures.log_unexpected()
    assert where is not None and str(where).startswith(str(tmp_path))
    assert mode(where.parent) == 0o700 and mode(where) == 0o600
    text = where.read_text()
    assert "boom" in text and "outcomes status" in text and "P-SECRET-ID" not in text
    where.unlink()
    victim = tmp_path / "victim"
    victim.write_text("keep")
    where.symlink_to(victim)
    try:
        raise RuntimeError("again")
    except RuntimeError:
        assert failures.log_unexpected() is None
    assert victim.read_text() == "keep"


def _mount_tmpfs(folder: Path, size: str) -> bool:
    if os.geteuid() != 0:
        return False
    folder.mkdir(exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], capture_output=True
    )
    return done.returncode == 0


@pytest.fixture
def small_disk(tmp_path):
    """A 600 KB file system (needs root to mount; skipped otherwise)."""
    folder = tmp_path / "disk"
    if not _mount_tmpfs(folder, "600k"):
        pytest.skip("mounting a small tmpfs needs root")
    yield folder
    subprocess.run(["umount", "-l", str(folder)], check=False)


def test_a_full_disk_gets_its_own_message_and_leaves_no_partial_file(tmp_path, small_disk):
    """An export to a full disk says so with the size needed and leaves nothing; the database stays intact."""
    clinic = tmp_path / "big.db"
    assert run(clinic, "demo", "--patients", "150").exit_code == 0
    target = small_disk / "bundle.json"
    result = run(clinic, "export", "fhir", str(target))
    assert result.exit_code == 1
    assert (
        "is full" in result.output and "needs" in result.output and "Traceback" not in result.output
    )
    assert list(small_disk.iterdir()) == []
    result = run(clinic, "export", "csv", str(small_disk / "csv"))
    assert list(small_disk.iterdir()) in ([], [small_disk / "csv"])
    if result.exit_code == 1:
        assert "is full" in result.output
        assert not (small_disk / "csv").exists() or list((small_disk / "csv").iterdir()) == []
    for leftover in small_disk.rglob("*"):
        leftover.unlink() if leftover.is_file() else None
    # The database itself on the full disk: an import that does not fit is refused, the data intact.
    full_db = small_disk / "clinic.db"
    assert run(full_db, "demo", "--patients", "3").exit_code == 0
    before = database_dump(full_db)
    rows = "\n".join(
        f"P001,2026-01-{1 + i % 28:02d}T{i // 60 % 24:02d}:{i % 60:02d},phq9,,10,{'x' * 200}"
        for i in range(20000)
    )
    big = tmp_path / "assessments.csv"
    big.write_text("patient_id,date,scale,items,total,notes\n" + rows + "\n")
    result = run(full_db, "import", "assessments", str(big))
    assert result.exit_code == 1, result.output
    assert "is full" in result.output and "Traceback" not in result.output
    assert database_dump(full_db) == before


def test_a_database_on_read_only_media_is_named_as_such(tmp_path):
    """A database on a read-only file system gets its own message, not "not an SQLite database"."""
    media = tmp_path / "stick"
    if not _mount_tmpfs(media, "4m"):
        pytest.skip("mounting a tmpfs needs root")
    try:
        clinic = media / "clinic.db"
        assert run(clinic, "demo", "--patients", "2").exit_code == 0
        subprocess.run(["mount", "-o", "remount,ro", str(media)], check=True)
        for command in (
            ("status", "P001"),
            ("settings", "clinic_name", "X"),
            ("export", "csv", str(tmp_path / "e")),
        ):
            result = run(clinic, *command)
            assert result.exit_code == 1
            assert "read-only media" in result.output, result.output
            assert "not an SQLite database" not in result.output
    finally:
        subprocess.run(["umount", "-l", str(media)], check=False)


def test_an_unreachable_home_folder_in_outcomes_db_is_named(tmp_path):
    """OUTCOMES_DB inside a folder this user may not enter: a message naming the folder, no traceback."""
    if os.geteuid() != 0:
        pytest.skip("switching to another user needs root")
    home = tmp_path / "someone"
    home.mkdir(mode=0o700)
    os.chmod(tmp_path, 0o755)
    target = home / "outcomes.db"
    env = {**os.environ, "OUTCOMES_DB": str(target), "PYTHONPATH": str(ROOT), "HOME": str(tmp_path)}
    done = subprocess.run(
        [
            "setpriv",
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            sys.executable,
            "-m",
            "outcomes",
            "status",
            "P001",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd="/",
    )
    if "Permission denied" in done.stderr and "python" in done.stderr.lower():
        pytest.skip("the test's Python cannot run as another user here")
    assert done.returncode == 1, done.stderr
    assert "no permission to enter the folder" in done.stderr and str(home) in done.stderr
    assert "Traceback" not in done.stderr
