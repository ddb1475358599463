"""Correcting a session's time in the app carries its readings, its end and discharge (issue 21, patient C1).

C1: a session at 2026-01-07T09:00 ended 09:40, ready to leave 10:15, readings at 09:10 (SpO2 85)
and 09:40. Corrected to 10:00 through the infusion form, the readings and the end move by the same
hour: the SpO2 alert is still there, unacknowledged, and no reading is left without its session.
"""

from __future__ import annotations

import json
from datetime import date

from click.testing import CliRunner
from textual.widgets import Input

import db
from outcomes.readings import check_reading
from outcomes.validation import check_infusion, check_patient
from outcomes_app.screens.forms import InfusionForm
from outcomes_app.screens.patient_detail import PatientScreen
from outcomes_cli.cli import cli
from tests.app.driving import clinician_app, open_patient, select_timeline, settle

TODAY = date(2026, 2, 10)
WHO = "Dr Test"


def build_c1(path) -> None:
    database = db.connect(path)
    db.add_patient(
        database, check_patient({"patient_id": "C1", "weight_kg": "70"}, TODAY).values, WHO
    )
    raw = {
        "patient_id": "C1",
        "date": "2026-01-07T09:00",
        "dose_mg_per_kg": "0.5",
        "duration_min": "40",
        "ended_at": "2026-01-07T09:40",
        "ready_to_leave_at": "2026-01-07T10:15",
        "accompanied": "yes",
    }
    checked = check_infusion(raw, None, TODAY)
    assert checked.ok, checked.problems
    db.add_infusion(database, checked.values, WHO)
    for at, spo2 in (("09:10", "85"), ("09:40", "97")):
        reading = check_reading(
            {"patient_id": "C1", "session": raw["date"], "at": f"2026-01-07T{at}", "spo2": spo2},
            TODAY,
        )
        db.add_reading(database, reading.values, WHO)
    database.close()


async def test_correcting_c1s_session_time_in_the_app_moves_its_readings(tmp_path):
    """The form's correction of 09:00 to 10:00 saves; readings, end and discharge all moved one hour."""
    path = tmp_path / "clinic.db"
    build_c1(path)
    async with clinician_app(path) as pilot:
        app = pilot.app
        await open_patient(pilot, "C1")
        select_timeline(app, "Infusion 1")
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, InfusionForm)
        app.screen.query_one("#f-date", Input).value = "2026-01-07T10:00"
        app.screen.query_one("#f-reason", Input).value = "typed the wrong hour"
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await settle(pilot)
        assert isinstance(app.screen, PatientScreen)
    status = CliRunner().invoke(cli, ["--db", str(path), "status", "C1", "--json"])
    alerts = json.loads(status.output)["alerts"]
    assert any("oxygen saturation 85" in json.dumps(a) for a in alerts), alerts
    database = db.connect(path)
    data = db.load_clinic(database, "C1")
    assert db.orphaned_readings(database) == []
    database.close()
    (session,) = data.infusions.itertuples()
    assert (session.given_at, session.ended_at, session.ready_to_leave_at) == (
        "2026-01-07T10:00",
        "2026-01-07T10:40",
        "2026-01-07T11:15",
    )
    assert [(r.taken_at, r.spo2) for r in data.readings.itertuples()] == [
        ("2026-01-07T10:10", 85),
        ("2026-01-07T10:40", 97),
    ]
