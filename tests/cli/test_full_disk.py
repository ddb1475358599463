"""A clinic on a full disk can still be read; every write failure there names the full disk (issue 21).

At 100% full, `status` and `backup` failed with "disk I/O error" (SQLite could not create the
`-shm` file a WAL database needs to be read), so the clinic could not read its records. Now a
command that only reads opens the file read-only without that file when the disk is full (and the
`-wal` holds nothing), and a command that writes says the disk is full.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from outcomes_cli.cli import cli


def run(path: Path, *args: str):
    return CliRunner().invoke(cli, ["--db", str(path), *args])


@pytest.fixture
def full_disk(tmp_path):
    """A 2 MB file system holding a small clinic, then filled to the last byte (root only)."""
    folder = tmp_path / "disk"
    folder.mkdir()
    if (
        os.geteuid() != 0
        or subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(folder)], capture_output=True
        ).returncode
    ):
        pytest.skip("mounting a small tmpfs needs root")
    clinic = folder / "clinic.db"
    assert run(clinic, "demo", "--patients", "4", "--seed", "2").exit_code == 0
    fd = os.open(folder / "filler", os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        while os.write(fd, b"\0" * 4096):
            pass
    except OSError:  # no space left: the disk is full
        pass
    finally:
        os.close(fd)
    yield clinic
    subprocess.run(["umount", "-l", str(folder)], check=False)


def test_reading_commands_work_on_a_full_disk(full_disk, tmp_path):
    """status, settings, backup and a CSV export elsewhere all answer; nothing is left beside the file."""
    before = sorted(p.name for p in full_disk.parent.iterdir())
    listing = run(full_disk, "settings")
    assert listing.exit_code == 0, listing.output
    reader = sqlite3.connect(f"file:{full_disk}?mode=ro&immutable=1", uri=True)
    patient = reader.execute("SELECT min(patient_id) FROM patients").fetchone()[0]
    reader.close()
    status = run(full_disk, "status", patient, "--json")
    assert status.exit_code == 0, status.output
    backup = tmp_path / "copy.db"
    done = run(full_disk, "backup", str(backup))
    assert done.exit_code == 0, done.output
    assert run(backup, "status", patient, "--json").output == status.output
    exported = run(full_disk, "export", "csv", str(tmp_path / "csv"))
    assert exported.exit_code == 0, exported.output
    assert sorted(p.name for p in full_disk.parent.iterdir()) == before


def test_a_write_on_a_full_disk_says_the_disk_is_full(full_disk):
    """A setting change: refused naming the full disk, not 'disk I/O error'."""
    result = run(full_disk, "settings", "clinic_name", "Elsewhere")
    assert result.exit_code == 1
    assert "is full" in result.output and "disk I/O error" not in result.output
