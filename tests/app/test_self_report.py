"""A patient fills in PHQ-9 and GAD-7 in patient mode (`--self-report`), on a real SQLite file.

The app is the real `PatientApp` driven through Textual's pilot, over the
fixed clinic of `tests.clinic` (P003 is in progress: PHQ-9 baseline 15). The
tests complete both questionnaires (changing answers on the way), then read
back the stored assessments, their audit rows and the status that results;
they try every route out of the questions and check that nothing else is
written and nothing of another patient shows.
"""

from __future__ import annotations

import sqlite3
import string
from pathlib import Path

import pytest
from textual.command import CommandList, CommandPalette

import db
import tui
from outcomes import self_report as words
from outcomes.status import analyse_patient
from outcomes.validation import check_assessment
from outcomes_app.self_report import CrisisScreen, LeaveScreen, SelfReportScreen, ThanksScreen
from tests.clinic import TODAY, WHO

OWN = "P003"
OTHERS = ("P001", "Ada Example", "P002", "Ben Sample", "P004", "Dee New")


def make(path: Path, pid: str = OWN):
    return tui.make_app(path, pid, today=TODAY, self_report=True)


async def started(pilot) -> SelfReportScreen:
    """Wait for the patient's records and the intro, then press Start."""
    await ready(pilot)
    await pilot.press("enter")
    await pilot.pause()
    return pilot.app.screen


async def ready(pilot) -> None:
    for _ in range(100):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        if isinstance(pilot.app.screen, SelfReportScreen) and pilot.app.screen.query("#sr-start"):
            return
    raise AssertionError("the self-report screen did not open")


async def answer(pilot, keys: str) -> None:
    for key in keys:
        await pilot.press(key)
        await pilot.pause()


async def sent(pilot) -> None:
    for _ in range(100):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        if pilot.app.self_report_state == "sent" or isinstance(pilot.app.screen, ThanksScreen):
            return


def stored(path: Path, pid: str = OWN) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(
            "SELECT id, scale, items, total, rater, recorded_by, taken_at FROM assessments"
            " WHERE patient_id = ? AND rater = 'self' ORDER BY id",
            (pid,),
        ).fetchall()
    finally:
        conn.close()


def all_rows(path: Path) -> dict[str, int]:
    conn = sqlite3.connect(path)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
    finally:
        conn.close()


async def palette_offers(pilot, typed: str) -> str:
    """The prompts the command palette offers once `typed` is typed into it."""
    await pilot.press("ctrl+p")
    await pilot.pause()
    assert isinstance(pilot.app.screen, CommandPalette)
    await pilot.press(*["space" if c == " " else c for c in typed])
    await pilot.pause(0.3)
    return " ".join(str(o.prompt) for o in pilot.app.screen.query_one(CommandList).options)


def widget_text(app) -> str:
    return " ".join(str(w.render()) for w in app.screen.query("Static, Button"))


