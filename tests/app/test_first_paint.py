"""The patient list paints at once from one cheap query; verdicts, relief and alerts fill in after.

The worker's two steps are driven here by the messages it posts
(`ClinicListed`, `ClinicProgress`, `ClinicLoaded`), so every in-between
state is looked at deterministically on the real app and a real file.
"""

from __future__ import annotations

import db
from outcomes_app.messages import ClinicListed, ClinicLoaded, ClinicProgress
from outcomes_app.text import PatientRow
from outcomes_app.virtual_table import VirtualTable
from tests.app.driving import list_rows, settle, text_of


def quick_rows(path, scale="phq9", induction=6) -> list[PatientRow]:
    database = db.connect(path)
    try:
        return [PatientRow.quick(*row, scale, induction) for row in db.list_rows(database, scale)]
    finally:
        database.conn.close()


async def test_first_paint_rows_agree_with_the_analysed_rows(pilot, clinic_db):
    """The cheap query's id, name, course and latest score are those the full analysis shows."""
    full = {r.patient_id: r for r in pilot.app.rows}
    quick = {r.patient_id: r for r in quick_rows(clinic_db)}
    assert set(quick) == set(full)
    for pid, row in quick.items():
        assert (row.name, row.course, row.sessions) == (full[pid].name, full[pid].course, full[pid].sessions)
        if full[pid].latest is not None:
            assert (row.latest, row.band) == (full[pid].latest, full[pid].band)


async def test_list_shows_computing_then_fills_in_verdicts_keeping_the_chosen_sort(pilot, clinic_db):
    """While computing: first rows with "computing…" (never an empty alert cell), "computing verdicts… N of M",
    a sort by verdict waits and says so; once the statuses are in, the list is sorted by verdict."""
    app = pilot.app
    loaded = ClinicLoaded(list(app.rows), dict(app.statuses), app.followups, app.settings, app.list_scale, 0.1)
    app.post_message(ClinicListed(quick_rows(clinic_db), app.settings, app.list_scale))
    await settle(pilot)
    assert app.computing
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
    assert not app.computing
    shown = list_rows(app)
    verdicts = [r[7] for r in shown]
    assert "computing…" not in verdicts and verdicts == sorted(verdicts, key=lambda v: v)
    assert "computing" not in text_of(app, "#list-summary")
    assert app.screen.query_one("#patients", VirtualTable).row_count == 4
