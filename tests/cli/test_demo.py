"""The demonstration clinic: reproducible, valid, current, and showing every kind of patient."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime

import pytest

import db
from outcomes.followup import next_followup
from outcomes.readings import check_reading
from outcomes.status import analyse_clinic
from outcomes.validation import check_assessment, check_infusion, check_patient
from outcomes_cli.demo import demo_batches, make_demo

TODAY = date(2026, 6, 15)


def test_same_seed_and_day_give_the_same_clinic():
    """make_demo is reproducible for a seed and a day, and another seed gives another clinic."""
    assert make_demo(20, 7, TODAY) == make_demo(20, 7, TODAY)
    assert make_demo(20, 7, TODAY) != make_demo(20, 8, TODAY)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_row_validates_and_no_date_is_in_the_future(seed):
    """Each demo row passes the domain's checks (no errors, no dose confirmations) and none is after today."""
    clinic = make_demo(60, seed, TODAY)
    for row in clinic.patients:
        assert check_patient(row, TODAY).ok
    for row in clinic.infusions:
        checked = check_infusion(row, None, TODAY)
        assert checked.ok and not checked.confirmations, checked.problems
        if row.get("drug") == "esketamine":
            assert row["dose_mg"] in ("28", "56", "84") and "dose_mg_per_kg" not in row
        else:
            assert 0.1 <= float(row["dose_mg_per_kg"]) <= 1.0
    for row in clinic.assessments:
        assert check_assessment(row, TODAY).ok, row
    for row in clinic.readings:
        assert check_reading(row, TODAY).ok, row
    dates = [r["date"][:10] for r in clinic.infusions + clinic.assessments]
    dates += [r["at"][:10] for r in clinic.readings] + [
        r["ready_to_leave_at"][:10] for r in clinic.infusions
    ]
    assert max(dates) < TODAY.isoformat()  # nothing today either: its times could be later than now


@pytest.fixture(scope="module")
def statuses(tmp_path_factory):
    """The default demo (60 patients, seed 1) written to a database and analysed as of TODAY."""
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    database = db.connect(path)
    clinic = make_demo(today=TODAY)
    db.write_clinic(database, clinic, "demo", TODAY)
    data, settings = db.load_clinic(database), db.load_settings(database)
    database.close()
    return clinic, data, analyse_clinic(data, "phq9", settings, TODAY)


def test_demo_shows_every_kind_of_course(statuses):
    """Responders, non-responders, incomplete and running courses and a missing baseline all appear."""
    _, _, result = statuses
    verdicts = Counter(s.verdict.value for s in result)
    assert {"responder", "non_responder", "incomplete", "in_progress", "no_baseline"} <= set(
        verdicts
    )
    assert 0.4 <= verdicts["responder"] / len(result) <= 0.8
    sessions = {s.first_response.session for s in result if s.first_response}
    assert min(sessions) <= 2 and max(sessions) >= 5  # early and late responders


def test_relief_ranges_from_days_to_months_with_boosters(statuses):
    """Relief among responders spans under two weeks to two months or more, and some had boosters."""
    _, _, result = statuses
    relief = [s.relief.days for s in result if s.relief and not s.relief.censored]
    assert min(relief) <= 14 and max(relief + [s.relief.days for s in result if s.relief]) >= 60
    assert any(s.boosters for s in result)


def test_demo_carries_the_records_a_real_clinic_has(statuses):
    """PHQ-9 for all, MADRS/GAD-7 for some, CADSS at infusions, side effects, alerts, overdue follow-ups."""
    clinic, data, result = statuses
    by_scale = data.assessments.groupby("scale")["patient_id"].nunique()
    assert by_scale["phq9"] == 60
    assert 5 <= by_scale["madrs"] < 60 and 5 <= by_scale["gad7"] < 60
    cadss = data.assessments[data.assessments["scale"] == "cadss"]
    assert len(cadss) > 20 and cadss["infusion_id"].notna().all()
    assert data.infusions["side_effects"].notna().sum() > 20
    assert data.assessments["items"].isna().sum() >= 1  # a total-only record
    kinds = Counter(a.kind for s in result for a in s.alerts)
    assert 1 <= kinds["suicidality_item"] <= 12
    assert any((f := next_followup(s, TODAY)) is not None and f.state == "overdue" for s in result)


