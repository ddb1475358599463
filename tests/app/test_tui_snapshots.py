"""Snapshots of the clinician app's main screens at 120x36, fixed clock and data.

The clinic of `tests.clinic.build_clinic` and a fixed "today" make every picture
reproducible; the cursor blink is frozen (`tests/app/conftest.py`) and workers
are awaited before the screenshot. Update with
`pytest tests/app/test_tui_snapshots.py --snapshot-update`, after looking at
each changed picture.
"""

from __future__ import annotations

import tui
from outcomes_app.app import OutcomesApp
from outcomes_app.virtual_table import VirtualTable
from tests.app.driving import SIZE, ready
from tests.clinic import TODAY


def make(path) -> OutcomesApp:
    return tui.make_app(path, today=TODAY, clinician="Dr Snapshot")


async def loaded(pilot) -> None:
    """Wait for the clinic worker; the list has the focus."""
    await ready(pilot)
    pilot.app.screen.query_one("#patients", VirtualTable).focus()
    await pilot.pause()


def detail(pid: str, *keys: str):
    """Open `pid`'s detail screen, press `keys`, wait for the workers."""

    async def run_before(pilot) -> None:
        await loaded(pilot)
        pilot.app.open_patient(pid)
        await pilot.pause()
        for key in keys:
            await pilot.press(key)
            await pilot.pause()
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()

    return run_before


def after(*keys: str):
    """From the loaded list, press `keys`."""

    async def run_before(pilot) -> None:
        await loaded(pilot)
        for key in keys:
            await pilot.press(key)
            await pilot.pause()

    return run_before


def test_snapshot_patient_list(clinic_db, snap_compare):
    """The patient list with verdicts, relief days and the open-alert flag."""
    assert snap_compare(make(clinic_db), terminal_size=SIZE, run_before=after())


def test_snapshot_responder_detail(clinic_db, snap_compare):
    """A responder's detail: status panel with its rule, timeline, chart, side effects."""
    assert snap_compare(make(clinic_db), terminal_size=SIZE, run_before=detail("P001"))


def test_snapshot_alert_banner_on_detail(clinic_db, snap_compare):
    """A non-responder with an open suicidality alert shows the red banner."""
    assert snap_compare(make(clinic_db), terminal_size=SIZE, run_before=detail("P002"))


def test_snapshot_assessment_form(clinic_db, snap_compare):
    """The PHQ-9 form with item text, ranges and the live summary."""
    assert snap_compare(
        make(clinic_db), terminal_size=SIZE, run_before=detail("P003", "s", "2", "tab", "3")
    )


def test_snapshot_infusion_form(clinic_db, snap_compare):
    """The infusion form with the live total dose."""
    assert snap_compare(
        make(clinic_db), terminal_size=SIZE, run_before=detail("P003", "i", "0", "full_stop", "5")
    )


def test_snapshot_settings(clinic_db, snap_compare):
    """The settings screen lists every setting with its value and meaning."""
    assert snap_compare(make(clinic_db), terminal_size=SIZE, run_before=after("comma"))


def test_snapshot_follow_ups(clinic_db, snap_compare):
    """The follow-ups due screen."""
    assert snap_compare(make(clinic_db), terminal_size=SIZE, run_before=after("f"))


def test_snapshot_patient_list_light_theme(clinic_db, snap_compare):
    """The patient list in the light theme (ctrl+t)."""
    assert snap_compare(make(clinic_db), terminal_size=SIZE, run_before=after("ctrl+t"))


def test_snapshot_acknowledge_modal(clinic_db, snap_compare):
    """The acknowledgement modal asks for the clinician's name and a note."""
    assert snap_compare(make(clinic_db), terminal_size=SIZE, run_before=detail("P002", "a"))
