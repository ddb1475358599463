"""The patient list paints at once from one cheap query; verdicts, relief and alerts fill in after.

The worker's two steps are driven here by the messages it posts
(`ClinicListed`, `ClinicProgress`, `ClinicLoaded`), so every in-between
state is looked at deterministically on the real app and a real file.
"""

from __future__ import annotations

import threading

import pytest

import db
import outcomes_app.loading as loading_module
from outcomes_app.app import OutcomesApp
from outcomes_app.loading import FIRST_SCREEN_ROWS
from outcomes_app.messages import ClinicListed, ClinicLoaded, ClinicProgress
from outcomes_app.text import PatientRow
from outcomes_app.virtual_table import VirtualTable
from outcomes_cli.demo import demo_batches
from tests.app.driving import clinician_app, list_rows, settle, text_of
from tests.clinic import TODAY


def quick_rows(path, scale="phq9", induction=6) -> list[PatientRow]:
    database = db.connect(path)
    try:
        return [PatientRow.quick(*row, scale, induction) for row in db.list_rows(database, scale)]
    finally:
        database.conn.close()


async def test_first_paint_rows_agree_with_the_analysed_rows(pilot, clinic_db):
    """The cheap query's id, name, course and latest score are those the full analysis shows."""
    full = {r.patient_id: r for r in pilot.app.clinic.rows}
    quick = {r.patient_id: r for r in quick_rows(clinic_db)}
    assert set(quick) == set(full)
    for pid, row in quick.items():
        assert (row.name, row.course, row.sessions) == (
            full[pid].name,
            full[pid].course,
            full[pid].sessions,
        )
        if full[pid].latest is not None:
            assert (row.latest, row.band) == (full[pid].latest, full[pid].band)


async def test_list_shows_computing_then_fills_in_verdicts_keeping_the_chosen_sort(
    pilot, clinic_db
):
    """While computing: first rows with "computing…" (never an empty alert cell), "computing verdicts… N of M",
    a sort by verdict waits and says so; once the statuses are in, the list is sorted by verdict."""
    app = pilot.app
    loaded = ClinicLoaded(
        list(app.clinic.rows),
        dict(app.clinic.statuses),
        app.clinic.followups,
        app.clinic.settings,
        app.clinic.list_scale,
        0.1,
    )
    app.post_message(
        ClinicListed(quick_rows(clinic_db), app.clinic.settings, app.clinic.list_scale)
    )
    await settle(pilot)
    assert app.clinic.computing
    rows = {r[0]: r for r in list_rows(app)}
    assert rows["P002"][2] == "…" and rows["P002"][7] == "computing…" and rows["P001"][3] == "6/6"
    assert "computing verdicts… 0 of 4" in text_of(app, "#list-summary")
    app.post_message(ClinicProgress(2, 4))
    await settle(pilot)
    assert "computing verdicts… 2 of 4" in text_of(app, "#list-summary")
    await pilot.press("8")  # sort by verdict
    await settle(pilot)
    assert any("once the verdicts are in" in str(n.message) for n in app._notifications)
    assert [r[0] for r in list_rows(app)] == ["P001", "P002", "P003", "P004"]
    await pilot.press("f")  # follow-ups need every status
    await settle(pilot)
    assert any("Follow-ups are known once" in str(n.message) for n in app._notifications)
    app.post_message(loaded)
    await settle(pilot)
    assert not app.clinic.computing
    shown = list_rows(app)
    verdicts = [r[7] for r in shown]
    assert "computing…" not in verdicts and verdicts == sorted(verdicts, key=lambda v: v)
    assert "computing" not in text_of(app, "#list-summary")
    assert app.screen.query_one("#patients", VirtualTable).row_count == 4


@pytest.fixture(scope="module")
def larger_clinic(tmp_path_factory):
    """A demo clinic of more patients than the first screen holds (the rest of the list comes later)."""
    path = tmp_path_factory.mktemp("larger") / "clinic.db"
    database = db.connect(path)
    db.write_clinic(
        database, demo_batches(FIRST_SCREEN_ROWS + 30, 5, TODAY, batch=100), "demo", TODAY
    )
    database.conn.close()
    return path


async def test_first_frame_rows_are_read_on_the_ui_thread_before_any_worker(
    larger_clinic, monkeypatch
):
    """The first screen of rows is in the table when the app has mounted, with no worker run at all: the
    app's very first frame shows patients. The worker's analysis (stubbed out here) is not needed for it."""
    started = []
    monkeypatch.setattr(
        OutcomesApp, "_analyse_clinic", lambda self, first_paint: started.append(first_paint)
    )
    async with clinician_app(larger_clinic, loaded=False) as pilot:
        app = pilot.app
        table = app.screen.query_one("#patients", VirtualTable)
        assert started == [True]
        assert app.clinic.partial_list and table.row_count == FIRST_SCREEN_ROWS
        assert [r[0] for r in list_rows(app)][:3] == ["P001", "P002", "P003"]
        assert f"first {FIRST_SCREEN_ROWS} of {FIRST_SCREEN_ROWS + 30} patients" in text_of(
            app, "#list-summary"
        )
        assert (
            app.clinic.rows_drawn.is_set()
        )  # the table drew them: a worker waiting on this would start now


async def test_worker_waits_for_the_first_rows_to_be_drawn(larger_clinic, monkeypatch):
    """Until the table has drawn the first rows the whole list is not read (it would compete with the paint
    for the interpreter); once they are drawn, the rest of the list and every verdict follow."""
    monkeypatch.setattr(loading_module, "PAINT_WAIT_S", 30.0)
    drawn = []
    real_wait = threading.Event.wait

    def watched_wait(event, timeout=None):
        done = real_wait(event, timeout)
        drawn.append((event, done))
        return done

    monkeypatch.setattr(threading.Event, "wait", watched_wait)
    async with clinician_app(larger_clinic) as pilot:
        app = pilot.app
        waits = [done for event, done in drawn if event is app.clinic.rows_drawn]
        assert waits == [True]  # the worker waited once, and its wait ended because rows were drawn
        assert not app.clinic.computing and len(app.clinic.rows) == FIRST_SCREEN_ROWS + 30
