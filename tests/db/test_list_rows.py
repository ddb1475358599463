"""The patient list's rows: the first screen's page query agrees with the whole list's query."""

from __future__ import annotations

import pytest

import db
from outcomes.timepoints import parse_timepoint
from outcomes.validation import check_assessment
from tests.clinic import TODAY, WHO, add_infusion, add_phq9, build_clinic, phq9_items


@pytest.fixture
def edited_clinic(tmp_path):
    """The fixed clinic with a corrected latest score, a retracted infusion and a second course."""
    path = tmp_path / "clinic.db"
    build_clinic(path)
    database = db.connect(path)
    latest = add_phq9(database, "P001", "2026-01-30", 9)
    checked = check_assessment(
        {"patient_id": "P001", "date": "2026-01-30", "scale": "phq9", "items": phq9_items(7)}, TODAY
    )
    db.correct_assessment(database, latest, checked.values, "misread item 2", WHO)
    second = add_infusion(database, "P003", "2026-02-08T09:00", weight_kg=64)
    db.retract(database, "infusion", second, "entered for the wrong patient", WHO)
    db.start_course(database, "P002", parse_timepoint("2026-02-06"), WHO)
    add_infusion(database, "P002", "2026-02-07T10:00", weight_kg=82)
    yield database
    database.conn.close()


def test_whole_list_reads_current_records_only(edited_clinic):
    """Corrected score, retracted infusion and the latest course's infusions, as a clinician expects."""
    rows = {r[0]: r for r in db.list_rows(edited_clinic, "phq9")}
    assert rows["P001"] == ("P001", "Ada Example", 6, 7)  # the corrected 7, not the 9 first typed
    assert rows["P002"] == ("P002", "Ben Sample", 1, 14)  # one infusion in the new course
    assert rows["P003"] == ("P003", "Cy Person", 2, 11)  # the retracted third infusion left out
    assert rows["P004"] == ("P004", "Dee New", 0, None)
    assert db.patient_count(edited_clinic) == 4


@pytest.mark.parametrize("limit", [0, 1, 3, 4, 10])
def test_first_screen_is_the_head_of_the_whole_list(edited_clinic, limit):
    """`list_rows(limit=n)` is exactly the first n rows of the whole list, for every scale."""
    for scale in ("phq9", "gad7"):
        assert (
            db.list_rows(edited_clinic, scale, limit) == db.list_rows(edited_clinic, scale)[:limit]
        )
