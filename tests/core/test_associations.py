"""Dose, dissociation and early improvement in the clinic's own data (`outcomes.associations`).

On the hand-made clinic of `tests.association_clinic` (its table gives every count below).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from outcomes.associations import MIN_GROUP, associations, correlation, first_dose_rise, rate
from outcomes.settings import Settings
from outcomes.status import analyse_all
from tests.association_clinic import AS_OF, KINDS, association_clinic

Z = 1.959963984540054  # the 97.5% point of the standard normal


@pytest.fixture(scope="module")
def figures():
    patients = association_clinic()
    statuses = analyse_all(patients, "phq9", Settings(), AS_OF)
    return associations(statuses, {pid: p.of_scale("cadss") for pid, p in patients.items()})


def wilson(k: int, n: int) -> tuple[float, float]:
    """Wilson's score interval, written out from its textbook formula (independent of scipy)."""
    p = k / n
    centre = (p + Z * Z / (2 * n)) / (1 + Z * Z / n)
    half = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n)) / (1 + Z * Z / n)
    return centre - half, centre + half


def test_wilson_interval_of_6_of_12_is_0254_to_0746():
    """6 of 12: the interval worked by hand is 0.25378 to 0.74622, and scipy agrees."""
    r = rate("x", 6, 12)
    assert (r.low, r.high) == pytest.approx((0.253782, 0.746218), abs=1e-6)
    assert (r.low, r.high) == pytest.approx(wilson(6, 12), abs=1e-12)


@pytest.mark.parametrize("k, n", [(0, 10), (10, 10), (3, 17), (41, 60)])
def test_wilson_interval_matches_the_formula_at_the_edges_and_inside(k, n):
    """0 of n and n of n keep the interval inside [0, 1]; every case matches the formula."""
    r = rate("x", k, n)
    assert (r.low, r.high) == pytest.approx(wilson(k, n), abs=1e-12)
    assert 0 <= r.low <= k / n <= r.high <= 1


def test_spearman_without_ties_matches_the_textbook_formula_and_fisher_interval():
    """rho = 1 - 6 sum d^2 / (n (n^2 - 1)) = 0.9394 for n = 10, and Fisher's interval on it."""
    xs = list(range(1, 11))
    ys = [2, 1, 4, 3, 6, 5, 8, 7, 10, 9]
    c = correlation("x", list(zip(xs, ys, strict=False)))
    d2 = sum((x - y) ** 2 for x, y in zip(xs, ys, strict=False))
    rho = 1 - 6 * d2 / (10 * (100 - 1))
    assert c.rho == pytest.approx(rho) == pytest.approx(0.939394, abs=1e-6)
    half = Z / math.sqrt(10 - 3)
    assert (c.low, c.high) == pytest.approx(
        (math.tanh(math.atanh(rho) - half), math.tanh(math.atanh(rho) + half)), abs=1e-9
    )


def test_a_constant_measure_has_no_correlation():
    """All CADSS equal: rho is undefined, reported as None, never 0."""
    c = correlation("x", [(5.0, float(i)) for i in range(12)])
    assert c.rho is None and not c.enough


def test_completers_and_left_out(figures):
    """25 courses with an outcome; the one in progress and the one without a baseline are left out."""
    assert (figures.completers, figures.left_out) == (25, 2)


def test_response_by_dose_at_the_last_induction_session(figures):
    """<= 0.5: R1 4 + NR-EARLY 3 = 4 of 7 (too small); 0.5-0.75: LATE2 2 of 2 (too small);
    > 0.75: R1-rise 2 + R3 4 + LATE 4 + NR 6 = 10 of 16."""
    bands = {r.label: (r.responded, r.n, r.enough) for r in figures.dose_bands}
    assert bands == {
        "<= 0.5 mg/kg": (4, 7, False),
        "0.5-0.75 mg/kg": (2, 2, False),
        "> 0.75 mg/kg": (10, 16, True),
    }
    high = figures.dose_bands[2]
    assert (high.low, high.high) == pytest.approx(wilson(10, 16))
    assert figures.dose_unknown == 0


def test_small_groups_are_reported_without_estimates(figures):
    """A group under MIN_GROUP patients carries its counts but no rate or interval in the JSON."""
    assert MIN_GROUP == 10
    small = figures.as_json()["response_by_dose"]["bands"][0]
    assert small == {
        "label": "<= 0.5 mg/kg",
        "responded": 4,
        "n": 7,
        "rate": None,
        "ci_low": None,
        "ci_high": None,
        "too_small": True,
    }


