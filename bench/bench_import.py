"""Benchmark: importing 100,000 assessment rows (and 300,000 readings) against a bare `executemany`.

Run with ``python bench/bench_import.py [--rows N]``. It writes a synthetic
assessments.csv (PHQ-9 with items, 20 rows per patient), imports it through
the real `outcomes import assessments` code path (the click command, in this
process, so interpreter start-up is not counted), and measures, in the same
run, a bare `sqlite3.executemany` of the same rows into the same table of a
fresh database in one transaction. It then runs the import once more as a
separate process to measure its peak memory. It prints the ratio, which must
be at most 3, and the peak, which must stay under 500 MB, and exits 1 if
either limit is broken. The same is done for a vitals.csv of 300,000
readings (``--vitals N``; 10 readings in each of 6 sessions per patient) against
a bare `executemany` into the readings table: the ratio must be at most 3 too.

``--only-command 50000`` (issue 24) measures the import as a clinician runs it,
`outcomes import assessments` in a process of its own (interpreter start-up
and imports included), against a bare process that reads the same CSV and
inserts its rows with one `executemany` into the same table of a copy of
the same clinic (and, printed beside it, into a plain table): at most 3x.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import db  # noqa: E402
from outcomes.scales import SCALES  # noqa: E402
from outcomes_cli.cli import cli  # noqa: E402

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
            out.writerow(
                [
                    f"B{p:06d}",
                    f"{day.isoformat()}T09:{k:02d}",
                    "phq9",
                    " ".join(map(str, items)),
                    sum(items),
                    "self",
                    "",
                ]
            )
    return patients, assessments


def bare_baseline(folder: Path, patients: Path, assessments: Path) -> float:
    """Seconds for one `executemany` of the same rows into the same table, one transaction."""
    path = folder / "bare.db"
    database = db.connect(path)
    with open(patients, newline="") as handle:
        ids = [r["patient_id"] for r in csv.DictReader(handle)]
    database.conn.executemany(
        "INSERT INTO patients VALUES (?, 'now', 'bench')", [(i,) for i in ids]
    )
    database.conn.commit()
    with open(assessments, newline="") as handle:
        rows = [
            (
                r["patient_id"],
                r["date"],
                r["scale"],
                r["items"],
                int(r["total"]),
                0,
                r["rater"],
                None,
                "now",
                "bench",
            )
            for r in csv.DictReader(handle)
        ]
    sql = (
        "INSERT INTO assessments (patient_id, taken_at, scale, items, total, total_only, rater, notes,"
        " recorded_at, recorded_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    )
    return timed_executemany(database, sql, rows)


def timed_executemany(database, sql: str, rows: list[tuple]) -> float:
    """The baseline: seconds for one bare `executemany` of `rows` in one transaction (then closes)."""
    start = time.perf_counter()
    with database.conn:
        database.conn.executemany(sql, rows)
    seconds = time.perf_counter() - start
    database.close()
    return seconds


def run_import(db_path: Path, kind: str, file: Path) -> float:
    start = time.perf_counter()
    code = cli.main(
        ["--db", str(db_path), "import", kind, str(file)],
        prog_name="outcomes",
        standalone_mode=False,
    )
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
    subprocess.run(
        [
            sys.executable,
            "-m",
            "outcomes",
            "--db",
            str(path),
            "import",
            "assessments",
            str(assessments),
        ],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    seconds = time.perf_counter() - start
    kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # kilobytes on Linux
    return kb / 1024, seconds


READINGS_PER_SESSION = 10
SESSIONS_PER_PATIENT = 6


def write_vitals_files(folder: Path, readings: int, seed: int = 11) -> tuple[Path, Path, Path]:
    """Patients, their sessions (infusions.csv) and `readings` readings during them (vitals.csv)."""
    rng = random.Random(seed)
    per_patient = READINGS_PER_SESSION * SESSIONS_PER_PATIENT
    n_patients = max(
        1, -(-readings // per_patient)
    )  # rounded up: the last patient takes the remainder
    patients, infusions, vitals = folder / "vp.csv", folder / "vi.csv", folder / "vitals.csv"
    first = date.today() - timedelta(days=300)
    with (
        open(patients, "w", newline="") as p_out,
        open(infusions, "w", newline="") as i_out,
        open(vitals, "w", newline="") as v_out,
    ):
        pw, iw, vw = csv.writer(p_out), csv.writer(i_out), csv.writer(v_out)
        pw.writerow(["patient_id", "weight_kg"])
        iw.writerow(
            ["patient_id", "date", "dose_mg_per_kg", "ended_at", "ready_to_leave_at", "accompanied"]
        )
        vw.writerow(
            [
                "patient_id",
                "session",
                "at",
                "bp_systolic",
                "bp_diastolic",
                "heart_rate",
                "spo2",
                "respiratory_rate",
                "sedation_moaas",
                "notes",
            ]
        )
        written = 0
        for p in range(n_patients):
            pid = f"V{p:06d}"
            pw.writerow([pid, "70"])
            for s in range(SESSIONS_PER_PATIENT):
                day = first + timedelta(days=p % 100 + 3 * s)
                start = f"{day.isoformat()}T09:00"
                iw.writerow(
                    [
                        pid,
                        start,
                        "0.5",
                        f"{day.isoformat()}T09:40",
                        f"{day.isoformat()}T10:15",
                        "yes",
                    ]
                )
                for r in range(READINGS_PER_SESSION):
                    if written == readings:
                        break
                    minute = 9 * 60 + 10 * r
                    vw.writerow(
                        [
                            pid,
                            start,
                            f"{day.isoformat()}T{minute // 60:02d}:{minute % 60:02d}",
                            rng.randint(110, 150),
                            rng.randint(65, 95),
                            rng.randint(55, 100),
                            rng.randint(92, 100),
                            rng.randint(10, 20),
                            rng.randint(3, 5),
                            "",
                        ]
                    )
                    written += 1
    return patients, infusions, vitals


def bare_vitals(folder: Path, patients: Path, vitals: Path) -> float:
    """Seconds for one `executemany` of the same readings into the readings table, one transaction."""
    path = folder / "bare-vitals.db"
    path.unlink(missing_ok=True)
    database = db.connect(path)
    with open(patients, newline="") as handle:
        ids = [r["patient_id"] for r in csv.DictReader(handle)]
    database.conn.executemany(
        "INSERT INTO patients VALUES (?, 'now', 'bench')", [(i,) for i in ids]
    )
    database.conn.commit()
    with open(vitals, newline="") as handle:
        rows = [
            (
                r["patient_id"],
                r["session"],
                r["at"],
                int(r["bp_systolic"]),
                int(r["bp_diastolic"]),
                int(r["heart_rate"]),
                int(r["spo2"]),
                int(r["respiratory_rate"]),
                int(r["sedation_moaas"]),
                None,
                "now",
                "bench",
            )
            for r in csv.DictReader(handle)
        ]
    sql = (
        "INSERT INTO readings (patient_id, session_at, taken_at, bp_systolic, bp_diastolic, heart_rate, spo2,"
        " respiratory_rate, sedation_moaas, notes, recorded_at, recorded_by)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    )
    return timed_executemany(database, sql, rows)


def bench_vitals(folder: Path, readings: int, repeat: int) -> float:
    """Print the vitals import's timing against the bare baseline; returns the ratio."""
    patients, infusions, vitals = write_vitals_files(folder, readings)
    imports, bares = [], []
    for n in range(repeat):
        path = folder / f"vitals{n}.db"
        db.connect(path).close()
        run_import(path, "patients", patients)
        run_import(path, "infusions", infusions)
        imports.append(run_import(path, "vitals", vitals))
        check = db.connect(path)
        stored = db.record_counts(check)["readings"]
        check.close()
        if stored != readings:
            raise SystemExit(f"expected {readings} stored readings, found {stored}")
        bares.append(bare_vitals(folder, patients, vitals))
    ratio = min(imports) / min(bares)
    print(f"readings:                     {readings:,}")
    print(f"outcomes import vitals:       {min(imports):.3f} s (best of {repeat})")
    print(f"bare executemany:             {min(bares):.3f} s (best of {repeat})")
    print(f"ratio:                        {ratio:.2f} (limit {MAX_RATIO:g})")
    return ratio


