"""How a figure is written in the JSON documents (`outcomes report --json` and its parts).

One rule for every rounded figure: a plain float rounded to the document's
decimals, and None (JSON null) for a figure that is missing or not a number,
since JSON has no NaN. The cohort's rates and relief checkpoints keep 4
decimals, the associations' rates, correlations and intervals 3.
"""

from __future__ import annotations

import math


def json_figure(value: float | None, places: int) -> float | None:
    """`value` rounded to `places` decimals as a plain float; None for None or NaN."""
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) else round(value, places)
