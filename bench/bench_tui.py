"""Benchmark of the clinician app: start to a painted patient list of 10,000 patients.

Against a baseline measured in the same run: a bare Textual app that shows a
DataTable of the same 10,000 rows (the cells precomputed, so the baseline is
Textual's own cost of starting and filling a table). Both run headless via
`App.run_test` at 120x36; the clock runs from entering `run_test` until the
table holds every row and a refresh has gone through.

    python3 bench/bench_tui.py                 # 10,000 patients, 3 rounds
    python3 bench/bench_tui.py --patients 2000 --rounds 5

The synthetic clinic (`outcomes_cli.demo`, written through `db.write_clinic`) is
built once and cached beside the system temp folder. Also timed: opening one
patient's detail screen from the list. Exits 1 when the ratio is above 2.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from textual.app import App, ComposeResult  # noqa: E402
from textual.widgets import DataTable  # noqa: E402

import db  # noqa: E402
import tui  # noqa: E402
from outcomes_app.screens.patient_detail import PatientScreen  # noqa: E402
from outcomes_app.text import LIST_COLUMNS  # noqa: E402
from outcomes_cli.demo import make_demo  # noqa: E402

TODAY = date.today()
SIZE = (120, 36)
TARGET_RATIO = 2.0


def clinic_file(patients: int) -> Path:
    """A database with `patients` synthetic patients (built once, then reused)."""
    path = Path(tempfile.gettempdir()) / f"bench_tui_{patients}.db"
    if path.exists():
        return path
    started = time.perf_counter()
    partial = path.with_suffix(".partial")
    for leftover in (partial, Path(f"{partial}-wal"), Path(f"{partial}-shm")):
        leftover.unlink(missing_ok=True)
    database = db.connect(partial)
    # The demo is generated as of a month ago so that none of its dates lie ahead of today.
    db.write_clinic(database, make_demo(patients, seed=7, today=TODAY - timedelta(days=30)), "bench", TODAY)
    database.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    database.conn.close()
    partial.rename(path)
    print(f"built {path} with {patients} patients in {time.perf_counter() - started:.1f} s")
    return path


class BareTable(App):
    """The baseline: nothing but a DataTable filled with the same rows in one go."""

    def __init__(self, rows: list[tuple]) -> None:
        super().__init__()
        self.rows = rows

    def compose(self) -> ComposeResult:
        yield DataTable(cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns(*(label for label, _ in LIST_COLUMNS))
        table.add_rows(self.rows)


async def until_filled(app: App, pilot, count: int, selector: str) -> None:
    while True:
        tables = app.screen.query(selector)
        if tables and tables.first(DataTable).row_count >= count and getattr(app, "rows", True) is not None:
            break
        await asyncio.sleep(0.005)
    await pilot.pause()  # one more message round: the table is painted


async def time_bare(rows: list[tuple]) -> float:
    started = time.perf_counter()
    app = BareTable(rows)
    async with app.run_test(size=SIZE) as pilot:
        await until_filled(app, pilot, len(rows), "DataTable")
        return time.perf_counter() - started


async def time_app(path: Path, count: int) -> tuple[float, float, float]:
    started = time.perf_counter()
    app = tui.make_app(path, today=TODAY, clinician="bench")
    async with app.run_test(size=SIZE) as pilot:
        await until_filled(app, pilot, count, "#patients")
        listed = time.perf_counter() - started
        while app.computing:  # the first paint is in; now every verdict
            await asyncio.sleep(0.005)
        await pilot.pause()
        worker = time.perf_counter() - started
        pid = app.list_screen().shown[count // 2].patient_id
        opened = time.perf_counter()
        app.open_patient(pid)
        while not isinstance(app.screen, PatientScreen) or not app.screen.status:
            await asyncio.sleep(0.002)
        await pilot.pause()
        return listed, time.perf_counter() - opened, worker


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    path = clinic_file(args.patients)
    database = db.connect(path)
    count = len(db.patient_ids(database))
    database.conn.close()

    # The baseline shows exactly the cells the app shows.
    async def cells() -> list[tuple]:
        app = tui.make_app(path, today=TODAY, clinician="bench")
        async with app.run_test(size=SIZE) as pilot:
            await until_filled(app, pilot, count, "#patients")
            while app.computing:
                await asyncio.sleep(0.01)
            await pilot.pause()
            return [row.cells() for row in app.list_screen().shown]

    rows = asyncio.run(cells())  # also warms imports and the file cache
    bare, ours, detail, work = [], [], [], []
    for _ in range(args.rounds):
        bare.append(asyncio.run(time_bare(rows)))
        listed, opened, worker = asyncio.run(time_app(path, count))
        ours.append(listed)
        detail.append(opened)
        work.append(worker)
    b, o, d = statistics.median(bare), statistics.median(ours), statistics.median(detail)
    ratio = o / b
    print(f"patients: {count}")
    print(f"bare DataTable app, start to {count} rows painted: {b:.2f} s (median of {args.rounds})")
    print(f"clinician app, start to patient list painted:     {o:.2f} s (first paint: id, name, course, latest)")
    print(f"clinician app, start to every verdict in:         {statistics.median(work):.2f} s")
    print(f"ratio: {ratio:.2f} (target at most {TARGET_RATIO:g})")
    print(f"list -> patient detail screen: {d * 1000:.0f} ms")
    return 0 if ratio <= TARGET_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
