"""The demonstration clinic: reproducible, valid, current, and showing every kind of patient."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest

import db
from outcomes_cli.demo import make_demo
from outcomes.followup import next_followup
from outcomes.status import analyse_clinic
from outcomes.validation import check_assessment, check_infusion, check_patient

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
        assert 0.1 <= float(row["dose_mg_per_kg"]) <= 1.0
    for row in clinic.assessments:
        assert check_assessment(row, TODAY).ok, row
    dates = [r["date"][:10] for r in clinic.infusions + clinic.assessments]
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
    assert {"responder", "non_responder", "incomplete", "in_progress", "no_baseline"} <= set(verdicts)
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
