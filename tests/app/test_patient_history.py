"""The patient's history (`l`) shows every audited change: session readings, and what a
discharge entry changed, with the old and the new values."""

from __future__ import annotations

from outcomes_app.screens.records import HistoryScreen
from tests.app.driving import clinician_app, open_patient, settle, text_of
from tests.app.test_session_screen import add_reading, esketamine_clinic


async def test_history_lists_readings_and_the_discharge_fields_with_old_and_new_values(
    tmp_db_path,
):
    """Two readings and an end-of-session entry made on the session screen: `l` lists both
    readings with their values and the discharge's ready-to-leave time and escort, old → new."""
    esketamine_clinic(tmp_db_path)
    async with clinician_app(tmp_db_path) as pilot:
        app = pilot.app
        await open_patient(pilot, "E001")
        await pilot.press("v")
        await settle(pilot)
        await add_reading(pilot, "14:00", "136/86", "72", "98", "14", "5")
        await add_reading(pilot, "+40", "148/94", "80", "88", "12", "3", "drowsy")
        await pilot.press("ctrl+e")
        await settle(pilot)
        app.screen.query_one("#m-ready").value = "16:15"
        app.screen.query_one("#m-accompanied").value = "no"
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("l")
        await settle(pilot)
        assert isinstance(app.screen, HistoryScreen)
        text = text_of(app, "#history-text")
        assert "no field changed" not in text
        assert "ready to leave at: (empty) → 2026-02-09 16:15" in text
        assert "accompanied home: (empty) → no" in text
        assert "why: end of session and discharge recorded" in text
        assert "Recorded reading of 2026-02-09 14:00" in text
        assert "Recorded reading of 2026-02-09 14:40" in text
        assert "SpO2 (%): 88" in text and "MOAA/S: 3" in text and "notes: drowsy" in text
        assert "BP systolic: 148 · BP diastolic: 94" in text
        assert "session: 2026-02-09 14:00" in text
