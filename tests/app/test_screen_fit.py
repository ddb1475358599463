"""Every clinician screen read at 80x24 and 120x36: nothing cut at the edge, the help key shown.

Each test opens one screen of the real app at one size and reads what the
terminal shows (the compositor's lines): every key the footer shows is there
in full with the help key among them ("? All keys" when some were left out);
no table runs past the edge (nothing to scroll sideways to, so no cell is cut
mid-word); and the screen's own long texts (a setting's meaning, the whole
status card, the session's reading help) are read in full, wrapped.
"""

from __future__ import annotations

import re

import pytest
from textual.widgets import DataTable
from textual.widgets._footer import FooterKey

import db
from outcomes.settings import SETTING_SPECS
from outcomes_app.footer import KeyFooter
from outcomes_app.virtual_table import VirtualTable
from tests.app.driving import clinician_app, open_patient, screen_text, settle
from tests.app.test_session_screen import add_reading
from tests.clinic import add_infusion

SIZES = [(80, 24), (120, 36)]


def lines(app) -> list[str]:
    return screen_text(app).split("\n")[2:]  # less the title and sub-title


def joined(app) -> str:
    """The screen's text with wrapped lines joined: a sentence reads whole across a wrap."""
    return re.sub(r"\s+", " ", " ".join(line.strip(" │▏▎▊") for line in lines(app)))


def assert_fits(app) -> None:
    """Footer keys whole, the help key among them, and no table wider than its box."""
    footer = app.screen.query_one(KeyFooter)
    shown = [f"{k.key_display} {k.description}".strip() for k in footer.query(FooterKey)]
    last = lines(app)[-1]
    assert all(label in last for label in shown), (shown, last)
    assert any(label.endswith(("Help", "All keys")) for label in shown), shown
    for table in app.screen.query(DataTable):
        if table.display and table.row_count:
            assert table.virtual_size.width <= table.scrollable_content_region.width, table.id
    for table in app.screen.query(VirtualTable):
        assert table.max_scroll_x == 0


@pytest.fixture
def long_clinic(clinic_db):
    """The fixed clinic, P001 with a session whose side effects make a long cell."""
    database = db.connect(clinic_db)
    add_infusion(
        database,
        "P001",
        "2026-01-30T09:00",
        side_effects="nausea;dizziness;headache;blurred_vision;elevated_bp;dissociation",
        bp_systolic_pre=150,
        bp_diastolic_pre=95,
    )
    database.conn.close()
    return clinic_db


@pytest.mark.parametrize("size", SIZES)
async def test_patient_list_fits(long_clinic, size):
    """The list: its header counts and the help key in full at either size."""
    async with clinician_app(long_clinic, size=size) as pilot:
        assert_fits(pilot.app)
        text = joined(pilot.app)
        assert "4 patients · scale PHQ-9 · 1 with open alerts" in text
        assert "Search id or name (/)" in text


@pytest.mark.parametrize("size", SIZES)
async def test_patient_screen_fits_and_shows_the_whole_status(long_clinic, size):
    """P001: the whole status card can be read (in its box), the timeline is on the screen,
    and the side effects and records wrap rather than run past the edge."""
    async with clinician_app(long_clinic, size=size) as pilot:
        app = pilot.app
        await open_patient(pilot, "P001")
        await settle(pilot)
        assert_fits(app)
        assert app.screen.query_one("#timeline").region.height >= 4  # on the screen, not below
        box = app.screen.query_one("#status-scroll")
        panel = app.screen.query_one("#status-panel")
        assert panel.region.height >= panel.virtual_size.height  # nothing cut: it scrolls
        assert box.max_scroll_y == 0 if size == (120, 36) else box.max_scroll_y >= 0
        if size == (120, 36):
            assert "Next follow-up:" in joined(app) or "Relief:" in joined(app)
        side = app.screen.query_one("#per-infusion", DataTable)
        effects = str(side.get_row_at(side.row_count - 1)[-1])
        assert "\n" in effects  # wrapped over lines, in full
        assert " ".join(effects.split()) == (
            "nausea, dizziness, headache, blurred vision, elevated bp, dissociation"
        )
        assert "? All keys" in lines(app)[-1]  # the patient screen has more keys than fit


@pytest.mark.parametrize("size", SIZES)
async def test_session_screen_fits(long_clinic, size):
    """The session screen: the reading help wraps whole, the footer names the help key."""
    async with clinician_app(long_clinic, size=size) as pilot:
        await open_patient(pilot, "P001")
        await pilot.press("v")
        await settle(pilot)
        assert type(pilot.app.screen).__name__ == "SessionScreen"
        await add_reading(pilot, "09:20", "158/92", "80", "88", "12", "4", "drowsy")
        assert_fits(pilot.app)  # the readings table too: whole at 80 columns (stacked)
        assert "158/92" in joined(pilot.app) and "drowsy" in joined(pilot.app)
        assert "the last values are offered, typing replaces them" in joined(pilot.app)


@pytest.mark.parametrize("size", SIZES)
async def test_settings_screen_wraps_each_meaning(long_clinic, size):
    """Settings: the first screenful of meanings read in full (wrapped), none cut."""
    async with clinician_app(long_clinic, size=size) as pilot:
        await pilot.press("comma")
        await settle(pilot)
        assert_fits(pilot.app)
        text = joined(pilot.app)
        assert SETTING_SPECS[2].description in text  # "A baseline may be at most ... infusion"
        assert "Meaning" in text and "Source" not in lines(pilot.app)[3]


@pytest.mark.parametrize("size", SIZES)
async def test_follow_ups_screen_fits(long_clinic, size):
    async with clinician_app(long_clinic, size=size) as pilot:
        await pilot.press("f")
        await settle(pilot)
        assert_fits(pilot.app)
        assert "setting followup_schedule_days" in joined(pilot.app)


@pytest.mark.parametrize("size", SIZES)
async def test_history_screen_fits(long_clinic, size):
    async with clinician_app(long_clinic, size=size) as pilot:
        await open_patient(pilot, "P001")
        await pilot.press("l")
        await settle(pilot)
        assert_fits(pilot.app)
        assert "Recorded infusion of 2026-01-30 09:00" in joined(pilot.app)


@pytest.mark.parametrize("size", SIZES)
async def test_forms_fit(long_clinic, size):
    """The assessment form: its buttons and the help key in full."""
    async with clinician_app(long_clinic, size=size) as pilot:
        await open_patient(pilot, "P003")
        await pilot.press("s")
        await settle(pilot)
        assert_fits(pilot.app)
        assert "Save (^s)" in joined(pilot.app) or "Cancel (esc)" in joined(pilot.app)


@pytest.mark.parametrize("size", SIZES)
async def test_help_lists_every_key_and_says_the_footer_may_leave_some_out(long_clinic, size):
    async with clinician_app(long_clinic, size=size) as pilot:
        await open_patient(pilot, "P001")
        await pilot.press("question_mark")
        await settle(pilot)
        text = joined(pilot.app)
        assert "The footer shows the keys that fit" in text
        assert all(len(line) <= size[0] for line in lines(pilot.app))
