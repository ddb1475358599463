"""The REMS forms in the clinician app (issue 26), driven as a clinician and a nurse would.

E001 has an esketamine course (two sessions, the first with its form's
medicines confirmed, 8 and 9 February); K001 a ketamine infusion. Today is
the clinic's fixed day, 10 February 2026 (`tests.clinic.TODAY`): the form
of 2 February is overdue (deadline 9 February), that of 9 February due by
the 16th.
"""

from __future__ import annotations

import sqlite3
from datetime import date, datetime, timedelta

import pytest
from textual.widgets import Select

import db
import tui
from db.rems import save_form
from outcomes.rems import check_rems
from outcomes.validation import check_infusion
from outcomes_app.screens.session import SessionScreen
from tests.app.driving import (
    clinician_app,
    open_patient,
    ready,
    screen_text,
    settle,
    table_rows,
    text_of,
    timeline_rows,
)
from tests.clinic import TODAY, WHO, add_infusion, add_patient


def rems_clinic(path) -> None:
    database = db.connect(path)
    add_patient(database, "E001", "Eve Example")
    add_patient(database, "K001", "Kim Example")
    for when in ("2026-02-02T10:00", "2026-02-09T10:00"):
        raw = {"patient_id": "E001", "date": when, "drug": "esketamine", "dose_mg": "56"}
        checked = check_infusion(raw, None, TODAY)
        assert checked.ok, checked.problems
        db.add_infusion(database, checked.values, WHO)
    form = check_rems(
        {"concomitant_medicines": "opioids", "rems_enrolled": "yes"}, "esketamine", 56
    )
    save_form(database, "E001", "2026-02-02T10:00", form.values, WHO)
    add_infusion(database, "K001", "2026-02-03T09:00")
    database.close()


@pytest.fixture
def clinic(tmp_db_path):
    rems_clinic(tmp_db_path)
    return tmp_db_path


def footer_text(app) -> str:
    return screen_text(app).splitlines()[-1]


def session_info(app) -> str:
    """The session screen's facts, as one line (the panel wraps them)."""
    return " ".join(text_of(app, "#session-info").split())


def notices(app) -> str:
    """Every notification shown so far, as one line."""
    return " ".join(" ".join(str(n.message).split()) for n in app._notifications)


async def test_the_esketamine_session_form_follows_the_courses_drug(clinic):
    """'i' reads "Esketamine" on an esketamine course; its form is in mg with the devices, has no
    infusion duration, carries the REMS fields (medicines ticked from the course) and saves them
    with the session in one go; the timeline shows no infusion minutes."""
    async with clinician_app(clinic) as pilot:
        await open_patient(pilot, "K001")
        assert "i Infusion" in footer_text(pilot.app)
        await pilot.press("escape")
        await open_patient(pilot, "E001")
        info = " ".join(text_of(pilot.app, "#patient-info").split())
        assert "REMS medicines: opioids (confirmed 2026-02-02)" in info  # the course's
        assert "i Esketamine" in footer_text(pilot.app) and "i Infusion" not in footer_text(
            pilot.app
        )
        await pilot.press("i")
        await settle(pilot)
        screen = pilot.app.screen
        text = screen_text(pilot.app)
        assert "Record an esketamine session for E001" in text
        assert "Record an infusion" not in text and "Dose (mg/kg)" not in text
        assert "Duration (min)" not in text and "dose × weight" not in text
        assert screen.query_one("#f-dose_mg").value == "56"  # the course's last dose, offered
        assert text_of(pilot.app, "#total-mg") == "2 devices"
        assert "[x] opioids" in text and "[ ] benzodiazepines" in text
        screen.query_one("#f-date").value = "2026-02-10T09:00"
        screen.query_one("#f-dose_mg").value = "84"
        screen.query_one("#f-device_lots").value = "LOT-7; LOT-8; LOT-9"
        for name, answer in (("rems_enrolled", "yes"), ("first_treatment", "no")):
            screen.query_one(f"#f-{name}", Select).value = answer
        screen.query_one("#f-medicines_confirmed", Select).value = "yes"
        await pilot.pause()
        assert text_of(pilot.app, "#total-mg") == "3 devices"
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.app.workers.wait_for_complete()
        await settle(pilot)
        rows = [" ".join(r) for r in timeline_rows(pilot.app)]
        (row,) = [r for r in rows if "2026-02-10 09:00" in r]
        assert "esketamine 84mg intranasal" in row and "'" not in row.split("intranasal")[1][:6]
    conn = sqlite3.connect(clinic)
    assert conn.execute(
        "SELECT duration_min, dose_mg FROM infusions WHERE given_at = '2026-02-10T09:00'"
    ).fetchall() == [(None, 84.0)]
    (form,) = conn.execute(
        "SELECT rems_enrolled, first_treatment, concomitant_medicines, device_lots FROM rems_forms"
        " WHERE session_at = '2026-02-10T09:00'"
    ).fetchall()
    assert form == (1, 0, "opioids", "LOT-7;LOT-8;LOT-9")
    conn.close()


