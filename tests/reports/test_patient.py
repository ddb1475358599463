"""One patient's report (reports.patient_report / patient_chart), built from plain records."""

from __future__ import annotations

from datetime import date, time, timedelta

import numpy as np
import pypdf
from PIL import Image

from outcomes import wording
from outcomes.dissociation import cadss_per_infusion
from outcomes.records import Assessment, Infusion, group_by_patient
from outcomes.settings import Settings
from outcomes.status import analyse_patient
from outcomes.timepoints import Timepoint
from reports.page_text import figure_texts
from reports.patient_chart import draw_progress
from reports.patient_report import (
    CHART_RECT,
    PNG_RECT,
    Acknowledgement,
    PatientReportInput,
    write_patient_report,
)
from reports.style import A4_PORTRAIT, PNG_DPI, new_figure

D0 = date(2026, 1, 5)
AS_OF = D0 + timedelta(days=50)


def tp(day: int, hour: int | None = None) -> Timepoint:
    return Timepoint(D0 + timedelta(days=day), None if hour is None else time(hour, 0))


def phq(total: int, item9: int = 0) -> tuple[int, ...]:
    """PHQ-9 items adding up to `total` with item 9 as given."""
    items, left = [0] * 9, total - item9
    for i in range(8):
        items[i] = min(3, left)
        left -= items[i]
    items[8] = item9
    assert sum(items) == total
    return tuple(items)


def make_patient(pid: str = "P001", *, cadss: bool = True):
    """A responder: response at session 3, remission at 5, relapse 21 days after infusion 6, a booster."""
    infusions = [
        Infusion(
            pid,
            tp(d, 10),
            dose_mg_per_kg=0.5,
            id=i + 1,
            weight_kg=70,
            bp_systolic_pre=130,
            bp_diastolic_pre=80,
            side_effects=("nausea", "dissociation") if i % 2 else (),
        )
        for i, d in enumerate([0, 2, 4, 7, 9, 11, 40])
    ]
    scores = [
        (-2, 20, 1),
        (1, 17, 1),
        (3, 12, 0),
        (5, 9, 0),
        (8, 6, 0),
        (10, 4, 0),
        (12, 4, 0),
        (18, 6, 0),
        (25, 8, 0),
        (32, 12, 0),
        (45, 7, 0),
    ]
    assessments = [
        Assessment(pid, tp(d), "phq9", t, phq(t, s9), id=100 + k)
        for k, (d, t, s9) in enumerate(scores)
    ]
    if cadss:
        # Five linked to their infusion, one unlinked on the day of infusion 6.
        assessments += [
            Assessment(pid, tp(d, 11), "cadss", 10 + 3 * k, None, id=200 + k, infusion_id=k + 1)
            for k, d in enumerate([0, 2, 4, 7, 9])
        ]
        assessments.append(Assessment(pid, tp(11), "cadss", 40, None, id=299))
    return group_by_patient(infusions, assessments)[pid]


def report_input(pid: str = "P001", name: str | None = "Alex Example") -> PatientReportInput:
    data = make_patient(pid)
    status = analyse_patient(
        data, "phq9", Settings(), AS_OF, acknowledged={"suicidality_item:a:2026-01-03:phq9"}
    )
    return PatientReportInput(
        status,
        data.of_scale("cadss"),
        AS_OF,
        name,
        [
            Acknowledgement(
                "suicidality_item:a:2026-01-03:phq9",
                "Dr Kim",
                "2026-01-04T09:12:00",
                "safety plan reviewed",
            )
        ],
    )


def pdf_text(path) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(path).pages]


def test_patient_pdf_has_two_pages_with_verdict_rule_relief_and_settings(tmp_path):
    """The PDF has the summary, verdict rule, relief, scores, side effects, alerts and settings."""
    item = report_input()
    pdf, png = write_patient_report(item, tmp_path)
    assert pdf.suffix == ".pdf" and png.suffix == ".png"
    first, second = pdf_text(pdf)
    assert "Alex Example (P001)" in first
    assert "Six-session verdict responder" in " ".join(first.split())
    assert wording.verdict_reason(item.status.verdict) in first.replace("\n", " ")
    assert (
        "21 days after the last induction infusion (2026-01-16), ended by loss of response"
        in " ".join(first.split())
    )
    assert "session 6 of 6 + 1 booster" in first
    assert "data as of 2026-02-24" in first
    assert "1 alert not yet acknowledged" in first
    assert "PHQ-9 scores" in second and "moderately severe" in second and "80%" in second
    assert "nausea, dissociation" in second and "130/80" in second
    assert "Dr Kim, 2026-01-04 09:12: safety plan reviewed" in " ".join(second.split())
    assert "NOT YET ACKNOWLEDGED" in second
    assert "induction_sessions = 6" in second and "booster_ends_relief = true" in second
    assert "page 2 of 2" in second
    assert (
        "for verdict record" not in second and "total only" not in second
    )  # no always-empty column


