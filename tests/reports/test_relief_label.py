"""The relief curve's median label stays clear of the curve and its band (real matplotlib text)."""

from __future__ import annotations

import numpy as np
import pytest

from outcomes.cohort import relief_curve
from reports.cohort_figures import LABEL_CLEARANCE, median_label
from reports.style import A4_PORTRAIT, new_figure, report_style

CASES = {
    # R: the curve is flat at exactly 0.5 from day 14 to 30, so the median is 22 (the midpoint).
    "median on a flat stretch": ([7, 14, 30, 60], [True] * 4),
    "median on a drop": (
        [3, 5, 8, 9, 11, 12, 14, 15, 18, 21, 25, 28, 30, 35, 40, 45, 60, 75, 90, 90],
        [
            True,
            True,
            True,
            False,
            True,
            True,
            True,
            True,
            False,
            True,
            True,
            True,
            True,
            False,
            True,
            True,
            False,
            True,
            False,
            False,
        ],
    ),
    "wide band, censored tail": (
        [5, 10, 10, 20, 40, 40, 40, 60, 80, 100],
        [True, True, True, True, True, False, False, True, False, False],
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_the_median_label_touches_neither_the_curve_nor_its_band(name):
    """Over the label's width, the curve and band lie wholly below or wholly above its box."""
    days, events = CASES[name]
    curve = relief_curve(days, events)
    with report_style():
        fig = new_figure(A4_PORTRAIT)
        ax = fig.add_axes((0.1, 0.3, 0.86, 0.54))
        ax.set_ylim(0, 1.05)
        ax.set_xlim(0, max(days) * 1.04 + 1)
        label = median_label(ax, curve, curve.median, f"median {curve.median:g} days (95% CI ...)")
        fig.canvas.draw()
        box = label.get_bbox_patch().get_window_extent().transformed(ax.transData.inverted())
    # Every value of the step curve and its band over the label's days.
    times = np.append(curve.times, np.inf)
    over = [i for i in range(len(curve.times)) if times[i] < box.x1 and times[i + 1] > box.x0]
    values = np.concatenate([curve.survival[over], curve.low[over], curve.high[over]])
    clear = LABEL_CLEARANCE * 0.5  # the drawn box is the text's plus its padding
    assert values.max() <= box.y0 - clear or values.min() >= box.y1 + clear, (name, box, values)
    assert (
        0 <= box.y0 and box.y1 <= 1.05 and ax.get_xlim()[0] <= box.x0 and box.x1 <= ax.get_xlim()[1]
    )
