"""Reliable change after Jacobson & Truax 1991 (clinical-spec section 7).

PHQ-9 and GAD-7 use the fixed NHS Talking Therapies thresholds (a change of
6 and 4 points). Other scales use RC = |change| / S_diff with
S_diff = SD x sqrt(2) x sqrt(1 - r), reliable when RC > 1.96, and only when
the clinic has set SD and r; otherwise the answer says so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from outcomes.response import remission_cut
from outcomes.settings import Settings

FIXED_THRESHOLDS = {"phq9": 6, "gad7": 4}  # NHS Talking Therapies
RC_CRITICAL = 1.96

RECOVERED = "recovered"
IMPROVED = "improved"
UNCHANGED = "unchanged"
DETERIORATED = "deteriorated"
NO_PARAMETERS = "no reliable-change parameters"


@dataclass(frozen=True, slots=True)
class ReliableChange:
    """The category and how it was reached.

    Attributes:
        category: recovered, improved, unchanged, deteriorated, or "no
            reliable-change parameters".
        detail: The rule applied (threshold or RC), without the direction:
            `outcomes.wording.reliable_words` puts the two together.
        change: Points from the earlier score to the later, positive = lower
            (better); None without parameters.
    """

    category: str
    detail: str
    change: int | None = None

    @property
    def deteriorated(self) -> bool:
        return self.category == DETERIORATED


def reliable_change(scale_id: str, baseline: int, score: int, settings: Settings) -> ReliableChange:
    """Classify the change from `baseline` to `score` on `scale_id`."""
    change = baseline - score  # positive = improvement
    if scale_id in FIXED_THRESHOLDS:
        threshold = FIXED_THRESHOLDS[scale_id]
        reliable = abs(change) >= threshold
        how = f"a change of {threshold} points or more is reliable (NHS Talking Therapies)"
    else:
        sd = getattr(settings, f"rc_sd_{scale_id}", None)
        r = getattr(settings, f"rc_r_{scale_id}", None)
        if sd is None or r is None:
            return ReliableChange(
                NO_PARAMETERS,
                f"no reliable-change parameters for {scale_id}: set rc_sd_{scale_id} and rc_r_{scale_id}",
            )
        s_diff = sd * math.sqrt(2) * math.sqrt(1 - r)
        rc = abs(change) / s_diff
        reliable = rc > RC_CRITICAL
        how = f"RC = {rc:.2f} (reliable above {RC_CRITICAL})"
    if not reliable or change == 0:
        return ReliableChange(UNCHANGED, how, change)
    if change < 0:
        return ReliableChange(DETERIORATED, how, change)
    cut = remission_cut(scale_id, settings)
    if cut is not None and baseline > cut >= score:
        return ReliableChange(RECOVERED, how + f"; now at or below the remission cut {cut}", change)
    return ReliableChange(IMPROVED, how, change)
