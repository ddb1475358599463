"""An export stopped by SIGTERM or kill -9 leaves no partial file behind for long (issue 21).

`export fhir` killed with SIGTERM left a `.tmp` holding identified data. Now SIGTERM is handled as
Ctrl+C (the temporary file is removed, the message says it was interrupted); after kill -9, which
no program can handle, the next export into that folder removes the temporary files of the killed
run, and only files this program can prove are its own (`db.files.sweep_stale`).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from db.files import PRIVATE_FILE, TEMP_MARK, sweep_stale

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def outcomes(*args: str, **options) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "outcomes", *args],
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **options,
    )


@pytest.fixture(scope="module")
def clinic(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("stop") / "clinic.db"
    done = outcomes("--db", str(path), "demo", "--patients", "400", "--seed", "4")
    assert done.wait(timeout=600) == 0, done.communicate()
    return path


def temporaries(folder: Path) -> list[Path]:
    return [p for p in folder.iterdir() if TEMP_MARK in p.name]


def stopped_while_writing(clinic: Path, folder: Path, sig: int) -> subprocess.Popen:
    """Start `export fhir` into `folder` and send `sig` once its temporary file exists."""
    for _ in range(5):  # a run that finished before its temporary was seen is started again
        for leftover in folder.iterdir():
            leftover.unlink()
        proc = outcomes("--db", str(clinic), "export", "fhir", str(folder / "bundle.json"))
        while proc.poll() is None and not temporaries(folder):
            pass
        if proc.poll() is None:
            proc.send_signal(sig)
            proc.wait(timeout=120)
            return proc
    raise AssertionError("the export never ran long enough to be stopped")


def test_sigterm_stops_an_export_as_ctrl_c_does_and_leaves_nothing(clinic, tmp_path):
    """SIGTERM mid-export: exit status 1, 'Interrupted' said, no temporary and no bundle left."""
    proc = stopped_while_writing(clinic, tmp_path, signal.SIGTERM)
    assert proc.returncode == 1, proc.communicate()
    assert "Interrupted" in proc.stderr.read()
    assert list(tmp_path.iterdir()) == []


def test_after_kill_9_the_next_export_into_the_folder_removes_the_stale_temporary(clinic, tmp_path):
    """kill -9 leaves the temporary; the next export there removes it, and keeps others' files."""
    proc = stopped_while_writing(clinic, tmp_path, signal.SIGKILL)
    assert proc.returncode == -signal.SIGKILL
    (stale,) = temporaries(tmp_path)
    # Files this program cannot prove are its own stay: another name, another mode.
    foreign = tmp_path / ".bundle.json.abc123.tmp"
    foreign.write_text("someone else's")
    loose = tmp_path / f".x.json.{TEMP_MARK}-{proc.pid}-zz.tmp"
    loose.write_text("not owner-only")
    loose.chmod(0o644)
    done = outcomes("--db", str(clinic), "export", "fhir", str(tmp_path / "again.json"))
    assert done.wait(timeout=600) == 0, done.communicate()
    assert not stale.exists() and foreign.exists() and loose.exists()
    assert (tmp_path / "again.json").exists()


def test_a_running_programs_temporary_is_never_swept(tmp_path):
    """A temporary named for a live process (this one's parent) is kept."""
    alive = tmp_path / f".bundle.json.{TEMP_MARK}-{os.getppid()}-abc.tmp"
    alive.write_text("in progress")
    alive.chmod(PRIVATE_FILE)
    assert sweep_stale(tmp_path) == [] and alive.exists()


@pytest.mark.parametrize("writer", ["atomic_file", "temporary_beside"])
def test_a_stop_the_instant_the_temporary_is_made_leaves_nothing(tmp_path, monkeypatch, writer):
    """Ctrl+C (or SIGTERM, which the command line turns into it) landing just after the operating
    system made the temporary file, before the program held its name, left the file behind:
    SIGTERM sent as soon as the file appeared did so about one run in eight."""
    import safe_files.atomic as atomic

    real_open = os.open

    def open_then_stop(*args, **kwargs):
        real_open(*args, **kwargs)
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "open", open_then_stop)
    with pytest.raises(KeyboardInterrupt):
        if writer == "atomic_file":
            with atomic.atomic_file(tmp_path / "bundle.json") as handle:
                handle.write("identified data")
        else:
            with atomic.temporary_beside(tmp_path / "clinic.db") as (temporary, move_into_place):
                move_into_place()
    monkeypatch.undo()
    assert list(tmp_path.iterdir()) == []


def test_a_file_writer_that_fails_before_writing_leaves_no_temporary(tmp_path):
    """`temporary_beside` removes its file whatever stops the block, and once moved leaves the
    target alone; a backup whose source cannot be opened used to leave its temporary behind."""
    from safe_files.atomic import temporary_beside

    with pytest.raises(RuntimeError):
        with temporary_beside(tmp_path / "a.db") as (temporary, _):
            assert temporary.exists() and temporary.stat().st_mode & 0o777 == PRIVATE_FILE
            raise RuntimeError("the source could not be opened")
    assert list(tmp_path.iterdir()) == []
    with temporary_beside(tmp_path / "b.db") as (temporary, move_into_place):
        temporary.write_text("whole")
        move_into_place()
    assert [p.name for p in tmp_path.iterdir()] == ["b.db"]
    assert (tmp_path / "b.db").read_text() == "whole"
