"""A score a chart leaves out, and why: `NotDrawn` (made by `outcomes.chart_marks.not_drawn`,
worded by `outcomes.wording.not_drawn_words`).

Its own module, importing nothing of the status or the wording, so that both
can name it without an import loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class NotDrawn:
    """A score the chart leaves out: the timeline lists it, so the chart says why.

    Attributes:
        total: The score.
        day: Its date.
        days_before: Days before the course's first session (None without one).
        reason: BEFORE_WINDOW (too long before the first session to be the
            baseline), EARLIER (a later score before the first session is the
            baseline) or OTHER_COURSE (it belongs to another course).
    """

    total: int
    day: date
    days_before: int | None
    reason: str


#: A score taken more than `baseline_window_days` before the course's first session.
BEFORE_WINDOW = "before the baseline window"
#: A score before the baseline, which is a later one.
EARLIER = "earlier than the baseline"
#: A score of another course than the one drawn.
OTHER_COURSE = "another course"
