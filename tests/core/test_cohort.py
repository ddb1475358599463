"""Cohort figures (clinical-spec section 6) and the Kaplan-Meier relief curve (section 5).

A hand-made clinic of eight patients; every one has the induction of
Mon 5 - Fri 16 January 2026 (unless said otherwise) and a PHQ-9 baseline of
20 on 4 Jan (so 10 is a response, 4 a remission):

- A responds at session 1 (10 on 6 Jan), relapses on 30 Jan (14, day 14);
- B responds at session 3 (9 on 10 Jan), remits on 17 Jan (3), holds to 15 Feb (day 30);
- C responds at session 6 (10 on 17 Jan), holds to 5 Feb (day 20);
- D does not respond (14 on 17 Jan): non_responder;
- E stopped after 3 infusions (15 on 8 Jan): incomplete;
- F started on 20 Feb (16 on 21 Feb): in_progress;
- G has no baseline: no_baseline;
- H starts at 6 and scores 4 on 17 Jan: remission (33% better) but non_responder.
"""

import math
from datetime import date

import pytest

from outcomes.cohort import relief_curve, summarise
from outcomes.records import Assessment, Infusion, group_by_patient
from outcomes.settings import Settings
from outcomes.status import analyse_all
from outcomes.timepoints import parse_timepoint as at

INDUCTION = ("2026-01-05", "2026-01-07", "2026-01-09", "2026-01-12", "2026-01-14", "2026-01-16")
BASE = ("2026-01-04", 20)
COHORT = {
    "A": (INDUCTION, [BASE, ("2026-01-06", 10), ("2026-01-17", 8), ("2026-01-30", 14)]),
    "B": (INDUCTION, [BASE, ("2026-01-10", 9), ("2026-01-17", 3), ("2026-02-15", 4)]),
    "C": (INDUCTION, [BASE, ("2026-01-17", 10), ("2026-02-05", 9)]),
    "D": (INDUCTION, [BASE, ("2026-01-17", 14)]),
    "E": (INDUCTION[:3], [BASE, ("2026-01-08", 15)]),
    "F": (("2026-02-20", "2026-02-23"), [("2026-02-19", 20), ("2026-02-21", 16)]),
    "G": (INDUCTION, [("2026-01-17", 5)]),
    "H": (INDUCTION, [("2026-01-04", 6), ("2026-01-17", 4)]),
}
AS_OF = date(2026, 3, 1)


@pytest.fixture(scope="module")
def statuses():
    infusions = [Infusion(pid, at(d)) for pid, (days, _) in COHORT.items() for d in days]
    scores = [
        Assessment(pid, at(d), "phq9", t) for pid, (_, pairs) in COHORT.items() for d, t in pairs
    ]
    return analyse_all(group_by_patient(infusions, scores), "phq9", Settings(), AS_OF)


@pytest.fixture(scope="module")
def summary(statuses):
    return summarise(statuses, "phq9")


def test_hand_made_cohort_has_the_intended_verdicts(statuses):
    """A-C responders, D and H non-responders, E incomplete, F in progress, G no baseline."""
    assert {s.patient_id: s.verdict.value for s in statuses} == {
        "A": "responder",
        "B": "responder",
        "C": "responder",
        "D": "non_responder",
        "E": "incomplete",
        "F": "in_progress",
        "G": "no_baseline",
        "H": "non_responder",
    }


def test_responders_by_session_is_cumulative(summary):
    """First responses at sessions 1 (A), 3 (B) and 6 (C): 1, 1, 2, 2, 2, 3."""
    assert summary.responders_by_session == {"1": 1, "2": 1, "3": 2, "4": 2, "5": 2, "6": 3}


def test_response_rates_completers_and_itt(summary):
    """3 responders / (3 + 2 non-responders) = 0.6; adding incomplete E: 3 / 6 = 0.5."""
    assert summary.response_rate_6 == 0.6
    assert summary.response_rate_itt == 0.5


def test_remission_rates_count_remission_within_the_window(summary):
    """B and H remitted within the verdict window: 2 / 5 completers = 0.4, ITT 2 / 6."""
    assert summary.remission_rate_6 == 0.4
    assert math.isclose(summary.remission_rate_itt, 2 / 6)


def test_patient_counts_and_verdict_counts(summary):
    """8 patients, 7 with a baseline (all but G)."""
    assert (summary.patients, summary.with_baseline) == (8, 7)
    assert summary.verdict_counts == {
        "responder": 3,
        "non_responder": 2,
        "incomplete": 1,
        "in_progress": 1,
        "no_baseline": 1,
    }


def test_waterfall_is_best_improvement_within_the_induction(summary):
    """B 85% (3), A 60% (8), C 50%, H 33.3%, D 30%, E 25%, F 20%; G has none."""
    assert [(pid, round(best, 1)) for pid, best in summary.waterfall] == [
        ("B", 85.0),
        ("A", 60.0),
        ("C", 50.0),
        ("H", 33.3),
        ("D", 30.0),
        ("E", 25.0),
        ("F", 20.0),
    ]


def test_cohort_relief_curve_from_the_responders(summary):
    """A relapses at day 14 (3 at risk), B and C are censored at 30 and 20: S = 2/3 from day 14."""
    assert sorted(zip(summary.curve.durations, summary.curve.events, strict=False)) == [
        (14, True),
        (20, False),
        (30, False),
    ]
    # Nobody was followed past day 30, so days 60 and 90 are not estimated.
    assert summary.relief_at_days == {"7": 1.0, "14": 0.6667, "30": 0.6667, "60": None, "90": None}
    assert summary.curve.at(90) == summary.curve.at(30)  # the drawn step carries forward
    assert summary.median_relief_days is None  # never down to one half


