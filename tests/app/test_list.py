"""The patient list: columns, fitting 120 columns, search, filters and sorting."""

from __future__ import annotations

from textual.widgets import Input, Select

import db
from outcomes_app.screens.patient_list import SEARCH_DELAY
from outcomes_app.text import NAME_WIDTH
from outcomes_app.virtual_table import VirtualTable
from tests.app.driving import clinician_app, list_rows, settle, text_of
from tests.clinic import add_infusion, add_patient, add_phq9, add_widest_patient


async def test_list_shows_progress_verdict_relief_and_alerts(pilot):
    """The list shows each patient's course, latest score, verdict, relief days and open alerts."""
    app = pilot.app
    rows = {r[0]: r for r in list_rows(app)}
    assert set(rows) == {"P001", "P002", "P003", "P004"}
    assert rows["P001"][3:9] == ["6/6", "6", "mild", "70% better", "responder", "7+"]
    assert rows["P002"][7] == "non-responder" and rows["P002"][2] == "⚠ 1"
    assert rows["P003"][3] == "2/6" and rows["P003"][7] == "in progress"
    assert rows["P004"][3] == "none yet" and rows["P004"][4] == "–" and rows["P001"][2] == ""
    assert "1 with open alerts" in text_of(app, "#list-summary")
    labels = app.screen.query_one("#patients", VirtualTable).labels
    assert labels == [
        "ID ▲",
        "Name",
        "Alerts",
        "Course",
        "Latest",
        "Band",
        "Improved",
        "Verdict",
        "Relief",
    ]


async def test_every_list_column_fits_120_columns_with_long_names_and_boosters(clinic_db):
    """A long name ends in "…" and two boosters read "6/6 +2 boosters": no column is cut off at 120 columns."""
    database = db.connect(clinic_db)
    add_widest_patient(database)
    database.conn.close()

    async with clinician_app(clinic_db) as pilot:
        app = pilot.app
        row = {r[0]: r for r in list_rows(app)}["P005"]
        assert row[1] == "Maximiliana Wolfesc…" and len(row[1]) == NAME_WIDTH
        assert row[2] == "⚠ 1" and row[3] == "6/6 +2 boosters" and row[7] == "non-responder"
        table = app.screen.query_one("#patients", VirtualTable)
        # Every column, "Relief" the last, inside the table: nothing to scroll sideways to.
        assert table.virtual_size.width <= table.scrollable_content_region.width
        assert table.max_scroll_x == 0
        await pilot.press("slash", *"wolfeschlegel")  # search still finds the whole name
        await pilot.pause(SEARCH_DELAY + 0.1)
        assert [r[0] for r in list_rows(app)] == ["P005"]


async def test_search_filter_and_sort(pilot):
    """Search by name or id, filter by alert or verdict, sort by a column key or header click."""
    app = pilot.app
    await pilot.press("slash", *"ben")
    await pilot.pause(SEARCH_DELAY + 0.1)
    assert [r[0] for r in list_rows(app)] == ["P002"]
    app.screen.query_one("#search", Input).value = "p00"
    await pilot.pause(SEARCH_DELAY + 0.1)
    assert len(list_rows(app)) == 4
    app.screen.query_one("#filter", Select).value = "alerts"
    await settle(pilot)
    assert [r[0] for r in list_rows(app)] == ["P002"]
    app.screen.query_one("#filter", Select).value = "responder"
    await settle(pilot)
    assert [r[0] for r in list_rows(app)] == ["P001"]
    app.screen.query_one("#filter", Select).value = "all"
    app.screen.query_one("#patients", VirtualTable).focus()
    await settle(pilot)
    await pilot.press("7")  # improvement, ascending; unknown values last
    assert [r[0] for r in list_rows(app)] == ["P002", "P003", "P001", "P004"]
    await pilot.press("7")  # again: descending
    assert [r[0] for r in list_rows(app)] == ["P001", "P003", "P002", "P004"]
    await pilot.click("#patients", offset=(3, 0))  # the ID header
    await settle(pilot)
    assert [r[0] for r in list_rows(app)] == ["P001", "P002", "P003", "P004"]
    await pilot.press("4")  # course: by sessions given, not by text
    assert [r[0] for r in list_rows(app)] == ["P004", "P003", "P001", "P002"]


