"""A hand-made clinic for the dose, dissociation and early-improvement figures.

27 patients. All but two have the induction of
Mon 5 - Fri 16 January 2026, a PHQ-9 baseline of 20 on 4 Jan (10 is a
response) and scores after session 1 (6 Jan), session 2 (8 Jan) and
session 6 (17 Jan):

| kind     | n | s1 | s2 | s6 | doses (mg/kg)            | CADSS at infusion 1 | verdict |
|----------|---|----|----|----|--------------------------|---------------------|---------|
| R1       | 4 | 10 |  9 |  8 | 0.5 throughout           | 30                  | responder (session 1) |
| R1-rise  | 2 | 10 |  9 |  8 | 0.5, raised to 0.8 at s4 | 30                  | responder (session 1) |
| R3       | 4 | 15 | 14 | 10 | 0.8 throughout           | 25                  | responder (session 6) |
| LATE     | 4 | 19 | 18 |  9 | 0.5, raised to 0.8 at s4 | 10                  | responder (session 6) |
| LATE2    | 2 | 19 | 15 | 10 | 0.6 throughout           | 20                  | responder (session 6) |
| NR-EARLY | 3 | 15 | 15 | 14 | 0.5 throughout           |  5                  | non_responder |
| NR       | 6 | 19 | 19 | 18 | 0.5, raised to 0.8 at s4 |  8                  | non_responder |

plus one patient in progress and one without a baseline (left out: 2).
Completers 25, responders 16. Best improvement within the induction:
R1 60%, R3 50%, LATE 55%, LATE2 50%, NR-EARLY 30%, NR 10%.
"""

from __future__ import annotations

from datetime import date

from outcomes.records import Assessment, Infusion, group_by_patient
from outcomes.timepoints import parse_timepoint as at

INDUCTION = ("2026-01-05", "2026-01-07", "2026-01-09", "2026-01-12", "2026-01-14", "2026-01-16")
SCORE_DAYS = ("2026-01-06", "2026-01-08", "2026-01-17")
FLAT_05, FLAT_06, FLAT_08 = (0.5,) * 6, (0.6,) * 6, (0.8,) * 6
RISE = (0.5, 0.5, 0.5, 0.8, 0.8, 0.8)
KINDS = {  # kind: (count, scores s1 s2 s6, doses, CADSS at infusion 1)
    "R1": (4, (10, 9, 8), FLAT_05, 30),
    "R1-rise": (2, (10, 9, 8), RISE, 30),
    "R3": (4, (15, 14, 10), FLAT_08, 25),
    "LATE": (4, (19, 18, 9), RISE, 10),
    "LATE2": (2, (19, 15, 10), FLAT_06, 20),
    "NR-EARLY": (3, (15, 15, 14), FLAT_05, 5),
    "NR": (6, (19, 19, 18), RISE, 8),
}
AS_OF = date(2026, 3, 1)


def association_clinic():
    """Every patient of the table above, as `PatientData` by id."""
    infusions, scores = [], []
    for kind, (count, totals, doses, cadss) in KINDS.items():
        for i in range(count):
            pid = f"{kind}-{i}"
            infusions += [
                Infusion(pid, at(d), dose_mg_per_kg=dose)
                for d, dose in zip(INDUCTION, doses, strict=False)
            ]
            scores.append(Assessment(pid, at("2026-01-04"), "phq9", 20))
            scores += [
                Assessment(pid, at(d), "phq9", t) for d, t in zip(SCORE_DAYS, totals, strict=False)
            ]
            scores.append(Assessment(pid, at("2026-01-05T10:00"), "cadss", cadss))
    infusions += [
        Infusion("IN-PROGRESS", at(d), dose_mg_per_kg=0.5) for d in ("2026-02-25", "2026-02-27")
    ]
    scores.append(Assessment("IN-PROGRESS", at("2026-02-24"), "phq9", 20))
    infusions += [Infusion("NO-BASELINE", at(d), dose_mg_per_kg=0.5) for d in INDUCTION]
    scores.append(Assessment("NO-BASELINE", at("2026-01-17"), "phq9", 9))
    return group_by_patient(infusions, scores)
