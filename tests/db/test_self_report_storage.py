"""Storing a patient's own answers: one transaction, audited as theirs, the same-time rule for every score."""

from __future__ import annotations

import pytest

import db
from outcomes.validation import check_assessment
from tests.clinic import TODAY, WHO

WHEN = "2026-02-09T10:15"


def values(pid: str, scale: str, items: str, when: str = WHEN) -> dict:
    checked = check_assessment(
        {"patient_id": pid, "date": when, "scale": scale, "items": items}, TODAY
    )
    assert checked.ok, checked.problems
    return checked.values


def test_second_score_of_a_scale_at_the_same_time_is_refused(clinic_db):
    """A second PHQ-9 at the same minute is a correction of the first: refused, nothing written."""
    database = db.connect(clinic_db)
    try:
        db.add_assessment(database, values("P004", "phq9", "1 1 1 1 1 1 1 1 0"), WHO)
        before = db.record_counts(database)
        with pytest.raises(
            db.StorageError,
            match="a PHQ-9 of P004 at .* is already recorded; correct the stored record instead",
        ):
            db.add_assessment(database, values("P004", "phq9", "2 2 2 2 2 2 2 2 0"), WHO)
        assert db.record_counts(database) == before
        # Another scale at that time, or the same scale a minute later, is a new score.
        db.add_assessment(database, values("P004", "gad7", "1 1 1 1 1 1 1"), WHO)
        db.add_assessment(
            database, values("P004", "phq9", "1 1 1 1 1 1 1 1 0", "2026-02-09T10:16"), WHO
        )
    finally:
        database.conn.close()


@pytest.mark.parametrize(
    "gad7_of, message",
    [
        (
            "P004",
            "a GAD-7 of P004 at .* is already recorded",
        ),  # the GAD-7 is refused: the PHQ-9 goes too
        ("P001", "only the scores of the patient"),  # another patient's scores: nothing at all
    ],
)
def test_self_report_is_all_or_nothing_and_only_its_own_patient(clinic_db, gad7_of, message):
    """One refused score refuses the whole self-report; patient mode writes only its own patient."""
    database = db.connect(clinic_db)
    try:
        db.add_assessment(database, values("P004", "gad7", "0 0 0 0 0 0 0"), WHO)
        before = db.record_counts(database)
        with pytest.raises(db.StorageError, match=message):
            db.add_self_report(
                database,
                "P004",
                [
                    values("P004", "phq9", "1 1 1 1 1 1 1 1 1"),
                    values(gad7_of, "gad7", "1 1 1 1 1 1 1"),
                ],
                "patient P004 (patient mode)",
                "entered by the patient",
            )
        assert db.record_counts(database) == before
    finally:
        database.conn.close()


def test_data_version_changes_when_another_connection_writes(clinic_db):
    """The counter the clinician app polls moves on another connection's commit, not on its own."""
    watcher = db.connect(clinic_db)
    writer = db.connect(clinic_db)
    try:
        start = db.data_version(watcher)
        db.add_assessment(watcher, values("P004", "gad7", "0 0 0 0 0 0 0"), WHO)
        assert db.data_version(watcher) == start
        db.add_assessment(writer, values("P004", "phq9", "0 0 0 0 0 0 0 0 0"), WHO)
        assert db.data_version(watcher) != start
    finally:
        watcher.conn.close()
        writer.conn.close()
