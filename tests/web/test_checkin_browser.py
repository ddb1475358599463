"""A real browser: Debian's headless Chromium, driven by Playwright, fills a PHQ-9 check-in.

At a phone's 360x740 and a tablet's 1024x768 it opens the link, checks that
nothing is wider than the screen and that every answer is a large target,
answers, sends, and the test finds the stored row, its audit entry and (item
9 positive) the clinician's alert. A screenshot of each page is saved in
``$CHECKIN_SCREENSHOTS`` (default: the test's temporary folder).

Chromium must be installed (`apt-get install chromium`); `.ci/run` installs
it, and in CI (``CI=true``) a missing browser fails instead of skipping.
"""

from __future__ import annotations

import json
import os
import shutil
from datetime import date
from pathlib import Path

import pytest

import db
from outcomes import checkin as words
from outcomes.status import analyse_patient
from tests.web.checkin_clinic import build, issue, stored
from tests.web.live_server import serving

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SIZES = [(360, 740), (1024, 768)]

if not Path(CHROMIUM).exists():
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(
            "Chromium is missing: .ci/run installs it (apt-get install chromium)", pytrace=False
        )
    pytest.skip("Chromium is not installed (apt-get install chromium)", allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--no-first-run",
            ],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def shots(tmp_path):
    folder = Path(os.environ.get("CHECKIN_SCREENSHOTS") or tmp_path / "shots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.mark.parametrize("width, height", SIZES, ids=["phone-360", "tablet-1024"])
def test_browser_fills_a_phq9_and_the_clinic_sees_it(browser, tmp_path, shots, width, height):
    path = tmp_path / "clinic.db"
    build(path)
    link = issue(path)
    with serving(path) as base:
        page = browser.new_page(viewport={"width": width, "height": height})
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(f"{base}/c/{link.token}")
        assert page.inner_text("h1") == "Hello Anna,"
        page.screenshot(path=shots / f"form-{width}.png", full_page=True)
        # Nothing wider than the screen; every answer a large touch target (at least 44 px high).
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        boxes = [page.locator("label.choice").nth(i).bounding_box() for i in range(36)]
        assert all(b["height"] >= 44 and b["width"] >= min(width - 80, 280) for b in boxes)
        assert page.locator("fieldset").count() == 9
        # Send with question 4 unanswered: the form comes back with it marked, answers kept.
        for n in range(1, 10):
            if n != 4:
                page.locator("label.choice").filter(
                    has=page.locator(f'input[name="phq9_{n}"]')
                ).nth(1 if n != 9 else 2).click()
        page.get_by_role("button", name=words.SEND).click()
        assert words.MISSING_ANSWERS in page.inner_text("main")
        page.screenshot(path=shots / f"missing-{width}.png", full_page=True)
        assert page.locator('input[name="phq9_1"][value="1"]').is_checked()
        page.locator('label.choice:has(input[name="phq9_4"][value="0"])').click()
        page.get_by_role("button", name=words.SEND).click()
        main = page.inner_text("main")
        assert words.THANK_YOU in main and "Support is available" in main
        page.screenshot(path=shots / f"thanks-{width}.png", full_page=True)
        page.goto(f"{base}/c/{link.token}")
        assert words.LINK_WORDS[words.SPENT] in page.inner_text("main")
        page.screenshot(path=shots / f"spent-{width}.png", full_page=True)
        # The CSP blocked nothing the page needs (the 422 and 410 statuses are logged too).
        assert [e for e in errors if "Security Policy" in e] == []
        page.close()
    rows = stored(path, "SELECT id, items, total, rater FROM assessments")
    assert rows == [(1, "1 1 1 0 1 1 1 1 2", 9, "self")]
    audit = stored(
        path, "SELECT who, reason FROM audit WHERE table_name = 'assessments' AND record_id = '1'"
    )
    assert audit == [(words.WEB_WHO, words.AUDIT_REASON)]
    uses = stored(path, "SELECT new_value FROM audit WHERE table_name = 'checkin_links'")
    assert [json.loads(u[0])["event"] for u in uses] == ["issue", "use"]
    database = db.connect(path)
    mine = db.load_patient(database, "P001")
    status = analyse_patient(mine.data, "phq9", db.load_settings(database), date.today())
    assert [(a.kind, a.detail) for a in status.alerts] == [("suicidality_item", "PHQ-9 item 9 = 2")]
