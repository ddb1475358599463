"""Improvement from baseline and the response categories (clinical-spec section 3).

improvement % = (B - S) / B x 100, positive meaning better. Remission needs a
score at or below the scale's cut *and* a baseline above it; it takes
precedence over response.
"""

from __future__ import annotations

from enum import StrEnum

from outcomes.scales import get_scale
from outcomes.settings import Settings

RESPONSE_MIN_IMPROVEMENT = 50.0  # Frank 1991; Murrough 2013, Phillips 2019
PARTIAL_MIN_IMPROVEMENT = 25.0  # convention


class ResponseStatus(StrEnum):
    """The response category of a score against the baseline.

    A `StrEnum`: each member is its own stored and JSON text ("remission", ...),
    so comparisons with plain strings and the JSON output are unchanged.
    """

    REMISSION = "remission"
    RESPONSE = "response"
    PARTIAL_RESPONSE = "partial_response"
    NON_RESPONSE = "non_response"
    #: No usable baseline (missing or 0); also a verdict (`outcomes.verdict.VerdictValue`).
    NO_BASELINE = "no_baseline"


# Module-level names for the hot paths and for callers that import them (the members, in order).
STATUSES = tuple(ResponseStatus)
REMISSION, RESPONSE, PARTIAL_RESPONSE, NON_RESPONSE, NO_BASELINE = STATUSES


def remission_cut(scale_id: str, settings: Settings) -> int | None:
    """The scale's remission cut, with the settings' MADRS/BDI-II overrides."""
    if scale_id == "madrs":
        return settings.madrs_remission_cut
    if scale_id == "bdi2":
        return settings.bdi2_remission_cut
    return get_scale(scale_id).remission_cut


def improvement(baseline: int, score: int) -> float:
    """Percent improvement from a (non-zero) baseline; positive is better.

    Raises:
        ZeroDivisionError: for a baseline of 0 (such a course is `no_baseline`).
    """
    return (baseline - score) / baseline * 100.0


def response_level(baseline: int) -> float:
    """The score at or below which a score is a response (50% below `baseline`)."""
    return baseline * (1 - RESPONSE_MIN_IMPROVEMENT / 100)


def response_score(baseline: int) -> int:
    """The highest whole score that is a response from `baseline` (19 -> 9: the cut is 9.5).

    Scores are whole numbers, so this is what people are told ("9 or lower");
    the rule itself stays `is_response`'s, which this agrees with by construction.
    """
    score = int(response_level(baseline))
    while score > 0 and not is_response(baseline, score):
        score -= 1
    while is_response(baseline, score + 1):
        score += 1
    return score


def is_response(baseline: int, score: int) -> bool:
    """Improvement >= 50%, compared in whole numbers so 50.0% is never 49.999...%."""
    return (baseline - score) * 100 >= RESPONSE_MIN_IMPROVEMENT * baseline


def is_partial_response(baseline: int, score: int) -> bool:
    """25% <= improvement < 50%."""
    return not is_response(baseline, score) and (
        (baseline - score) * 100 >= PARTIAL_MIN_IMPROVEMENT * baseline
    )


def is_remission(baseline: int, score: int, cut: int | None) -> bool:
    """Remission counts only when the baseline was above the cut."""
    return cut is not None and score <= cut and baseline > cut


def classify(baseline: int, score: int, cut: int | None) -> ResponseStatus:
    """The response category of one score against the baseline."""
    if cut is not None and score <= cut < baseline:  # is_remission, inlined: a hot path
        return REMISSION
    drop = (baseline - score) * 100
    if drop >= RESPONSE_MIN_IMPROVEMENT * baseline:
        return RESPONSE
    if drop >= PARTIAL_MIN_IMPROVEMENT * baseline:
        return PARTIAL_RESPONSE
    return NON_RESPONSE
