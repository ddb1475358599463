"""The patient list at 120, 100 and 80 columns, its relapsed filter and its sort mark."""

from __future__ import annotations

import pytest
from textual.widgets import Select

import db
from outcomes_app.virtual_table import VirtualTable
from tests.app.driving import clinician_app, list_rows, settle, text_of
from tests.clinic import add_phq9, add_widest_patient

ALL = ["ID", "Name", "Alerts", "Course", "Latest", "Band", "Improved", "Verdict", "Relief"]


def labels(app) -> list[str]:
    return app.screen.query_one("#patients", VirtualTable).labels


@pytest.fixture
def wide_clinic(clinic_db):
    """The fixed clinic and a patient whose cells are the widest the list shows."""
    database = db.connect(clinic_db)
    add_widest_patient(database)
    database.conn.close()
    return clinic_db


@pytest.mark.parametrize(
    ("size", "shown"),
    [
        ((120, 36), ALL),
        ((100, 30), ["ID", "Name", "Alerts", "Course", "Latest", "Improved", "Verdict", "Relief"]),
        ((80, 24), ["ID", "Name", "Alerts", "Improved", "Verdict", "Relief"]),
    ],
)
async def test_list_drops_low_priority_columns_and_never_clips_the_verdict(
    wide_clinic, size, shown
):
    """Band goes first, then Latest and Course; the verdict is read in full with nothing to scroll to."""
    async with clinician_app(wide_clinic, size=size) as pilot:
        app = pilot.app
        assert [label.rstrip(" ▲▼") for label in labels(app)] == shown
        table = app.screen.query_one("#patients", VirtualTable)
        assert table.max_scroll_x == 0
        assert table.virtual_size.width <= table.scrollable_content_region.width
        verdicts = {r[0]: r[shown.index("Verdict")] for r in list_rows(app)}
        assert verdicts["P002"] == "non-responder" and verdicts["P005"] == "non-responder"
        # Keys sort by the columns on screen: the last one shown is Relief at every width.
        await pilot.press(str(len(shown)))
        assert labels(app)[-1] == "Relief ▲" and labels(app)[0] == "ID"


async def test_widening_the_terminal_brings_dropped_columns_back(wide_clinic):
    """A resize from 80 to 120 columns shows every column again, sort mark kept."""
    async with clinician_app(wide_clinic, size=(80, 24)) as pilot:
        assert "Band" not in labels(pilot.app)
        await pilot.resize_terminal(120, 36)
        await settle(pilot)
        assert labels(pilot.app) == ["ID ▲"] + ALL[1:]


async def test_relapsed_filter_shows_only_patients_who_lost_their_response(clinic_db):
    """P001 responded and then scored 18 (above half the baseline of 20): the relapsed filter shows P001 alone."""
    database = db.connect(clinic_db)
    add_phq9(database, "P001", "2026-02-01", 18)
    database.conn.close()
    async with clinician_app(clinic_db) as pilot:
        pilot.app.screen.query_one("#filter", Select).value = "relapsed"
        await settle(pilot)
        assert [r[0] for r in list_rows(pilot.app)] == ["P001"]
        assert "1 of 4 patients" in text_of(pilot.app, "#list-summary")
