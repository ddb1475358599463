"""How the app tests drive the real apps: start one at a set size, wait for it, read its screen.

The fixtures in `tests/app/conftest.py` are built from these; a test that
needs another size, database or clinician starts its own app with
`clinician_app(...)` / `patient_app(...)`. Every app gets the fixed "today"
of its clinic, so nothing depends on the day the suite runs.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path
from typing import AsyncIterator

from textual.pilot import Pilot
from textual.widgets import DataTable, Static

import db
import tui
from outcomes_app.virtual_table import VirtualTable
from tests.clinic import TODAY, WHO
from tests.patient_clinic import TODAY as PATIENT_TODAY

#: The clinician app's size in tests and snapshots: the smallest the list is laid out for.
SIZE = (120, 36)
#: Patient mode's smallest supported terminal.
SMALL = (80, 24)


@asynccontextmanager
async def clinician_app(
    path: Path, *, size=SIZE, clinician: str | None = WHO, loaded: bool = True, **options
) -> AsyncIterator[Pilot]:
    """Run the clinician app on `path` (via `tui.make_app`, as the CLI does); yield its pilot.

    With `loaded` the patient list is filled before the test starts;
    `clinician=None` leaves the app to ask for the user's name.
    """
    app = tui.make_app(path, today=options.pop("today", TODAY), clinician=clinician, **options)
    async with app.run_test(size=size) as pilot:
        if loaded:
            await ready(pilot)
        else:
            await settle(pilot)
        yield pilot


@asynccontextmanager
async def patient_app(
    path: Path,
    patient: str,
    *,
    size=SMALL,
    today=PATIENT_TODAY,
    chart_dir: Path | str | None = None,
) -> AsyncIterator[Pilot]:
    """Run patient mode for `patient` on `path` (via `tui.make_app`); yield its pilot once loaded.

    `today` is the patient-mode clinic's fixed day unless given.
    """
    app = tui.make_app(path, patient=patient, today=today, chart_dir=chart_dir)
    async with app.run_test(size=size) as pilot:
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        yield pilot


async def ready(pilot: Pilot) -> None:
    """Wait until the clinic worker has filled the patient list."""
    app = pilot.app
    while app.clinic.rows is None or app.clinic.computing:
        await app.workers.wait_for_complete()
        await pilot.pause()
    await pilot.pause()


async def settle(pilot: Pilot) -> None:
    """Let messages, screen pushes and the save worker's modal go through."""
    for _ in range(3):
        await pilot.pause()


async def open_patient(pilot: Pilot, pid: str) -> None:
    """Open a patient's detail screen, as Enter on the list row does."""
    pilot.app.open_patient(pid)
    await pilot.pause()
    await pilot.pause()


def table_rows(app, selector: str) -> list[list[str]]:
    """Every row of the table `selector` on the current screen, as text.

    A `DataTable` or the patient list's `VirtualTable`: both answer `row_count` and `get_row_at`.
    """
    table = app.screen.query_one(selector, (DataTable, VirtualTable))
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


def list_rows(app) -> list[list[str]]:
    """The patient list's rows as shown, in order."""
    return table_rows(app, "#patients")


def timeline_rows(app) -> list[list[str]]:
    """The detail screen's timeline rows as shown, in order."""
    return table_rows(app, "#timeline")


def select_timeline(app, text: str) -> None:
    """Put the timeline cursor on the first row containing `text`."""
    table = app.screen.query_one("#timeline", DataTable)
    for i in range(table.row_count):
        if text in " ".join(str(c) for c in table.get_row_at(i)):
            table.move_cursor(row=i)
            return
    raise AssertionError(f"{text!r} not in the timeline")


def text_of(app, selector: str) -> str:
    """What the Static `selector` on the current screen shows."""
    return str(app.screen.query_one(selector, Static).render())


def screen_text(app) -> str:
    """Everything the terminal shows now, as plain text, plus the title bar."""
    lines = [strip.text for strip in app.screen._compositor.render_strips()]
    return "\n".join([app.title, app.sub_title, *lines])


def counts(path: Path) -> dict[str, int]:
    """Rows of each clinical table in the file at `path`."""
    database = db.connect(path)
    try:
        return db.record_counts(database)
    finally:
        database.conn.close()
