"""Fixtures of the app tests: running apps at a set size, the cursor blink frozen.

Tests are `async def test_...` (pytest-asyncio, auto mode): a fixture here
yields the pilot of an app already running on a real SQLite file with the
fixed "today" of its clinic; the test presses keys and asserts what the
screen shows and what the file holds. Helpers to start other apps and read
the screen are in `tests.app.driving` (never import from this file).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input

from tests.app.driving import SIZE, clinician_app, patient_app
from tests.patient_clinic import OWN, build_patient_clinic


@pytest.fixture(autouse=True)
def frozen_cursor_blink(monkeypatch):
    """Input cursors stay lit instead of blinking, so no screen or snapshot depends on the blink phase."""
    # The blink timer's callback; a no-op leaves the cursor as focus set it (shown when focused).
    monkeypatch.setattr(Input, "_toggle_cursor", lambda self: None)


@pytest.fixture
async def pilot(clinic_db):
    """The clinician app on the fixed four-patient clinic at 120x36, its list loaded."""
    async with clinician_app(clinic_db, size=SIZE) as running:
        yield running


@pytest.fixture
async def empty_pilot(tmp_db_path):
    """The clinician app on a fresh database (no patients yet) at 120x36."""
    async with clinician_app(tmp_db_path, size=SIZE) as running:
        yield running


@pytest.fixture(scope="module")
def patient_clinic(tmp_path_factory) -> Path:
    """One patient-mode clinic file shared by a module's tests (patient mode only reads it)."""
    return build_patient_clinic(tmp_path_factory.mktemp("clinic") / "clinic.db")


@pytest.fixture
def charts(tmp_path) -> Path:
    """The take-home folder patient mode saves charts into (not made yet)."""
    return tmp_path / "charts"


@pytest.fixture
async def patient_pilot(patient_clinic, charts):
    """Patient mode for `OWN` at 80x24, loaded, saving charts into `charts`."""
    async with patient_app(patient_clinic, OWN, chart_dir=charts) as running:
        yield running
