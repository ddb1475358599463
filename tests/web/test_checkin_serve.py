"""`outcomes serve` as a clinic runs it: its own process, its log, its refusals."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import httpx
from click.testing import CliRunner

from outcomes_cli.cli import cli
from tests.web.checkin_clinic import build, issue
from tests.web.live_server import free_port


def test_served_pages_log_no_token_and_no_traceback(tmp_path):
    """The real server: pages answer, the log names the route's shape, never the token or a name."""
    path = tmp_path / "clinic.db"
    build(path)
    link = issue(path)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "outcomes", "--db", str(path), "serve", "--port", str(port)],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(600):
            try:
                if httpx.get(f"{base}/health", timeout=1).text == "ok":
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        page = httpx.get(f"{base}/c/{link.token}")
        assert page.status_code == 200 and "Hello Anna," in page.text
        assert "server" not in page.headers  # uvicorn's banner is off
        assert httpx.get(f"{base}/c/{link.token[:-2]}zz").status_code == 404
        assert httpx.post(f"{base}/c/{link.token}", content=b"x" * 100_000).status_code == 413
    finally:
        server.send_signal(signal.SIGINT)
        _, log = server.communicate(timeout=30)
    assert "GET /c/… 200" in log and "GET /c/… 404" in log and "POST /c/… 413" in log
    for secret in (link.token, link.token[:10], "Anna", "P001", "Traceback"):
        assert secret not in log


def test_serve_refuses_half_a_certificate_and_a_missing_database(tmp_path):
    runner = CliRunner()
    path = tmp_path / "clinic.db"
    build(path)
    half = runner.invoke(cli, ["--db", str(path), "serve", "--certfile", str(path)])
    assert half.exit_code == 1 and "--certfile and --keyfile go together" in half.output
    missing = runner.invoke(cli, ["--db", str(tmp_path / "none.db"), "serve"])
    assert missing.exit_code == 1 and "there is no clinic database" in missing.output
    assert not (tmp_path / "none.db").exists()


def test_checkin_link_command_prints_a_one_time_url(tmp_path):
    path = tmp_path / "clinic.db"
    build(path)
    runner = CliRunner()
    result = runner.invoke(cli, ["--db", str(path), "checkin", "link", "P001", "--scales", "gad7"])
    assert result.exit_code == 0, result.output
    url = result.stdout.strip().splitlines()[0]
    assert url.startswith("http://127.0.0.1:8000/c/") and len(url.rsplit("/", 1)[1]) == 43
    refused = runner.invoke(
        cli, ["--db", str(path), "checkin", "link", "P001", "--scales", "madrs"]
    )
    assert refused.exit_code == 1 and "cannot be filled in by a patient alone" in refused.output
    unknown = runner.invoke(cli, ["--db", str(path), "checkin", "link", "NOPE"])
    assert unknown.exit_code == 1 and "not known" in unknown.output
    revoked = runner.invoke(cli, ["--db", str(path), "checkin", "revoke", "P001"])
    assert revoked.exit_code == 0 and "Withdrew check-in link 1." in revoked.output
    listed = runner.invoke(cli, ["--db", str(path), "checkin", "list", "P001"])
    assert "revoked" in listed.output