def test_png_is_the_chart_alone_at_the_report_resolution(tmp_path):
    """The PNG is the chart's part of page 1, in colour, with the score line drawn in Okabe-Ito blue."""
    _, png = write_patient_report(report_input(), tmp_path)
    image = Image.open(png)
    w, h = A4_PORTRAIT
    expected = (PNG_RECT[2] * w * PNG_DPI, PNG_RECT[3] * h * PNG_DPI)
    assert all(
        abs(got - want) <= 1 for got, want in zip(image.size, expected, strict=False)
    )  # pixel rounding
    pixels = np.asarray(image.convert("RGB")).reshape(-1, 3)
    assert (pixels == (0x00, 0x72, 0xB2)).all(axis=1).sum() > 200  # the score line
    assert (pixels == (0xD5, 0x5E, 0x00)).all(axis=1).sum() > 20  # loss-of-response marker


def test_chart_marks_milestones_relief_and_reference_lines():
    """The chart's key and annotations name first response, remission, loss of response and relief."""
    item = report_input()
    fig = new_figure(A4_PORTRAIT)
    draw_progress(fig, CHART_RECT, item.status, cadss_per_infusion(item.status, item.cadss))
    texts = [t.get_text() for t in figure_texts(fig)] + [
        t.get_text() for ax in fig.axes for t in ax.texts
    ]
    for expected in (
        "first response: session 3, day 5",
        "first remission: session 5, day 10",
        "loss of response: day 32",
        "baseline (20)",
        "response: 10 or lower (50% below baseline)",
        "remission: 4 or less",
        "relief 21 days, until loss of response",
        "booster infusion",
        "suicidality item positive, open",
        "suicidality item positive, acknowledged",
        "severe",
        "minimal",
    ):
        assert expected in texts, expected
    assert "days since the first infusion" in texts and "PHQ-9 total (0-27)" in texts


def test_cadss_goes_to_the_linked_infusion_or_the_one_that_day():
    """CADSS ratings land on their linked infusion, an unlinked one on the infusion of its day."""
    item = report_input()
    points = cadss_per_infusion(item.status, item.cadss)
    assert [(p.infusion_number, p.day, p.total) for p in points] == [
        (1, 0, 10),
        (2, 2, 13),
        (3, 4, 16),
        (4, 7, 19),
        (5, 9, 22),
        (6, 11, 40),
    ]


def test_patient_without_infusions_still_gets_a_two_page_report(tmp_path):
    """A patient with only a baseline gets a report that says there is nothing to chart yet."""
    data = group_by_patient([], [Assessment("P9", tp(0), "phq9", 15, phq(15))])["P9"]
    status = analyse_patient(data, "phq9", Settings(), AS_OF)
    pdf, png = write_patient_report(PatientReportInput(status, (), AS_OF), tmp_path)
    first, second = pdf_text(pdf)
    assert "no infusion given and no course started yet" in first
    assert "No infusion recorded yet" in first
    assert "none recorded" in second
    assert Image.open(png).size[0] > 500


def test_name_outside_western_european_text_is_kept_in_the_pdf(tmp_path):
    """A Greek name (beyond the PDF core fonts) is embedded and readable, not replaced by '?'."""
    pdf, _ = write_patient_report(report_input(name="Ελένη Παπαδοπούλου"), tmp_path)
    assert "Ελένη Παπαδοπούλου (P001)" in pdf_text(pdf)[0]


def test_long_score_history_continues_on_a_further_page(tmp_path):
    """31 scores: every one is in the PDF; the table runs on to a "continued" page."""
    pid = "P1"
    infusions = [
        Infusion(pid, tp(d, 10), dose_mg_per_kg=0.5, id=i + 1)
        for i, d in enumerate([0, 2, 4, 7, 9, 11])
    ]
    assessments = [Assessment(pid, tp(-1), "phq9", 20, phq(20))]
    assessments += [Assessment(pid, tp(12 + k), "phq9", 8, phq(8)) for k in range(30)]
    data = group_by_patient(infusions, assessments)[pid]
    status = analyse_patient(data, "phq9", Settings(), AS_OF)
    pdf, _ = write_patient_report(PatientReportInput(status, (), AS_OF), tmp_path)
    pages = pdf_text(pdf)
    assert len(pages) >= 3
    assert "Details, continued" in pages[2]
    words = "\n".join(pages)
    for k in range(30):
        assert (D0 + timedelta(days=12 + k)).isoformat() in words
    assert "not shown" not in words