def test_dissociation_median_split(figures):
    """Median CADSS at infusion 1 is 10 (13th of 25); above it R1, R1-rise, R3, LATE2: 12 of 12
    responded; at or below it LATE, NR-EARLY, NR: 4 of 13."""
    assert figures.cadss_median == 10
    assert (figures.above_median.responded, figures.above_median.n) == (12, 12)
    assert (figures.at_or_below_median.responded, figures.at_or_below_median.n) == (4, 13)


def test_dissociation_rank_correlation_matches_ranks_computed_independently(figures):
    """Spearman's rho of CADSS at infusion 1 against best improvement equals Pearson's r of
    average ranks computed with pandas, and its interval is Fisher's on that r."""
    counts = {k: v[0] for k, v in KINDS.items()}
    cadss = {k: v[3] for k, v in KINDS.items()}
    best = {"R1": 60, "R1-rise": 60, "R3": 50, "LATE": 55, "LATE2": 50, "NR-EARLY": 30, "NR": 10}
    x = pd.Series([cadss[k] for k in KINDS for _ in range(counts[k])]).rank()
    y = pd.Series([best[k] for k in KINDS for _ in range(counts[k])]).rank()
    r = float(np.corrcoef(x, y)[0, 1])
    c = figures.cadss_first
    assert c.n == 25 and c.rho == pytest.approx(r)
    half = Z / math.sqrt(25 - 3)
    assert (c.low, c.high) == pytest.approx(
        (math.tanh(math.atanh(r) - half), math.tanh(math.atanh(r) + half))
    )
    assert figures.cadss_highest.rho == pytest.approx(r)  # one rating each: highest = first


def test_early_improvement_by_session_1_and_2(figures):
    """R1 and R1-rise (6) responded at session 1: left out of both comparisons and named (their
    response would be its own predictor). By session 1, improved >= 20% (score <= 16): R3 and
    NR-EARLY, 4 of 7 responded; not: LATE, LATE2, NR, 6 of 12. By session 2 LATE2 (15, 25%)
    joins the improved: 6 of 9; not: LATE and NR, 4 of 10. 6 + 7 + 12 = 6 + 9 + 10 = 25."""
    e1, e2 = figures.early
    assert (e1.session, e1.improved.responded, e1.improved.n) == (1, 4, 7)
    assert (e1.not_improved.responded, e1.not_improved.n) == (6, 12)
    assert (e2.session, e2.improved.responded, e2.improved.n) == (2, 6, 9)
    assert (e2.not_improved.responded, e2.not_improved.n) == (4, 10)
    named = sorted([f"R1-{i}" for i in range(4)] + [f"R1-rise-{i}" for i in range(2)])
    assert sorted(e1.already_responded) == sorted(e2.already_responded) == named
    assert e1.no_score == e2.no_score == ()
    doc = figures.as_json()["early_improvement"]["2"]["left_out_already_responded"]
    assert doc["count"] == 6 and sorted(doc["patients"]) == named


def test_dose_rise_before_and_after(figures):
    """Raised at session 4: R1-rise (2, responded before), LATE (4, after), NR (6, never):
    12 raised, 2 before, 4 of the 10 others after."""
    rise = figures.dose_rise
    assert (rise.raised, rise.responded_before, rise.after.responded, rise.after.n) == (
        12,
        2,
        4,
        10,
    )


def test_first_dose_rise_is_the_session_of_the_higher_dose(figures):
    """0.5, 0.5, 0.5, 0.8, ...: the rise is at session 4; a flat course has none."""
    patients = association_clinic()
    statuses = {s.patient_id: s for s in analyse_all(patients, "phq9", Settings(), AS_OF)}
    assert first_dose_rise(statuses["LATE-0"]) == 4
    assert first_dose_rise(statuses["R1-0"]) is None


def test_summary_json_has_every_figure_with_its_denominator(figures):
    """The JSON names completers, left out, and each group's n."""
    doc = figures.as_json()
    assert doc["completers"] == 25 and doc["left_out_without_outcome"] == 2
    assert doc["dissociation"]["above_median"]["n"] == 12
    assert doc["early_improvement"]["1"]["improved"]["n"] == 7
    assert doc["dose_rise"]["after_rise"]["n"] == 10


