"""A long name on paper: titles and footers wrap inside the page, never run off it or into the page number.

A patient's name is free text (bounded at 200,000 characters), and clinics
record long ones: "Maria-Fernanda Alejandra Guadalupe de los Santos ...". The
patient report, the session record and the take-home page each put the name
in a title and a footer; drawn with a 110-character name and a 64-character
id, every text stays inside the page, none overlaps another, and the id (the
one thing that tells two such patients apart) is printed whole.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

import db
from outcomes.settings import Settings
from outcomes.status import analyse_patient
from outcomes.timepoints import parse_timepoint
from reports import handout as handout_module
from reports import session_record as record_module
from reports.layout import fitted_lines
from reports.page_text import figure_texts
from reports.patient_report import PatientReportInput, draw_pages
from reports.style import new_figure, report_style
from tests.clinic import add_patient
from tests.reports.test_handout import handout
from tests.reports.test_patient import AS_OF, busy_patient, text_boxes_overlap
from tests.reports.test_safety_summary import reading, session

LONG_NAME = (
    "Maria-Fernanda Alejandra Guadalupe de los Santos Villanueva-Rodríguez y Montenegro "
    "Castellanos Ibarra-Whitfield"
)
LONG_ID = "LONG-PATIENT-IDENTIFIER-0001-ABCDEFGHIJKLMNOPQRSTUVWXYZ-01234567"


def texts_off_the_page(fig) -> list[str]:
    """The visible figure texts whose drawn extent leaves the page's width."""
    renderer = fig.canvas.get_renderer()
    width = fig.bbox.width
    return [
        t.get_text()
        for t in figure_texts(fig)
        if t.get_visible()
        and t.get_text().strip()
        and not (0 <= t.get_window_extent(renderer).x0 <= t.get_window_extent(renderer).x1 <= width)
    ]


def test_a_long_name_wraps_on_every_page_of_the_patient_report():
    data = busy_patient(LONG_ID)
    status = analyse_patient(data, "phq9", Settings(), AS_OF + timedelta(days=90))
    item = PatientReportInput(status, (), AS_OF + timedelta(days=90), LONG_NAME)
    with report_style():
        pages = draw_pages(item)
    for number, page in enumerate(pages, start=1):
        assert texts_off_the_page(page) == [], f"page {number}"
        assert text_boxes_overlap(page) == [], f"page {number}"
        assert LONG_ID in printed(page), f"page {number}"


@pytest.mark.parametrize("readings", [0, 2])
def test_a_long_name_wraps_on_the_session_record(tmp_path, monkeypatch, readings):
    """With readings, and without (then no chart of four empty panels is drawn either)."""
    figures = []
    monkeypatch.setattr(
        record_module, "new_figure", lambda size: figures.append(new_figure(size)) or figures[-1]
    )
    database = db.connect(tmp_path / "clinic.db")
    add_patient(database, LONG_ID, LONG_NAME)
    session(database, LONG_ID, "2026-01-06T10:00", drug="esketamine")
    for minute in range(readings):
        at = f"2026-01-06T10:{10 + 30 * minute:02d}"
        reading(database, LONG_ID, "2026-01-06T10:00", at, spo2=96, bp_systolic=130)
    patient = db.load_clinic(database, patient_id=LONG_ID).by_patient()[LONG_ID]
    item = record_module.session_record_input(
        patient, parse_timepoint("2026-01-06T10:00"), db.load_settings(database)
    )
    database.conn.close()
    record_module.write_session_record(item, tmp_path)
    (page,) = figures
    assert texts_off_the_page(page) == []
    assert text_boxes_overlap(page) == []
    assert LONG_ID in printed(page)
    panels = [ax for ax in page.axes if ax.get_xlabel() == "minutes since start"]
    assert len(panels) == (4 if readings else 0)


def test_a_long_name_wraps_on_the_take_home_page(monkeypatch, tmp_path):
    figures = []
    monkeypatch.setattr(
        handout_module, "new_figure", lambda size: figures.append(new_figure(size)) or figures[-1]
    )
    handout_module.write_handout(handout(who=LONG_NAME), tmp_path / "handout.pdf")
    page = figures[-1]
    assert texts_off_the_page(page) == []
    assert text_boxes_overlap(page) == []
    assert "Montenegro" in printed(page)


def printed(page) -> str:
    """Every text of the page run together, as a wrapped line joins its neighbour."""
    return " ".join(t.get_text() for t in figure_texts(page)).replace(" ", "")


@pytest.mark.parametrize("cut", [False, True])
def test_fitted_lines_keep_every_word_or_say_that_some_are_cut(cut):
    text = "word " * (40 if cut else 5)
    lines = fitted_lines(text.strip(), 30, most=2)
    assert len(lines) <= 2
    assert lines[-1].endswith(" …") == cut
    if not cut:
        assert " ".join(lines) == text.strip()


def test_every_line_of_a_demo_clinics_reports_stays_on_the_paper(tmp_path):
    """Bold lines (the open alerts on page 1) wrap by their measured width: guessed by
    characters, 6 lines of 12 demo patients' reports ran past the paper's edge."""
    from dataclasses import replace
    from datetime import date

    from outcomes_cli.demo import make_demo
    from reports.batch import _report_inputs, analyse, split_patients

    today = date(2026, 3, 1)
    database = db.connect(tmp_path / "clinic.db")
    db.write_clinic(database, make_demo(12, 1, today), "demo", today)
    records = db.report_records(database)
    database.close()
    patients, _ = split_patients(records.data)
    statuses, _ = analyse(patients, "phq9", records.settings, today, records.data.acknowledged)
    items = _report_inputs(statuses, patients, records.data.names(), {}, set(patients), today)
    with report_style():
        for item in items:
            for number, page in enumerate(draw_pages(replace(item, as_of=today)), start=1):
                where = f"{item.status.patient_id} page {number}"
                assert texts_off_the_page(page) == [], where
                assert text_boxes_overlap(page) == [], where


def test_a_take_home_page_with_every_section_full_moves_the_chart_up(monkeypatch, tmp_path):
    """Three milestones, a due check-in and the whole glossary, with no check-in code: the words
    below the chart needed more room than the page left them, and patient mode's "p" refused."""
    figures = []
    monkeypatch.setattr(
        handout_module, "new_figure", lambda size: figures.append(new_figure(size)) or figures[-1]
    )
    full = handout(
        milestones=[
            "Response reached after infusion 5, 11 days after your first infusion. Response means "
            "your score dropped by at least half from where you started.",
            "Remission not reached yet. Remission means your score is 4 or lower, the range where "
            "few or no symptoms are left.",
            "Your latest score is between a quarter and half lower than where you started (a "
            "partial response).",
        ],
        sessions=[
            "You have had 6 of the 6 infusions of your treatment course.",
            "Your last infusion was 315 days ago, on 27 January 2026.",
            "Your PHQ-9 check-in questionnaire was due on 28 March 2026: please ask the clinic "
            "team for it.",
        ],
        glossary=[
            ("Baseline", "your score shortly before your first infusion: the starting point"),
            ("Response", "your score dropped by at least half from the baseline"),
            ("Remission", "your score fell into the range where few or no symptoms are left"),
            ("Session", "one infusion; the first 6 make up the treatment course"),
            ("Booster", "an extra infusion after the first 6"),
            ("Check-in", "the same questionnaire again after treatment, to see how you are doing"),
        ],
    )
    handout_module.write_handout(full, tmp_path / "handout.pdf")
    page = figures[-1]
    assert texts_off_the_page(page) == [] and text_boxes_overlap(page) == []
    assert "doing" in printed(page) and "Check-in" in printed(page)
