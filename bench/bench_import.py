"""Benchmark: importing 100,000 assessment rows against a bare `executemany`.

Run with ``python bench/bench_import.py [--rows N]``. It writes a synthetic
assessments.csv (PHQ-9 with items, 20 rows per patient), imports it through
the real `outcomes import assessments` code path (the click command, in this
process, so interpreter start-up is not counted), and measures, in the same
run, a bare `sqlite3.executemany` of the same rows into the same table of a
fresh database in one transaction. It then runs the import once more as a
separate process to measure its peak memory. It prints the ratio, which must
be at most 3, and the peak, which must stay under 500 MB, and exits 1 if
either limit is broken.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import db  # noqa: E402
from outcomes_cli.cli import cli  # noqa: E402
from outcomes.scales import SCALES  # noqa: E402

MAX_RATIO = 3.0
MAX_PEAK_MB = 500
ROWS_PER_PATIENT = 20


def write_files(folder: Path, rows: int, seed: int = 7) -> tuple[Path, Path]:
    """A patients file and an assessments file of `rows` PHQ-9 rows."""
    rng = random.Random(seed)
    n_patients = max(1, rows // ROWS_PER_PATIENT)
    patients = folder / "patients.csv"
    with open(patients, "w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["patient_id", "name", "birth_date", "weight_kg", "notes"])
        for p in range(n_patients):
            out.writerow([f"B{p:06d}", f"Bench Patient {p}", "1980-01-01", "70", ""])
    assessments = folder / "assessments.csv"
    top = SCALES["phq9"].item_max
    first = date.today() - timedelta(days=400)
    with open(assessments, "w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["patient_id", "date", "scale", "items", "total", "rater", "notes"])
        for i in range(rows):
            p, k = divmod(i, ROWS_PER_PATIENT)
            day = first + timedelta(days=p % 200 + 3 * k)
            items = [rng.randint(0, m) for m in top]
            out.writerow([f"B{p:06d}", f"{day.isoformat()}T09:{k:02d}", "phq9", " ".join(map(str, items)),
                          sum(items), "self", ""])
    return patients, assessments


def bare_baseline(folder: Path, patients: Path, assessments: Path) -> float:
    """Seconds for one `executemany` of the same rows into the same table, one transaction."""
    path = folder / "bare.db"
    database = db.connect(path)
    with open(patients, newline="") as handle:
        ids = [r["patient_id"] for r in csv.DictReader(handle)]
    database.conn.executemany("INSERT INTO patients VALUES (?, 'now', 'bench')", [(i,) for i in ids])
    database.conn.commit()
    with open(assessments, newline="") as handle:
        rows = [
            (r["patient_id"], r["date"], r["scale"], r["items"], int(r["total"]), 0, r["rater"], None,
             "now", "bench")
            for r in csv.DictReader(handle)
        ]
    sql = ("INSERT INTO assessments (patient_id, taken_at, scale, items, total, total_only, rater, notes,"
           " recorded_at, recorded_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
    start = time.perf_counter()
    with database.conn:
        database.conn.executemany(sql, rows)
    seconds = time.perf_counter() - start
    database.close()
    return seconds


def run_import(db_path: Path, kind: str, file: Path) -> float:
    start = time.perf_counter()
    code = cli.main(["--db", str(db_path), "import", kind, str(file)], prog_name="outcomes",
                    standalone_mode=False)
    seconds = time.perf_counter() - start
    if code:
        raise SystemExit(f"the {kind} import failed (exit {code})")
    return seconds


def peak_memory_mb(folder: Path, patients: Path, assessments: Path) -> tuple[float, float]:
    """Peak resident memory (MB) and wall time of the import as its own process."""
    path = folder / "subprocess.db"
    run_import(path, "patients", patients)
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "outcomes", "--db", str(path), "import", "assessments",
                    str(assessments)], check=True, env=env, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - start
    kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # kilobytes on Linux
    return kb / 1024, seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5, help="best of N runs for both timings")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        patients, assessments = write_files(folder, args.rows)
        imports, bares, loads = [], [], []
        for n in range(args.repeat):
            path = folder / f"import{n}.db"
            db.connect(path).close()
            run_import(path, "patients", patients)
            imports.append(run_import(path, "assessments", assessments))
            check = db.connect(path)
            stored = db.record_counts(check)["assessments"]
            start = time.perf_counter()
            db.load_clinic(check)
            loads.append(time.perf_counter() - start)
            check.close()
            if stored != args.rows:
                raise SystemExit(f"expected {args.rows} stored rows, found {stored}")
            (folder / "bare.db").unlink(missing_ok=True)
            bares.append(bare_baseline(folder, patients, assessments))
        peak, wall = peak_memory_mb(folder, patients, assessments)
    best_import, best_bare = min(imports), min(bares)
    ratio = best_import / best_bare
    print(f"rows:                       {args.rows:,}")
    print(f"outcomes import (in-process): {best_import:.3f} s (best of {args.repeat})")
    print(f"bare executemany:             {best_bare:.3f} s (best of {args.repeat})")
    print(f"ratio:                        {ratio:.2f} (limit {MAX_RATIO:g})")
    print(f"load_clinic of the result:    {min(loads):.3f} s ({args.rows // ROWS_PER_PATIENT:,} patients)")
    print(f"import as a process:          {wall:.3f} s wall, peak memory {peak:.0f} MB (limit {MAX_PEAK_MB})")
    return 0 if ratio <= MAX_RATIO and peak < MAX_PEAK_MB else 1


if __name__ == "__main__":
    sys.exit(main())
