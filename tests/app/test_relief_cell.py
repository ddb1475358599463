"""The patient list's relief cell says "lost" for a response lost during the induction, never a
bare 0 (issue 22); a relief still holding keeps its "+"."""

from __future__ import annotations

from datetime import date

from outcomes.records import Assessment, Infusion, group_by_patient
from outcomes.settings import Settings
from outcomes.status import analyse_patient
from outcomes.timepoints import parse_timepoint
from outcomes_app.text import LIST_COLUMNS, PatientRow

INDUCTION = ("2026-01-05", "2026-01-07", "2026-01-09", "2026-01-12", "2026-01-14", "2026-01-16")


def relief_cell(scores) -> str:
    patient = group_by_patient(
        [Infusion("P1", parse_timepoint(d)) for d in INDUCTION],
        [Assessment("P1", parse_timepoint(d), "phq9", t) for d, t in [("2026-01-04", 20), *scores]],
    )["P1"]
    status = analyse_patient(patient, "phq9", Settings(), date(2026, 3, 1))
    cells = PatientRow.of(status, "").cells()
    return str(cells[[key for _, key in LIST_COLUMNS].index("relief_days")])


def test_a_response_lost_during_the_induction_reads_lost():
    """10 (s2), 14 (s5), 13 four days after day 0 (confirmed): "lost"."""
    assert relief_cell([("2026-01-08", 10), ("2026-01-15", 14), ("2026-01-20", 13)]) == "lost"


def test_a_dip_that_returned_reads_its_days():
    """The same dip, then 9 four days after day 0: relief 4 days so far, "4+"."""
    assert relief_cell([("2026-01-08", 10), ("2026-01-15", 14), ("2026-01-20", 9)]) == "4+"
