"""Benchmark of the domain core: frames -> records -> statuses -> cohort figures.

Builds synthetic cohorts of 1,000 and 10,000 patients (6 infusions and 15
PHQ-9 assessments each, as the frames `db/` returns, in the column layout of
`outcomes.records`), then times the three steps a clinician waits for when
the patient list opens: turning frames into records, analysing every
patient, and the cohort summary (Kaplan-Meier included).

Run it from the repository root:

    python3 bench/bench_core.py            # 1,000 and 10,000 patients
    python3 bench/bench_core.py --profile  # plus a cProfile of the 10,000 run

It prints the times and their ratio, and exits 1 when a target is missed:
10,000 patients in under 2 seconds (wall clock; each step's best of the
repeats, the runs least disturbed by other processes), and
cost growing near-linearly (the 10,000/1,000 ratio at most 12, judged on the
process's CPU time because a busy shared machine inflates wall-clock times
unevenly). Imports (scipy is slow to load) are timed separately and warmed
up before the clock starts.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

_t0 = time.perf_counter()
import pandas as pd  # noqa: E402

from outcomes.clinic_data import ClinicData  # noqa: E402
from outcomes.cohort import relief_curve, summarise  # noqa: E402
from outcomes.records import ASSESSMENT_COLUMNS, INFUSION_COLUMNS  # noqa: E402
from outcomes.settings import Settings  # noqa: E402
from outcomes.status import analyse_all  # noqa: E402

relief_curve([1.0, 2.0], [True, False])  # loads scipy.stats once, outside the clock
IMPORT_SECONDS = time.perf_counter() - _t0

AS_OF = date(2026, 6, 1)
TARGET_SECONDS = 2.0
TARGET_RATIO = 12.0


def synthetic_clinic(n_patients: int, seed: int = 7) -> ClinicData:
    """A cohort like the clinic's: a baseline, 6 infusions, follow-ups."""
    rng = random.Random(seed)
    patients, infusions, assessments = [], [], []
    inf_id = ass_id = 0
    for p in range(n_patients):
        pid = f"P{p:05d}"
        patients.append(
            {
                "patient_id": pid,
                "name": f"Patient {p}",
                "birth_date": None,
                "weight_kg": 70.0,
                "notes": None,
            }
        )
        start = date(2025, 1, 1) + timedelta(days=rng.randrange(450))
        baseline_items = [rng.randint(1, 3) for _ in range(9)]
        drift = rng.uniform(0.3, 1.1)  # how far the patient improves
        day = start
        inf_days = []
        for _ in range(6):
            inf_id += 1
            timed = rng.random() < 0.3
            given = (
                f"{day.isoformat()}T{rng.randint(8, 16):02d}:{rng.choice((0, 15, 30, 45)):02d}"
                if timed
                else day.isoformat()
            )
            infusions.append(
                {
                    "infusion_id": inf_id,
                    "patient_id": pid,
                    "course": 1,
                    "given_at": given,
                    "dose_mg_per_kg": rng.choice((0.5, 0.5, 0.75, 0.75, 1.0) * 4 + (1.2,)),
                    "route": "iv",
                    "duration_min": 40.0,
                    "weight_kg": 70.0,
                    "bp_systolic_pre": rng.randint(110, 162),
                    "bp_diastolic_pre": rng.randint(65, 95),
                    "bp_systolic_post": None,
                    "bp_diastolic_post": None,
                    "heart_rate_pre": 72,
                    "heart_rate_post": None,
                    "side_effects": rng.choice((None, "nausea", "dissociation;headache")),
                    "notes": None,
                }
            )
            inf_days.append(day)
            day += timedelta(days=rng.choice((2, 3, 4)))
        # Baseline a few days before, one score before each infusion, then
        # follow-ups after the induction (15 in all).
        days = [start - timedelta(days=rng.randint(0, 5))] + inf_days[1:]
        last = inf_days[-1]
        days += [last + timedelta(days=d) for d in (1, 7, 14, 21, 30, 45, 60, 75, 90)]
        for j, when in enumerate(days):
            progress = min(1.0, j / 6) * drift
            if j > 6:  # after the induction relief fades for some
                progress *= max(0.0, 1.0 - (j - 6) * rng.uniform(0.0, 0.15))
            items = [
                max(0, min(3, round(v * (1 - progress) + rng.uniform(-0.5, 0.5))))
                for v in baseline_items
            ]
            items[8] = 1 if rng.random() < 0.05 else 0  # item 9 (suicidality) is rarely positive
            ass_id += 1
            assessments.append(
                {
                    "assessment_id": ass_id,
                    "patient_id": pid,
                    "taken_at": when.isoformat(),
                    "scale": "phq9",
                    "items": " ".join(map(str, items)),
                    "total": sum(items),
                    "rater": None,
                    "notes": None,
                    "infusion_id": None,
                }
            )
    return ClinicData(
        patients=pd.DataFrame(patients),
        courses=pd.DataFrame(columns=["patient_id", "course", "started_at", "notes"]),
        infusions=pd.DataFrame(infusions, columns=list(INFUSION_COLUMNS)),
        assessments=pd.DataFrame(assessments, columns=list(ASSESSMENT_COLUMNS)),
    )


