"""Benchmark: `outcomes report` for 100 demo patients against bare matplotlib.

Builds a temporary SQLite database of demo patients (`outcomes_cli.demo`,
written through `db/`), then measures in the same run, alternating, each in
a fresh process of its own (interpreter start-up and imports count on both
sides, as a clinician waits for them):

1. the baseline: bare matplotlib in one process drawing one line chart per
   patient (the PHQ-9 totals over days) to a PNG and to a one-page PDF;
2. `outcomes report --jobs 2`: every patient's PDF and PNG chart plus the
   cohort report;
3. `outcomes report --jobs 1`.

Targets (issues 5 and 24): jobs 2 at most 1.5 times the baseline, and jobs 2
at least 1.6 times faster than jobs 1. Prints the numbers, the best of
`--repeat` runs of each and the load average; exits 1 when a target is missed.

    python bench/bench_report.py [--patients 100] [--repeat 1]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import db  # noqa: E402
from db.seed import write_clinic  # noqa: E402
from outcomes_cli.demo import make_demo  # noqa: E402

TODAY = date(2026, 3, 1)


def build_database(path: Path, patients: int) -> None:
    database = db.connect(path)
    try:
        write_clinic(database, make_demo(patients, 1, TODAY), "bench", TODAY)
    finally:
        database.conn.close()


def series(path: Path) -> list[tuple[str, list[int], list[int]]]:
    """Each patient's PHQ-9 totals against days since the first record (for the baseline)."""
    database = db.connect(path)
    try:
        frame = db.load_clinic(database).assessments
    finally:
        database.conn.close()
    frame = frame[frame["scale"] == "phq9"]
    out = []
    for pid, rows in frame.groupby("patient_id", sort=True):
        days = [date.fromisoformat(t[:10]) for t in rows["taken_at"]]
        out.append((pid, [(d - days[0]).days for d in days], [int(v) for v in rows["total"]]))
    return out


def cpu_seconds() -> float:
    """CPU time of this process's finished children (the commands and their workers)."""
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return kids.ru_utime + kids.ru_stime


#: Bare matplotlib: one line chart per patient, to PNG and a one-page PDF, in one process.
BARE = """
import json, sys
from pathlib import Path
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
out = Path(sys.argv[2])
out.mkdir()
for pid, x, y in json.loads(Path(sys.argv[1]).read_text()):
    fig = Figure(figsize=(8, 5))
    ax = fig.add_subplot()
    ax.plot(x, y, marker="o")
    ax.set_title(f"Patient {pid}")
    ax.set_xlabel("days")
    ax.set_ylabel("PHQ-9")
    fig.savefig(out / f"{pid}.png", dpi=100)
    with PdfPages(out / f"{pid}.pdf") as pdf:
        pdf.savefig(fig)
"""


def timed(args: list[str]) -> float:
    """Wall seconds of one command in a fresh process (its output discarded)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    started = time.perf_counter()
    subprocess.run(
        args, env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    return time.perf_counter() - started


def baseline(series_file: Path, out: Path) -> float:
    return timed([sys.executable, "-c", BARE, str(series_file), str(out)])


def report(path: Path, out: Path, jobs: int) -> float:
    command = [sys.executable, "-m", "outcomes", "--db", str(path), "report", "--out", str(out)]
    return timed([*command, "--jobs", str(jobs)])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=1, help="take the best of N runs of each")
    args = parser.parse_args()
    print(f"load average at the start: {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        path = root / "bench.db"
        build_database(path, args.patients)
        series_file = root / "series.json"
        series_file.write_text(json.dumps(series(path)))
        times = {"baseline": [], "jobs2": [], "jobs1": []}
        cpu = {"baseline": [], "jobs2": [], "jobs1": []}
        for r in range(args.repeat):
            for name, run in (
                ("baseline", lambda r=r: baseline(series_file, root / f"bare{r}")),
                ("jobs2", lambda r=r: report(path, root / f"j2-{r}", 2)),
                ("jobs1", lambda r=r: report(path, root / f"j1-{r}", 1)),
            ):
                before = cpu_seconds()
                times[name].append(run())
                cpu[name].append(cpu_seconds() - before)
    best = {k: min(v) for k, v in times.items()}
    load = os.getloadavg()[0]
    ratio = best["jobs2"] / best["baseline"]
    speedup = best["jobs1"] / best["jobs2"]
    print(f"patients:                {args.patients}")
    print(
        f"bare matplotlib:         {best['baseline']:.2f} s "
        f"({1000 * best['baseline'] / args.patients:.0f} ms per patient)"
    )
    print(f"report --jobs 2:         {best['jobs2']:.2f} s")
    print(f"report --jobs 1:         {best['jobs1']:.2f} s")
    print(
        f"CPU seconds (all processes): bare {min(cpu['baseline']):.1f}, "
        f"jobs 2 {min(cpu['jobs2']):.1f}, jobs 1 {min(cpu['jobs1']):.1f}"
    )
    print(
        f"load average during the run: {load:.1f} on {os.cpu_count()} cores "
        "(other work on the machine skews the wall-clock ratios)"
    )
    print(
        f"jobs 2 / bare:           {ratio:.2f}  (target <= 1.5)  {'ok' if ratio <= 1.5 else 'MISSED'}"
    )
    print(
        f"jobs 1 / jobs 2 speedup: {speedup:.2f}  (target >= 1.6)  {'ok' if speedup >= 1.6 else 'MISSED'}"
    )
    return 0 if ratio <= 1.5 and speedup >= 1.6 else 1


if __name__ == "__main__":
    sys.exit(main())
