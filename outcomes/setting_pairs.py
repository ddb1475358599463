"""Settings that bound one range together: each pair is checked as a pair (issue 21).

A setting is checked alone by `outcomes.settings.parse_value`; a pair of
settings can still contradict each other: `resp_rate_low 40` with
`resp_rate_high 10` turns every reading into an alert. `pair_problem` says,
naming both settings and both values, why a clinic's settings (with the one
being changed) do not agree, or None. The pairs:

- respiratory rate: `resp_rate_low` at most `resp_rate_high`;
- blood-pressure hold: `bp_hold_diastolic` below `bp_hold_systolic`;
- esketamine caution below the hold: each number of `esketamine_bp_caution`
  below the hold threshold's (a caution above the hold would never warn first);
- the windows: `verdict_window_days` at most `incomplete_after_days` (a
  course still waiting for its verdict is not yet incomplete);
- response cuts, when the clinic has them as settings: partial response
  below response.
"""

from __future__ import annotations

from typing import Any, Callable, NamedTuple


class Pair(NamedTuple):
    """Two settings and what must hold between them (`ok(low, high)`), in words."""

    low: str
    high: str
    ok: Callable[[Any, Any], bool]
    words: str
    low_part: str = ""  # a part of a pressure: "systolic" or "diastolic"
    high_part: str = ""


def _at_most(low, high) -> bool:
    return low <= high


def _below(low, high) -> bool:
    return low < high


PAIRS: tuple[Pair, ...] = (
    Pair("resp_rate_low", "resp_rate_high", _at_most, "must be at most"),
    Pair("bp_hold_diastolic", "bp_hold_systolic", _below, "must be below"),
    Pair(
        "esketamine_bp_caution",
        "bp_hold_systolic",
        _below,
        "must be below",
        low_part="systolic",
    ),
    Pair(
        "esketamine_bp_caution",
        "bp_hold_diastolic",
        _below,
        "must be below",
        low_part="diastolic",
    ),
    Pair("verdict_window_days", "incomplete_after_days", _at_most, "must be at most"),
    Pair("partial_response_percent", "response_percent", _below, "must be below"),
)


def _part(value, part: str):
    return getattr(value, part) if part else value


def _named(key: str, part: str) -> str:
    return f"{key} ({part})" if part else key


def pair_problem(settings, key: str | None = None) -> str | None:
    """Why `settings` (a `Settings`) hold two values that contradict each other, or None.

    `key`: the setting being changed (only its pairs are checked; None: all). The message names
    both settings, both values, and what to change.
    """
    for pair in PAIRS:
        if key is not None and key not in (pair.low, pair.high):
            continue
        if not hasattr(settings, pair.low) or not hasattr(settings, pair.high):
            continue  # a pair of settings this clinic's release does not have
        low = _part(getattr(settings, pair.low), pair.low_part)
        high = _part(getattr(settings, pair.high), pair.high_part)
        if low is None or high is None or pair.ok(low, high):
            continue
        other = pair.high if key == pair.low else pair.low
        return (
            f"setting {_named(pair.low, pair.low_part)} {low} {pair.words} "
            f"{_named(pair.high, pair.high_part)} {high}: the two bound one range; change "
            f"{other} first, or choose a value that agrees with it"
        )
    return None
