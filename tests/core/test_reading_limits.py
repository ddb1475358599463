"""The session chart's lines and sides agree with the session alerts, and a reading is placed
strictly on its side of every line whatever the rounding of a coarse scale."""

from __future__ import annotations

import pytest

from outcomes.reading_limits import crossed, limits
from outcomes.records import Infusion, Reading
from outcomes.sessions import (
    DEEP_SEDATION,
    LOW_SPO2,
    RESP_RATE,
    SESSION_BP,
    reading_alerts,
)
from outcomes.settings import Settings
from outcomes.timepoints import parse_timepoint as tp
from outcomes_app.session_chart import place

START = "2026-02-02T09:00"
KIND = {
    "spo2": LOW_SPO2,
    "respiratory_rate": RESP_RATE,
    "sedation_moaas": DEEP_SEDATION,
    "bp_systolic": SESSION_BP,
    "bp_diastolic": SESSION_BP,
}


@pytest.mark.parametrize("settings", [Settings(), Settings(spo2_alert_below=92, resp_rate_low=10)])
@pytest.mark.parametrize("field", sorted(KIND))
def test_the_chart_crosses_a_line_exactly_when_the_session_alerts(field, settings):
    """For every value 0-250: `crossed` is true exactly when `reading_alerts` raises its kind
    (which it does only past `sessions.crossing`, the quick pass over a session's readings)."""
    inf = Infusion("P1", tp(START), dose_mg_per_kg=0.5)
    for value in range(0, 251):
        reading = Reading("P1", tp("2026-02-02T09:40"), tp(START), **{field: value})
        alerted = KIND[field] in {a.kind for a in reading_alerts(inf, [reading], settings)}
        assert crossed(field, value, settings) is alerted, (field, value)
    assert limits(field, settings)


def test_a_reading_is_placed_strictly_on_its_side_of_every_line():
    """Four rows for 86-100: 88 lands below the 90 line's row, 90 on it, 91 above."""
    rows, lo, hi, lines = 4, 86, 100, [90]
    line = place(90, lo, hi, rows, lines)
    assert place(88, lo, hi, rows, lines) < line < place(91, lo, hi, rows, lines)
    for value in range(lo, hi + 1):
        row = place(value, lo, hi, rows, lines)
        assert 0 <= row < rows
        assert (row < line) == (value < 90) and (row > line) == (value > 90)
