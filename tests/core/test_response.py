"""Improvement, response categories and status (clinical-spec section 3), by hand."""

from datetime import date

import pytest

from outcomes.records import Assessment, Infusion, group_by_patient
from outcomes.response import classify, improvement, is_response, remission_cut
from outcomes.settings import Settings
from outcomes.status import analyse_patient
from outcomes.timepoints import parse_timepoint


def analyse(scores, scale="phq9", settings=Settings(), infusions=("2026-01-05",)):
    """Baseline on 2026-01-04, then the given (date, total) scores after the infusions."""
    patient = group_by_patient(
        [Infusion("P1", parse_timepoint(d)) for d in infusions],
        [Assessment("P1", parse_timepoint(d), scale, t) for d, t in scores],
    )["P1"]
    return analyse_patient(patient, scale, settings, date(2026, 1, 20))


@pytest.mark.parametrize(
    "baseline, score, percent",
    [(20, 10, 50.0), (20, 15, 25.0), (20, 20, 0.0), (20, 25, -25.0), (24, 6, 75.0), (8, 0, 100.0)],
)
def test_improvement_is_the_drop_as_a_percent_of_baseline(baseline, score, percent):
    """(B - S) / B x 100: positive is better, negative is worse."""
    assert improvement(baseline, score) == percent


@pytest.mark.parametrize(
    "baseline, score, category",
    [
        (20, 10, "response"),  # exactly 50%: response
        (20, 11, "partial_response"),  # 45%
        (20, 15, "partial_response"),  # exactly 25%: partial response
        (20, 16, "non_response"),  # 20%
        (20, 24, "non_response"),  # worse than baseline
        (20, 5, "response"),  # 75%, but 5 is above the PHQ-9 cut of 4
        (20, 4, "remission"),  # at the cut, baseline above it
        (6, 4, "remission"),  # only 33% better, but remission takes precedence
        (4, 0, "response"),  # baseline at the cut: no remission is counted
        (3, 2, "partial_response"),  # baseline below the cut, 33%: no remission either
        (27, 14, "partial_response"),  # 48.1%
        (27, 13, "response"),  # 51.9%
    ],
)
def test_phq9_category_of_each_score(baseline, score, category):
    """Remission (<= 4 from a baseline above 4) beats response (>= 50%), then partial (>= 25%)."""
    assert classify(baseline, score, remission_cut("phq9", Settings())) == category


@pytest.mark.parametrize(
    "baseline, score, responds", [(2, 1, True), (7, 4, False), (7, 3, True), (9, 5, False)]
)
def test_response_threshold_is_exact_in_whole_numbers(baseline, score, responds):
    """1 of 2 is exactly 50% (response); 3 of 7 is 42.9%, 4 of 7 is 57.1%; 4 of 9 is 44.4%."""
    assert is_response(baseline, score) is responds


@pytest.mark.parametrize(
    "scale_id, settings, baseline, score, category",
    [
        ("madrs", Settings(), 30, 10, "remission"),
        ("madrs", Settings(), 30, 12, "response"),
        ("madrs", Settings(madrs_remission_cut=12), 30, 12, "remission"),
        ("bdi2", Settings(), 30, 13, "remission"),
        ("bdi2", Settings(), 30, 14, "response"),
        ("bdi2", Settings(bdi2_remission_cut=14), 30, 14, "remission"),
        ("hamd17", Settings(), 20, 7, "remission"),
        ("qids_sr16", Settings(), 16, 5, "remission"),
        ("gad7", Settings(), 12, 4, "remission"),
    ],
)
def test_remission_cut_per_scale_and_settings(scale_id, settings, baseline, score, category):
    """MADRS <= 10 and BDI-II <= 13 by default, both settings; HAM-D <= 7, QIDS <= 5, GAD-7 <= 4."""
    assert classify(baseline, score, remission_cut(scale_id, settings)) == category


def test_status_is_the_latest_assessment_category():
    """Remission on 8 Jan, then 12 of baseline 20 on 12 Jan (40%): status partial_response."""
    status = analyse([("2026-01-04", 20), ("2026-01-08", 3), ("2026-01-12", 12)])
    assert [p.status for p in status.points] == [None, "remission", "partial_response"]
    assert status.status == "partial_response"
    assert status.latest.improvement == 40.0


def test_status_prefers_remission_over_response():
    """Latest 3 of baseline 20 is both 85% better and <= 4: status is remission."""
    status = analyse([("2026-01-04", 20), ("2026-01-08", 3)])
    assert status.status == "remission"


def test_baseline_below_the_cut_never_counts_remission():
    """Baseline 4 (already at the cut), latest 1: response (75%), never remission."""
    status = analyse([("2026-01-04", 4), ("2026-01-08", 1)])
    assert status.status == "response"
    assert status.first_remission is None


def test_remission_without_50_percent_is_not_a_responder():
    """Baseline 6, then 4: remission (<= 4) but only 33% better, so the verdict is not responder."""
    status = analyse([("2026-01-04", 6), ("2026-01-08", 4)])
    assert status.status == "remission"
    assert status.first_remission.session == 1
    assert status.first_response is None
    assert status.verdict.value != "responder"


def test_status_before_any_post_infusion_score_is_unknown():
    """With only the baseline there is no status yet (null in the JSON)."""
    status = analyse([("2026-01-04", 20)])
    assert status.status is None
    assert status.as_json()["status"] is None


def test_response_level_is_half_the_baseline():
    """The response line of a baseline of 22 sits at 11: a score of 11 is exactly 50% below."""
    from outcomes.response import is_response, response_level

    assert response_level(22) == 11
    assert is_response(22, 11) and not is_response(22, 12)


def test_response_score_is_the_highest_whole_score_the_rule_calls_a_response():
    """A baseline of 19 has its cut at 9.5: people are told 9, and 9 is a response, 10 is not;
    for every baseline the told score agrees with the rule itself."""
    from outcomes.response import is_response, response_score

    assert response_score(19) == 9 and is_response(19, 9) and not is_response(19, 10)
    assert response_score(22) == 11 and response_score(1) == 0
    for baseline in range(1, 80):
        told = response_score(baseline)
        assert is_response(baseline, told) and not is_response(baseline, told + 1)
