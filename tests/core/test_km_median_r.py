"""The Kaplan-Meier median and its interval read as R's survival package reads them.

Expected figures were computed with R 4.2.2 and survival (Debian
r-cran-survival) by
`quantile(survfit(Surv(days, event) ~ 1, conf.type = "log-log"), 0.5)`;
NA is None here. By hand, for the first case: four relapses at 7, 14, 30, 60
give S = 0.75, 0.5, 0.25, 0; S is exactly 0.5 from day 14 to day 30, so the
median is (14 + 30) / 2 = 22 (the "first day at or below 0.5" rule says 14).
"""

import pytest

from outcomes.cohort import relief_curve

E, C = True, False  # relief lost (event) / still held when last seen (censored)

R_FIGURES = [
    # (days, events, median, lower, upper) from R
    ([7, 14, 30, 60], [E, E, E, E], 22, 7, None),
    ([14], [E], 14, None, None),
    ([5, 10, 10, 20, 25, 40], [E, E, C, E, C, E], 20, 5, None),
    ([3, 8, 8, 12, 15, 21, 30, 30, 45, 60], [E, E, E, C, E, E, C, E, C, C], 21, 3, None),
    ([10, 20], [E, C], 15, 10, None),
    ([0, 0, 7, 14, 21, 28, 35, 42], [E, E, E, C, E, E, C, E], 21, 0, None),
    (
        [2, 4, 5, 7, 7, 9, 11, 14, 14, 14, 18, 21, 25, 28, 30, 33, 40, 45, 60, 90],
        [E, E, E, E, C, E, E, E, E, C, E, E, C, E, E, C, E, E, C, C],
        21,
        9,
        40,
    ),
    (list(range(1, 31)), [E, E, C] * 10, 20, 13, 25),
    ([7, 14, 30, 60, 7, 14, 30, 60], [E, E, E, E, C, C, C, C], 60, 7, None),
]


@pytest.mark.parametrize("days, events, median, lower, upper", R_FIGURES)
def test_median_and_interval_equal_r(days, events, median, lower, upper):
    """Median and 95% log-log interval as `quantile(survfit(...), 0.5)` prints them."""
    curve = relief_curve(days, events)
    assert curve.median == median
    assert curve.median_ci == (lower, upper)


def test_flat_at_one_half_takes_the_midpoint():
    """Relapses at 7, 14, 30, 60: S is 0.5 from 14 to 30, so the median is 22, not 14."""
    assert relief_curve([7, 14, 30, 60], [E] * 4).median == 22


def test_flat_at_one_half_to_the_end_runs_to_the_last_follow_up():
    """A relapse at 10 and one still holding at 20: S = 0.5 to the end, median (10 + 20) / 2 = 15."""
    assert relief_curve([10, 20], [E, C]).median == 15


def test_an_undefined_limit_is_none_never_the_estimate():
    """One relapse at day 14: median 14, but no interval at all (R: NA to NA), not 14 to None."""
    curve = relief_curve([14], [E])
    assert curve.median == 14
    assert curve.median_ci == (None, None)