#: The floor of `outcomes import` as a command (issue 24): a process of its own that reads the same
#: CSV and inserts its rows with one `executemany` in one transaction, into the assessments table of
#: a copy of the same clinic (argv: database, CSV, and "plain" for a fresh table with no schema).
BARE_PROCESS = """
import csv, sqlite3, sys
conn = sqlite3.connect(sys.argv[1])
plain = sys.argv[3:] == ["plain"]
if plain:
    conn.execute("CREATE TABLE a (patient_id, taken_at, scale, items, total, rater, notes)")
with open(sys.argv[2], newline="") as handle:
    rows = list(csv.DictReader(handle))
with conn:
    if plain:
        conn.executemany("INSERT INTO a VALUES (?, ?, ?, ?, ?, ?, ?)", [
            (r["patient_id"], r["date"], r["scale"], r["items"], int(r["total"]), r["rater"],
             r["notes"] or None) for r in rows])
    else:
        conn.executemany(
            "INSERT INTO assessments (patient_id, taken_at, scale, items, total, total_only, rater,"
            " notes, recorded_at, recorded_by) VALUES (?, ?, ?, ?, ?, 0, ?, ?, 'now', 'bench')",
            [(r["patient_id"], r["date"], r["scale"], r["items"], int(r["total"]), r["rater"],
              r["notes"] or None) for r in rows])
conn.close()
"""


