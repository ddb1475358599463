"""The files a patient takes home: the chart as a PNG and the one-page take-home PDF.

Both are written owner-only into a folder of the patient's (`db.files.private_folder`);
matplotlib loads only when a file is asked for.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Sequence

from outcomes.dissociation import cadss_per_infusion
from outcomes.followup import next_followup
from outcomes.records import Assessment
from outcomes.scales import get_scale
from outcomes.status import PatientStatus, analyse_patient
from outcomes.wording import day_text as _day_text
from outcomes.wording import (
    headline,
    milestone_lines,
    scale_line,
    session_lines,
)
from outcomes_app.chart import chart_data
from outcomes_app.patient_mode.view import PatientView
from outcomes_app.patient_mode.words import glossary, needs_crisis_text


def handout_of(view: PatientView, scale_id: str | None, today: date, checkin=None):
    """The take-home page's words and chart: patient mode's own, for one scale (`checkin`: the
    next check-in's link, `outcomes_app.checkin_link.checkin_print`)."""
    from reports.handout import Handout  # matplotlib is loaded only when a page is asked for

    status = (
        analyse_patient(view.data, scale_id, view.settings, today, view.acknowledged)
        if scale_id
        else None
    )
    return Handout(
        patient_id=view.patient_id,
        who=view.name or view.patient_id,
        clinic=view.settings.clinic_name,
        day=today,
        headline=headline(status, scale_id),
        about=scale_line(scale_id) if scale_id else "",
        milestones=[
            line.removeprefix("[x] ").removeprefix("[ ] ") for line in milestone_lines(status)
        ]
        if status
        else [],
        sessions=session_lines(status, next_followup(status, today), today) if status else [],
        crisis=view.settings.crisis_text if needs_crisis_text(status) else None,
        glossary=glossary(status, view.settings),
        marks=chart_data(status) if status and status.points else None,
        checkin=checkin,
    )


def save_handout(
    view: PatientView, scale_id: str | None, folder: Path, today: date, checkin=None
) -> Path:
    """Write the patient's take-home page (PDF) into `folder`; returns its path."""
    from db.files import private_folder
    from reports.handout import handout_path, write_handout

    private_folder(folder, parents=True)
    return write_handout(
        handout_of(view, scale_id, today, checkin), handout_path(folder, view.patient_id, today)
    )


def save_chart_png(
    status: PatientStatus,
    folder: Path,
    today: date,
    name: str | None = None,
    cadss: Sequence[Assessment] = (),
) -> Path:
    """Save the patient's progress chart (the report's, `reports.patient_chart`) as a PNG.

    The file is named after the patient, the scale and the day, e.g.
    ``P001-1a2b3c4d-phq9-2026-02-20.png``; saving again the same day replaces
    that day's picture. `cadss` are the patient's CADSS ratings, drawn per
    infusion; the clinical alert flags are left out (the screen shows the
    clinic's crisis text instead).
    """
    # Imported here: matplotlib is only needed when a patient asks for a file.
    from db.files import private_folder
    from reports.names import inside, patient_stem
    from reports.patient_chart import write_chart_png

    private_folder(folder, parents=True)
    path = inside(
        folder, f"{patient_stem(status.patient_id)}-{status.scale}-{today.isoformat()}.png"
    )
    who = f" - {name}" if name else ""
    title = f"Your {get_scale(status.scale).name} scores{who} (to {_day_text(today)})"
    return write_chart_png(status, cadss_per_infusion(status, cadss), path, title, alerts=False)
