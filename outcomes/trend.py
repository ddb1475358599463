"""The trend of one patient's scores (clinical-spec section 9).

The latest score is compared with the one before it on the same scale. It is
"better" when lower by at least the scale's reliable-change threshold where
one is known (PHQ-9 6 points, GAD-7 4, or the RC > 1.96 rule for a scale whose
SD and r the clinic has set), otherwise by at least 20% of the earlier score;
"worse" when higher by as much; "about the same" otherwise. The rule used is
kept with the result so that every place showing a trend can show it too.
"""

from __future__ import annotations

from dataclasses import dataclass

from outcomes.reliable_change import (
    DETERIORATED,
    FIXED_THRESHOLDS,
    IMPROVED,
    NO_PARAMETERS,
    RECOVERED,
    reliable_change,
)
from outcomes.settings import Settings

BETTER = "better"
WORSE = "worse"
SAME = "about_the_same"

#: Without a reliable-change threshold, a change of this share of the earlier
#: score counts (convention, clinical-spec section 9).
TREND_PERCENT = 20


@dataclass(frozen=True, slots=True)
class Trend:
    """Latest score against the one before it.

    Attributes:
        direction: "better", "worse" or "about_the_same".
        previous: The earlier score.
        latest: The latest score.
        reliable_rule: True when judged by the reliable-change threshold,
            False when by 20% of the earlier score.
        threshold_points: the scale's fixed reliable-change threshold in points
            (PHQ-9 6, GAD-7 4) when that judged it, else None.
    """

    direction: str
    previous: int
    latest: int
    reliable_rule: bool
    threshold_points: int | None = None


def trend_of(scale_id: str, previous: int, latest: int, settings: Settings) -> Trend:
    """Judge the change from `previous` to `latest` on one scale."""
    rc = reliable_change(scale_id, previous, latest, settings)
    if rc.category != NO_PARAMETERS:
        direction = (
            BETTER
            if rc.category in (IMPROVED, RECOVERED)
            else WORSE
            if rc.category == DETERIORATED
            else SAME
        )
        return Trend(direction, previous, latest, True, FIXED_THRESHOLDS.get(scale_id))
    # Whole-number comparison, so that 20% of 10 (2 points) is never 1.999...
    drop = previous - latest
    if drop != 0 and abs(drop) * 100 >= TREND_PERCENT * previous:
        return Trend(BETTER if drop > 0 else WORSE, previous, latest, False)
    return Trend(SAME, previous, latest, False)
