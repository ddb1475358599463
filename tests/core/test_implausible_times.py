"""Implausible session times are refused as the duration is bounded (issue 21, clinical-spec 11).

Esketamine ready to leave four months after the session, a ketamine infusion ended three or seven
days after its start (while a 601-minute duration was refused): each is refused at most 600 minutes
after the start, in the check every form and importer shares (`check_infusion`), by the CSV import
with its line and column, and in the app's end-of-session dialog. Nothing is written.
"""

from __future__ import annotations

from datetime import date

import pytest
from click.testing import CliRunner

import db
from outcomes.validation import SESSION_END_LIMIT_MIN, check_infusion
from outcomes_cli.cli import cli

TODAY = date(2026, 6, 1)


def session(**extra):
    return {"patient_id": "P1", "date": "2026-01-07T09:00", "dose_mg_per_kg": "0.5", **extra}


@pytest.mark.parametrize(
    "field, when, words",
    [
        ("ready_to_leave_at", "2026-05-07T11:00", "ready to leave"),
        ("ended_at", "2026-01-10T09:00", "end of the infusion"),
        ("ended_at", "2026-01-14T09:40", "end of the infusion"),
        ("ready_to_leave_at", "2026-01-07T19:01", "ready to leave"),
    ],
)
def test_a_session_end_past_the_longest_duration_is_refused(field, when, words):
    """More than 600 minutes after the start: refused, with the time, the minutes and the limit."""
    checked = check_infusion(session(**{field: when}), None, TODAY)
    messages = [p.message for p in checked.errors if p.field == field]
    assert messages, checked.problems
    assert words in messages[0] and when in messages[0] and "at most 600 minutes" in messages[0]


def test_the_longest_allowed_end_is_accepted():
    """Exactly 600 minutes after the start is allowed (the duration's own bound)."""
    assert SESSION_END_LIMIT_MIN == 600
    checked = check_infusion(
        session(ended_at="2026-01-07T19:00", ready_to_leave_at="2026-01-07T19:00"), None, TODAY
    )
    assert checked.ok, checked.problems


def test_the_csv_import_refuses_a_late_discharge_with_line_and_column(tmp_path):
    """`outcomes import infusions`: the row's line and column named, nothing written."""
    clinic = tmp_path / "clinic.db"
    patients = tmp_path / "patients.csv"
    patients.write_text("patient_id,weight_kg\nP1,70\n")
    assert (
        CliRunner()
        .invoke(cli, ["--db", str(clinic), "import", "patients", str(patients)])
        .exit_code
        == 0
    )
    infusions = tmp_path / "infusions.csv"
    infusions.write_text(
        "patient_id,date,drug,dose_mg,ready_to_leave_at\n"
        "P1,2026-01-07T09:00,esketamine,56,2026-05-07T11:00\n"
    )
    result = CliRunner().invoke(cli, ["--db", str(clinic), "import", "infusions", str(infusions)])
    assert result.exit_code == 1
    assert "line 2" in result.output and "ready_to_leave_at" in result.output
    assert "at most 600 minutes" in result.output
    assert db.record_counts(db.connect(clinic))["infusions"] == 0


async def test_the_app_end_of_session_dialog_refuses_a_discharge_the_next_morning(tmp_path):
    """The session screen's end dialog: a ready-to-leave the next morning is refused in the dialog."""
    from tests.app.driving import clinician_app, open_patient, settle, text_of
    from tests.app.test_session_screen import esketamine_clinic

    path = tmp_path / "clinic.db"
    esketamine_clinic(path)
    async with clinician_app(path) as pilot:
        await open_patient(pilot, "E001")
        await pilot.press("v")
        await settle(pilot)
        await pilot.press("ctrl+e")
        await settle(pilot)
        pilot.app.screen.query_one("#m-ready").value = "2026-02-10T09:00"
        pilot.app.screen.query_one("#m-accompanied").value = "yes"
        await pilot.press("enter")
        await settle(pilot)
        error = " ".join(text_of(pilot.app, "#modal-error").split())
        assert "1,140 minutes" in error and "at most 600 minutes" in error
    data = db.load_clinic(db.connect(path))
    assert data.infusions["ready_to_leave_at"].isna().all()
