"""Where each session measure's alert line is, and on which side of it a reading alerts.

The session screen's chart draws one panel per measure with its own scale;
it asks here which lines a measure has and whether a reading crossed one, so
that the chart and the session alerts (`outcomes.sessions.reading_alerts`,
tested to agree) never differ. Every threshold is the clinic's setting.
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

from outcomes.settings import Settings

#: The measures of a reading that have alert lines (heart rate has none).
ALERTING_MEASURES = ("spo2", "respiratory_rate", "sedation_moaas", "bp_systolic", "bp_diastolic")

#: How a line is crossed: "below" (value < line), "above" (value > line),
#: "at or below" (value <= line), "at or above" (value >= line).
BELOW, ABOVE, AT_OR_BELOW, AT_OR_ABOVE = "below", "above", "at or below", "at or above"


class Limit(NamedTuple):
    """One alert line of one measure: its value, how it is crossed, and its setting."""

    value: int
    crossed_when: str
    setting: str

    def crossed(self, reading_value: float) -> bool:
        """True when `reading_value` is on the alerting side of this line.

        Also takes a numpy array of values, and answers for each (a clinic's readings at once:
        `outcomes.reading_table`); NaN, a missing value, is on neither side.
        """
        side, line = self.crossed_when, self.value
        if side == BELOW:
            return reading_value < line
        if side == ABOVE:
            return reading_value > line
        if side == AT_OR_BELOW:
            return reading_value <= line
        return reading_value >= line

    @property
    def alerts_downward(self) -> bool:
        """True when the alerting side is below the line."""
        return self.crossed_when in (BELOW, AT_OR_BELOW)


def limits(field: str, settings: Settings) -> tuple[Limit, ...]:
    """The alert lines of a reading field (none for heart rate: no session alert uses it)."""
    s = settings
    return {
        "bp_systolic": (Limit(s.bp_hold_systolic, AT_OR_ABOVE, "bp_hold_systolic"),),
        "bp_diastolic": (Limit(s.bp_hold_diastolic, AT_OR_ABOVE, "bp_hold_diastolic"),),
        "spo2": (Limit(s.spo2_alert_below, BELOW, "spo2_alert_below"),),
        "respiratory_rate": (
            Limit(s.resp_rate_low, BELOW, "resp_rate_low"),
            Limit(s.resp_rate_high, ABOVE, "resp_rate_high"),
        ),
        "sedation_moaas": (
            Limit(s.sedation_alert_at_or_below, AT_OR_BELOW, "sedation_alert_at_or_below"),
        ),
    }.get(field, ())


def crossed(field: str, value: float | None, settings: Settings) -> bool:
    """True when a reading's `field` value is on the alerting side of any of its lines."""
    return any_crossed(limits(field, settings), value)


def any_crossed(lines: tuple[Limit, ...], value: float | None) -> bool:
    """True when `value` is on the alerting side of any of `lines` (one measure's `limits`,
    asked once for a session's readings rather than once a reading)."""
    return value is not None and any(line.crossed(value) for line in lines)


@lru_cache(maxsize=16)
def alert_lines(settings: Settings) -> tuple[tuple[str, tuple[Limit, ...]], ...]:
    """Each alerting measure with its lines at `settings` (worked out once per settings)."""
    return tuple((measure, limits(measure, settings)) for measure in ALERTING_MEASURES)


def reading_crosses(reading, settings: Settings) -> bool:
    """True when one reading (a `records.Reading`) crosses a line of any of its measures."""
    return any(
        any_crossed(lines, getattr(reading, measure)) for measure, lines in alert_lines(settings)
    )