async def test_follow_ups_come_with_the_verdicts_and_only_alerting_statuses_are_kept(pilot):
    """Every patient's next follow-up is in with the verdicts (count and filter at once); of the
    statuses only the open alert's patient's is kept (50,000 statuses would hold a gigabyte)."""
    app = pilot.app
    assert set(app.clinic.followups) == {"P001", "P002", "P003", "P004"}
    assert "2 with a follow-up due" in text_of(app, "#list-summary")
    assert set(app.clinic.statuses) == {"P002"}
    app.screen.query_one("#filter", Select).value = "followup"
    await settle(pilot)
    assert [r[0] for r in list_rows(app)] == ["P001", "P002"]


async def test_improved_column_reads_by_direction_and_sorts_by_the_number(clinic_db):
    """A worse score reads "50% worse", never "-50%"; the column sorts by the signed number."""
    database = db.connect(clinic_db)
    add_patient(database, "P006", "Eve Worse")
    add_phq9(database, "P006", "2026-01-05", 10)
    add_infusion(database, "P006", "2026-01-06T09:00")
    add_phq9(database, "P006", "2026-01-07", 15)
    database.conn.close()

    async with clinician_app(clinic_db) as pilot:
        app = pilot.app
        rows = {r[0]: r for r in list_rows(app)}
        assert rows["P006"][6] == "50% worse" and rows["P002"][6] == "22% better"
        assert not any(r[6].startswith("-") for r in rows.values())
        app.screen.query_one("#patients", VirtualTable).focus()
        await settle(pilot)
        await pilot.press("7")  # ascending: the worst first, by the number and not the text
        assert [r[0] for r in list_rows(app)][:4] == ["P006", "P002", "P003", "P001"]


async def test_selected_patient_stays_selected_through_sort_and_filter(pilot):
    """The cursor follows the patient, not the row number, when the order or the filter changes."""
    app = pilot.app
    app.screen.query_one("#patients", VirtualTable).focus()
    await pilot.press("down", "down")
    assert app.list_screen().selected_patient() == "P003"
    await pilot.press("7")  # improvement: P002, P003, P001, P004
    assert app.list_screen().selected_patient() == "P003"
    assert app.screen.query_one("#patients", VirtualTable).cursor_row == 1
    app.screen.query_one("#filter", Select).value = "in_progress"
    await settle(pilot)
    assert [r[0] for r in list_rows(app)] == [
        "P003",
        "P004",
    ] and app.list_screen().selected_patient() == "P003"


async def test_header_counts_follow_the_search_and_read_as_a_user_would(pilot):
    """Unfiltered: "4 patients" and the clinic's counts; under a search the alert and
    follow-up counts are the listed patients' and say "of these"; one patient reads "1 of 4 patients"."""
    app = pilot.app
    assert text_of(app, "#list-summary") == (
        "4 patients · scale PHQ-9 · 1 with open alerts · 2 with a follow-up due"
    )
    await pilot.press("slash", *"P001")  # a responder with a follow-up due and no open alert
    await pilot.pause(SEARCH_DELAY + 0.1)
    assert text_of(app, "#list-summary") == (
        "1 of 4 patients · scale PHQ-9 · of these, 0 with open alerts · 1 with a follow-up due"
    )
    app.screen.query_one("#filter", Select).value = "alerts"
    await settle(pilot)
    assert "0 of 4 patients · scale PHQ-9 · of these, 0 with open alerts" in text_of(
        app, "#list-summary"
    )
