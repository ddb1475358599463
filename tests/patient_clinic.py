"""The patient-mode clinic: three patients with records, one new, and the clinic's crisis text.

`OWN` is the patient whose own view the tests open; `OTHER` is the one whose
id, name and records must never reach it; `QUIET` has no alert and `NEW` no
records. Records go in through `outcomes.validation` and `db/`, as a
clinician would have entered them.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import db
from outcomes.settings import Settings
from outcomes.validation import check_assessment, check_infusion, check_patient

#: "Today" of the patient-mode clinic.
TODAY = date(2026, 3, 1)
WHO = "test clinician"

OWN, OWN_NAME = "P-ALICE-01", "Alice Example"
OTHER, OTHER_NAME = "Q-777", "Zed Quimby"
QUIET, QUIET_NAME = "P-CAROL-02", "Carol Sample"
NEW, NEW_NAME = "P-NEW-03", "Dan Newcomer"
CRISIS = "Call the Example Clinic crisis line on 0100 000 000, day or night."

#: Alice: six induction infusions and a booster; PHQ-9 21 -> 8, item 9 = 1 at baseline.
OWN_INFUSIONS = (
    "2026-01-05",
    "2026-01-07",
    "2026-01-09",
    "2026-01-12",
    "2026-01-14",
    "2026-01-16",
    "2026-02-10",
)
OWN_PHQ9 = (
    ("2026-01-02", "3 3 3 2 3 2 2 2 1"),  # 21, the baseline; item 9 = 1 raises an alert
    ("2026-01-07", "2 2 2 2 2 2 2 2 1"),  # 17, session 1 (date-only on infusion day 2)
    ("2026-01-09", "2 2 2 2 2 1 1 2 0"),  # 14, session 2
    ("2026-01-12", "2 1 1 1 1 1 1 2 0"),  # 10, session 3: 52% lower, response
    ("2026-01-16", "1 1 1 1 1 1 1 1 0"),  # 8, session 5
    ("2026-01-17", "1 1 1 1 1 1 0 0 0"),  # 6, follow-up day 1
    ("2026-01-23", "1 1 1 0 1 0 0 0 0"),  # 4, follow-up day 7: remission
    ("2026-01-30", "1 1 1 1 1 1 1 0 0"),  # 7, follow-up day 14
    ("2026-02-15", "1 1 1 1 1 1 1 1 0"),  # 8, after the booster (day 30 follow-up)
)
OWN_GAD7 = (("2026-01-02", "3 2 2 2 2 2 2"), ("2026-01-23", "1 1 1 1 1 0 0"))

OTHER_INFUSIONS = ("2026-01-06", "2026-01-08", "2026-01-10")
OTHER_PHQ9 = (("2026-01-03", "3 3 3 3 3 3 3 2 2"), ("2026-01-11", "3 3 3 3 3 3 3 2 2"))

QUIET_INFUSIONS = ("2026-02-20", "2026-02-23")
QUIET_PHQ9 = (("2026-02-18", "2 2 2 1 1 1 1 2 0"), ("2026-02-24", "1 1 1 1 1 1 1 1 0"))


def _add(database, kind: str, raw: dict) -> int | None:
    if kind == "patient":
        checked = check_patient(raw, TODAY)
    elif kind == "infusion":
        checked = check_infusion(raw, Settings(), TODAY)
    else:
        checked = check_assessment(raw, TODAY)
    errors = [p for p in checked.problems if p.kind == "error"]
    assert not errors, errors
    if kind == "patient":
        return db.add_patient(database, checked.values, WHO)
    if kind == "infusion":
        return db.add_infusion(database, checked.values, WHO)
    return db.add_assessment(database, checked.values, WHO)


def build_patient_clinic(path: Path, crisis_text: str | None = CRISIS) -> Path:
    """Write the three-patient clinic through `db/` and close the file."""
    database = db.connect(path)
    try:
        for pid, name, infusions, phq9 in (
            (OWN, OWN_NAME, OWN_INFUSIONS, OWN_PHQ9),
            (OTHER, OTHER_NAME, OTHER_INFUSIONS, OTHER_PHQ9),
            (QUIET, QUIET_NAME, QUIET_INFUSIONS, QUIET_PHQ9),
        ):
            _add(database, "patient", {"patient_id": pid, "name": name, "weight_kg": "70"})
            for day in infusions:
                _add(
                    database,
                    "infusion",
                    {"patient_id": pid, "date": day, "dose_mg_per_kg": "0.5", "route": "iv"},
                )
            for day, items in phq9:
                _add(
                    database,
                    "assessment",
                    {"patient_id": pid, "date": day, "scale": "phq9", "items": items},
                )
        _add(database, "patient", {"patient_id": NEW, "name": NEW_NAME})
        for day, items in OWN_GAD7:
            _add(
                database,
                "assessment",
                {"patient_id": OWN, "date": day, "scale": "gad7", "items": items},
            )
        _add(
            database,
            "assessment",
            {"patient_id": OTHER, "date": "2026-01-03", "scale": "gad7", "items": "3 3 3 3 3 3 3"},
        )
        if crisis_text:
            db.set_setting(database, "crisis_text", crisis_text, WHO)
    finally:
        database.conn.close()
    return path
