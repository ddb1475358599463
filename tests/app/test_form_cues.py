"""What the forms show before anything is saved: the suicidality flag, tick boxes without colour, wrapped items."""

from __future__ import annotations

from textual.widgets import Input, SelectionList, Static

from outcomes_app.screens.forms import AssessmentForm
from tests.app.driving import clinician_app, counts, open_patient, screen_text, settle, text_of


async def score_form(pilot, pid: str = "P003") -> None:
    await open_patient(pilot, pid)
    await pilot.press("s")
    await settle(pilot)
    assert isinstance(pilot.app.screen, AssessmentForm)


async def test_positive_suicidality_item_is_flagged_as_typed_before_saving(clinic_db):
    """PHQ-9 item 9 = 1 raises the flag at once (nothing saved); back to 0 lowers it."""
    before = counts(clinic_db)
    async with clinician_app(clinic_db) as pilot:
        app = pilot.app
        await score_form(pilot)
        flag = app.screen.query_one("#safety-flag", Static)
        assert not flag.display
        app.screen.query_one("#item-9", Input).value = "1"
        await settle(pilot)
        assert flag.display and "SUICIDALITY ITEM POSITIVE: PHQ-9 item 9 = 1" in text_of(
            app, "#safety-flag"
        )
        assert "alerts at 1 or more" in text_of(app, "#safety-flag")
        assert app.screen.query_one("#row-9").has_class("-safety-positive")
        assert "SUICIDALITY ITEM POSITIVE" in screen_text(app)  # on screen, not only in a widget
        app.screen.query_one("#item-9", Input).value = "0"
        await settle(pilot)
        assert not flag.display and not app.screen.query_one("#row-9").has_class("-safety-positive")
        app.screen.query_one(
            "#item-9", Input
        ).value = "7"  # out of range: refused beside it, not flagged
        await settle(pilot)
        assert not flag.display
    assert counts(clinic_db) == before


async def test_madrs_item_10_flags_at_its_setting(clinic_db):
    """MADRS item 10 flags at the clinic's threshold (4 by default), not below it."""
    async with clinician_app(clinic_db) as pilot:
        app = pilot.app
        await score_form(pilot)
        app.screen.query_one("#f-scale").value = "madrs"
        await settle(pilot)
        flag = app.screen.query_one("#safety-flag", Static)
        app.screen.query_one("#item-10", Input).value = "3"
        await settle(pilot)
        assert not flag.display
        app.screen.query_one("#item-10", Input).value = "4"
        await settle(pilot)
        assert flag.display and "MADRS item 10 = 4 (alerts at 4 or more)" in text_of(
            app, "#safety-flag"
        )


async def test_long_item_text_wraps_under_its_own_text_at_80_columns(clinic_db):
    """PHQ-9 item 8 wraps inside its text column: the continuation lines start where the text starts."""
    async with clinician_app(clinic_db, size=(80, 24)) as pilot:
        app = pilot.app
        await score_form(pilot)
        row = app.screen.query_one("#row-8")
        row.scroll_visible(animate=False)
        await settle(pilot)
        label = row.query_one(".item-label")
        assert label.size.height >= 2  # wrapped, not cut
        number = row.query_one(".item-number")
        assert label.region.x == number.region.right  # text column to the right of " 8."
        entry = row.query_one(Input)
        assert (
            entry.region.x >= label.region.right
        )  # the entry field is beside the text, never under it


async def test_side_effect_boxes_read_ticked_or_not_without_colour(clinic_db):
    """The side-effect list draws "[x]" for a ticked box and "[ ]" for the others, as plain characters."""
    async with clinician_app(clinic_db) as pilot:
        app = pilot.app
        await open_patient(pilot, "P003")
        await pilot.press("i")
        await settle(pilot)
        effects = app.screen.query_one("#f-side_effects", SelectionList)
        effects.select("nausea")
        effects.scroll_visible(animate=False)
        await settle(pilot)
        lines = [effects.render_line(y).text for y in range(3)]
        assert lines[0].strip().startswith("[x] nausea")
        assert lines[1].strip().startswith("[ ] vomiting")
