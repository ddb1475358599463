"""What happens in the chair during a demo session (clinical-spec section 11): readings, the end
of the session and discharge, for racemic ketamine and for esketamine.

Ketamine: a 40-minute infusion with readings at 0, 20, 40 and 70 minutes (blood pressure
rises a little during the infusion, sedation is light), ready to leave 30-60 minutes after
the end. Esketamine: nasal spray with readings at 0, 40, 90 and 130 minutes (pressure peaks
at about 40 minutes, as the label describes), ready to leave 2 to 2.5 hours after dosing.
A few sessions show what the safety page is for: a dip in saturation, deep sedation, an early
discharge, a patient leaving alone. Rows are shaped like vitals.csv (interface.md).
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from outcomes.drugs import ESKETAMINE

#: Minutes after the start at which the nurse takes a reading, by drug.
READING_MINUTES = {"ketamine": (0, 20, 40, 70), ESKETAMINE: (0, 40, 90, 130)}
#: Infusion length of a demo ketamine session (its `duration_min`).
KETAMINE_MINUTES = 40


def _stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="minutes")


def between(rng: random.Random, low: int, high: int) -> int:
    """A whole number from `low` to `high` (both included): `randint` at a fraction of its cost
    (a network-sized demo draws millions)."""
    return low + int(rng.random() * (high - low + 1))


def session_readings(
    rng: random.Random, pid: str, start: datetime, drug: str, systolic: int, diastolic: int
) -> list[dict]:
    """The session's readings as vitals.csv rows, starting from the pressure before dosing."""
    rows = []
    for minute in READING_MINUTES.get(drug, READING_MINUTES["ketamine"]):
        peak = minute in (20, 40)  # the pressure rise and sedation come with the drug's peak
        rise = between(rng, 4, 14) if peak else between(rng, 0, 5)
        roll = rng.random()
        # Light sedation at the peak (MOAA/S 3-4, sometimes 5); deep (2) now and then.
        sedation = (
            (2 if roll < 0.004 else 3 if roll < 0.25 else 4 if roll < 0.75 else 5) if peak else 5
        )
        spo2 = between(rng, 94, 99) if rng.random() > 0.004 else between(rng, 86, 89)
        rows.append(
            {
                "patient_id": pid,
                "session": _stamp(start),
                "at": _stamp(start + timedelta(minutes=minute)),
                "bp_systolic": str(min(systolic + (rise if minute else 0), 230)),
                "bp_diastolic": str(min(diastolic + (rise // 2 if minute else 0), 140)),
                "heart_rate": str(between(rng, 62, 96)),
                "spo2": str(spo2),
                "respiratory_rate": str(between(rng, 11, 19)),
                "sedation_moaas": str(sedation if minute else 5),
                "notes": "",
            }
        )
    return rows


def session_end(rng: random.Random, start: datetime, drug: str) -> dict[str, str]:
    """The infusion.csv columns of the session's end: ready to leave (mostly on time) and accompanied."""
    early = rng.random() < 0.04
    if drug == ESKETAMINE:
        ready = start + timedelta(
            minutes=between(rng, 95, 115) if early else between(rng, 120, 150)
        )
    else:
        ended = start + timedelta(minutes=KETAMINE_MINUTES)
        ready = ended + timedelta(minutes=between(rng, 15, 28) if early else between(rng, 30, 60))
    return {
        "ready_to_leave_at": _stamp(ready),
        "accompanied": "no" if rng.random() < 0.01 else "yes",
    }
