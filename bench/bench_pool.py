"""Benchmark: `outcomes pool` of 20 clinics of 50,000 courses (1 million) against pandas.

Writes 20 synthetic registry exports (Parquet files and manifests in the
format `outcomes export registry` writes; rows drawn at random, written
straight with pyarrow, since building 20 real 50,000-patient clinics would
take an hour), then measures in the same run, each command in a fresh
process (wall seconds, peak memory):

1. `outcomes pool` of the 20 exports (DuckDB's Parquet reader, the PDF, PNGs
   and JSON);
2. the baseline: pandas reading every file and concatenating them, grouping
   them into the same count tables, and the same pooled figures.

With `--clinic DB` it also times `outcomes export registry` of that clinic
against loading and analysing it (`bench_scale.ANALYSE`).

Targets (issue 27): pool under 60 s and 2 GB; the export at most 1.5 times
the analysis. Prints the numbers; exits 1 when a target is missed.

    python bench/bench_pool.py [--sites 20] [--courses 50000] [--clinic PATH]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
from bench_scale import ANALYSE, measured  # noqa: E402

from db.registry import ROWS_FILE, manifest  # noqa: E402
from outcomes.registry import COLUMNS, RULE_SETTINGS  # noqa: E402
from outcomes.settings import Settings, format_value  # noqa: E402

VERDICTS = np.array(["responder", "non_responder", "incomplete", "in_progress", "no_baseline"])

#: pandas reads every file whole and concatenates them, then the same groupings and figures.
PANDAS_BASELINE = """
import sys
import pandas as pd
from outcomes.pooling import pool
rows = pd.concat([pd.read_parquet(f) for f in sys.argv[1:]], ignore_index=True)
verdicts = (rows.groupby(["site_id", "drug", "scale", "verdict", "remission"]).size()
            .rename("courses").reset_index().rename(columns={"remission": "remitted"}))
responders = rows[(rows.verdict == "responder") & rows.relief_days.notna()]
relief = (responders.assign(events=responders.relief_event.astype(int),
                            censored=(~responders.relief_event.astype(bool)).astype(int))
          .groupby(["site_id", "drug", "scale", "relief_days"])[["events", "censored"]].sum()
          .reset_index().rename(columns={"relief_days": "day"}))
groups = pool(verdicts.to_dict("records"), relief.to_dict("records"))
print(len(groups))
"""


def synthetic_rows(site: str, n: int, rng: np.random.Generator):
    """`n` registry rows of one site drawn at random (shapes like the demo's), as a pyarrow table."""
    import pyarrow as pa

    verdict = VERDICTS[rng.choice(5, n, p=[0.55, 0.2, 0.12, 0.1, 0.03])]
    responder = verdict == "responder"
    relief = np.where(responder, rng.integers(0, 120, n), -1)
    data = {
        "site_id": np.full(n, site),
        "course_key": [f"{site}-{i:08x}" for i in range(n)],
        "latest_course": np.ones(n, bool),
        "drug": np.where(rng.random(n) < 0.85, "ketamine", "esketamine"),
        "scale": np.full(n, "phq9"),
        "baseline_score": rng.integers(10, 27, n),
        "baseline_band": np.full(n, "severe"),
        "sessions_completed": rng.integers(1, 9, n),
        "induction_sessions": np.full(n, 6),
        "verdict": verdict,
        "first_response_session": np.where(responder, rng.integers(1, 7, n), 0),
        "first_response_day": np.where(responder, rng.integers(0, 20, n), 0),
        "remission": responder & (rng.random(n) < 0.45),
        "best_improvement": rng.random(n) * 100,
        "latest_improvement": rng.random(n) * 100,
        "relief_days": relief,
        "relief_event": rng.random(n) < 0.6,
        "relief_ended_by": np.where(responder, "relapse", ""),
        "dose_band": np.full(n, "<= 0.5 mg/kg"),
        "cadss_first": rng.integers(0, 40, n),
        "cadss_highest": rng.integers(0, 60, n),
        "early_improved_1": rng.random(n) < 0.5,
        "early_improved_2": rng.random(n) < 0.5,
        "age_band": np.full(n, "35-44"),
    }
    kinds = {"text": pa.string(), "int": pa.int64(), "float": pa.float64(), "bool": pa.bool_()}
    arrays = {}
    for name, kind in COLUMNS:
        mask = (relief < 0) if name in ("relief_days", "relief_event", "relief_ended_by") else None
        arrays[name] = pa.array(data[name], type=kinds[kind], mask=mask)
    return pa.table(arrays)


def write_exports(root: Path, sites: int, courses: int) -> list[Path]:
    """`sites` registry exports of `courses` rows each under `root`."""
    import io

    import pyarrow.parquet as pq

    rng = np.random.default_rng(27)
    in_force = {k: format_value(Settings().clinic_value(k)) for k in RULE_SETTINGS}
    folders = []
    for i in range(1, sites + 1):
        site = f"site-{i:02d}"
        buffer = io.BytesIO()
        pq.write_table(synthetic_rows(site, courses, rng), buffer, compression="zstd")
        data = buffer.getvalue()
        folder = root / site
        folder.mkdir()
        (folder / ROWS_FILE).write_bytes(data)
        document = manifest(
            in_force,
            site,
            date.today(),
            courses,
            {ROWS_FILE: data},
            counts_only=False,
            deidentified=False,
            min_cell=5,
        )
        (folder / "manifest.json").write_text(json.dumps(document))
        folders.append(folder)
    return folders


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=20)
    parser.add_argument("--courses", type=int, default=50_000)
    parser.add_argument("--clinic", type=Path, default=None, help="a clinic to time the export of")
    args = parser.parse_args()
    missed = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        folders = write_exports(root, args.sites, args.courses)
        size = sum((f / ROWS_FILE).stat().st_size for f in folders) / 1e6
        total = args.sites * args.courses
        print(f"{args.sites} exports, {total:,} courses, {size:.0f} MB of Parquet")
        pool_cmd = [sys.executable, "-m", "outcomes", "pool", *map(str, folders)]
        seconds, peak = measured([*pool_cmd, "--out", str(root / "out"), "--json"])
        files = [str(f / ROWS_FILE) for f in folders]
        base_s, base_mb = measured([sys.executable, "-c", PANDAS_BASELINE, *files])
        print(f"outcomes pool:   {seconds:6.1f} s, {peak:7.0f} MB peak")
        print(f"pandas baseline: {base_s:6.1f} s, {base_mb:7.0f} MB peak")
        print(f"ratio: {seconds / base_s:.2f} in time, {peak / base_mb:.2f} in memory")
        if seconds >= 60 or peak >= 2048:
            missed.append(f"pool {seconds:.1f} s / {peak:.0f} MB (targets < 60 s, < 2 GB)")
        if args.clinic is not None:
            clinic = args.clinic.resolve()
            export_cmd = [sys.executable, "-m", "outcomes", "--db", str(clinic)]
            export_s, export_mb = measured([*export_cmd, "export", "registry", str(root / "reg")])
            analyse_s, analyse_mb = measured([sys.executable, "-c", ANALYSE, str(clinic)])
            ratio = export_s / analyse_s
            print(
                f"export registry: {export_s:6.1f} s, {export_mb:7.0f} MB; "
                f"load+analyse {analyse_s:6.1f} s, {analyse_mb:7.0f} MB; ratio {ratio:.2f}"
            )
            if ratio > 1.5:
                missed.append(f"export {ratio:.2f}x the analysis (target <= 1.5)")
    for line in missed:
        print(f"MISSED: {line}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
