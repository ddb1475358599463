"""The patient's own progress after a check-in: the take-home page's words and chart.

Shown only where the clinic allows it (setting `checkin_show_progress`, off
by default). The words are those of the take-home page and patient mode
(`outcomes.wording`), the chart is the take-home page's (`reports.handout`),
for the first scale of the check-in.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import date

import db
from outcomes import checkin as words
from outcomes.chart_marks import chart_data
from outcomes.scales import get_scale
from outcomes.settings import Settings
from outcomes.status import analyse_patient
from outcomes.wording import headline, milestone_lines


@dataclass(frozen=True)
class Progress:
    title: str
    headline: str
    chart: str | None  # base64 PNG
    chart_alt: str
    milestones: list[str] = field(default_factory=list)


def progress_of(
    database, patient_id: str, scale_id: str, settings: Settings, today: date
) -> Progress:
    """One patient's progress on one scale, as the take-home page words it."""
    from reports.handout import chart_png  # matplotlib: loaded only when a clinic shows progress

    mine = db.load_patient(database, patient_id)
    status = analyse_patient(
        mine.data, scale_id, settings, today, frozenset(mine.clinic.acknowledged)
    )
    marks = chart_data(status) if status.points else None
    png = chart_png(marks) if marks is not None else None
    return Progress(
        title=words.SEE_PROGRESS,
        headline=headline(status, scale_id),
        chart=base64.b64encode(png).decode("ascii") if png else None,
        chart_alt=f"Your {get_scale(scale_id).name} scores over time (lower is better)",
        milestones=[
            line.removeprefix("[x] ").removeprefix("[ ] ") for line in milestone_lines(status)
        ],
    )
