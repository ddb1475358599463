"""Benchmark of whole-clinic commands on clinics of 1,000, 10,000 and 50,000 patients.

Builds the demo clinics once with `outcomes demo --patients N --seed 1` and
caches them outside the repository (`~/.cache/ketamine-outcomes-bench/`, or
`$OUTCOMES_BENCH_CACHE`); the 50,000 clinic is about 600 MB. Then runs each
command as its user would (`python -m outcomes ...` in a fresh process) and
prints its wall time, its peak memory (the child's maximum resident set) and
the growth from 10,000 to 50,000 patients, beside the baselines of issue 12
measured in the same run:

- `export fhir` / `export ndjson`: time at most 3x a bare `json.dumps` of the
  same resources (plain dicts read back from the NDJSON files) written to one
  file; peak memory at most 400 MB; growth 10,000 -> 50,000 at most 5.5x.
- `report --cohort-only --json` at 10,000: at most 3x loading and analysing
  the clinic alone (`db.load_clinic` + every status + the cohort summary, the
  `bench_core` path); growth at most 5.5x; peak under 1.5 GB at 50,000.
- `status ID --json` at 50,000: at most 1.3x `python -c "import pandas"`.
- `export csv` at 50,000: peak memory under 300 MB.
- the app (`bench_tui.py`): first screen of rows at most 1.5x a bare Textual
  app painting one screen, at 10,000 and 50,000 alike; every verdict in
  within loading and analysing the clinic alone plus 50%; peak under 1 GB.

Run it from the repository root (slow: building the clinics takes minutes).
Each part runs alone with `--only`, and every command is stopped after
`--timeout` seconds (reported as a missed target), so a run always ends:

    python3 bench/bench_scale.py                 # everything at 1,000, 10,000 and 50,000
    python3 bench/bench_scale.py --only app --sizes 10000,50000
    python3 bench/bench_scale.py --only exports cohort --sizes 1000 10000 --timeout 600

Not timed tests: a busy shared machine skews both sides of each ratio alike.
Exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(
    os.environ.get("OUTCOMES_BENCH_CACHE", Path.home() / ".cache" / "ketamine-outcomes-bench")
)
#: Every command runs as an installed program does: with its modules' bytecode cached. A shell with
#: PYTHONDONTWRITEBYTECODE set would otherwise compile this project's modules from source on every
#: run while pandas' come precompiled from its wheel, a handicap of ~0.1 s on the quick commands.
ENV = {
    **{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
    "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
}
MB = 1024 * 1024
PARTS = ("exports", "cohort", "status", "app")
#: Longest one command may run before it is stopped and reported (seconds; --timeout).
TIMEOUT = 1800.0


class TooSlow(Exception):
    """A command ran past the timeout: reported as a missed target, the other parts still run."""


#: Loading and analysing a clinic, the way `bench_core` times the domain core (plus reading the file).
ANALYSE = """
import sys, time
from datetime import date
start = time.perf_counter()
import db
from outcomes.cohort import summarise
from outcomes.status import analyse_clinic
database = db.connect(sys.argv[1])
settings = db.load_settings(database)
statuses = analyse_clinic(db.load_clinic(database), settings.primary_scale, settings, date.today())
summarise(statuses, settings.primary_scale, settings.induction_sessions)
"""

#: A bare json.dumps of the exported resources as plain dicts, written to one file. The lines are
#: parsed a chunk at a time (memory stays small) and the clock runs over the dumps and writes only.
BARE_DUMPS = """
import json, sys, time
spent = 0.0
with open(sys.argv[-1], "w", encoding="utf-8") as out:
    for name in sys.argv[1:-1]:
        with open(name, encoding="utf-8") as source:
            while chunk := [json.loads(line) for _, line in zip(range(20000), source)]:
                start = time.perf_counter()
                for resource in chunk:
                    out.write(json.dumps(resource, ensure_ascii=False))
                    out.write("\\n")
                out.flush()
                spent += time.perf_counter() - start