def test_esketamine_courses_get_their_own_dose_bands_at_session_8():
    """Esketamine (induction 8): 56 mg at session 8 for 3 responders, 84 mg for 2 non-responders;
    a ketamine patient stays in the ketamine bands."""
    from outcomes.records import Assessment, Infusion, group_by_patient
    from outcomes.timepoints import parse_timepoint as at

    days = [f"2026-01-{d:02d}" for d in (5, 8, 12, 15, 19, 22, 26, 29)]
    infusions, scores = [], []
    for pid, dose, final in (
        ("E1", 56, 9),
        ("E2", 56, 8),
        ("E3", 56, 10),
        ("E4", 84, 15),
        ("E5", 84, 18),
    ):
        infusions += [
            Infusion(pid, at(d), drug="esketamine", dose_mg=dose, route="intranasal") for d in days
        ]
        scores += [
            Assessment(pid, at("2026-01-04"), "phq9", 20),
            Assessment(pid, at("2026-01-30"), "phq9", final),
        ]
    infusions += [Infusion("K1", at(d), dose_mg_per_kg=0.5) for d in days[:6]]
    scores += [
        Assessment("K1", at("2026-01-04"), "phq9", 20),
        Assessment("K1", at("2026-01-23"), "phq9", 8),
    ]
    statuses = analyse_all(group_by_patient(infusions, scores), "phq9", Settings(), AS_OF)
    assert {s.patient_id: s.verdict.value for s in statuses} == {
        "E1": "responder",
        "E2": "responder",
        "E3": "responder",
        "E4": "non_responder",
        "E5": "non_responder",
        "K1": "responder",
    }
    bands = {r.label: (r.responded, r.n) for r in associations(statuses, {}).dose_bands}
    assert bands == {
        "<= 0.5 mg/kg": (1, 1),
        "0.5-0.75 mg/kg": (0, 0),
        "> 0.75 mg/kg": (0, 0),
        "esketamine 56 mg": (3, 3),
        "esketamine 84 mg": (0, 2),
    }


def test_responders_by_session_reach_session_8_when_the_clinic_has_esketamine_courses():
    """A ketamine clinic counts sessions 1-6; with an esketamine course, sessions 7 and 8 count too."""
    from outcomes.cohort import summarise
    from outcomes.records import Assessment, Infusion, group_by_patient
    from outcomes.timepoints import parse_timepoint as at

    days = [f"2026-01-{d:02d}" for d in (5, 8, 12, 15, 19, 22, 26, 29)]
    infusions = [
        Infusion("E", at(d), drug="esketamine", dose_mg=56, route="intranasal") for d in days
    ]
    scores = [
        Assessment("E", at("2026-01-04"), "phq9", 20),
        Assessment("E", at("2026-01-30"), "phq9", 9),
    ]
    statuses = analyse_all(group_by_patient(infusions, scores), "phq9", Settings(), AS_OF)
    assert statuses[0].first_response.session == 8
    assert summarise(statuses, "phq9", 6).responders_by_session == {
        "1": 0,
        "2": 0,
        "3": 0,
        "4": 0,
        "5": 0,
        "6": 0,
        "7": 0,
        "8": 1,
    }


def test_a_responder_who_stopped_early_keeps_the_dose_of_their_last_session():
    """S1 had 3 infusions of 0.6 mg/kg, responded (8 of 20) after the third and stopped; the
    course is `incomplete`-aged but its verdict is responder. Their band is 0.5-0.75 (the dose
    of session 3), not "dose unknown"; D1 had 6 infusions without a recorded dose: unknown."""
    from outcomes.records import Assessment, Infusion, group_by_patient
    from outcomes.timepoints import parse_timepoint as at

    days = INDUCTION_DAYS
    infusions = [Infusion("S1", at(d), dose_mg_per_kg=0.6) for d in days[:3]]
    infusions += [Infusion("D1", at(d)) for d in days]
    scores = [
        Assessment("S1", at("2026-01-04"), "phq9", 20),
        Assessment("S1", at("2026-01-10"), "phq9", 8),
        Assessment("D1", at("2026-01-04"), "phq9", 20),
        Assessment("D1", at("2026-01-17"), "phq9", 18),
    ]
    statuses = analyse_all(group_by_patient(infusions, scores), "phq9", Settings(), AS_OF)
    assert [s.verdict.value for s in statuses] == ["non_responder", "responder"]
    figures = associations(statuses, {})
    bands = {r.label: (r.responded, r.n) for r in figures.dose_bands}
    assert bands["0.5-0.75 mg/kg"] == (1, 1)
    assert figures.dose_unknown_patients == ("D1",)
    assert figures.as_json()["response_by_dose"]["dose_unknown_patients"] == ["D1"]


INDUCTION_DAYS = (
    "2026-01-05",
    "2026-01-07",
    "2026-01-09",
    "2026-01-12",
    "2026-01-14",
    "2026-01-16",
)
