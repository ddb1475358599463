"""A second kiosk refused for a lock speaks to the patient, not the clinician (issue 21).

Another program's lock (a second kiosk sending, an import, a database browser's
exclusive lock) used to reach a patient in the clinician's words ("close the
database in that program", "another terminal"). Patient mode now says it in
a patient's words first and gives the technical reason after "For the clinic
team:"; the limit is shortened so the tests need not wait a minute.
"""

from __future__ import annotations

import asyncio

from click.testing import CliRunner

import db.lock_wait
import tui
from outcomes import self_report as sr_words
from outcomes_app.patient_mode.words import BUSY_TOO_LONG, RECORDS_BUSY
from outcomes_app.self_report import SelfReportScreen
from outcomes_cli.cli import cli
from tests.app.driving import screen_text
from tests.cli.test_exclusive_lock import exclusive_lock_held
from tests.clinic import TODAY, write_lock_held


async def test_answers_refused_for_a_lock_are_told_in_a_patients_words(clinic_db, monkeypatch):
    monkeypatch.setattr(db.lock_wait, "LOCK_WAIT_LIMIT_S", 1.0)
    app = tui.make_app(clinic_db, "P003", today=TODAY, self_report=True)
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(100):
            await app.workers.wait_for_complete()
            await pilot.pause()
            if isinstance(app.screen, SelfReportScreen) and app.screen.query("#sr-start"):
                break
        await pilot.press("enter", *"1111111111111111")
        await pilot.pause()
        with write_lock_held(clinic_db):
            await pilot.press("enter")
            for _ in range(100):
                await asyncio.sleep(0.1)
                await pilot.pause()
                if app.screen.query("#sr-problem"):
                    break
        problem = " ".join(str(app.screen.query_one("#sr-problem").render()).split())
    assert problem.startswith(f"Your answers could not be saved: {BUSY_TOO_LONG} (For the clinic")
    assert problem.endswith(sr_words.NOT_SAVED.split("{reason}")[1])
    assert problem.index("another program") > problem.index("For the clinic team")


def test_patient_mode_refused_for_an_exclusive_lock_says_it_in_a_patients_words(
    tmp_path, monkeypatch
):
    from tests.clinic import build_clinic

    path = tmp_path / "clinic.db"
    build_clinic(path)
    monkeypatch.setattr(db.lock_wait, "LOCK_WAIT_LIMIT_S", 1.0)
    with exclusive_lock_held(path):
        result = CliRunner().invoke(cli, ["--db", str(path), "tui", "--patient", "P003"])
    assert result.exit_code == 1
    said = " ".join(result.output.split())
    assert RECORDS_BUSY in said and "For the clinic team: another program" in said
    assert said.index(RECORDS_BUSY) < said.index("close the database in that program")


async def test_patient_mode_screen_words_when_its_records_are_locked(clinic_db, monkeypatch):
    """The read on the screen (after the command's own check) words it the same way."""
    monkeypatch.setattr(db.lock_wait, "LOCK_WAIT_LIMIT_S", 1.0)
    with exclusive_lock_held(clinic_db):
        app = tui.make_app(clinic_db, "P003", today=TODAY)
        async with app.run_test(size=(80, 24)) as pilot:
            for _ in range(100):
                await app.workers.wait_for_complete()
                await pilot.pause()
                if "Please ask the clinic team" in screen_text(app):
                    break
            shown = " ".join(str(app.query_one("#headline").render()).split())
    assert shown.index(RECORDS_BUSY) < shown.index("Please ask the clinic team")
    assert shown.index("Please ask the clinic team") < shown.index("For the clinic team")