print(spent)
"""


def measured(args: list[str]) -> tuple[float, float]:
    """Wall seconds and peak memory (MB) of one command, in a fresh process of its own."""
    probe = (
        "import os, subprocess, sys, time\n"
        "start = time.perf_counter()\n"
        "child = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)\n"
        "_, status, usage = os.wait4(child.pid, 0)\n"
        "print(time.perf_counter() - start, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status))\n"
    )
    # A session of its own, so that a timeout stops the command with its probe (not the probe alone).
    probing = subprocess.Popen(
        [sys.executable, "-c", probe, *args],
        env=ENV,
        cwd=ROOT,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        stdout, stderr = probing.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(probing.pid, signal.SIGKILL)
        probing.communicate()
        raise TooSlow(f"{' '.join(args[-4:])} still running after {TIMEOUT:.0f} s") from None
    done = subprocess.CompletedProcess(probing.args, probing.returncode, stdout, stderr)
    seconds, peak, code = done.stdout.split()
    if int(code):
        raise SystemExit(f"{' '.join(args)} failed ({code}):\n{done.stderr[-2000:]}")
    return float(seconds), float(peak)


def outcomes(db_path: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "outcomes", "--db", str(db_path), *args]


def demo_fingerprint() -> str:
    """A digest of the code that builds a demo clinic: the demo and the schema's migrations."""
    digest = hashlib.sha256()
    for source in sorted(
        [*(ROOT / "outcomes_cli").glob("demo*.py"), ROOT / "db" / "migrations.py"]
    ):
        digest.update(source.read_bytes())
    return digest.hexdigest()[:16]


def clinic(size: int) -> Path:
    """The cached demo clinic of `size` patients, built on first use (timed) and again whenever the
    demo or the schema has changed since (a clinic of an older demo would measure the wrong data)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"clinic-{size}.db"
    log = CACHE / f"clinic-{size}.json"
    built_by = json.loads(log.read_text()).get("demo") if log.exists() else None
    if built_by != demo_fingerprint():
        for stale in CACHE.glob(f"clinic-{size}.db*"):
            stale.unlink()
    if not path.exists():
        print(f"building the {size:,}-patient clinic in {CACHE} (once) ...", flush=True)
        building = CACHE / f"building-{size}.db"
        for stale in CACHE.glob(f"building-{size}.db*"):
            stale.unlink()
        seconds, peak = measured(outcomes(building, "demo", "--patients", str(size), "--seed", "1"))
        building.rename(path)
        log.write_text(
            json.dumps({"seconds": seconds, "peak_mb": peak, "demo": demo_fingerprint()})
        )
    return path


def report_line(name: str, figures: dict[int, tuple[float, float]], extra: str = "") -> None:
    cells = "  ".join(f"{n:>6,}: {s:7.1f} s {p:6.0f} MB" for n, (s, p) in sorted(figures.items()))
    growth = ""
    if 10_000 in figures and 50_000 in figures:
        growth = f"  growth 10k->50k {figures[50_000][0] / figures[10_000][0]:.2f}x"
    print(f"{name:<28} {cells}{growth}{extra}", flush=True)


def sizes(text: str) -> list[int]:
    """`10000,50000` or `10000` (also repeated: `--sizes 1000 10000`)."""
    return [int(n) for n in text.replace("_", "").split(",") if n]


def main() -> int:
    global TIMEOUT
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=sizes, nargs="+", default=[[1_000, 10_000, 50_000]])
    parser.add_argument("--only", nargs="+", choices=PARTS, default=list(PARTS))
    parser.add_argument(
        "--timeout", type=float, default=TIMEOUT, help="seconds per command (default 1800)"
    )
    parser.add_argument(
        "--rounds", type=int, default=1, help="runs of each app measurement (median)"
    )
    args = parser.parse_args()
    TIMEOUT = args.timeout
    chosen = sorted({n for group in args.sizes for n in group})
    clinics = {n: clinic(n) for n in chosen}
    for n in chosen:
        built = CACHE / f"clinic-{n}.json"
        if built.exists():
            figures = json.loads(built.read_text())
            print(
                f"demo --patients {n:,}: {figures['seconds']:.1f} s, {figures['peak_mb']:.0f} MB (when it was built)"
            )
    missed: list[str] = []
    work = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    parts = {
        "exports": lambda: _exports(clinics, work),
        "cohort": lambda: _cohort(clinics, work),
        "status": lambda: _status(clinics),
        "app": lambda: _app(clinics, args.rounds),
    }
    try:
        for name in PARTS:
            if name in args.only:
                try:
                    missed += parts[name]()
                except TooSlow as slow:
                    print(f"{name}: {slow}", flush=True)
                    missed.append(f"{name}: {slow}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("all targets met" if not missed else "MISSED: " + "; ".join(missed))
    return 1 if missed else 0


def _app(clinics: dict[int, Path], rounds: int) -> list[str]:
    """The clinician app's figures (`bench_tui.py`), each run in a fresh process within the timeout."""
    import bench_tui

    missed: list[str] = []
    for n in clinics:
        try:
            missed += bench_tui.report(bench_tui.measure(n, rounds, TIMEOUT))
        except subprocess.TimeoutExpired:
            raise TooSlow(
                f"the app on {n:,} patients still running after {TIMEOUT:.0f} s"
            ) from None
    return missed


def _check(missed: list[str], ok: bool, what: str) -> None:
    if not ok:
        missed.append(what)


