"""The small fixed clinic the app and report tests share, built as a clinician would enter it.

Records go in through `outcomes.validation` and `db/`, as the app writes
them, so the tests read back what a clinician would have entered.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
from datetime import date
from typing import Iterator

import db
from outcomes.validation import check_assessment, check_infusion, check_patient

#: "Today" of the fixed clinic (snapshots and time-dependent rules).
TODAY = date(2026, 2, 10)
WHO = "Dr Test"

# Induction days of the responder (six infusions over twelve days).
INDUCTION = ("2026-01-06", "2026-01-08", "2026-01-10", "2026-01-13", "2026-01-15", "2026-01-17")


def phq9_items(total: int, item9: int = 0) -> str:
    """PHQ-9 items adding up to `total`, with item 9 as given (spread over items 1-8)."""
    rest = total - item9
    items = []
    for _ in range(8):
        step = min(3, rest)
        items.append(step)
        rest -= step
    assert rest == 0, "total too high for PHQ-9"
    return " ".join(str(i) for i in items + [item9])


def add_patient(database, pid: str, name: str, weight: float | None = 70) -> None:
    checked = check_patient({"patient_id": pid, "name": name, "weight_kg": weight}, TODAY)
    assert checked.ok, checked.problems
    db.add_patient(database, checked.values, WHO)


def add_infusion(database, pid: str, when: str, dose: float = 0.5, **extra) -> int:
    raw = {
        "patient_id": pid,
        "date": when,
        "dose_mg_per_kg": dose,
        "route": "iv",
        "duration_min": 40,
        "weight_kg": 70,
        **extra,
    }
    checked = check_infusion(raw, None, TODAY)
    assert checked.ok, checked.problems
    return db.add_infusion(database, checked.values, WHO)


def add_phq9(database, pid: str, when: str, total: int, item9: int = 0) -> int:
    checked = check_assessment(
        {"patient_id": pid, "date": when, "scale": "phq9", "items": phq9_items(total, item9)}, TODAY
    )
    assert checked.ok, checked.problems
    return db.add_assessment(database, checked.values, WHO)


def build_clinic(path) -> None:
    """Four patients: a responder, a non-responder with a suicidality alert,
    one in progress, and one with nothing recorded yet."""
    database = db.connect(path)
    add_patient(database, "P001", "Ada Example")
    add_phq9(database, "P001", "2026-01-05", 20)
    for day, score in zip(INDUCTION, (16, 12, 9, 8, 6, 5), strict=False):
        add_infusion(database, "P001", day + "T09:00", side_effects="nausea;dizziness")
        add_phq9(database, "P001", day + "T12:00", score)
    add_phq9(database, "P001", "2026-01-24", 6)

    add_patient(database, "P002", "Ben Sample", weight=82)
    add_phq9(database, "P002", "2026-01-05", 18)
    for day, score in zip(INDUCTION, (17, 16, 16, 15, 15, 14), strict=False):
        add_infusion(database, "P002", day + "T10:00", weight_kg=82)
        add_phq9(database, "P002", day + "T13:00", score, item9=1 if score == 14 else 0)
    add_phq9(database, "P002", "2026-01-20", 14)

    add_patient(database, "P003", "Cy Person", weight=64)
    add_phq9(database, "P003", "2026-02-02", 15)
    add_infusion(database, "P003", "2026-02-03T09:00", weight_kg=64)
    add_phq9(database, "P003", "2026-02-04", 11)
    add_infusion(database, "P003", "2026-02-05T09:00", weight_kg=64)

    add_patient(database, "P004", "Dee New", weight=None)
    database.conn.close()


def traced_statements(monkeypatch) -> list[str]:
    """Every SQL statement run from now on by connections opened in this process (the list fills as they run)."""
    import sqlite3

    statements: list[str] = []
    original = sqlite3.connect

    def traced(*args, **kwargs):
        conn = original(*args, **kwargs)
        conn.set_trace_callback(statements.append)
        return conn

    monkeypatch.setattr(sqlite3, "connect", traced)
    return statements


def database_dump(path) -> list[str]:
    """Every statement of an SQLite file's dump: equal dumps mean nothing was written."""
    import sqlite3

    conn = sqlite3.connect(path)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def add_widest_patient(database, pid: str = "P005") -> None:
    """A patient whose list cells are the widest: a long name, two boosters, a moderately severe score."""
    add_patient(database, pid, "Maximiliana Wolfeschlegelsteinhausen-Bergerdorff")
    add_phq9(database, pid, "2026-01-05", 21, item9=1)
    for day in INDUCTION + ("2026-01-27", "2026-02-06"):
        add_infusion(database, pid, day + "T09:00")
    add_phq9(database, pid, "2026-02-07", 17)


@contextlib.contextmanager
def stored_by_an_earlier_release() -> Iterator[None]:
    """Write text as a release before the control-character rule (`outcomes.typed_text`) did.

    Databases made then may hold control characters in names, notes,
    reasons and settings; the program must still load them and show them
    escaped. Only that rule is off inside the block: every other check runs.
    """
    import db.audit
    import outcomes.fields
    import outcomes.settings
    import outcomes.typed_text
    import outcomes.validation

    homes = (outcomes.fields, outcomes.validation, outcomes.settings, db.audit)
    original = outcomes.typed_text.text_problem
    for module in homes:
        module.text_problem = lambda *args, **kwargs: None
    try:
        yield
    finally:
        for module in homes:
            module.text_problem = original


@contextlib.contextmanager
def write_lock_held(path, seconds: float = 30.0) -> Iterator[subprocess.Popen]:
    """Another process holds the database's write lock (``BEGIN IMMEDIATE``) until released.

    The block starts once the lock is taken. The lock is let go by
    `release(holder)`, after `seconds` at the latest, or when the block ends
    (which waits for the process to commit and end). Releasing when the test
    has seen what it waits for, not after a fixed time, keeps the tests right
    on a loaded machine.
    """
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import select, sqlite3, sys\n"
            f"conn = sqlite3.connect({str(path)!r}, isolation_level=None)\n"
            "conn.execute('BEGIN IMMEDIATE')\n"
            "print('locked', flush=True)\n"
            f"select.select([sys.stdin], [], [], {seconds})\n"
            "conn.execute('COMMIT')\n",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        yield holder
    finally:
        release(holder)
        holder.wait(timeout=seconds + 30)


def release(holder: subprocess.Popen) -> None:
    """Let the process of `write_lock_held` commit and end now."""
    if not holder.stdin.closed:
        try:
            holder.stdin.write("go\n")
            holder.stdin.close()
        except BrokenPipeError:  # it had already let go (its time was up)
            pass
