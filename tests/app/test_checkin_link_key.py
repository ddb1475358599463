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
    assert list(issued["who"]) == [pilot.app.clinician or db.default_user()]