async def test_phq9_and_gad7_completed_with_changed_answers(clinic_db):
    """Both questionnaires answered, one answer changed going back and one from the review, then sent."""
    app = make(clinic_db)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await started(pilot)
        assert "Little interest or pleasure in doing things" in widget_text(app)
        assert "Over the last 2 weeks" in widget_text(app)
        await answer(pilot, "2222")  # PHQ-9 items 1-4: "Several days" (1)
        await pilot.press("backspace")  # back to item 4 ...
        await pilot.pause()
        assert screen.index == 3 and "(your answer)" in widget_text(app)
        await answer(pilot, "1")  # ... changed to "Not at all" (0)
        await answer(pilot, "21111")  # items 5-9: 1 0 0 0 0 (item 9 not positive)
        assert not isinstance(app.screen, CrisisScreen)
        await answer(pilot, "3333333")  # GAD-7: all "More than half the days" (2)
        assert screen.index == len(screen.questions)  # the review
        assert words.REVIEW_TITLE in widget_text(app)
        await pilot.click("#sr-review-10")  # GAD-7 item 2 from the review ...
        await pilot.pause()
        assert screen.index == 10
        await answer(pilot, "1")  # ... to "Not at all": back to the review
        assert screen.index == len(screen.questions)
        await pilot.press("enter")  # "Send my answers" has the focus
        await sent(pilot)
        assert isinstance(app.screen, ThanksScreen)
        assert words.THANK_YOU in widget_text(app) and words.TEAM_TOLD not in widget_text(app)
        await pilot.press("enter")
        await pilot.pause()
        assert not isinstance(app.screen, (ThanksScreen, SelfReportScreen))
        assert app.self_report_state == "sent"
        assert app.check_action("save_chart", ()) is True  # patient mode goes on as today

    rows = stored(clinic_db)
    assert [(r[1], r[2], r[3], r[4]) for r in rows] == [
        ("phq9", "1 1 1 0 1 0 0 0 0", 4, "self"),
        ("gad7", "2 0 2 2 2 2 2", 12, "self"),
    ]
    assert all(r[5] == "patient P003 (patient mode)" for r in rows)
    assert all(r[6].startswith(TODAY.isoformat() + "T") for r in rows)  # dated now, to the minute
    database = db.connect(clinic_db)
    try:
        audit = db.history(database, "assessment", rows[0][0])
        data = db.load_clinic(database, patient_id=OWN)
        settings = db.load_settings(database)
    finally:
        database.conn.close()
    assert list(audit["action"]) == ["create"]
    assert audit["who"].iloc[0] == "patient P003 (patient mode)"
    assert audit["reason"].iloc[0] == words.AUDIT_REASON
    status = analyse_patient(data.by_patient()[OWN], "phq9", settings, TODAY)
    # Baseline 15, now 4: 73% lower and at the remission cut, from the patient's own answers.
    assert status.latest.assessment.total == 4 and status.status == "remission"
    gad = analyse_patient(data.by_patient()[OWN], "gad7", settings, TODAY)
    assert gad.points[-1].assessment.total == 12


