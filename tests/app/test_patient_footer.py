"""Patient mode's footer at 80x24 and 120x36 (issue 23): `p` and every key that matters, unclipped.

The footer showed neither `p` (the take-home page) nor, at 80 columns, `?` and `q` once `n` and
the chart keys were there. Now it shows s, p, n, ? and q (a kiosk's `q Staff`) whole at both
sizes, with ctrl+p's palette; c and t are one `?` away, on the help page.
"""

from __future__ import annotations

import pytest

import db
import tui
from outcomes_app.help import HelpScreen
from tests.app.driving import SIZE, SMALL
from tests.patient_clinic import OWN, build_patient_clinic
from tests.patient_clinic import TODAY as PATIENT_TODAY

KEYS = ("s Save chart", "p Take-home page", "n Next scores", "? Help")


def footer_line(app) -> str:
    return app.screen._compositor.render_strips()[-1].text


async def footer_and_help(path, size, kiosk: bool = False) -> tuple[str, str]:
    app = tui.make_app(path, OWN, today=PATIENT_TODAY, kiosk=kiosk)
    async with app.run_test(size=size) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        line = footer_line(app)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        page = str(app.screen.query_one("#help-text").render())
    return line, page


@pytest.mark.parametrize("size", [SMALL, SIZE], ids=["80x24", "120x36"])
@pytest.mark.parametrize("kiosk", [False, True], ids=["patient-mode", "kiosk"])
async def test_the_footer_shows_every_key_that_matters_unclipped(tmp_path, size, kiosk):
    path = build_patient_clinic(tmp_path / "clinic.db")
    if kiosk:
        database = db.connect(path)
        db.set_setting(database, "kiosk_staff_code", "front-desk-42", "test")
        database.close()
    line, page = await footer_and_help(path, size, kiosk)
    assert len(line) == size[0]
    for key in (*KEYS, "q Staff" if kiosk else "q Quit"):
        assert key in line, (key, line)
    assert line.rstrip().endswith("^p palette")
    for key in ("c ", "t "):  # one ? away
        assert any(row.strip().startswith(key) for row in page.splitlines()), key