async def test_a_malformed_rems_field_is_refused_in_the_form_and_nothing_is_saved(clinic):
    async with clinician_app(clinic) as pilot:
        await open_patient(pilot, "E001")
        await pilot.press("i")
        await settle(pilot)
        screen = pilot.app.screen
        screen.query_one("#f-date").value = "2026-02-10T09:00"
        screen.query_one("#f-device_lots").value = "A1; A2; A3"  # 56 mg is two devices
        screen.query_one("#f-serious_adverse_event_text").value = "fainted"
        await pilot.press("ctrl+s")
        await settle(pilot)
        text = screen_text(pilot.app)
        assert "Not saved" in text and "3 device lot numbers for 56 mg" in text
        assert "serious adverse event is not 'yes'" in text
        assert screen.query_one("#f-device_lots").has_class("field-invalid")
    conn = sqlite3.connect(clinic)
    assert conn.execute("SELECT count(*) FROM infusions").fetchone() == (3,)
    conn.close()


async def test_the_forms_list_is_one_key_from_the_patient_list_and_opens_the_session(clinic):
    async with clinician_app(clinic) as pilot:
        assert "e REMS forms" in footer_text(pilot.app)
        await pilot.press("e")
        await settle(pilot)
        assert table_rows(pilot.app, "#rems-forms") == [
            ["E001", "Eve Example", "2026-02-02 10:00", "2026-02-09", "overdue", "1 late"],
            ["E001", "Eve Example", "2026-02-09 10:00", "2026-02-16", "due", "6 left"],
        ]
        assert "1 overdue, 1 due" in screen_text(pilot.app)
        await pilot.press("enter")
        await settle(pilot)
        text = session_info(pilot.app)
        assert "session 1 of 8 (esketamine)" in text
        assert "REMS medicines this session: opioids" in text
        assert "REMS form: overdue: the deadline was 2026-02-09 (1 day ago)" in text


async def test_one_key_on_the_session_screen_marks_the_form_submitted_audited(clinic):
    async with clinician_app(clinic) as pilot:
        await open_patient(pilot, "E001")
        await pilot.press("v")  # the latest session, 9 February
        await settle(pilot)
        assert "REMS medicines: opioids (confirmed 2026-02-02); not yet confirmed this session" in (
            session_info(pilot.app)
        )
        await pilot.press("ctrl+f")
        await settle(pilot)
        await pilot.app.workers.wait_for_complete()
        await settle(pilot)
        assert "submitted on 2026-02-10 by Dr Test" in session_info(pilot.app)
        await pilot.press("ctrl+f")  # a second time: refused, naming the first
        await settle(pilot)
        await pilot.app.workers.wait_for_complete()
        await settle(pilot)
        assert "already marked submitted on 2026-02-10 by Dr Test" in notices(pilot.app)
    conn = sqlite3.connect(clinic)
    assert conn.execute(
        "SELECT session_at, submitted_on, submitted_by FROM rems_submissions"
    ).fetchall() == [("2026-02-09T10:00", "2026-02-10", WHO)]
    assert conn.execute(
        "SELECT who FROM audit WHERE table_name = 'rems_submissions' AND action = 'create'"
    ).fetchall() == [(WHO,)]
    conn.close()


async def test_a_ketamine_session_has_no_rems_form_and_says_so(clinic):
    async with clinician_app(clinic) as pilot:
        await open_patient(pilot, "K001")
        await pilot.press("v")
        await settle(pilot)
        for key in ("ctrl+f", "ctrl+g"):
            await pilot.press(key)
            await settle(pilot)
            assert "only esketamine (Spravato) sessions have a REMS monitoring form" in notices(
                pilot.app
            )
        assert isinstance(pilot.app.screen, SessionScreen)  # nothing else opened
        assert "session 1 of 6 (ketamine)" in session_info(pilot.app)
    conn = sqlite3.connect(clinic)
    assert conn.execute("SELECT count(*) FROM rems_submissions").fetchone() == (0,)
    conn.close()


