"""The kiosk from the command line (issue 23): its staff code setting, and a real kiosk process.

`outcomes settings kiosk_staff_code` stores a salted hash and never prints the
code or the hash (not in the list, not in the audit trail); a short code is
refused with words. `outcomes tui --patient ID --kiosk` runs in a real
pseudo-terminal: ctrl+c, ctrl+z and ctrl+\\ typed, and SIGINT, SIGQUIT and
SIGTSTP sent to the process, leave it running (not stopped); q and the staff
code close it.
"""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
from pathlib import Path

import db
from outcomes.kiosk import StaffCode
from tests.clinic import build_clinic

CODE = "front-desk-42"


def clinic(path: Path) -> Path:
    build_clinic(path)
    return path


def run(path: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "outcomes", "--db", str(path), *args],
        input=stdin,
        capture_output=True,
        text=True,
        env={**os.environ, "OUTCOMES_USER": "it"},
    )


def stored_value(path: Path) -> str:
    database = db.connect(path)
    try:
        return database.conn.execute(
            "SELECT value FROM settings WHERE key = 'kiosk_staff_code'"
        ).fetchone()[0]
    finally:
        database.close()


def test_the_staff_code_is_stored_as_a_salted_hash_and_never_shown(tmp_path):
    path = clinic(tmp_path / "clinic.db")
    short = run(path, "settings", "kiosk_staff_code", "12345")
    assert short.returncode == 1 and "too short (5 characters)" in short.stderr
    assert "12345" not in short.stderr.replace("(5 characters)", "")
    first = run(path, "settings", "kiosk_staff_code", CODE)
    assert first.returncode == 0 and CODE not in first.stdout
    one = stored_value(path)
    assert one.startswith("scrypt$") and CODE not in one
    assert StaffCode(one).matches(CODE) and not StaffCode(one).matches(CODE + "x")
    again = run(path, "settings", "kiosk_staff_code", "-", stdin=CODE + "\n")  # kept out of `ps`
    assert again.returncode == 0
    assert stored_value(path) != one  # a fresh random salt each time
    listing = run(path, "settings").stdout + run(path, "settings", "kiosk_staff_code").stdout
    assert "set (not shown)" in listing and "scrypt" not in listing and CODE not in listing
    database = db.connect(path)
    audit = database.conn.execute(
        "SELECT coalesce(old_value, '') || new_value FROM audit WHERE record_id = 'kiosk_staff_code'"
    ).fetchall()
    database.close()
    assert len(audit) == 2 and not any("scrypt" in a[0] or CODE in a[0] for a in audit)


def test_a_kiosk_without_a_staff_code_is_refused(tmp_path):
    path = clinic(tmp_path / "clinic.db")
    refused = run(path, "tui", "--patient", "P003", "--kiosk")
    assert refused.returncode == 1 and "none is set" in refused.stderr
    assert "kiosk_staff_code -" in refused.stderr
    assert "--kiosk works only with --patient" in run(path, "tui", "--kiosk").stderr


def read_until(fd: int, words: bytes, seen: bytearray, limit_s: float = 30.0) -> bool:
    """Read the terminal until `words` shows (False when the process ended or nothing came)."""
    while words not in seen:
        ready, _, _ = select.select([fd], [], [], limit_s)
        if not ready:
            return False
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            return False
        if not chunk:
            return False
        seen.extend(chunk)
    return True


def state(pid: int) -> str:
    return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0]


def test_a_real_kiosk_survives_ctrl_c_z_backslash_and_signals(tmp_path):
    """The real command under a terminal: keys and signals leave it running; the code closes it."""
    path = with_code(clinic(tmp_path / "clinic.db"))
    pid, fd = pty.fork()
    if pid == 0:  # the child: the kiosk, on the pseudo-terminal
        os.environ.update(OUTCOMES_USER="it", COLUMNS="100", LINES="30", TERM="xterm-256color")
        os.execv(
            sys.executable,
            [sys.executable, "-m", "outcomes", "--db", str(path), "tui", "--patient", "P003"]
            + ["--kiosk"],
        )
    seen = bytearray()
    try:
        assert read_until(fd, b"Staff", seen), seen[-2000:]
        for key in (b"\x03", b"\x1a", b"\x1c"):  # ctrl+c, ctrl+z, ctrl+\
            os.write(fd, key)
        for sig in (signal.SIGINT, signal.SIGQUIT, signal.SIGTSTP):
            os.kill(pid, sig)
        assert read_until(fd, b"stays open", seen)  # ctrl+c arrived as a key and was answered
        assert state(pid) in "SR", state(pid)  # running or sleeping: not stopped, not gone
        assert os.waitpid(pid, os.WNOHANG) == (0, 0)
        os.write(fd, b"q")
        assert read_until(fd, b"staff code", seen)
        os.write(fd, CODE.encode() + b"\r")
        read_until(fd, b"Kiosk closed", seen)
        _, status = os.waitpid(pid, 0)
        assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
        pid = 0
    finally:
        if pid:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        os.close(fd)


def with_code(path: Path) -> Path:
    database = db.connect(path)
    try:
        db.set_setting(database, "kiosk_staff_code", CODE, "test")
    finally:
        database.close()
    return path
