"""Snapshots of each self-report screen at 80x24 and 120x36 (fixed clinic and day).

Update with `pytest tests/app/test_self_report_snapshots.py --snapshot-update`
after looking at the pictures.
"""

from __future__ import annotations

import pytest

import tui
from outcomes_app.self_report import SelfReportScreen, ThanksScreen
from tests.clinic import TODAY

SIZES = {"80x24": (80, 24), "120x36": (120, 36)}

#: Keys from the intro to each screen (P003: PHQ-9 then GAD-7).
ROUTES = {
    "intro": "",
    "question": "enter 2 3 backspace",  # back on item 2, its answer marked
    "crisis": "enter 1 1 1 1 1 1 1 1 2",  # item 9 "Several days": the crisis text at once
    "review": "enter 2 2 1 1 1 1 1 1 1 1 2 2 1 1 1 1",
    "thanks": "enter 1 1 1 1 1 1 1 1 3 enter 1 1 1 1 1 1 1 enter",
}


def route(keys: str):
    async def run_before(pilot) -> None:
        app = pilot.app
        while not (isinstance(app.screen, SelfReportScreen) and app.screen.query("#sr-start")):
            await app.workers.wait_for_complete()
            await pilot.pause()
        for key in keys.split():
            await pilot.press(key)
            await pilot.pause()
        await app.workers.wait_for_complete()
        for _ in range(20):
            if app.self_report_state == "open" or isinstance(app.screen, ThanksScreen):
                break
            await pilot.pause(0.05)
        # The review focuses "Send my answers" after a refresh, which scrolls the page to it:
        # the picture is taken once that focus and its scroll have happened.
        for _ in range(40):
            send = app.screen.query("#sr-send")
            if not send or app.focused is send.first():
                break
            await pilot.pause(0.05)
        await pilot.wait_for_scheduled_animations()
        if app.screen.query("#sr-send"):  # where that scroll ends varied by a line: pin it
            app.screen.query_one("#sr-body").scroll_end(animate=False, immediate=True)
        await pilot.pause()

    return run_before


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("screen", list(ROUTES))
def test_snapshot_self_report(clinic_db, snap_compare, screen, size):
    """Each self-report screen, readable at the smallest and a common terminal size."""
    app = tui.make_app(clinic_db, "P003", today=TODAY, self_report=True)
    assert snap_compare(app, terminal_size=SIZES[size], run_before=route(ROUTES[screen]))
