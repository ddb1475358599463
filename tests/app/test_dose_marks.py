"""The app's timeline marks a dose step (↑ raised, ↓ lowered) beside the infusion, readable without colour."""

from outcomes.records import Infusion, PatientData
from outcomes.settings import Settings
from outcomes.timepoints import parse_timepoint as at
from outcomes_app.text import timeline_rows

DAYS = ("2026-01-05T09:00", "2026-01-07T09:00", "2026-01-09T09:00", "2026-01-12T09:00")


def test_timeline_marks_the_raised_and_lowered_doses_only():
    """0.5, 0.5, 0.75, 0.6: no mark, no mark, ↑0.75, ↓0.6."""
    infusions = tuple(
        Infusion("P", at(d), dose_mg_per_kg=x, id=i)
        for i, (d, x) in enumerate(zip(DAYS, (0.5, 0.5, 0.75, 0.6), strict=False), start=1)
    )
    rows = timeline_rows(PatientData("P", infusions=infusions), Settings())
    records = [str(cells[3]) for key, cells in rows if key.startswith("infusion:")]
    assert [r.split()[0] for r in records] == [
        "0.5mg/kg",
        "0.5mg/kg",
        "\u21910.75mg/kg",
        "\u21930.6mg/kg",
    ]