def run(data: ClinicData, settings: Settings) -> dict[str, float]:
    """Time the three steps once: wall-clock seconds per step, and CPU seconds."""
    times = {}
    clock = time.perf_counter
    t0, c0 = clock(), time.process_time()
    patients = data.by_patient()
    t1, c1 = clock(), time.process_time()
    statuses = analyse_all(patients, "phq9", settings, AS_OF, data.acknowledged)
    t2, c2 = clock(), time.process_time()
    summary = summarise(statuses, "phq9", settings.induction_sessions)
    t3, c3 = clock(), time.process_time()
    assert summary.patients == len(patients)
    times.update(
        records=t1 - t0,
        analyse=t2 - t1,
        cohort=t3 - t2,
        cpu_records=c1 - c0,
        cpu_analyse=c2 - c1,
        cpu_cohort=c3 - c2,
        responders=summary.verdict_counts["responder"],
    )
    return times


def best_of(data: ClinicData, settings: Settings, repeats: int) -> dict[str, float]:
    """Each step's best time over `repeats` runs (the run least disturbed by other work)."""
    runs = [run(data, settings) for _ in range(repeats)]
    best = {key: min(r[key] for r in runs) for key in runs[0]}
    best["total"] = best["records"] + best["analyse"] + best["cohort"]
    best["cpu"] = best["cpu_records"] + best["cpu_analyse"] + best["cpu_cohort"]
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", action="store_true", help="cProfile the 10,000 run")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    settings = Settings()
    print(f"imports (pandas, scipy.stats, outcomes): {IMPORT_SECONDS:.2f} s (not counted)")
    print(
        f"each step's best of {args.repeats} runs; wall-clock times, the process's CPU time beside them"
    )
    results = {}
    for n in (1_000, 10_000):
        data = synthetic_clinic(n)
        results[n] = best_of(data, settings, args.repeats)
        r = results[n]
        print(
            f"{n:>6} patients ({len(data.assessments):,} assessments, {len(data.infusions):,} infusions): "
            f"records {r['records']:.3f} s, analyse {r['analyse']:.3f} s, cohort {r['cohort']:.3f} s, "
            f"total {r['total']:.3f} s (CPU {r['cpu']:.3f} s; {r['responders']} responders)"
        )
        if args.profile and n == 10_000:
            profiler = cProfile.Profile()
            profiler.enable()
            run(data, settings)
            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
    ratio = results[10_000]["total"] / results[1_000]["total"]
    cpu_ratio = results[10_000]["cpu"] / results[1_000]["cpu"]
    print(
        f"ratio 10,000 / 1,000: {ratio:.1f} wall-clock, {cpu_ratio:.1f} CPU "
        f"(target <= {TARGET_RATIO:g}, judged on CPU time, which other processes do not inflate)"
    )
    missed = []
    if results[10_000]["total"] >= TARGET_SECONDS:
        missed.append(
            f"10,000 patients took {results[10_000]['total']:.2f} s (target < {TARGET_SECONDS:g} s)"
        )
    if cpu_ratio > TARGET_RATIO:
        missed.append(f"CPU ratio {cpu_ratio:.1f} above {TARGET_RATIO:g}")
    for line in missed:
        print("MISSED:", line)
    print("targets met" if not missed else "targets missed")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
