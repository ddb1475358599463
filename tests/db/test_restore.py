"""A clinic file replaced under a running program, and `outcomes restore` (issue 21).

With the clinician app open, a backup moved over the file by `mv`, then a patient added in the app:
the app's write went to the old file, its leftover `-wal` brought back what the restore removed,
and the patient it showed as saved was gone. Now every write compares the file the connection
opened with what the path names (st_dev, st_ino) and refuses with words once they differ; and
`outcomes restore BACKUP` refuses while any program has the file open, keeps the replaced file,
and leaves no `-wal` that could be applied to the restored one.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from textual.widgets import Input

import db
from outcomes_cli.cli import cli
from tests.app.driving import clinician_app, settle, text_of
from tests.clinic import add_patient


def invoke(path: Path, *args: str):
    return CliRunner().invoke(cli, ["--db", str(path), *args])


def ids(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return [r[0] for r in conn.execute("SELECT patient_id FROM patients ORDER BY 1")]
    finally:
        conn.close()


@contextlib.contextmanager
def opened_elsewhere(path: Path):
    """Another process with the file open (a connection that has read, then idles)."""
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sqlite3, sys\n"
            f"conn = sqlite3.connect({str(path)!r})\n"
            "conn.execute('SELECT count(*) FROM patients').fetchone()\n"
            "print('open', flush=True)\n"
            "sys.stdin.read()\n",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "open"
        yield
    finally:
        holder.stdin.close()
        holder.wait(timeout=60)


@pytest.fixture
def clinic_and_backup(tmp_path) -> tuple[Path, Path]:
    """A clinic of P001; its backup; then P002 added after the backup (still in the -wal)."""
    path = tmp_path / "clinic.db"
    database = db.connect(path)
    add_patient(database, "P001", "Ada Example")
    database.close()
    backup = tmp_path / "backup.db"
    assert invoke(path, "backup", str(backup)).exit_code == 0
    database = db.connect(path)
    add_patient(database, "P002", "Ben Sample")
    database.close()
    return path, backup


async def test_the_app_refuses_to_save_into_a_file_replaced_under_it(clinic_db, tmp_path):
    """mv of a backup over the open file: the app's new patient is refused in words, written nowhere."""
    backup = tmp_path / "backup.db"
    assert invoke(clinic_db, "backup", str(backup)).exit_code == 0
    async with clinician_app(clinic_db) as pilot:
        app = pilot.app
        os.replace(backup, clinic_db)  # what a hand restore does
        await pilot.press("a")
        await settle(pilot)
        app.screen.query_one("#f-patient_id", Input).value = "NEW-1"
        app.screen.query_one("#f-name", Input).value = "Nell New"
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await settle(pilot)
        errors = " ".join(text_of(app, "#errors").split())
        assert "was replaced, moved or deleted while this program had it open" in errors
        assert "start it again" in errors
    assert "NEW-1" not in ids(clinic_db)


def test_restore_puts_the_backup_in_place_and_keeps_the_replaced_file(clinic_and_backup):
    """P002 (added after the backup) is gone from the clinic file and kept in the replaced file."""
    path, backup = clinic_and_backup
    result = invoke(path, "restore", str(backup))
    assert result.exit_code == 0, result.output
    (kept,) = path.parent.glob("clinic.db.replaced-*")
    assert f"kept as {kept}" in " ".join(result.output.split())
    assert ids(path) == ["P001"] and ids(kept) == ["P001", "P002"]
    assert not Path(f"{path}-wal").exists() and not Path(f"{kept}-wal").exists()
    assert (kept.stat().st_mode & 0o777) == 0o600 and (path.stat().st_mode & 0o077) == 0
    # The restored file opens as itself: nothing of the old -wal comes back.
    assert db.patient_ids(db.connect(path)) == ["P001"]


def test_restore_is_refused_while_another_program_has_the_file_open(clinic_and_backup):
    """An idle connection in another process is enough: refused in words, nothing changed."""
    path, backup = clinic_and_backup
    with opened_elsewhere(path):
        result = invoke(path, "restore", str(backup))
    assert result.exit_code == 1
    assert "is open in another program" in result.output and "nothing was changed" in result.output
    assert ids(path) == ["P001", "P002"]
    assert list(path.parent.glob("*.replaced-*")) == []
    assert sorted(p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")) == []


def test_restore_refuses_a_file_that_is_not_a_whole_backup(clinic_and_backup, tmp_path):
    """A text file or a damaged copy is refused; the clinic file is untouched."""
    path, _ = clinic_and_backup
    bogus = tmp_path / "notes.txt"
    bogus.write_text("not a database")
    result = invoke(path, "restore", str(bogus))
    assert result.exit_code == 1 and "is not a whole clinic database" in result.output
    assert ids(path) == ["P001", "P002"]