async def test_the_nurse_fills_in_the_effects_at_discharge_with_ctrl_g(clinic):
    async with clinician_app(clinic) as pilot:
        await open_patient(pilot, "E001")
        await pilot.press("v")
        await settle(pilot)
        await pilot.press("ctrl+g")
        await settle(pilot)
        screen = pilot.app.screen
        for name, answer in (
            ("sedation_observed", "yes"),
            ("sedation_resolved", "yes"),
            ("dissociation_observed", "no"),
            ("respiratory_depression_observed", "no"),
            ("serious_adverse_event", "no"),
        ):
            screen.query_one(f"#f-{name}", Select).value = answer
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.app.workers.wait_for_complete()
        await settle(pilot)
        assert "session 2 of 8 (esketamine)" in screen_text(pilot.app)  # back on the session
    database = db.connect(clinic)
    form = db.rems.forms_of(database, "E001")["2026-02-09T10:00"]
    database.conn.close()
    assert (form.sedation_observed, form.sedation_resolved, form.serious_adverse_event) == (
        True,
        True,
        False,
    )


async def test_a_ready_to_leave_time_later_than_now_is_refused_at_discharge(tmp_db_path):
    now = datetime.now().replace(second=0, microsecond=0)
    start = now - timedelta(hours=2, minutes=30)
    if start.date() != now.date() or now.hour >= 23:
        pytest.skip("the session and the time typed must fall on today")
    database = db.connect(tmp_db_path)
    add_patient(database, "E002", "Eli Example")
    raw = {"patient_id": "E002", "date": start.isoformat(timespec="minutes")}
    checked = check_infusion({**raw, "drug": "esketamine", "dose_mg": "56"}, None, date.today())
    db.add_infusion(database, checked.values, WHO)
    database.close()
    async with clinician_app(tmp_db_path, today=date.today()) as pilot:
        await open_patient(pilot, "E002")
        await pilot.press("v")
        await settle(pilot)
        await pilot.press("ctrl+e")
        await settle(pilot)
        later = (now + timedelta(minutes=30)).strftime("%H:%M")
        pilot.app.screen.query_one("#m-ready").value = later
        pilot.app.screen.query_one("#m-accompanied").value = "yes"
        await pilot.press("enter")
        await settle(pilot)
        assert "is later than now" in " ".join(screen_text(pilot.app).split())
    conn = sqlite3.connect(tmp_db_path)
    assert conn.execute("SELECT ready_to_leave_at FROM infusions").fetchall() == [(None,)]
    conn.close()


def rems_list(*keys: str):
    async def run_before(pilot) -> None:
        await ready(pilot)
        await pilot.press("e")
        await pilot.pause()
        for key in keys:
            await pilot.press(key)
            await pilot.pause()
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()

    return run_before


@pytest.mark.parametrize("size", [(120, 36), (80, 24)])
def test_snapshot_rems_forms_list(clinic, snap_compare, size):
    """The forms due and overdue, reached from the patient list by `e`, at both sizes."""
    app = tui.make_app(clinic, today=TODAY, clinician="Dr Snapshot")
    assert snap_compare(app, terminal_size=size, run_before=rems_list())


@pytest.mark.parametrize("size", [(120, 36), (80, 24)])
def test_snapshot_esketamine_session_with_its_rems_form(clinic, snap_compare, size):
    """The overdue form's session opened from the list: the medicines and the form's state."""
    app = tui.make_app(clinic, today=TODAY, clinician="Dr Snapshot")
    assert snap_compare(app, terminal_size=size, run_before=rems_list("enter"))


async def test_the_record_written_from_the_session_screen_holds_the_form_and_names_what_is_missing(
    clinic, tmp_path
):
    import pypdf

    async with clinician_app(clinic) as pilot:
        await pilot.press("e")
        await settle(pilot)
        await pilot.press("enter")  # the overdue form's session, 2 February
        await settle(pilot)
        await pilot.press("ctrl+r")
        await settle(pilot)
        pilot.app.screen.query_one("#m-folder").value = str(tmp_path / "records")
        await pilot.press("enter")
        await settle(pilot)
        await pilot.app.workers.wait_for_complete()
        await settle(pilot)
        said = notices(pilot.app)
    assert "The REMS form lacks 12 required fields: first treatment (yes/no);" in said
    (pdf,) = (tmp_path / "records").glob("*.pdf")
    text = " ".join(pypdf.PdfReader(pdf).pages[0].extract_text().split())
    assert "1. Patient enrolled in the Spravato REMS yes" in text
    assert "4b. Takes opioids yes" in text and "4a. Takes benzodiazepines no" in text
    assert "Form to the REMS overdue: the deadline was 2026-02-09 (1 day ago)" in text
