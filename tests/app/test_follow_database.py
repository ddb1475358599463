"""The clinician app follows the database: what another connection or process writes shows within 5 s.

The clinician app runs through Textual's pilot on a real SQLite file while a
second connection (or a second process running patient mode's self-report)
writes to it; SQLite's `PRAGMA data_version`, polled by the app, brings the
change into the list, the open patient and, for a new safety alert, a
notification, without touching what the clinician is typing.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from textual.widgets import DataTable, Input

import db
from outcomes.validation import check_assessment
from outcomes_app.screens.patient_detail import PatientScreen
from tests.app.driving import clinician_app, open_patient
from tests.clinic import TODAY, phq9_items

#: The promise of issue 14: another process's write is on screen within this.
WITHIN_S = 5.0
ROOT = Path(__file__).resolve().parents[2]

#: Patient mode in a process of its own: P003 answers PHQ-9 with item 9
#: "More than half the days" and GAD-7, and sends them.
SELF_REPORT = """
import asyncio, sys
from datetime import date
import tui
from outcomes_app.self_report import CrisisScreen, SelfReportScreen, ThanksScreen

async def main():
    app = tui.make_app(sys.argv[1], "P003", today=date.fromisoformat(sys.argv[2]), self_report=True)
    async with app.run_test(size=(80, 24)) as pilot:
        async def until(condition, what):
            # Each step waits for the screen it needs: a loaded machine must not
            # send a key to the screen before (the crisis text comes a moment later).
            for _ in range(1200):
                if condition():
                    return
                await pilot.pause(0.05)
            sys.exit(f"patient mode never showed {what}; on screen: {app.screen!r}, focus {app.focused!r}")

        await until(lambda: app.focused is not None and app.focused.id == "sr-start", "the start button")
        await pilot.press("enter")
        await until(lambda: not app.screen.query("#sr-start"), "the first question")
        for key in "11111111" + "3":
            await pilot.press(key)
            await pilot.pause()
        await until(lambda: isinstance(app.screen, CrisisScreen), "the crisis text")
        await pilot.press("enter")  # past the crisis text
        await until(lambda: isinstance(app.screen, SelfReportScreen), "the questions again")
        for key in "2222222":
            await pilot.press(key)
            await pilot.pause()
        await until(lambda: app.focused is not None and app.focused.id == "sr-send", "the send button")
        await pilot.press("enter")  # send
        await until(lambda: isinstance(app.screen, ThanksScreen), "the thank-you page")

asyncio.run(main())
"""


def row(app, pid: str):
    return next(r for r in app.clinic.rows if r.patient_id == pid)


def alert_notes(app) -> list[str]:
    return [n.message for n in app._notifications if n.title == "New safety alert"]


async def wait_until(pilot, condition, seconds: float) -> float:
    """Seconds until `condition()` held (fails after `seconds`)."""
    start = time.monotonic()
    while not condition():
        assert time.monotonic() - start < seconds, "not shown in time"
        await pilot.pause(0.1)
    return time.monotonic() - start


def add_phq9(path, pid: str, when: str, total: int, item9: int = 0) -> None:
    database = db.connect(path)
    try:
        checked = check_assessment(
            {"patient_id": pid, "date": when, "scale": "phq9", "items": phq9_items(total, item9)},
            TODAY,
        )
        db.add_assessment(database, checked.values, "Dr Elsewhere")
    finally:
        database.conn.close()


async def test_another_connections_score_shows_in_the_list_and_raises_a_notification(clinic_db):
    """A positive item 9 written elsewhere: the list row, the alert count and a notification, within 5 s."""
    async with clinician_app(clinic_db) as pilot:
        app = pilot.app
        assert not row(app, "P003").alerts and not alert_notes(app)
        search = app.screen.query_one("#search", Input)
        search.focus()
        await pilot.press("P", "0")  # the clinician is typing a search
        add_phq9(clinic_db, "P003", "2026-02-09T11:00", 9, item9=2)
        await wait_until(pilot, lambda: row(app, "P003").alerts, WITHIN_S)
        assert row(app, "P003").latest == 9
        await wait_until(pilot, lambda: alert_notes(app), 1.0)
        assert "P003: PHQ-9 item 9 = 2" in alert_notes(app)[0]
        assert search.value == "P0" and app.focused is search  # the typing is untouched


async def test_open_patient_follows_and_an_open_form_keeps_its_typing(clinic_db):
    """The open patient's timeline gains the new score; the assessment form on top keeps its values."""
    async with clinician_app(clinic_db) as pilot:
        app = pilot.app
        await open_patient(pilot, "P003")
        detail = app.screen
        assert isinstance(detail, PatientScreen)
        before = len(detail.patient.assessments)
        await pilot.press("s")
        await pilot.pause()
        form = app.screen
        await pilot.press("2", "tab", "3")
        typed = [w.value for w in form.query(Input)]
        add_phq9(clinic_db, "P003", "2026-02-09T12:00", 7)
        await wait_until(pilot, lambda: len(detail.patient.assessments) == before + 1, WITHIN_S)
        assert app.screen is form and [w.value for w in form.query(Input)] == typed
        rows = detail.query_one("#timeline", DataTable).row_count
        assert rows >= before + 1


async def test_self_report_in_another_process_is_an_alert_in_the_clinician_app_within_5_s(
    clinic_db,
):
    """Patient mode in its own process sends a positive item 9: alert and notification here within 5 s."""
    async with clinician_app(clinic_db) as pilot:
        app = pilot.app
        assert not row(app, "P003").alerts
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        patient = subprocess.Popen(
            [sys.executable, "-c", SELF_REPORT, str(clinic_db), TODAY.isoformat()],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        try:

            def stored() -> bool:
                conn = sqlite3.connect(clinic_db)
                try:
                    return (
                        conn.execute(
                            "SELECT count(*) FROM assessments WHERE rater = 'self'"
                        ).fetchone()[0]
                        == 2
                    )
                finally:
                    conn.close()

            started = time.monotonic()
            while not stored():
                assert patient.poll() in (None, 0), patient.stdout.read().decode(errors="replace")
                assert time.monotonic() - started < 120, "the self-report did not finish"
                await pilot.pause(0.05)
            seconds = await wait_until(
                pilot, lambda: row(app, "P003").alerts and alert_notes(app), WITHIN_S
            )
        finally:
            if not stored():  # failed before the answers were sent: no process left behind
                patient.kill()
            patient.wait(timeout=60)
        assert seconds < WITHIN_S
        assert "P003: PHQ-9 item 9 = 2" in alert_notes(app)[0]
