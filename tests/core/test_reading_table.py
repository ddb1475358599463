"""A clinic's readings kept as columns (`outcomes.reading_table`) answer as the records would.

The statuses of a whole demo clinic are held to their hashes by `tests/db/test_status_identity.py`;
these tests pin the parts: which readings cross a line (asked of whole columns against asked of
each record), the records a patient gets, and when the records are made at all.
"""

from __future__ import annotations

import pickle
import random
from dataclasses import replace

import pandas as pd
import pytest

from outcomes.clinic_data import patients_from_frames
from outcomes.reading_limits import reading_crosses
from outcomes.reading_table import PatientReadings, ReadingTable, session_times
from outcomes.records import READING_COLUMNS, readings_from_frame
from outcomes.sessions import crossing, session_alerts
from outcomes.settings import Settings
from tests.db.status_identity import STRICT

#: The defaults, and settings under which most monitored sessions alert.
SETTINGS = (Settings(), STRICT)


def reading_frame(seed: int, patients: int = 40) -> pd.DataFrame:
    """Readings of `patients` patients, ordered by patient as `db/` reads them; values near every
    line, some missing (pandas then keeps the column as floats), times out of order in a session."""
    rng = random.Random(seed)
    rows = []
    for p in range(patients):
        for session in range(rng.randint(0, 4)):
            start = f"2026-03-{session + 1:02d}T09:00"
            minutes = rng.sample(range(0, 240, 10), rng.randint(1, 6))
            for minute in minutes:

                def value(low, high):
                    return None if rng.random() < 0.1 else rng.randint(low, high)

                rows.append(
                    {
                        "reading_id": len(rows) + 1,
                        "patient_id": f"P{p:03d}",
                        "session_at": start,
                        "taken_at": f"2026-03-{session + 1:02d}T{9 + minute // 60:02d}:{minute % 60:02d}",
                        "bp_systolic": value(120, 175),
                        "bp_diastolic": value(70, 110),
                        "heart_rate": value(50, 120),
                        "spo2": value(85, 100),
                        "respiratory_rate": value(5, 35),
                        "sedation_moaas": value(0, 5),
                        "notes": None if rng.random() < 0.8 else "drowsy",
                    }
                )
    return pd.DataFrame(rows, columns=list(READING_COLUMNS))


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("settings", SETTINGS)
def test_the_lines_asked_of_whole_columns_cross_the_readings_each_record_crosses(seed, settings):
    """For every patient: the same readings cross, in the same order, and the same records come
    out as the records made one by one and sorted (`readings_from_frame`)."""
    frame = reading_frame(seed)
    table = ReadingTable.of(frame)
    assert table is not None
    one_by_one = {}
    for r in sorted(readings_from_frame(frame), key=lambda r: r.when.akey):
        one_by_one.setdefault(r.patient_id, []).append(r)
    assert set(table.runs) == set(one_by_one)
    for pid, records in one_by_one.items():
        readings = table.readings_of(pid)
        expected = [r for r in records if reading_crosses(r, settings)]
        assert crossing(readings, settings) == expected
        assert session_times(readings) == {r.session for r in records}
        assert readings._made is None  # answered without making the patient's records
        assert readings == tuple(records) and len(readings) == len(records)
        assert crossing(readings, settings) == expected  # and again from the records


def test_a_patients_readings_behave_as_their_tuple():
    """Equal to, hashed as and pickled as the tuple; indexed, sliced and iterated in time order;
    `len` and truth without making the records."""
    frame = reading_frame(1)
    table = ReadingTable.of(frame)
    pid = next(iter(table.runs))
    readings = table.readings_of(pid)
    assert len(readings) == len(table.runs[pid]) and bool(readings)
    assert readings._made is None
    made = tuple(readings)
    assert readings == made and made == tuple(readings) and hash(readings) == hash(made)
    assert readings[0] == made[0] and readings[-2:] == made[-2:]
    assert [r.when.akey for r in readings] == sorted(r.when.akey for r in made)
    assert pickle.loads(pickle.dumps(readings)) == made
    assert type(pickle.loads(pickle.dumps(readings))) is tuple
    assert not table.readings_of("nobody") and table.readings_of("nobody") == ()


def test_a_clinics_patients_get_the_table_and_the_same_alerts_as_records_made_one_by_one():
    """`patients_from_frames` keeps the readings as a table; each patient's session alerts are
    those of the same patient given its records as a tuple."""
    frame = reading_frame(2)
    infusions = pd.DataFrame(
        [
            {
                "infusion_id": i,
                "patient_id": pid,
                "given_at": at,
                "dose_mg_per_kg": 0.5,
                "ready_to_leave_at": at[:11] + "09:50",
                "accompanied": i % 3 != 0,
                "side_effects": "dissociation" if i % 2 else None,
                "duration_min": 40,
            }
            for i, (pid, at) in enumerate(
                sorted(set(zip(frame["patient_id"], frame["session_at"], strict=True)))
            )
        ]
    )
    clinic = patients_from_frames(infusions, None, None, None, frame)
    assert any(isinstance(p.readings, PatientReadings) for p in clinic.values())
    for settings in SETTINGS:
        for pid, patient in clinic.items():
            plain = replace(patient, readings=tuple(patient.readings))
            fresh = patients_from_frames(infusions, None, None, None, frame)[pid]
            assert session_alerts(fresh, settings) == session_alerts(plain, settings)


def test_frames_the_table_cannot_keep_are_read_record_by_record():
    """A patient's rows apart (a frame built by hand) or text in a measure: plain tuples."""
    frame = reading_frame(3)
    apart = pd.concat([frame, frame.iloc[:1].assign(reading_id=10_000)], ignore_index=True)
    assert ReadingTable.of(apart) is None
    text = frame.astype({"spo2": object})
    text.loc[0, "spo2"] = "low"
    assert ReadingTable.of(text) is None
    assert ReadingTable.of(frame.iloc[:0]) is None and ReadingTable.of(None) is None
    ids = pd.DataFrame({"patient_id": sorted(set(frame["patient_id"]))})
    patients = patients_from_frames(None, None, None, ids, apart)
    assert patients and all(type(p.readings) is tuple for p in patients.values())
    assert sum(len(p.readings) for p in patients.values()) == len(apart)


def test_a_measure_never_recorded_is_kept_as_a_column_of_gaps():
    """A clinic that records no respiratory rate reads it back as a column of NULLs (text to
    pandas): the table keeps it, and no reading crosses its lines."""
    frame = reading_frame(4).assign(respiratory_rate=None)
    assert frame["respiratory_rate"].dtype.kind == "O"
    table = ReadingTable.of(frame)
    assert table is not None
    for pid in table.runs:
        records = tuple(table.readings_of(pid))
        for settings in SETTINGS:
            expected = [r for r in records if reading_crosses(r, settings)]
            assert crossing(table.readings_of(pid), settings) == expected
            assert all(r.respiratory_rate is None for r in expected)
