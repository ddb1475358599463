"""A page's lines drawn by one `PageText` are the `Text`s they stand for (issue 24).

Real patient report pages (a name with a dollar sign, a backslash, letters
DejaVu Sans lacks, arrows and minus signs) are drawn twice: once as the
reports draw them, once with every `PageText` replaced in place by its
`as_texts()`, matplotlib's own `Text` artists. Their PDFs (with and without
the reports' text caches) write the same operators, fonts, glyphs and
numbers, and their PNGs the same pixels. A number may differ in its tenth
decimal at most: `Text` reaches a baseline by adding and subtracting the
font's ascent, which can round by about 1e-15 points, where `PageText`
places the line on it. (On these pages every byte agrees.) And text is shown
literally: the dollar signs reach the PDF's text, not mathtext.
"""

from __future__ import annotations

import io
import re
import warnings
import zlib
from dataclasses import replace
from datetime import date

import pypdf
from matplotlib import rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.backends.backend_pdf import PdfPages

import db
from outcomes_cli.demo import make_demo
from reports import pdf_text
from reports.batch import _report_inputs, analyse, split_patients
from reports.page_text import PageText, figure_texts
from reports.patient_report import draw_pages, write_patient_report
from reports.style import PDF_FONTS, PDF_METADATA, report_style

TODAY = date(2026, 3, 1)
NAME = r"Ann $20 copay, $5 \frac{1}{2} Zoë 李 − ↑"


def _items(tmp_path, name: str) -> list:
    path = tmp_path / "clinic.db"
    if not path.exists():
        database = db.connect(path)
        db.write_clinic(database, make_demo(3, 3, TODAY), "demo", TODAY)
        database.close()
    database = db.connect(path)
    records = db.report_records(database)
    database.close()
    patients, _ = split_patients(records.data)
    statuses, _ = analyse(patients, "phq9", records.settings, TODAY, records.data.acknowledged)
    names = {pid: f"{name} {pid}" for pid in patients}
    items = _report_inputs(statuses, patients, names, {}, set(patients), TODAY)
    return [replace(item, as_of=TODAY) for item in items]


def _pages(tmp_path, name: str = NAME) -> list:
    with report_style():
        return [page for item in _items(tmp_path, name) for page in draw_pages(item)]


def _as_plain_texts(page) -> None:
    """Replace each `PageText` of `page` by matplotlib `Text`s, in its place among the texts."""
    texts = []
    for artist in page.texts:
        texts.extend(artist.as_texts() if isinstance(artist, PageText) else [artist])
    page.texts[:] = texts


def _pdf(pages, cached: bool) -> bytes:
    out = io.BytesIO()
    with rc_context(PDF_FONTS), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        context = pdf_text.remembered_text() if cached else rc_context()
        with context, PdfPages(out, metadata=PDF_METADATA) as pdf:
            for page in pages:
                pdf.savefig(page)
    return out.getvalue()


def _streams(pdf: bytes) -> list[list[bytes]]:
    """Each stream of a PDF, decompressed, as whitespace-separated tokens."""
    return [
        zlib.decompress(m.group(1)).split()
        for m in re.finditer(rb"stream\n(.*?)\nendstream", pdf, re.S)
    ]


def _same_drawing(ours: bytes, theirs: bytes) -> bool:
    """The same streams token for token, numbers allowed to differ by 1e-9 (a rounding)."""
    a, b = _streams(ours), _streams(theirs)
    if len(a) != len(b):
        return False
    for x, y in zip(a, b, strict=True):
        if x == y:
            continue
        if len(x) != len(y):
            return False
        for s, t in zip(x, y, strict=True):
            if s != t:
                try:
                    if abs(float(s) - float(t)) > 1e-9:
                        return False
                except ValueError:
                    return False
    return True


def _png(page) -> bytes:
    out = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        FigureCanvasAgg(page).print_png(out)
    return out.getvalue()


def test_page_text_writes_the_bytes_its_texts_would(tmp_path):
    drawn, plain = _pages(tmp_path), _pages(tmp_path)
    assert any(isinstance(a, PageText) for page in drawn for a in page.texts)
    for page in plain:
        _as_plain_texts(page)
    assert not any(isinstance(a, PageText) for page in plain for a in page.texts)
    assert sum(len(page.texts) for page in plain) > 3 * sum(len(page.texts) for page in drawn)
    for cached in (False, True):
        ours, theirs = _pdf(drawn, cached), _pdf(plain, cached)
        assert _same_drawing(ours, theirs), f"PDF, caches {cached}"
        assert ours == theirs, f"PDF, caches {cached}: on these pages every byte agrees"
    for number, (ours, theirs) in enumerate(zip(drawn, plain, strict=True)):
        assert _png(ours) == _png(theirs), f"page {number}"


def test_the_drawing_comparison_tells_a_moved_line_from_a_rounding(tmp_path):
    """`_same_drawing` passes a 1e-10 difference and fails a line moved by 0.01 point."""
    drawn = _pdf(_pages(tmp_path)[:1], cached=False)
    compressed = re.search(rb"stream\n(.*?)\nendstream", drawn, re.S).group(1)
    stream = zlib.decompress(compressed)
    number = re.search(rb"(\d+\.\d{4,}) cm", stream).group(1)
    for change, same in ((1e-10, True), (0.01, False)):
        moved = stream.replace(number, b"%.10f" % (float(number) + change), 1)
        other = drawn.replace(compressed, zlib.compress(moved), 1)
        assert _same_drawing(other, drawn) is same, change


def test_dollar_signs_and_backslashes_are_printed_as_typed(tmp_path):
    pages = _pages(tmp_path)
    assert any(NAME in t.get_text() for t in figure_texts(pages[0]))
    path = tmp_path / "pages.pdf"
    path.write_bytes(_pdf(pages, cached=True))
    text = "\n".join(page.extract_text() for page in pypdf.PdfReader(path).pages)
    assert r"Ann $20 copay, $5 \frac{1}{2}" in text


def test_a_name_that_reads_as_broken_mathtext_still_gets_its_chart(tmp_path):
    """The PNG's caption names the patient; as mathtext "$\\nocommand$" would fail the drawing."""
    (item, *_) = _items(tmp_path, r"Ann $\nocommand$ Lee")
    (tmp_path / "out").mkdir()
    written = write_patient_report(item, tmp_path / "out")
    assert [p.suffix for p in written] == [".pdf", ".png"] and all(
        p.stat().st_size for p in written
    )
