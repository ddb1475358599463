"""`outcomes report --patient ID --handout`: the patient's take-home page from the command line."""

from __future__ import annotations

import pypdf
from click.testing import CliRunner

from outcomes_cli.cli import cli


def invoke(db_path, *args: str):
    return CliRunner().invoke(cli, ["--db", str(db_path), *args])


def test_handout_is_one_plain_page_with_the_crisis_text_where_it_applies(clinic_db, tmp_path):
    """P002 had a positive item 9: the page carries the crisis text and patient mode's words."""
    out = tmp_path / "out"
    done = invoke(clinic_db, "report", "--out", str(out), "--patient", "P002", "--handout")
    assert done.exit_code == 0, done.output
    [path] = out.iterdir()
    assert path.name.startswith("P002-") and path.suffix == ".pdf"
    reader = pypdf.PdfReader(path)
    text = " ".join(reader.pages[0].extract_text().split())
    assert len(reader.pages) == 1
    assert (
        "Ben Sample" in text
        and "Support is available" in text
        and "PHQ-9 score went from 18" in text
    )
    assert "Wrote the take-home page of P002" in done.output


def test_handout_refusals(clinic_db, tmp_path):
    """Without --patient it is a usage error; an unknown patient is refused; nothing is written."""
    out = tmp_path / "out"
    assert invoke(clinic_db, "report", "--out", str(out), "--handout").exit_code == 2
    unknown = invoke(clinic_db, "report", "--out", str(out), "--patient", "P999", "--handout")
    assert unknown.exit_code == 1 and "not known" in unknown.output
    assert not out.exists()
