"""A small clinic for the check-in tests: two patients with emails, links issued as the clinic does."""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import db
from db import checkins
from outcomes.validation import check_patient

WHO = "Dr Test"


def build(path: Path) -> None:
    database = db.connect(path)
    for pid, name, email in (
        ("P001", "Anna Maria Example", "anna@example.org"),
        ("P002", "Ben Sample", "ben@example.org"),
    ):
        checked = check_patient(
            {"patient_id": pid, "name": name, "email": email, "birth_date": "1980-03-04"}
        )
        assert checked.ok, checked.problems
        db.add_patient(database, checked.values, WHO)
    database.conn.close()


def issue(path: Path, pid: str = "P001", scales=("phq9",), *, days=4, start=None):
    database = db.connect(path)
    try:
        return checkins.issue_link(database, pid, scales, WHO, days=days, valid_from=start)
    finally:
        database.conn.close()


def days_ago(n: float) -> datetime:
    return datetime.now(timezone.utc) - timedelta(days=n)


def file_state(path: Path) -> str:
    """A digest of the database file and its write-ahead log: equal digests, nothing written."""
    digest = hashlib.sha256()
    for part in (path, Path(f"{path}-wal")):
        digest.update(part.read_bytes() if part.exists() else b"<none>")
    return digest.hexdigest()


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def answers(values, scale="phq9") -> dict[str, str]:
    return {f"{scale}_{n}": str(v) for n, v in enumerate(values, start=1)}


def stored(path: Path, sql: str, params=()) -> list[tuple]:
    database = db.connect(path)
    try:
        return database.conn.execute(sql, params).fetchall()
    finally:
        database.conn.close()
