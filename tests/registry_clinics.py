"""Three small clinics of a network, worked by hand, for the registry and pooling tests.

Every patient: PHQ-9 baseline 20 the day before the first infusion, six
infusions (`tests.clinic.INDUCTION`, day 0 = 2026-01-17), a score after
each. Response = a score <= 10; remission = a score <= 4. "Today" is
2026-02-10. Each course's outcome, as the rules give it:

| site | patient | verdict | remission | relief |
|------|---------|---------|-----------|--------|
| A | A1 | responder (session 3) | no | relapse at day 14 (score 14 on 01-31) |
| A | A2 | responder (session 3) | yes (4 at session 6) | still holding at day 21 (censored) |
| A | A3 | non-responder | no | - |
| B | B1 | responder (session 3) | no | relapse at day 7 (score 14 on 01-24) |
| B | B2 | responder (session 3) | no | relapse at day 14 |
| B | B3 | non-responder | no | - |
| B | B4 | incomplete (2 infusions, last 33 days ago) | no | - |
| C | C1 | responder (session 3) | no | still holding at day 7 (censored) |
| C | C2 | responder (session 3) | yes | relapse at day 21 (score 14 on 02-07) |
| C | C3 | non-responder | no | - |
| C | C4 | non-responder | no | - |

Pooled by hand: completers 10 (A 3, B 3, C 4), responders 6, remitted 2,
all who started 11. Relief among the 6 responders: day 7 one ended (B1) and
one censored (C1) of 6 at risk: S = 5/6; day 14 two ended (A1, B2) of 4:
S = 5/6 x 2/4 = 5/12; day 21 one ended (C2) of 2: S = 5/24. Median 14.
"""

from __future__ import annotations

from pathlib import Path

import db
from outcomes.validation import check_patient
from tests.clinic import INDUCTION, TODAY, WHO, add_infusion, add_phq9

RESPONDS = (16, 12, 9, 8, 6, 5)  # response from session 3 (9 <= 10)
REMITS = (16, 12, 9, 8, 6, 4)  # and remission at session 6
NEVER = (17, 16, 16, 15, 15, 14)

#: patient -> (scores after infusions 1-6, later (date, score)s, infusions given)
PLANS = {
    "A": {
        "A1": (RESPONDS, [("2026-01-24", 6), ("2026-01-31", 14)], 6),
        "A2": (REMITS, [("2026-01-24", 5), ("2026-02-07", 6)], 6),
        "A3": (NEVER, [("2026-01-26", 14)], 6),
    },
    "B": {
        "B1": (RESPONDS, [("2026-01-24", 14)], 6),
        "B2": (RESPONDS, [("2026-01-24", 7), ("2026-01-31", 13)], 6),
        "B3": (NEVER, [("2026-01-26", 15)], 6),
        "B4": ((18, 17), [], 2),
    },
    "C": {
        "C1": (RESPONDS, [("2026-01-24", 6)], 6),
        "C2": (REMITS, [("2026-01-24", 5), ("2026-02-07", 14)], 6),
        "C3": (NEVER, [("2026-01-26", 16)], 6),
        "C4": (NEVER, [("2026-01-26", 13)], 6),
    },
}

#: Words that must never leave the clinic: names, birth dates, notes, patient ids.
NAMES = {pid: f"Name{pid}Surname Zebedee" for plans in PLANS.values() for pid in plans}
BIRTH = "1971-03-14"
NOTE = "Private note: lives at 12 Quince Lane"


def site_patient(site: str, pid: str) -> str:
    """The clinic's own patient id (distinct text that a hash can never spell)."""
    return f"MRN-{site}-{pid}-Q"


def add_named_patient(database, pid: str, name: str) -> None:
    checked = check_patient(
        {"patient_id": pid, "name": name, "weight_kg": 70, "birth_date": BIRTH, "notes": NOTE},
        TODAY,
    )
    assert checked.ok, checked.problems
    db.add_patient(database, checked.values, WHO)


def add_course(database, pid: str, plan) -> None:
    scores, later, given = plan
    add_phq9(database, pid, "2026-01-05", 20)
    for day, score in zip(INDUCTION[:given], scores, strict=True):
        add_infusion(database, pid, day + "T09:00", notes=NOTE)
        add_phq9(database, pid, day + "T12:00", score)
    for day, score in later:
        add_phq9(database, pid, day, score)


def build_site(path: Path, site: str, min_cell: int = 1, **settings: str) -> Path:
    """Clinic `site` of `PLANS` at `path`, with its registry site id and `settings` set."""
    database = db.connect(path)
    try:
        db.set_setting(database, "registry_site_id", f"site-{site}", WHO)
        db.set_setting(database, "registry_min_cell", str(min_cell), WHO)
        for key, value in settings.items():
            db.set_setting(database, key, value, WHO)
        for pid, plan in PLANS[site].items():
            own = site_patient(site, pid)
            add_named_patient(database, own, NAMES[pid])
            add_course(database, own, plan)
    finally:
        database.conn.close()
    return path
