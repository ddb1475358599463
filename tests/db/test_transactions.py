"""Two clinicians saving at the same moment: both writes land, neither sees "database is locked".

Each writer has its own connection to one real SQLite file and runs in its
own thread (SQLite releases the GIL, so the two really interleave). Every
group of writes goes through `db.write_transaction`, which takes the write
lock up front (`BEGIN IMMEDIATE`): a deferred transaction that read first
would fail at once when the other one committed in between.
"""

from __future__ import annotations

import threading
import time

import db
from outcomes.validation import check_assessment, check_infusion
from tests.clinic import TODAY, WHO, add_patient

SAVES = 20


def _in_threads(*jobs) -> list[BaseException]:
    """Run each job in its own thread, started together; the exceptions they raised."""
    errors: list[BaseException] = []
    start = threading.Barrier(len(jobs))

    def run(job) -> None:
        try:
            start.wait()
            job()
        except BaseException as exc:  # collected: the test asserts there are none
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


def _save_infusions_with_cadss(path, pid: str) -> None:
    """What the app's infusion form does `SAVES` times: an infusion and its CADSS rating together."""
    database = db.connect(path)
    try:
        for k in range(SAVES):
            when = f"2026-01-{k + 1:02d}T09:00"
            infusion = check_infusion(
                {
                    "patient_id": pid,
                    "date": when,
                    "dose_mg_per_kg": 0.5,
                    "route": "iv",
                    "duration_min": 40,
                    "weight_kg": 70,
                },
                None,
                TODAY,
            )
            cadss = check_assessment(
                {"patient_id": pid, "date": when, "scale": "cadss", "total": k}, TODAY
            )
            assert infusion.ok and cadss.ok
            db.add_infusion_with_rating(database, infusion.values, WHO, cadss.values)
    finally:
        database.close()


def test_two_connections_saving_infusions_with_cadss_at_once_both_land(tmp_db_path):
    """Two writers, each saving infusion + CADSS pairs at the same time: every pair is stored."""
    setup = db.connect(tmp_db_path)
    add_patient(setup, "A", "First Writer")
    add_patient(setup, "B", "Second Writer")
    setup.close()

    errors = _in_threads(
        lambda: _save_infusions_with_cadss(tmp_db_path, "A"),
        lambda: _save_infusions_with_cadss(tmp_db_path, "B"),
    )

    assert errors == []
    check = db.connect(tmp_db_path)
    data = db.load_clinic(check)
    check.close()
    for pid in ("A", "B"):
        infusions = data.infusions[data.infusions["patient_id"] == pid]
        ratings = data.assessments[data.assessments["patient_id"] == pid]
        assert len(infusions) == SAVES
        # Every rating is linked to an infusion of its own writer.
        assert sorted(ratings["infusion_id"]) == sorted(infusions["infusion_id"])


def _register_next(path, writer: str) -> None:
    """Read how many patients there are, think a moment, then add the next one: a read-then-write."""
    database = db.connect(path)
    try:
        for _ in range(SAVES):
            with db.write_transaction(database):
                number = len(db.patient_ids(database))
                time.sleep(0.002)  # the other writer would commit here if it could
                db.add_patient(database, {"patient_id": f"N{number:03d}", "name": writer}, WHO)
    finally:
        database.close()


def test_read_then_write_transactions_are_serialised_without_lost_updates(tmp_db_path):
    """Two writers that each read before they write: none fails as locked, no number is taken twice."""
    db.connect(tmp_db_path).close()

    errors = _in_threads(
        lambda: _register_next(tmp_db_path, "one"), lambda: _register_next(tmp_db_path, "two")
    )

    assert errors == []
    check = db.connect(tmp_db_path)
    ids = db.patient_ids(check)
    check.close()
    assert ids == [f"N{n:03d}" for n in range(2 * SAVES)]


def test_a_refused_write_inside_the_transaction_leaves_nothing(tmp_db_path):
    """An infusion whose CADSS rating is refused is not stored either (all or nothing)."""
    database = db.connect(tmp_db_path)
    add_patient(database, "A", "Only")
    infusion = check_infusion(
        {
            "patient_id": "A",
            "date": "2026-01-05",
            "dose_mg_per_kg": 0.5,
            "route": "iv",
            "weight_kg": 70,
        },
        None,
        TODAY,
    )
    rating = {"patient_id": "NOBODY", "date": "2026-01-05", "scale": "cadss", "total": 3}
    try:
        db.add_infusion_with_rating(database, infusion.values, WHO, rating)
    except db.NotFound:
        pass
    else:  # pragma: no cover - the refusal is the point
        raise AssertionError("a rating of an unknown patient was accepted")
    assert db.record_counts(database)["infusions"] == 0
    database.close()
