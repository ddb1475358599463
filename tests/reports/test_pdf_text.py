"""The reports' PDF text caches change the speed only, never a byte (issue 24).

`reports.pdf_text` remembers each string's measure and glyph layout while a
report's PDF is written. Real patient reports of a demo clinic, with a name
in a script DejaVu Sans lacks (matplotlib's fallback and missing-glyph path)
and the arrows and minus signs the core fonts lack, are drawn once and saved
by matplotlib alone and then, twice (caches cold, then warm), through the
caches: the three files are identical.
"""

from __future__ import annotations

import warnings
from dataclasses import replace
from datetime import date

from matplotlib import rc_context
from matplotlib.backends import backend_pdf
from matplotlib.backends.backend_pdf import PdfPages

import db
from outcomes_cli.demo import make_demo
from reports import pdf_text
from reports.batch import _report_inputs, analyse, split_patients
from reports.patient_report import draw_pages
from reports.style import PDF_FONTS, PDF_METADATA, report_style

TODAY = date(2026, 3, 1)


def _pages(tmp_path):
    path = tmp_path / "clinic.db"
    database = db.connect(path)
    db.write_clinic(database, make_demo(4, 3, TODAY), "demo", TODAY)
    records = db.report_records(database)
    database.close()
    data = records.data
    patients, _ = split_patients(data)
    statuses, _ = analyse(patients, "phq9", records.settings, TODAY, data.acknowledged)
    names = {pid: f"Zoë 李 {pid} − ↑↓" for pid in patients}
    items = _report_inputs(statuses, patients, names, {}, set(patients), TODAY)
    with report_style():
        return [draw_pages(replace(item, as_of=TODAY)) for item in items]


def _pdf(path, pages) -> bytes:
    with rc_context(PDF_FONTS), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with PdfPages(path, metadata=PDF_METADATA) as pdf:
            for page in pages:
                pdf.savefig(page)
    return path.read_bytes()


def test_pdfs_written_through_the_caches_are_byte_identical(tmp_path):
    """matplotlib alone, then the caches cold and warm: the same bytes for every patient."""
    caches = (pdf_text._LAYOUTS, pdf_text._METRICS, pdf_text._FONT_FILES, pdf_text._HEIGHTS)
    for cache in (*caches, pdf_text._PLANS):
        cache.clear()
    assert pdf_text.SUPPORTED, "written against matplotlib 3.11: check the mirror still holds"
    for number, pages in enumerate(_pages(tmp_path)):
        plain = _pdf(tmp_path / f"plain{number}.pdf", pages)
        with pdf_text.remembered_text():
            assert backend_pdf.RendererPdf is pdf_text.ReportRendererPdf
            cold = _pdf(tmp_path / f"cold{number}.pdf", pages)
            warm = _pdf(tmp_path / f"warm{number}.pdf", pages)
        assert backend_pdf.RendererPdf is not pdf_text.ReportRendererPdf
        assert plain == cold == warm, f"patient {number}"
    assert pdf_text._LAYOUTS and pdf_text._METRICS and pdf_text._HEIGHTS  # the caches were used
    plans = list(pdf_text._PLANS.values())
    # Most strings were written from their plan; the fallback font's were not (the name in 李).
    assert sum(plan is not None for plan in plans) > 100 and None in plans