async def test_positive_item_9_shows_crisis_text_at_once_and_after_sending(clinic_db):
    """Item 9 above 0: the crisis text at once, on the review, and 'your care team has been told'."""
    app = make(clinic_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        await answer(pilot, "11111111")
        await answer(pilot, "2")  # item 9: "Several days"
        assert isinstance(app.screen, CrisisScreen)
        assert "Call the" not in widget_text(app)  # the default text, not another clinic's
        assert "988" in widget_text(app) and words.TEAM_WILL_BE_TOLD in widget_text(app)
        await pilot.press("enter")
        await pilot.pause()
        await answer(pilot, "1111111")
        assert words.TEAM_WILL_BE_TOLD in widget_text(app)  # on the review too
        await pilot.press("enter")
        await sent(pilot)
        assert words.TEAM_TOLD in widget_text(app) and "988" in widget_text(app)
    assert stored(clinic_db)[0][2] == "0 0 0 0 0 0 0 0 1"


async def test_answers_refused_by_the_duplicate_rule_are_not_stored(clinic_db):
    """A PHQ-9 already stored at this minute refuses the whole self-report, in words, writing nothing."""
    app = make(clinic_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        await answer(pilot, "1111111111111111")
        when = app.now().strftime("%Y-%m-%dT%H:%M")
        database = db.connect(clinic_db)
        try:
            checked = check_assessment(
                {"patient_id": OWN, "date": when, "scale": "phq9", "total": "9"}, TODAY
            )
            db.add_assessment(database, checked.values, WHO)
        finally:
            database.conn.close()
        before = all_rows(clinic_db)
        await pilot.press("enter")
        await sent(pilot)
        await pilot.pause()
        assert isinstance(app.screen, SelfReportScreen) and app.self_report_state == "open"
        text = widget_text(app)
        assert "could not be saved" in text and "is already recorded" in text
    assert all_rows(clinic_db) == before  # neither the PHQ-9 nor the GAD-7


async def test_every_key_during_the_questions_reaches_no_other_patient_and_writes_nothing(
    clinic_db, tmp_path
):
    """Every printable key, each binding and the palette: no other patient, no write, no chart file."""
    before = all_rows(clinic_db)
    app = tui.make_app(clinic_db, OWN, today=TODAY, self_report=True, chart_dir=tmp_path / "charts")
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        keys = [c for c in string.ascii_letters + string.digits + "/:-" if c != "q"]
        for key in [
            *keys,
            "tab",
            "enter",
            "backspace",
            "left",
            "up",
            "down",
            "f1",
            "escape",
            "ctrl+t",
        ]:
            await pilot.press(key)
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert not any(secret in widget_text(app) for secret in OTHERS)
            while isinstance(app.screen, (CrisisScreen,)) or len(app.screen_stack) > 2:
                await pilot.press("escape")
                await pilot.pause()
        assert app.is_running and app.patient_id == OWN
        for action in ("save_chart", "next_scale", "show_chart"):
            assert app.check_action(action, ()) is False
        titles = sorted(c.title for c in app.get_system_commands(app.screen))
        assert titles == ["Help", "Light or dark", "Quit", "Theme"]
    assert all_rows(clinic_db) == before
    assert not (tmp_path / "charts").exists()


@pytest.mark.parametrize("typed", ["P001", "Ada Example", "save"])
async def test_command_palette_during_the_questions_offers_nothing_of_another_patient(
    clinic_db, typed
):
    """The palette with another id or name typed in finds nothing of theirs, and writes nothing."""
    before = all_rows(clinic_db)
    app = make(clinic_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        offered = await palette_offers(pilot, typed)
        assert not any(secret in offered for secret in OTHERS)
        assert "chart" not in offered.lower()
        await pilot.press("escape")
        await pilot.pause()
        assert app.patient_id == OWN and isinstance(app.screen, SelfReportScreen)
    assert all_rows(clinic_db) == before


async def test_leaving_asks_first_and_keeps_nothing(clinic_db):
    """q asks before leaving; staying goes on, leaving quits with nothing stored."""
    before = all_rows(clinic_db)
    app = make(clinic_db)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await started(pilot)
        await answer(pilot, "234")
        await pilot.press("q")
        await pilot.pause()
        assert isinstance(app.screen, LeaveScreen)
        await pilot.press("escape")  # stay
        await pilot.pause()
        assert app.screen is screen and screen.answers[:3] == [1, 2, 3]
        await pilot.press("q")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert not app.is_running
    assert all_rows(clinic_db) == before


async def test_answers_are_sent_once_per_launch(clinic_db):
    """After sending, a second send (a stray call, another key) stores nothing more."""
    app = make(clinic_db)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await started(pilot)
        await answer(pilot, "1111111111111111")
        await pilot.press("enter")
        await sent(pilot)
        app.send_self_report(screen.questions, [0] * len(screen.questions))
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("enter", "1", "enter")
        await app.workers.wait_for_complete()
    assert len(stored(clinic_db)) == 2


async def test_without_self_report_patient_mode_shows_no_questions(clinic_db):
    """Patient mode without --self-report opens the progress view, as before."""
    app = tui.make_app(clinic_db, OWN, today=TODAY)
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(20):
            await app.workers.wait_for_complete()
            await pilot.pause()
        assert app.self_report_state == "off"
        assert not isinstance(app.screen, SelfReportScreen)


async def test_clinic_setting_chooses_the_questionnaires(clinic_db):
    """self_report_scales = gad7: only the seven GAD-7 questions are asked."""
    database = db.connect(clinic_db)
    try:
        db.set_setting(database, "self_report_scales", "gad7", WHO)
    finally:
        database.conn.close()
    app = make(clinic_db)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await started(pilot)
        assert {q.scale_id for q in screen.questions} == {"gad7"} and len(screen.questions) == 7