def test_cohort_json_has_the_interface_keys(summary):
    """report --json carries at least the keys interface.md names, with "1".."6" and "7".."90"."""
    doc = summary.as_json()
    for key in (
        "patients",
        "with_baseline",
        "scale",
        "responders_by_session",
        "response_rate_6",
        "remission_rate_6",
        "response_rate_itt",
        "median_relief_days",
        "relief_at_days",
    ):
        assert key in doc
    assert list(doc["responders_by_session"]) == ["1", "2", "3", "4", "5", "6"]
    assert list(doc["relief_at_days"]) == ["7", "14", "30", "60", "90"]
    assert doc["scale"] == "phq9"


def test_empty_cohort_gives_nulls_not_errors():
    """No patients: rates and the median are None, counts are 0."""
    summary = summarise([], "phq9")
    assert summary.response_rate_6 is None and summary.median_relief_days is None
    assert summary.relief_at_days == {"7": None, "14": None, "30": None, "60": None, "90": None}
    assert summary.as_json()["patients"] == 0


# --- Kaplan-Meier by hand ---------------------------------------------------------


def loglog_band(s, variance_sum):
    """The 95% log-log band of a Kaplan-Meier estimate s with Greenwood sum d/(n(n-d))."""
    se = math.sqrt(variance_sum) / abs(math.log(s))
    return s ** math.exp(1.959964 * se), s ** math.exp(-1.959964 * se)


def test_kaplan_meier_relief_at_days_by_hand():
    """Durations 5, 10, 15, 20+, 25: S = 4/5 = 0.8 from day 5, 0.6 from 10, 0.4 from 15, 0 at 25."""
    curve = relief_curve([5, 10, 15, 20, 25], [True, True, True, False, True])
    assert curve.at(4) == 1.0
    assert math.isclose(curve.at(7), 0.8)
    assert math.isclose(curve.at(14), 0.6)
    assert math.isclose(curve.at(20), 0.4)  # the censored 20 does not step the curve
    assert curve.at(30) == 0.0
    assert curve.estimate(90) == 0.0  # relief had ended for everyone still observed
    assert curve.median == 15.0  # first day S <= 0.5
    assert curve.at_risk(12) == 3  # 15, 20 and 25 still observed


def test_kaplan_meier_band_matches_the_log_log_formula():
    """At day 5 Greenwood's sum is 1/(5 x 4) = 0.05: band 0.8^exp(+-1.96 x 1.002) = 0.204-0.969."""
    curve = relief_curve([5, 10, 15, 20, 25], [True, True, True, False, True])
    low, high = loglog_band(0.8, 1 / 20)
    i = list(curve.times).index(5.0)
    assert math.isclose(curve.low[i], low, rel_tol=1e-4) and math.isclose(low, 0.2038, abs_tol=1e-4)
    assert math.isclose(curve.high[i], high, rel_tol=1e-4) and math.isclose(
        high, 0.9692, abs_tol=1e-4
    )
    # The median's interval: the lower band falls to 0.5 at day 5; the upper never does.
    assert curve.median_ci == (5.0, None)


def test_median_confidence_interval_where_defined():
    """Ten relapses on days 1..10: median 5.5 (S is exactly 0.5 from day 5 to 6; R says 5.5) with 95% CI 1 to 8."""
    # Greenwood's sums telescope: the sum of 1/(n(n-1)) for n = 10 down to
    # 10-k+1 is 1/(10-k) - 1/10. Day 7: S = 0.3, sum 1/3 - 1/10 -> upper 0.578
    # (> 0.5); day 8: S = 0.2, sum 1/2 - 1/10 = 0.4 -> upper 0.475 (<= 0.5).
    # Day 1: S = 0.9, sum 1/90 -> lower 0.473 (<= 0.5).
    curve = relief_curve(list(range(1, 11)), [True] * 10)
    assert math.isclose(loglog_band(0.3, 1 / 3 - 1 / 10)[1], 0.578, abs_tol=1e-3)
    assert math.isclose(loglog_band(0.2, 1 / 2 - 1 / 10)[1], 0.475, abs_tol=1e-3)
    assert math.isclose(loglog_band(0.9, 1 / 90)[0], 0.473, abs_tol=1e-3)
    assert curve.median == 5.5
    assert curve.median_ci == (1.0, 8.0)


def test_all_censored_relief_never_falls():
    """Nobody has lost relief yet: the curve stays at 1 and the median is not reached."""
    curve = relief_curve([10, 20], [False, False])
    assert curve.at(20) == 1.0
    assert curve.estimate(90) is None  # nobody followed that long
    assert curve.median is None and curve.median_ci == (None, None)


def test_no_responders_no_curve():
    """Without responders there is no curve."""
    assert relief_curve([], []) is None


def test_responders_by_session_follows_the_induction_setting():
    """With induction_sessions = 4 the cohort table runs "1".."4" without being told."""
    infusions = [Infusion("A", at(d)) for d in INDUCTION[:4]]
    scores = [
        Assessment("A", at("2026-01-04"), "phq9", 20),
        Assessment("A", at("2026-01-08"), "phq9", 9),
    ]
    statuses = analyse_all(
        group_by_patient(infusions, scores), "phq9", Settings(induction_sessions=4), AS_OF
    )
    assert summarise(statuses, "phq9").responders_by_session == {"1": 0, "2": 1, "3": 1, "4": 1}
