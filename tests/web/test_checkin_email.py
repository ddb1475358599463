"""`outcomes checkin send --due` through a real SMTP server (aiosmtpd) on this machine."""

from __future__ import annotations

import re
import socket
from datetime import date, datetime, timedelta, timezone

import pytest
from aiosmtpd.controller import Controller
from click.testing import CliRunner

import db
from db import checkins
from outcomes.validation import check_assessment, check_infusion, check_patient
from outcomes_cli.checkin import PASSWORD_ENV, due_invitations
from outcomes_cli.cli import cli
from tests.clinic import phq9_items
from tests.web.checkin_clinic import stored


class Inbox:
    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def inbox():
    box = Inbox()
    with socket.socket() as probe:  # a free port (aiosmtpd checks its own start on the port given)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield box, port
    controller.stop()


@pytest.fixture
def due_clinic(tmp_path):
    """Two patients done with the induction a week ago (day 7 due), one with an email; one without."""
    path = tmp_path / "clinic.db"
    database = db.connect(path)
    last = date.today() - timedelta(days=7)
    today = date.today()
    for pid, name in (("P001", "Anna Maria Example"), ("P002", "Ben Sample")):
        db.add_patient(database, check_patient({"patient_id": pid, "name": name}).values, "Dr T")
        baseline = (last - timedelta(days=20)).isoformat()
        raw = {"patient_id": pid, "date": baseline, "scale": "phq9", "items": phq9_items(18, 1)}
        db.add_assessment(database, check_assessment(raw, today).values, "Dr T")
        for k in range(6):
            when = f"{(last - timedelta(days=2 * (5 - k))).isoformat()}T09:00"
            raw = {"patient_id": pid, "date": when, "dose_mg_per_kg": 0.5, "weight_kg": 70}
            checked = check_infusion(raw, None, today)
            assert checked.ok, checked.problems
            db.add_infusion(database, checked.values, "Dr T")
    db.update_patient(database, "P001", {"email": "anna@example.org"}, "email given", "Dr Test")
    for key, value in (
        ("smtp_host", "127.0.0.1"),
        ("smtp_starttls", "false"),
        ("smtp_sender", "clinic@example.org"),
        ("checkin_base_url", "https://checkin.example.org/"),
    ):
        db.set_setting(database, key, value, "Dr Test")
    database.conn.close()
    return path


def run(path, *args, env=None):
    return CliRunner().invoke(cli, ["--db", str(path), *args], env=env or {})


def test_due_patient_with_an_email_gets_a_link_and_no_clinical_data(due_clinic, inbox):
    box, port = inbox
    database = db.connect(due_clinic)
    db.set_setting(database, "smtp_port", str(port), "Dr Test")
    database.conn.close()
    result = run(due_clinic, "checkin", "send", "--due")
    assert result.exit_code == 0, result.output
    assert "Invited P001" in result.output and "Sent 1 check-in email." in result.output
    assert len(box.messages) == 1
    message = box.messages[0]
    assert message.rcpt_tos == ["anna@example.org"]
    text = message.content.decode()
    assert "Subject: Your check-in from Ketamine clinic" in text
    assert "Hello Anna," in text
    url = re.search(r"https://checkin\.example\.org/c/([A-Za-z0-9_\-]{43})", text)
    assert url, text
    for clinical in ("PHQ", "GAD", "score", "18", "P001", "Maria", "Example,", "suicid", "alert"):
        assert clinical not in text
    database = db.connect(due_clinic)
    link = checkins.find_link(database, token=url.group(1))
    assert link.patient_id == "P001" and link.emailed_at is not None
    # Sent again at once: already invited, nobody is emailed twice.
    again = run(due_clinic, "checkin", "send", "--due")
    assert again.exit_code == 0 and len(box.messages) == 1
    # A day later, unused: one reminder with a fresh link, the old one withdrawn.
    later = datetime.now(timezone.utc) + timedelta(days=1, minutes=1)
    plans = due_invitations(database, db.load_settings(database), later, date.today())
    assert [(p[0], p[3]) for p in plans] == [("P001", "remind")]


def test_sending_without_a_mail_server_is_refused_and_writes_nothing(tmp_path):
    path = tmp_path / "c.db"
    db.connect(path).conn.close()
    result = run(path, "checkin", "send", "--due")
    assert result.exit_code == 1
    assert "no mail server is set" in result.output


def test_a_login_without_the_password_variable_is_refused(due_clinic, inbox):
    _box, port = inbox
    database = db.connect(due_clinic)
    db.set_setting(database, "smtp_port", str(port), "Dr Test")
    db.set_setting(database, "smtp_user", "clinic", "Dr Test")
    database.conn.close()
    result = run(due_clinic, "checkin", "send", "--due", env={PASSWORD_ENV: ""})
    assert result.exit_code == 1
    assert PASSWORD_ENV in result.output
    assert stored(due_clinic, "SELECT count(*) FROM checkin_links") == [(0,)]


def test_the_password_is_not_a_setting():
    result = CliRunner().invoke(cli, ["settings", "smtp_password", "x"])
    assert result.exit_code != 0
