"""Keys typed across a Tab land in the fields they were typed for, however fast they come (issue 23).

"95", Tab, "78" sent 0.4-0.6 s apart became "9578" when the app was busy meanwhile: the keys
then reach it together, and Textual handed "7" and "8" to the old field before the Tab (handled
late, by the screen's binding after bubbling up from the field) had moved the focus. The burst is
posted here as it arrives from the terminal, into the real add-patient form of the real app; in
tmux, `send-keys "95" Tab "78"` in one call showed "9578" the same way before the fix.
"""

from __future__ import annotations

import pytest
from textual import events
from textual.widgets import Input

from outcomes_app.screens.forms import PatientForm
from tests.app.driving import SIZE, SMALL, clinician_app, settle


def burst(app, keys: str) -> None:
    """Keys arriving together, one event each, as the terminal driver posts them."""
    for key in keys.split():
        app.post_message(events.Key(key, None if len(key) > 1 else key))


@pytest.mark.parametrize("size", [SMALL, SIZE], ids=["80x24", "120x36"])
async def test_keys_sent_together_across_tabs_land_in_their_own_fields(clinic_db, size):
    async with clinician_app(clinic_db, size=size) as pilot:
        app = pilot.app
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, PatientForm)
        burst(app, "9 5 tab 7 8 tab 1 9 shift+tab shift+tab 0")
        await settle(pilot)
        value = {box.id: box.value for box in app.screen.query(Input)}
        assert (
            value["f-patient_id"] == "0"
        )  # back by shift+tab: the field selects all, "0" replaces
        assert value["f-name"] == "78"
        assert value["f-birth_date"] == "19"
