"""Key k on a patient's screen: a one-time check-in link, issued with its audit row and shown once."""

from __future__ import annotations

import re

import db
from db import checkins
from outcomes_app.checkin_link import CheckinLinkModal
from tests.app.driving import clinician_app, open_patient


async def test_k_issues_a_link_for_the_open_patient_and_shows_it(clinic_db):
    async with clinician_app(clinic_db) as pilot:
        await open_patient(pilot, "P003")
        await pilot.press("k")
        for _ in range(100):
            await pilot.app.workers.wait_for_complete()
            await pilot.pause(0.05)
            if isinstance(pilot.app.screen, CheckinLinkModal):
                break
        modal = pilot.app.screen
        assert isinstance(modal, CheckinLinkModal)
        url = str(modal.query_one("#checkin-url").render())
        code = str(modal.query_one("#checkin-code").render())
        await pilot.press("escape")
        assert not isinstance(pilot.app.screen, CheckinLinkModal)
    token = re.search(r"/c/([A-Za-z0-9_\-]{43})$", url.strip()).group(1)
    database = db.connect(clinic_db)
    link = checkins.find_link(database, token=token)
    assert link.patient_id == "P003" and link.scales == ("phq9", "gad7")
    typed = re.search(r"([0-9A-Z]{4}-){3}[0-9A-Z]{4}", code).group(0)
    assert checkins.find_link(database, code=typed.replace("-", "")).id == link.id
    audit = db.patient_audit(database, "P003")
    issued = audit[audit["table_name"] == "checkin_links"]
    assert list(issued["who"]) == [pilot.app.clinic.clinician or db.default_user()]


async def test_a_web_checkin_with_item_9_is_an_alert_in_the_open_clinician_app(tmp_path):
    """A check-in sent through the web pages (positive item 9) is in the open app's list and
    notifications within 5 s, through the app's own following of the database."""
    import asyncio
    from datetime import date

    from starlette.testclient import TestClient

    from outcomes_web import make_app
    from tests.app.test_follow_database import alert_notes, row, wait_until
    from tests.web.checkin_clinic import answers, build, csrf_of, issue

    path = tmp_path / "clinic.db"
    build(path)
    link = issue(path)

    def send() -> int:
        client = TestClient(make_app(path))
        csrf = csrf_of(client.get(f"/c/{link.token}").text)
        return client.post(
            f"/c/{link.token}", data={"csrf": csrf, **answers([1] * 8 + [2])}
        ).status_code

    async with clinician_app(path, today=date.today()) as pilot:
        app = pilot.app
        assert not row(app, "P001").alerts
        assert await asyncio.to_thread(send) == 200
        await wait_until(pilot, lambda: row(app, "P001").alerts and alert_notes(app))
        assert "P001: PHQ-9 item 9 = 2" in alert_notes(app)[0]
