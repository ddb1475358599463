"""Any allowed crisis text fits the take-home page (issue 21); a longer one is refused as a setting.

A crisis text of about 1,100 characters crashed `report --handout` for a patient with a positive
suicidality item ("Width and height specified must be non-negative"). Now `crisis_text` holds at
most `outcomes.settings.TEXT_LIMITS["crisis_text"]` characters, refused above with the count and the
limit, and the page fits the longest allowed text (its box's type gets smaller), on one page.
"""

from __future__ import annotations

import pypdf
from click.testing import CliRunner

import db
from outcomes.settings import TEXT_LIMITS
from outcomes_cli.cli import cli

LIMIT = TEXT_LIMITS["crisis_text"]


def invoke(db_path, *args: str):
    return CliRunner().invoke(cli, ["--db", str(db_path), *args])


def longest_text(word: str) -> str:
    text = ""
    while len(text) + len(word) + 1 <= LIMIT:
        text += word + " "
    return (text + "x" * LIMIT)[:LIMIT]


def test_the_longest_allowed_crisis_text_fits_the_page(clinic_db, tmp_path):
    """P002 (item 9 positive) with the longest crisis text allowed, short and long words: one page, all of it."""
    for n, word in enumerate(
        ("call", "Samaritans-helpline-number-116-123-available-day-and-night")
    ):
        text = longest_text(word)
        assert invoke(clinic_db, "settings", "crisis_text", text).exit_code == 0
        out = tmp_path / f"out{n}"
        done = invoke(clinic_db, "report", "--out", str(out), "--patient", "P002", "--handout")
        assert done.exit_code == 0, done.output
        [path] = out.iterdir()
        reader = pypdf.PdfReader(path)
        assert len(reader.pages) == 1
        page = "".join(reader.pages[0].extract_text().split())
        assert "Supportisavailable" in page and "".join(text.split())[-60:] in page


def test_a_crisis_text_over_the_limit_is_refused_with_its_length(clinic_db):
    """One character over: refused, naming the length and the limit; the stored text unchanged."""
    before = db.load_settings(db.connect(clinic_db)).crisis_text
    result = invoke(clinic_db, "settings", "crisis_text", "a" * (LIMIT + 1))
    assert result.exit_code == 1
    assert f"{LIMIT + 1:,} characters" in result.output and f"at most {LIMIT:,}" in result.output
    assert db.load_settings(db.connect(clinic_db)).crisis_text == before
