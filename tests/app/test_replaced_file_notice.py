"""A clinic file replaced under a running app is noticed while idle (issue 21).

Restoring a backup by `mv` over the open file: the clinician app learned of it
only at its next write. Now its once-a-second refresh compares the file's
identity and says at once what happened, that nothing more will be written and
to restart; patient mode (and a kiosk) does the same in its own words and sends
no answers into the other file.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from click.testing import CliRunner

import tui
from outcomes_app.patient_mode.words import FILE_REPLACED, NOT_SENT_FILE_REPLACED
from outcomes_app.self_report import SelfReportScreen
from outcomes_cli.cli import cli
from tests.app.driving import SMALL, clinician_app, settle
from tests.clinic import TODAY


def backup_of(path: Path) -> Path:
    copy = path.parent / "backup.db"
    assert CliRunner().invoke(cli, ["--db", str(path), "backup", str(copy)]).exit_code == 0
    return copy


def self_scores(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT count(*) FROM assessments WHERE rater = 'self'").fetchone()[0]
    finally:
        conn.close()


async def test_the_clinician_app_notices_a_replaced_file_while_idle(clinic_db):
    """No key pressed: the next refresh shows the notice and the title says nothing is saved."""
    backup = backup_of(clinic_db)
    async with clinician_app(clinic_db) as pilot:
        app = pilot.app
        app.follow_database()
        assert not app.replaced_file_noticed and not app._notifications
        os.replace(backup, clinic_db)  # a hand restore
        app.follow_database()  # what the once-a-second timer calls
        await settle(pilot)
        assert app.replaced_file_noticed
        notices = [n.message for n in app._notifications]
        assert len(notices) == 1 and "was replaced, moved or deleted" in notices[0]
        assert "Nothing more will be written" in notices[0] and "start it" in notices[0]
        assert "restart the app" in app.sub_title
        app.follow_database()  # said once
        assert len(list(app._notifications)) == 1


async def test_patient_mode_notices_a_replaced_file_and_sends_nothing(clinic_db):
    """Patient mode says so in its own words; the answers are not sent into the new file."""
    backup = backup_of(clinic_db)
    app = tui.make_app(clinic_db, "P003", today=TODAY, self_report=True)
    async with app.run_test(size=SMALL) as pilot:
        for _ in range(100):
            await app.workers.wait_for_complete()
            await pilot.pause()
            if isinstance(app.screen, SelfReportScreen) and app.screen.query("#sr-start"):
                break
        assert not app.notice_replaced_file()
        os.replace(backup, clinic_db)
        assert app.notice_replaced_file()
        await pilot.pause()
        assert [n.message for n in app._notifications] == [FILE_REPLACED]
        await pilot.press("enter", *"1111111111111111", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.pause()
        assert isinstance(app.screen, SelfReportScreen)
        problem = str(app.screen.query_one("#sr-problem").render())
        assert NOT_SENT_FILE_REPLACED in " ".join(problem.split())
    assert self_scores(clinic_db) == 0
