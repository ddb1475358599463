"""Benchmark: 200 web check-ins sent 20 at a time to `outcomes serve` on 127.0.0.1.

Run with ``python bench/bench_checkin.py [--checkins N] [--concurrency C]``.
It builds a clinic of N patients with one open PHQ-9 link each, starts the
real server (`outcomes serve`, its own process), and N clients, C at a time,
each open their link's page (GET) and send nine answers (POST), as a phone
would. It prints p50/p95 latency of the sends and the page loads, against a
baseline measured in the same run on the same server (`GET /health`: the
same stack without the database work), and the server's peak resident memory
(VmHWM). Then it checks that no check-in was lost or doubled: N self-rated
scores, N spent links, N audit rows of use, and a second send of one link is
refused. Targets: p95 of a send under 100 ms at 20 concurrent, peak under
150 MB; it exits 1 if one is broken or a check-in was lost or doubled.
"""

from __future__ import annotations

import argparse
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import db  # noqa: E402
from db import checkins  # noqa: E402
from outcomes.validation import check_patient  # noqa: E402

MAX_P95_MS = 100.0
MAX_PEAK_MB = 150.0


def build(path: Path, n: int) -> list[str]:
    database = db.connect(path)
    tokens = []
    for i in range(n):
        pid = f"B{i:04d}"
        db.add_patient(database, check_patient({"patient_id": pid, "name": f"Pat {i}"}).values, "b")
        tokens.append(checkins.issue_link(database, pid, ["phq9"], "bench", days=4).token)
    database.conn.close()
    return tokens


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(path: Path, port: int) -> subprocess.Popen:
    server = subprocess.Popen(
        [sys.executable, "-m", "outcomes", "--db", str(path), "serve", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).text == "ok":
                return server
        except httpx.HTTPError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit("the server did not start within 60 s")


def peak_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def one_checkin(client: httpx.Client, base: str, token: str) -> tuple[float, float, int]:
    """(page ms, send ms, send status) of one patient's check-in."""
    started = time.perf_counter()
    page = client.get(f"{base}/c/{token}")
    loaded = time.perf_counter()
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    answers = {f"phq9_{n}": str(n % 4) for n in range(1, 10)}
    sent = client.post(f"{base}/c/{token}", data={"csrf": csrf, **answers})
    done = time.perf_counter()
    return (loaded - started) * 1000, (done - loaded) * 1000, sent.status_code


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--checkins", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=20)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-checkin-"))
    path = folder / "clinic.db"
    tokens = build(path, args.checkins)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(path, port)
    try:
        limits = httpx.Limits(max_connections=args.concurrency)
        with httpx.Client(limits=limits, timeout=30) as client:
            health = []
            for _ in range(args.checkins):
                t = time.perf_counter()
                client.get(f"{base}/health")
                health.append((time.perf_counter() - t) * 1000)
            with ThreadPoolExecutor(args.concurrency) as pool:
                results = list(pool.map(lambda tok: one_checkin(client, base, tok), tokens))
            second = client.post(f"{base}/c/{tokens[0]}", data={"csrf": "x"})
        memory = peak_mb(server.pid)
    finally:
        server.terminate()
        server.wait(10)
    pages = [r[0] for r in results]
    sends = [r[1] for r in results]
    statuses = [r[2] for r in results]
    database = db.connect(path)
    scores = database.conn.execute(
        "SELECT count(*) FROM assessments WHERE rater = 'self'"
    ).fetchone()[0]
    per_patient = database.conn.execute(
        "SELECT max(n) FROM (SELECT count(*) AS n FROM assessments GROUP BY patient_id)"
    ).fetchone()[0]
    spent = database.conn.execute(
        "SELECT count(*) FROM checkin_links WHERE spent_at IS NOT NULL"
    ).fetchone()[0]
    n = args.checkins
    print(f"{n} check-ins, {args.concurrency} at a time, server on 127.0.0.1 (its own process)")
    print(f"  send (POST):  p50 {pct(sends, 50):6.1f} ms   p95 {pct(sends, 95):6.1f} ms")
    print(f"  page (GET):   p50 {pct(pages, 50):6.1f} ms   p95 {pct(pages, 95):6.1f} ms")
    print(
        f"  baseline GET /health one at a time: p50 {pct(health, 50):.1f} ms   p95 {pct(health, 95):.1f} ms"
    )
    print(f"  send p95 / health p95 ratio: {pct(sends, 95) / pct(health, 95):.1f}")
    print(f"  server peak memory (VmHWM): {memory:.0f} MB")
    print(
        f"  stored: {scores} scores, at most {per_patient} per patient, {spent} links spent; "
        f"a second send of one link: HTTP {second.status_code}"
    )
    ok = (
        statuses.count(200) == n
        and scores == n
        and per_patient == 1
        and spent == n
        and second.status_code == 410
    )
    if not ok:
        print("FAIL: a check-in was lost or doubled")
    if pct(sends, 95) >= MAX_P95_MS:
        print(f"FAIL: p95 of a send is not under {MAX_P95_MS:g} ms")
        ok = False
    if memory >= MAX_PEAK_MB:
        print(f"FAIL: the server's peak memory is not under {MAX_PEAK_MB:g} MB")
        ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