def busy_patient(pid: str = "P020"):
    """20 infusions and 10 scores with a positive item 9: 10 suicidality alerts, none acknowledged."""
    days = [0, 2, 4, 7, 9, 11] + [25 + 7 * k for k in range(14)]
    infusions = [
        Infusion(
            pid,
            tp(d, 10),
            dose_mg_per_kg=0.5,
            id=i + 1,
            weight_kg=70,
            bp_systolic_pre=130,
            bp_diastolic_pre=80,
            side_effects=("nausea", "dizziness", "headache", "dissociation") if i % 3 else (),
        )
        for i, d in enumerate(days)
    ]
    assessments = [Assessment(pid, tp(-1), "phq9", 22, phq(22, 2), id=500)]
    assessments += [
        Assessment(pid, tp(d + 1), "phq9", 18 - k // 2, phq(18 - k // 2, 1), id=501 + k)
        for k, d in enumerate(days[:10])
    ]
    return group_by_patient(infusions, assessments)[pid]


def text_boxes_overlap(fig) -> list[tuple[str, str]]:
    """Pairs of visible, non-empty figure texts whose drawn extents overlap."""
    renderer = fig.canvas.get_renderer()
    boxes = [
        (t.get_text(), t.get_window_extent(renderer))
        for t in figure_texts(fig)
        if t.get_visible() and t.get_text().strip()
    ]
    return [
        (a, b)
        for i, (a, box_a) in enumerate(boxes)
        for b, box_b in boxes[i + 1 :]
        if box_a.overlaps(box_b)
    ]


def test_busy_patient_record_is_complete_and_no_text_runs_into_another(tmp_path):
    """20 sessions, 10 alerts: every session and alert is in the PDF, and no two texts overlap."""
    from reports.patient_report import draw_pages
    from reports.style import report_style

    data = busy_patient()
    status = analyse_patient(data, "phq9", Settings(), AS_OF + timedelta(days=90))
    item = PatientReportInput(status, (), AS_OF + timedelta(days=90), "Sam Busy")
    assert len(status.infusions) == 20 and len(status.alerts) >= 10
    with report_style():
        pages = draw_pages(item)
    for number, page in enumerate(pages, start=1):
        assert text_boxes_overlap(page) == [], f"page {number}"
    pdf, _ = write_patient_report(item, tmp_path)
    words = "\n".join(pdf_text(pdf))
    for inf in status.infusions:
        assert inf.when.iso().replace("T", " ") in words
    assert words.count("NOT YET ACKNOWLEDGED") == len(status.alerts)
    for alert in status.alerts:
        assert " ".join(alert.detail.split()[:4]) in " ".join(words.split())
    assert "not shown" not in words


def with_other_scales(scales: dict[str, list[tuple[int, int]]]) -> PatientReportInput:
    """`report_input()` plus totals on other scales: {scale: [(day, total), ...]}."""
    base = make_patient()
    extra = [
        Assessment("P001", tp(d), scale, total, None, id=500 + 20 * k + j)
        for k, (scale, points) in enumerate(scales.items())
        for j, (d, total) in enumerate(points)
    ]
    data = group_by_patient(base.infusions, list(base.assessments) + extra)["P001"]
    settings = Settings()
    status = analyse_patient(data, "phq9", settings, AS_OF)
    others = tuple(analyse_patient(data, scale, settings, AS_OF) for scale in scales)
    return PatientReportInput(status, data.of_scale("cadss"), AS_OF, "Alex Example", others=others)


def test_other_scales_follow_the_details_compactly(tmp_path):
    """A MADRS and a GAD-7 recorded beside the PHQ-9 each get a block: baseline, status, verdict, chart."""
    item = with_other_scales(
        {"madrs": [(-2, 34), (3, 20), (8, 12), (12, 10)], "gad7": [(-2, 15), (5, 9), (12, 6)]}
    )
    pdf, _ = write_patient_report(item, tmp_path)
    pages = pdf_text(pdf)
    text = " ".join(" ".join(page.split()) for page in pages)
    assert "MADRS, " in text and "Baseline 34 (moderate) on 2026-01-03" in text
    assert "GAD-7, " in text and "Baseline 15 (severe) on 2026-01-03" in text
    assert "Six-session verdict on this scale: responder." in text
    assert f"page {len(pages)} of {len(pages)}" in pages[-1]
    assert pages[0].count("MADRS") == 0  # page 1 stays the primary scale's


def test_many_other_scales_continue_on_a_page_of_their_own(tmp_path):
    """Five other scales do not fit page 2: the rest go on an "Other scales" page, numbered."""
    points = [(-2, 20), (3, 12), (12, 8)]
    item = with_other_scales({s: points for s in ("gad7", "madrs", "hamd17", "qids_sr16", "bdi2")})
    pages = pdf_text(write_patient_report(item, tmp_path)[0])
    assert len(pages) >= 3 and "Other scales: Alex Example (P001)" in pages[2]
    assert "page 3 of" in pages[2]
    for name in ("GAD-7", "MADRS", "HAM-D", "QIDS", "BDI-II"):
        assert any(name in page for page in pages[1:]), name


def test_png_names_the_patient_and_date_above_the_chart(tmp_path):
    """The stand-alone PNG carries a line of text above the chart (who, scale, date); the PDF page does not repeat it."""
    item = report_input()
    pdf, png = write_patient_report(item, tmp_path)
    pixels = np.asarray(Image.open(png).convert("L"))
    caption_band = pixels[: int(pixels.shape[0] * 0.03 / PNG_RECT[3])]
    assert (caption_band < 200).sum() > 100  # text drawn in the strip above the chart
    assert pdf_text(pdf)[0].count("data as of 2026-02-24") == 2  # subtitle and footer, no caption


def test_a_one_scale_patient_gets_the_item_by_item_block_on_page_2(tmp_path):
    """Page 2 of a PHQ-9-only patient shows each item at the start and at the latest score."""
    item = report_input()
    pdf, _ = write_patient_report(item, tmp_path)
    second = " ".join(pdf_text(pdf)[1].split())
    start, latest = item.status.baseline.items, item.status.latest.assessment.items
    assert "PHQ-9 item by item: at the start (2026-01-03) and latest (2026-02-19)" in second
    assert "Little interest or pleasure in doing things" in second
    # Item 1 went from 3 to 3, item 3 from 3 to 1: the change reads by its direction.
    assert (start[0], latest[0], start[2], latest[2]) == (3, 3, 3, 1)
    assert "same" in second and "2 lower" in second
    assert second.index("item by item") < second.index("Settings used")


def test_an_esketamine_patients_pdf_says_sessions_of_eight(tmp_path):
    """An esketamine course reads "sessions", the eight-session verdict and its doses in mg and devices."""
    pid, days = "E1", [0, 3, 7, 10, 14, 17, 21, 24]
    infusions = [
        Infusion(pid, tp(d, 9), id=k + 1, drug="esketamine", dose_mg=56, route="intranasal")
        for k, d in enumerate(days)
    ]
    scores = [(-1, 20), (4, 9), (25, 8), (30, 16)]
    data = group_by_patient(
        infusions,
        [Assessment(pid, tp(d), "phq9", t, phq(t), id=100 + k) for k, (d, t) in enumerate(scores)],
    )[pid]
    status = analyse_patient(data, "phq9", Settings(), AS_OF)
    pdf, _ = write_patient_report(PatientReportInput(status, (), AS_OF, "Esme Spray"), tmp_path)
    first, second = (" ".join(page.split()) for page in pdf_text(pdf))
    assert "Esketamine treatment progress: Esme Spray (E1)" in first
    assert "Eight-session verdict" in first and "session 8 of 8" in first
    assert "after the last induction session (2026-01-29)" in first
    assert "Sessions and side effects" in second and "after session" in second
    table = second[second.index("Sessions and side effects") : second.index("Safety alerts")]
    assert "mg" in table and "devices" in table and "56" in table and "mg/kg" not in table
    assert "infusion" not in first + second


def test_suicidality_flags_sit_on_the_score_panel_above_their_scores():
    """The ▽ flags mark the scores whose item 9 was positive (days −2 and 1), on the PHQ-9 panel,
    not inside the CADSS panel below it."""
    item = report_input()
    fig = new_figure(A4_PORTRAIT)
    draw_progress(fig, CHART_RECT, item.status, cadss_per_infusion(item.status, item.cadss))
    main, cadss_panel = fig.axes[0], fig.axes[1]
    flags = [line for line in main.lines if line.get_marker() == "v"]
    assert not [line for line in cadss_panel.lines if line.get_marker() == "v"]
    drawn = sorted((x, y) for line in flags for x, y in zip(*line.get_data(), strict=True))
    assert drawn == [(-2, 20), (1, 17)]
