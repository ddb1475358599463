"""Benchmark: analysing a 10,000-patient demo clinic against loading it, and the cohort report's JSON
against reading the clinic with pandas (issue 24).

Uses the cached demo clinic of `bench_scale.py` (`outcomes demo --patients 10000 --seed 1`, built
once into `~/.cache/ketamine-outcomes-bench/`). Two figures, each beside its floor in the same run:

1. In this process, alternating, best of `--repeat`: loading the clinic (`db.load_clinic`, the
   frames every command reads) against analysing it (records from the frames, then every
   patient's status on the primary scale: `ClinicData.by_patient` + `analyse_all`). Target: the
   analysis takes no longer than the load (ratio <= 1).
2. As commands, each in a fresh process, alternating, best of `--repeat`:
   `outcomes report --cohort-only --json` against a bare process that reads every clinical table
   with `pandas.read_sql` (interpreter start-up included on both sides). Target: <= 4x.

    python3 bench/bench_analysis.py [--size 10000] [--repeat 3] [--only load|cohort]

Not a timed test: a busy machine skews both sides of each ratio alike. Exits 1 when a target is
missed.
"""

from __future__ import annotations

import argparse
import gc
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench_scale import ENV, clinic  # noqa: E402

import db  # noqa: E402
from outcomes.status import analyse_all  # noqa: E402

#: Every clinical table, read as a bare pandas program would: the floor of the cohort report.
READ_SQL = """
import sqlite3, sys
import pandas as pd
conn = sqlite3.connect(sys.argv[1])
for table in ("patients", "patient_details", "courses", "infusions", "assessments", "readings",
              "alert_acknowledgements", "settings"):
    pd.read_sql(f"SELECT * FROM {table}", conn)
"""


def load_and_analyse(path: Path) -> tuple[float, float]:
    """Seconds to load the clinic, and to analyse what was loaded (one run of each)."""
    gc.collect()
    started = time.perf_counter()
    database = db.connect_to_read(path)
    data, settings = db.load_clinic(database), db.load_settings(database)
    database.close()
    loaded = time.perf_counter()
    patients = data.by_patient()
    analyse_all(patients, settings.primary_scale, settings, date.today(), data.acknowledged)
    return loaded - started, time.perf_counter() - loaded


def wall(args: list[str]) -> float:
    """Wall seconds of one command in a fresh process."""
    started = time.perf_counter()
    subprocess.run(args, env=ENV, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def cohort_against_read_sql(path: Path, repeat: int) -> tuple[float, float]:
    """Best wall seconds of `report --cohort-only --json` and of the bare read_sql process."""
    report, bare = [], []
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report"
        command = [sys.executable, "-m", "outcomes", "--db", str(path), "report"]
        for _ in range(repeat):
            bare.append(wall([sys.executable, "-c", READ_SQL, str(path)]))
            report.append(wall([*command, "--out", str(out), "--cohort-only", "--json"]))
            shutil.rmtree(out)
    return min(report), min(bare)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10_000, help="patients in the demo clinic")
    parser.add_argument("--repeat", type=int, default=3, help="best of N runs of each side")
    parser.add_argument("--only", choices=("load", "cohort"), help="one of the two figures")
    args = parser.parse_args()
    path = clinic(args.size)
    missed = []
    print(f"{args.size:,}-patient demo clinic; load average {os.getloadavg()[0]:.1f} at the start")
    if args.only in (None, "load"):
        runs = [load_and_analyse(path) for _ in range(args.repeat)]
        load, analysis = min(r[0] for r in runs), min(r[1] for r in runs)
        ratio = analysis / load
        print(
            f"load {load:.2f} s, analysis {analysis:.2f} s: {ratio:.2f}x the load "
            f"(target <= 1)  {'ok' if ratio <= 1 else 'MISSED'}"
        )
        if ratio > 1:
            missed.append("analysis")
    if args.only in (None, "cohort"):
        report, bare = cohort_against_read_sql(path, args.repeat)
        ratio = report / bare
        print(
            f"report --cohort-only --json {report:.2f} s, pandas.read_sql of every table "
            f"{bare:.2f} s: {ratio:.2f}x (target <= 4)  {'ok' if ratio <= 4 else 'MISSED'}"
        )
        if ratio > 4:
            missed.append("cohort")
    print(f"load average {os.getloadavg()[0]:.1f} at the end")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