def process_seconds(args: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of a command in a fresh process (start-up and imports included)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # bytecode cached, as an installed program runs
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(args, check=True, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


def bench_command(folder: Path, rows: int, repeat: int) -> float:
    """`outcomes import assessments` as a command against the bare process; returns the ratio."""
    patients, assessments = write_files(folder, rows)
    template = folder / "template.db"
    db.connect(template).close()
    run_import(template, "patients", patients)
    command, bare, plain = [], [], []
    for n in range(repeat):
        for name, times, args in (
            (
                "c",
                command,
                [
                    sys.executable,
                    "-m",
                    "outcomes",
                    "--db",
                    "{db}",
                    "import",
                    "assessments",
                    str(assessments),
                ],
            ),
            ("b", bare, [sys.executable, "-c", BARE_PROCESS, "{db}", str(assessments)]),
            ("p", plain, [sys.executable, "-c", BARE_PROCESS, "{db}", str(assessments), "plain"]),
        ):
            path = folder / f"{name}{n}.db"
            if name != "p":
                shutil.copy(template, path)
            times.append(process_seconds([str(path) if a == "{db}" else a for a in args]))
    sides = {"command": command, "bare": bare, "plain": plain}
    wall = {k: min(t[0] for t in v) for k, v in sides.items()}
    cpu = {k: min(t[1] for t in v) for k, v in sides.items()}
    ratio = wall["command"] / wall["bare"]
    print(f"rows: {rows:,}, each side a process of its own, best of {repeat}")
    print(f"outcomes import assessments:      {wall['command']:.3f} s, CPU {cpu['command']:.3f} s")
    print(
        f"bare executemany, the same table: {wall['bare']:.3f} s, CPU {cpu['bare']:.3f} s: "
        f"ratio {ratio:.2f}, CPU {cpu['command'] / cpu['bare']:.2f} (limit {MAX_RATIO:g})"
    )
    print(
        f"bare executemany, a plain table:  {wall['plain']:.3f} s, CPU {cpu['plain']:.3f} s: "
        f"ratio {wall['command'] / wall['plain']:.2f}, CPU {cpu['command'] / cpu['plain']:.2f}"
    )
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    return ratio


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5, help="best of N runs for both timings")
    parser.add_argument(
        "--vitals", type=int, default=300_000, help="readings in the vitals.csv benchmark"
    )
    parser.add_argument("--only-vitals", action="store_true", help="run the vitals benchmark alone")
    parser.add_argument(
        "--only-command",
        type=int,
        metavar="ROWS",
        help="only the import as a command against a bare process (issue 24: 50000)",
    )
    args = parser.parse_args()
    print(f"load average at the start: {os.getloadavg()[0]:.1f}")
    if args.only_command:
        with tempfile.TemporaryDirectory() as tmp:
            return 0 if bench_command(Path(tmp), args.only_command, args.repeat) <= MAX_RATIO else 1
    if args.only_vitals:
        with tempfile.TemporaryDirectory() as tmp:
            return 0 if bench_vitals(Path(tmp), args.vitals, args.repeat) <= MAX_RATIO else 1
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
    print(
        f"load_clinic of the result:    {min(loads):.3f} s ({args.rows // ROWS_PER_PATIENT:,} patients)"
    )
    print(
        f"import as a process:          {wall:.3f} s wall, peak memory {peak:.0f} MB (limit {MAX_PEAK_MB})"
    )
    with tempfile.TemporaryDirectory() as tmp:
        vitals_ratio = bench_vitals(Path(tmp), args.vitals, args.repeat)
    return 0 if ratio <= MAX_RATIO and peak < MAX_PEAK_MB and vitals_ratio <= MAX_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