def _exports(clinics: dict[int, Path], work: Path) -> list[str]:
    missed: list[str] = []
    fhir, ndjson, csv, bare = {}, {}, {}, {}
    for n, path in clinics.items():
        fhir[n] = measured(outcomes(path, "export", "fhir", str(work / f"bundle-{n}.json")))
        (work / f"bundle-{n}.json").unlink()
        ndjson[n] = measured(outcomes(path, "export", "ndjson", str(work / f"nd-{n}")))
        files = [
            str(work / f"nd-{n}" / f"{kind}.ndjson")
            for kind in ("Patient", "Procedure", "Observation")
        ]
        try:
            done = subprocess.run(
                [sys.executable, "-c", BARE_DUMPS, *files, str(work / f"bare-{n}.json")],
                capture_output=True,
                text=True,
                check=True,
                timeout=TIMEOUT,
            )
        except subprocess.TimeoutExpired:
            raise TooSlow(
                f"the bare json.dumps of {n:,} patients still running after {TIMEOUT:.0f} s"
            ) from None
        bare[n] = float(done.stdout)
        shutil.rmtree(work / f"nd-{n}")
        (work / f"bare-{n}.json").unlink()
        csv[n] = measured(outcomes(path, "export", "csv", str(work / f"csv-{n}")))
        shutil.rmtree(work / f"csv-{n}")
    for name, figures in (("export fhir", fhir), ("export ndjson", ndjson)):
        ratios = {n: figures[n][0] / bare[n] for n in figures}
        report_line(
            name,
            figures,
            "  vs bare json.dumps: "
            + ", ".join(f"{n:,} {bare[n]:.1f} s ({r:.1f}x)" for n, r in sorted(ratios.items())),
        )
        largest = max(figures)
        _check(
            missed,
            ratios[largest] <= 3.0,
            f"{name} {ratios[largest]:.1f}x a bare json.dumps (<= 3)",
        )
        _check(
            missed, figures[largest][1] <= 400, f"{name} peak {figures[largest][1]:.0f} MB (<= 400)"
        )
        if 10_000 in figures and 50_000 in figures:
            growth = figures[50_000][0] / figures[10_000][0]
            _check(missed, growth <= 5.5, f"{name} growth {growth:.1f}x (<= 5.5)")
    report_line("export csv", csv)
    _check(missed, csv[max(csv)][1] < 300, f"export csv peak {csv[max(csv)][1]:.0f} MB (< 300)")
    return missed


def _cohort(clinics: dict[int, Path], work: Path) -> list[str]:
    missed: list[str] = []
    report, analyse = {}, {}
    for n, path in clinics.items():
        report[n] = measured(
            outcomes(path, "report", "--out", str(work / f"r-{n}"), "--cohort-only", "--json")
        )
        shutil.rmtree(work / f"r-{n}")
        analyse[n] = measured([sys.executable, "-c", ANALYSE, str(path)])
    report_line(
        "report --cohort-only --json",
        report,
        "  vs load+analyse: "
        + ", ".join(
            f"{n:,} {analyse[n][0]:.1f} s ({report[n][0] / analyse[n][0]:.1f}x)"
            for n in sorted(report)
        ),
    )
    if 10_000 in report:
        ratio = report[10_000][0] / analyse[10_000][0]
        _check(missed, ratio <= 3.0, f"cohort report {ratio:.1f}x load+analyse at 10,000 (<= 3)")
    if 10_000 in report and 50_000 in report:
        growth = report[50_000][0] / report[10_000][0]
        _check(missed, growth <= 5.5, f"cohort report growth {growth:.1f}x (<= 5.5)")
        _check(
            missed,
            report[50_000][1] < 1536,
            f"cohort report peak {report[50_000][1]:.0f} MB (< 1.5 GB)",
        )
    return missed


def _status(clinics: dict[int, Path]) -> list[str]:
    missed: list[str] = []
    largest = max(clinics)
    best = lambda args: min(measured(args)[0] for _ in range(5))  # noqa: E731  least disturbed of five
    pid = f"P{2:0{max(3, len(str(largest)))}d}"  # the demo's ids: P001, P0001, P00001 ...
    status = best(outcomes(clinics[largest], "status", pid, "--json"))
    pandas = best([sys.executable, "-c", "import pandas"])
    helps = best([sys.executable, "-m", "outcomes", "--help"])
    heavy = best([sys.executable, "-c", "import pandas, matplotlib, textual"])
    print(
        f"status ID --json ({largest:,}): {status:.2f} s vs import pandas {pandas:.2f} s "
        f"({status / pandas:.2f}x); --help {helps:.2f} s vs import pandas, matplotlib, textual {heavy:.2f} s"
    )
    _check(missed, status / pandas <= 1.3, f"status {status / pandas:.2f}x import pandas (<= 1.3)")
    return missed


if __name__ == "__main__":
    raise SystemExit(main())