def test_an_esketamine_share_with_its_schedule_readings_and_discharge(statuses):
    """About 15% esketamine courses: 8 sessions twice weekly at 28/56/84 mg, readings at 0, 40, 90 and
    130 minutes, ready to leave at least 2 hours after dosing but for a few; ketamine sessions have
    readings at 0, 20, 40 and 70 minutes and a discharge after the 40-minute infusion."""
    clinic, data, result = statuses
    by_drug = {
        pid: {r.get("drug", "ketamine") for r in clinic.infusions if r["patient_id"] == pid}
        for pid in clinic.profiles
    }
    esketamine = [pid for pid, drugs in by_drug.items() if drugs == {"esketamine"}]
    assert all(len(drugs) == 1 for drugs in by_drug.values())  # a course has one drug
    assert 4 <= len(esketamine) <= 18  # 15% of 60, give or take
    full = [s for s in result if s.patient_id in esketamine and s.sessions_completed >= 8]
    assert full and all(s.induction_size == 8 for s in full)
    for pid in esketamine:
        days = sorted(
            date.fromisoformat(r["date"][:10]) for r in clinic.infusions if r["patient_id"] == pid
        )
        gaps = {(b - a).days for a, b in zip(days[:8], days[1:8], strict=False)}
        assert gaps <= {3, 4}  # twice weekly
    minutes = Counter()
    for row in clinic.readings:
        drug = "esketamine" if row["patient_id"] in esketamine else "ketamine"
        start, at = (datetime.fromisoformat(row[k]) for k in ("session", "at"))
        minutes[drug, int((at - start).total_seconds() // 60)] += 1
    assert {m for d, m in minutes if d == "esketamine"} == {0, 40, 90, 130}
    assert {m for d, m in minutes if d == "ketamine"} == {0, 20, 40, 70}
    larger = make_demo(300, 1, TODAY)  # a few early discharges in a few hundred sessions
    waits = [
        (
            datetime.fromisoformat(r["ready_to_leave_at"]) - datetime.fromisoformat(r["date"])
        ).total_seconds()
        / 60
        for r in larger.infusions
        if r.get("drug") == "esketamine"
    ]
    early = [w for w in waits if w < 120]
    assert early and len(early) <= 0.1 * len(waits) and min(waits) >= 95
    assert len(data.readings) == len(clinic.readings)


def test_batches_are_the_same_clinic_and_are_written_one_at_a_time(tmp_path):
    """`demo_batches` gives make_demo's rows whatever the batch size; `write_clinic` writes each batch
    before the next is made (bounded memory), with one imports row and one audit row per table and
    batch naming what it added."""
    whole = make_demo(25, 3, TODAY)
    batches = list(demo_batches(25, 3, TODAY, batch=10))
    assert [len(b.patients) for b in batches] == [10, 10, 5]
    for kind in ("patients", "readings"):
        assert [row for b in batches for row in getattr(b, kind)] == getattr(whole, kind)
    database = db.connect(tmp_path / "demo.db")
    written_before = []

    def watched():
        for batch in demo_batches(25, 3, TODAY, batch=10):
            written_before.append(len(db.patient_ids(database)))
            yield batch

    counts = db.write_clinic(database, watched(), "demo", TODAY)
    assert written_before == [0, 10, 20]  # the earlier batches were in before the next was made
    assert counts == {
        "patients": 25,
        "infusions": len(whole.infusions),
        "assessments": len(whole.assessments),
        "readings": len(whole.readings),
    }
    imports = database.conn.execute(
        "SELECT kind, count(*), sum(rows_added) FROM imports GROUP BY kind"
    ).fetchall()
    assert sorted(imports) == sorted(
        [
            ("patients", 3, 25),
            ("infusions", 3, len(whole.infusions)),
            ("assessments", 3, len(whole.assessments)),
            ("vitals", 3, len(whole.readings)),
        ]
    )
    audits = database.conn.execute(
        "SELECT table_name, new_value FROM audit WHERE action = 'import'"
    ).fetchall()
    assert len(audits) == 12 and all('"rows_added"' in new for _, new in audits)
    data = db.load_clinic(database)
    cadss = data.assessments[data.assessments["scale"] == "cadss"]
    linked = data.infusions.set_index("infusion_id")["given_at"]
    for infusion_id, taken in zip(
        cadss["infusion_id"], cadss["taken_at"], strict=False
    ):  # each rating at its own session
        assert taken[:10] == linked[int(infusion_id)][:10]
    database.close()
