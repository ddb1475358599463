"""The relief curve's 95% band is drawn only where R's survival gives one (issue 22).

R (`survfit(..., conf.type = "log-log")`) leaves the interval undefined (NA) where the
estimate is 1 or 0: an all-censored curve has no band at all. The band is read back from
the real matplotlib figure: the filled area of `fill_between`.
"""

from __future__ import annotations

import math

import numpy as np
from matplotlib.collections import FillBetweenPolyCollection, PolyCollection

from outcomes.cohort import CohortSummary, relief_curve
from reports.cohort_figures import draw_relief_curve
from reports.style import A4_LANDSCAPE, new_figure, report_style


def summary_with(curve) -> CohortSummary:
    return CohortSummary(
        scale="phq9",
        patients=len(curve.durations),
        with_baseline=len(curve.durations),
        verdict_counts={"responder": len(curve.durations)},
        responders_by_session={},
        response_rate_6=1.0,
        response_rate_itt=1.0,
        remission_rate_6=None,
        remission_rate_itt=None,
        waterfall=[],
        curve=curve,
        total_only_records=0,
        inductions={"ketamine": 6},
    )


def band_area(days, events) -> tuple[float, int]:
    """The area the drawn band covers, in data units (day x probability), and its vertices
    (a band of 1.0 to 1.0 has no area but is still drawn: it has vertices)."""
    with report_style():
        fig = new_figure(A4_LANDSCAPE)
        draw_relief_curve(fig, summary_with(relief_curve(days, events)))
        ax = fig.axes[0]
        fills = [
            c for c in ax.collections if isinstance(c, (PolyCollection, FillBetweenPolyCollection))
        ]
        area, vertices = 0.0, 0
        for fill in fills:
            for path in fill.get_paths():
                xy = path.vertices
                vertices += len(xy)
                if len(xy) < 3:
                    continue
                x, y = xy[:, 0], xy[:, 1]
                area += 0.5 * abs(np.dot(x, np.roll(y, 1)) - np.dot(y, np.roll(x, 1)))
    return area, vertices


def test_an_all_censored_curve_draws_no_band():
    """Two responders still holding at days 10 and 20: the estimate is 1 throughout, R gives
    no interval, and nothing is shaded (not a band of 1.0 to 1.0)."""
    curve = relief_curve([10, 20], [False, False])
    low, high = curve.drawn_band()
    assert np.isnan(low).all() and np.isnan(high).all()
    assert band_area([10, 20], [False, False]) == (0.0, 0)


def test_a_curve_with_events_draws_its_band_where_defined():
    """Relapses at 7 and 14 of four (censored at 30 and 60): S = 0.75 from day 7, 0.5 from 14;
    the band is shaded there, with the log-log limits."""
    days, events = [7, 14, 30, 60], [True, True, False, False]
    curve = relief_curve(days, events)
    low, high = curve.drawn_band()
    at7 = int(np.searchsorted(curve.times, 7))
    assert curve.survival[at7] == 0.75
    # Greenwood: var sum = 1/(4*3); log-log: exp(-exp(log(-log S) +- 1.96 sqrt(v)/|log S|)).
    v = 1 / 12
    se = math.sqrt(v) / abs(math.log(0.75))
    assert math.isclose(low[at7], 0.75 ** math.exp(1.959964 * se), rel_tol=1e-5)
    assert math.isclose(high[at7], 0.75 ** math.exp(-1.959964 * se), rel_tol=1e-5)
    assert band_area(days, events)[0] > 0.0
