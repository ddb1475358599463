"""The take-home page carries the next check-in: a QR code of its link and a short code to type."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from click.testing import CliRunner
from pypdf import PdfReader

import db
from db import checkins
from outcomes import checkin as words
from outcomes_cli.cli import cli
from tests.web.test_checkin_email import due_clinic  # noqa: F401 (fixture)


def test_handout_prints_the_next_checkins_code_and_qr(due_clinic, tmp_path):  # noqa: F811
    out = tmp_path / "pages"
    result = CliRunner().invoke(
        cli,
        ["--db", str(due_clinic), "report", "--patient", "P001", "--handout", "--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    pdf = PdfReader(next(out.glob("*.pdf")))
    assert len(pdf.pages) == 1
    text = pdf.pages[0].extract_text()
    flat = " ".join(text.split())
    assert "https://checkin.example.org/code" in flat
    typed = re.search(
        r"type this code .*?: ([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})", flat
    )
    assert typed, flat
    assert pdf.pages[0].images, "the QR code is drawn as an image"
    database = db.connect(due_clinic)
    link = checkins.find_link(database, code=words.normalise_code(typed.group(1)))
    assert link.patient_id == "P001" and link.scales == ("phq9", "gad7")
    # Day 7 is due now: the link is open now, for checkin_link_days.
    assert link.state(checkins.utc_now()) == words.OPEN
    assert link.valid_until - link.valid_from == timedelta(days=4)


def test_code_words_name_the_window():
    opens = datetime(2027, 1, 3, 0, 0).astimezone()
    text = words.handout_words("https://c.example.org/code", opens, opens + timedelta(days=4))
    assert "from 3 January to 7 January" in text
