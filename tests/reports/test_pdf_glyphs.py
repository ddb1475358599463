"""Every PDF the program writes embeds its font and prints its own arrows and minus signs.

The PDF core fonts (Helvetica, WinAnsi encoding) have no ↑, ↓ or − (U+2212),
which printed as "?" on every patient's page and on the take-home page. The
PDFs are made by the real command line on a demo clinic and read back with
pypdf: every font has its glyphs embedded, and the texts hold the real signs.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pypdf
import pytest
from click.testing import CliRunner

from outcomes_cli.cli import cli

#: What the program's own words print that the core fonts lack.
ARROWS = re.compile(r"dose \(mg(/kg)?\): first, then \u2191 / \u2193 at a change")
MINUS = "\u2212"


def run(db_path: Path, *args: str) -> str:
    result = CliRunner().invoke(cli, ["--db", str(db_path), *args])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory) -> dict[str, list[Path]]:
    """The cohort report, every patient's PDF, one take-home page and one session record."""
    root = tmp_path_factory.mktemp("glyphs")
    db_path = root / "clinic.db"
    run(db_path, "demo", "--patients", "12", "--seed", "4")
    out = root / "out"
    run(db_path, "report", "--out", str(out), "--jobs", "1")
    patient = sorted(out.glob("patients/*.pdf"))[0].name.split("-")[0]
    run(db_path, "report", "--out", str(root / "handout"), "--patient", patient, "--handout")
    import db

    database = db.connect(db_path)
    given_at = db.load_clinic(database).infusions["given_at"].iloc[0]
    pid = db.load_clinic(database).infusions["patient_id"].iloc[0]
    database.close()
    run(db_path, "report", "--out", str(root / "session"), "--session", str(pid), str(given_at))
    return {
        "cohort": sorted(out.glob("cohort/*.pdf")),
        "patients": sorted(out.glob("patients/*.pdf")),
        "handout": sorted((root / "handout").rglob("*.pdf")),
        "session": sorted((root / "session").rglob("*.pdf")),
    }


def fonts(path: Path) -> list[pypdf.generic.DictionaryObject]:
    """Every font dictionary the pages of `path` use."""
    found = []
    for page in pypdf.PdfReader(path).pages:
        resources = page.get("/Resources") or {}
        for font in (resources.get("/Font") or {}).values():
            found.append(font.get_object())
    return found


def embedded(font) -> bool:
    """A Type 3 font carries its glyphs; any other needs a font file in its descriptor."""
    if font.get("/Subtype") == "/Type3":
        return True
    descendants = font.get("/DescendantFonts") or [font]
    descriptor = descendants[0].get_object().get("/FontDescriptor")
    if descriptor is None:
        return False
    descriptor = descriptor.get_object()
    return any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))


def text(path: Path) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(path).pages)


def test_every_pdf_embeds_every_font_it_uses(pdfs):
    """No PDF leans on a reader's core fonts: each font is embedded (pdffonts would say emb yes)."""
    every = [path for paths in pdfs.values() for path in paths]
    assert {kind for kind, paths in pdfs.items() if paths} == {
        "cohort",
        "patients",
        "handout",
        "session",
    }
    for path in every:
        used = fonts(path)
        assert used, path
        assert all(embedded(font) for font in used), path
        assert "\ufffd" not in text(path), path


def test_patient_pages_print_the_dose_arrows(pdfs):
    """The dose legend reads "first, and ↑ / ↓", not "? / ?", on every patient's PDF."""
    for path in pdfs["patients"]:
        words = text(path)
        assert ARROWS.search(words), path
        assert "? / ?" not in words


def test_take_home_page_prints_negative_days_with_a_minus_sign(tmp_path):
    """Scores a week before the first infusion: the day axis reads "−6", never "?6"."""
    from reports.handout import write_handout
    from tests.reports.test_handout import MARKS, handout

    marks = replace(MARKS, days=(-7, -6, -3, 2, 5), totals=(21, 20, 20, 16, 12))
    path = write_handout(handout(marks=marks), tmp_path / "handout.pdf")
    words = text(path)
    assert re.search(rf"(^|\s){MINUS}5(\s|$)", words), words
    assert not re.search(r"(^|\s)\?\d", words), words
