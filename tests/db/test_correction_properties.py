"""Property test (hypothesis): any sequence of entries, corrections and retractions keeps the clinic whole.

Issue 21: after any such sequence on a real SQLite file, through the same storage calls the app
makes, no current reading is without its current session (`db.orphaned_readings`), no two current
scores of one scale share one time point (spec section 9), and the CSV export re-imports into a
fresh clinic whose `status --json` is the same for the patient. A step the program refuses
(`StorageError`: a moved reading that would not fit, a second score at one time) writes nothing
and the sequence goes on.
"""

from __future__ import annotations

import json
import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner
from hypothesis import given, note
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

import db
from outcomes.readings import check_reading
from outcomes.validation import check_assessment, check_infusion, check_patient
from outcomes_cli.cli import cli

TODAY = date(2026, 6, 1)
WHO = "Dr Property"
FIRST = datetime(2026, 1, 5, 9, 0)

#: One step: (kind, a, b) with small integers the step reads as it needs.
STEP = st.tuples(
    st.sampled_from(
        [
            "session",
            "reading",
            "move_session",
            "retract_session",
            "score",
            "move_score",
            "retract_score",
        ]
    ),
    st.integers(0, 7),
    st.integers(0, 7),
)


def when(day: int, hour: int = 9, minute: int = 0) -> str:
    return (FIRST + timedelta(days=day, hours=hour - 9, minutes=minute)).strftime("%Y-%m-%dT%H:%M")


def current(database, table: str, column: str) -> list[tuple[int, str]]:
    return database.conn.execute(
        f"SELECT id, {column} FROM {table} WHERE superseded_at IS NULL AND retracted_at IS NULL"
        " ORDER BY id"
    ).fetchall()


def session_values(at: str) -> dict:
    checked = check_infusion(
        {"patient_id": "P1", "date": at, "dose_mg_per_kg": "0.5", "duration_min": "40"},
        None,
        TODAY,
    )
    assert checked.ok, checked.problems
    return checked.values


def score_values(day: str, total: int) -> dict:
    checked = check_assessment(
        {"patient_id": "P1", "date": day, "scale": "phq9", "total": str(total)}, TODAY
    )
    assert checked.ok, checked.problems
    return checked.values


def apply(database, kind: str, a: int, b: int) -> None:
    sessions = current(database, "infusions", "given_at")
    scores = current(database, "assessments", "taken_at")
    if kind == "session":
        db.add_infusion(database, session_values(when(a * 2, 9 + b % 3)), WHO)
    elif kind == "reading" and sessions:
        _, at = sessions[a % len(sessions)]
        start = datetime.fromisoformat(at)
        reading = check_reading(
            {
                "patient_id": "P1",
                "session": at,
                "at": (start + timedelta(minutes=10 * b)).strftime("%Y-%m-%dT%H:%M"),
                "spo2": str(85 + b),
            },
            TODAY,
        )
        assert reading.ok, reading.problems
        db.add_reading(database, reading.values, WHO)
    elif kind == "move_session" and sessions:
        record, _ = sessions[a % len(sessions)]
        db.correct_infusion(database, record, session_values(when(b * 2, 9 + a % 3)), "moved", WHO)
    elif kind == "retract_session" and sessions:
        db.retract(database, "infusion", sessions[a % len(sessions)][0], "wrong", WHO)
    elif kind == "score":
        db.add_assessment(database, score_values(when(a, 8)[:10], 5 + b), WHO)
    elif kind == "move_score" and scores:
        record, _ = scores[a % len(scores)]
        db.correct_assessment(database, record, score_values(when(b, 8)[:10], 6 + a), "day", WHO)
    elif kind == "retract_score" and scores:
        db.retract(database, "assessment", scores[a % len(scores)][0], "wrong", WHO)


def status_json(path: Path) -> dict:
    result = CliRunner().invoke(cli, ["--db", str(path), "status", "P1", "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


@given(st.lists(STEP, min_size=1, max_size=14))
@hyp_settings(max_examples=30, deadline=None)
def test_any_sequence_keeps_readings_with_sessions_one_score_per_time_and_a_round_trip(steps):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "clinic.db"
        database = db.connect(path)
        db.add_patient(database, check_patient({"patient_id": "P1"}, TODAY).values, WHO)
        for kind, a, b in steps:
            try:
                apply(database, kind, a, b)
            except db.StorageError as refused:  # refused in words: nothing written, go on
                note(f"{kind} {a} {b} refused: {refused}")
        assert db.orphaned_readings(database) == []
        taken = [(t,) for _, t in current(database, "assessments", "taken_at")]
        assert len(taken) == len(set(taken))
        database.close()
        out = Path(folder) / "export"
        assert (
            CliRunner().invoke(cli, ["--db", str(path), "export", "csv", str(out)]).exit_code == 0
        )
        fresh = Path(folder) / "fresh.db"
        for kind in ("patients", "infusions", "vitals", "assessments"):
            result = CliRunner().invoke(
                cli, ["--db", str(fresh), "import", kind, str(out / f"{kind}.csv")]
            )
            assert result.exit_code == 0, (kind, result.output)
        before, after = status_json(path), status_json(fresh)
        assert after == before
