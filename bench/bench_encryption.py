"""Benchmark: what encryption at rest (SQLCipher) costs, encrypted against plain in the same run.

Three measurements, each in a fresh process, alternating plain and encrypted
so that a busy machine weighs on both alike; the median of `--rounds`:

- **load + analyse**: opening the 10,000-patient demo clinic, `db.load_clinic`
  and every patient's status (the path of `bench_tui`'s "core" child), on the
  plain file and on an encrypted copy of it (`db.encrypt`);
- **import**: 100,000 PHQ-9 rows (`bench_import`'s file) imported through
  `outcomes import assessments` into a new clinic, plain or born encrypted;
- **first paint**: the clinician app's first screen of rows on the 10,000
  clinic (`bench_tui`'s "app" child; CPU seconds, as bench_tui judges it).

The encrypted runs get their key from ``$OUTCOMES_KEY`` (so each child pays
SQLCipher's key derivation once, as a real start does). The target: each
ratio at most 1.3, judged on the process's CPU seconds (all threads), as
`bench_tui` judges the paint: on this shared 2-core machine wall-clock times
swing with the other users' load, unevenly between two runs; wall seconds
are printed beside. The clinic is `bench_scale`'s cached demo clinic
(`~/.cache/ketamine-outcomes-bench/`, built on first use). From the
repository root, with the encrypted extra installed:

    python3 bench/bench_encryption.py                 # 10,000 patients, 100,000 rows, 3 rounds
    python3 bench/bench_encryption.py --rounds 1 --size 1000 --rows 10000

Not a timed test. Exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

MAX_RATIO = 1.3
KEY = "bench passphrase for the encrypted copy"


def child_import(folder: Path) -> dict:
    """Import the prepared patients and assessments files into a new clinic in `folder`."""
    from bench_import import run_import

    path = folder / f"import-{os.getpid()}.db"
    run_import(path, "patients", folder / "patients.csv")
    cpu = time.process_time()
    seconds = run_import(path, "assessments", folder / "assessments.csv")
    cpu = time.process_time() - cpu
    for stale in folder.glob(f"{path.name}*"):
        stale.unlink()
    return {"seconds": seconds, "cpu": cpu}


def child_load(path: Path) -> dict:
    """Open the clinic, load it and analyse every patient (`bench_tui`'s "core"), wall and CPU."""
    from datetime import date

    import db
    import db.migrations  # noqa: F401  (imports outside the clock, as bench_tui's)
    import db.reads  # noqa: F401
    from outcomes.status import analyse_clinic

    started, cpu = time.perf_counter(), time.process_time()
    database = db.connect(path)
    settings = db.load_settings(database)
    statuses = analyse_clinic(
        db.load_clinic(database), settings.primary_scale, settings, date.today()
    )
    return {
        "seconds": time.perf_counter() - started,
        "cpu": time.process_time() - cpu,
        "patients": len(statuses),
    }


def in_child(kind: str, path: Path, encrypted: bool) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "OUTCOMES_KEY"}
    env["PYTHONPATH"] = str(ROOT)
    if encrypted:
        env["OUTCOMES_KEY"] = KEY
    done = subprocess.run(
        [sys.executable, __file__, "--child", kind, str(path)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=1800,
    )
    if done.returncode:
        raise SystemExit(f"{kind} ({'encrypted' if encrypted else 'plain'}) failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def encrypted_copy(plain: Path, folder: Path) -> Path:
    import db

    copy = folder / "encrypted.db"
    shutil.copyfile(plain, copy)
    db.encrypt(copy, KEY)
    return copy


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10_000, help="patients in the clinic")
    parser.add_argument("--rows", type=int, default=100_000, help="assessment rows imported")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child", nargs=2, metavar=("KIND", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        import bench_tui

        children = {**bench_tui.CHILDREN, "import": child_import, "load": child_load}
        print(json.dumps(children[args.child[0]](Path(args.child[1]))))
        return 0
    from bench_import import write_files
    from bench_scale import clinic

    plain = clinic(args.size)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        encrypted = encrypted_copy(plain, folder)
        encrypt_s = time.perf_counter() - started
        write_files(folder, args.rows)
        parts = {
            "load + analyse": ("load", ("cpu", "seconds"), {False: plain, True: encrypted}),
            "import": ("import", ("cpu", "seconds"), {False: folder, True: folder}),
            "first paint": (
                "app",
                ("first_paint_cpu", "first_paint"),
                {False: plain, True: encrypted},
            ),
        }
        figures = {p: {False: ([], []), True: ([], [])} for p in parts}
        for _ in range(args.rounds):
            for part, (kind, keys, paths) in parts.items():
                for is_encrypted in (False, True):
                    found = in_child(kind, paths[is_encrypted], is_encrypted)
                    for runs, key in zip(figures[part][is_encrypted], keys, strict=True):
                        runs.append(found[key])
    print(
        f"{args.size:,} patients, {args.rows:,} rows imported, median of {args.rounds} round(s); "
        f"`outcomes encrypt` of the clinic took {encrypt_s:.1f} s"
    )
    print("  CPU seconds of the process (wall seconds in brackets); the ratio is judged on CPU")
    missed = []
    for part, runs in figures.items():
        (plain_s, plain_wall), (encrypted_s, encrypted_wall) = (
            [statistics.median(r) for r in runs[kind]] for kind in (False, True)
        )
        ratio = encrypted_s / plain_s
        print(
            f"  {part:<15} plain {plain_s:6.2f} ({plain_wall:6.2f})  encrypted {encrypted_s:6.2f} "
            f"({encrypted_wall:6.2f})  {ratio:.2f}x (<= {MAX_RATIO})"
        )
        if ratio > MAX_RATIO:
            missed.append(f"{part} {ratio:.2f}x")
    print("all targets met" if not missed else "MISSED: " + "; ".join(missed))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
