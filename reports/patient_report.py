"""One patient's report: a two-page PDF and the progress chart as PNG.

Page 1 is what a therapist reads before a session: who, where the course
stands, the six-session verdict with the rule behind it, relief so far, open
safety alerts, and the progress chart. Page 2 holds the detail: every score
with its severity and improvement, each infusion with its dose, blood
pressure, dissociation and side effects, every alert with its
acknowledgement, and the settings the numbers were computed with. The chart
is drawn once and saved twice (the PDF page, and the PNG cropped to it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Sequence

from matplotlib.figure import Figure

from outcomes import __version__, wording
from outcomes.dissociation import cadss_per_infusion
from outcomes.drugs import DOSE_UNITS, ESKETAMINE, ESKETAMINE_DEVICE_MG, dose_of
from outcomes.followup import next_followup
from outcomes.records import Assessment
from outcomes.safety import ALERT_KINDS
from outcomes.scales import get_scale
from outcomes.session_record import dose_text
from outcomes.sessions import SESSION_ALERT_NAMES, SessionSummary
from outcomes.settings import SETTING_SPECS, format_value
from outcomes.status import PatientStatus
from outcomes.wording.rems import medicines_line
from reports.layout import Cursor, fmt, footer, line_height, text_lines
from reports.names import inside, patient_stem
from reports.patient_chart import draw_compact, draw_progress
from reports.style import (
    A4_PORTRAIT,
    GREY,
    SMALL_SIZE,
    TEXT_SIZE,
    VERMILION,
    new_figure,
    open_pdf,
    report_style,
    save_png,
)

#: Open alerts named on page 1 under the status card (all of them are on page 2).
ALERTS_NAMED = 2
CHART_RECT = (0.03, 0.045, 0.94, 0.62)  # where page 1 holds the chart
PAGE_TEXT_BOTTOM = CHART_RECT[1] + CHART_RECT[3]
#: The stand-alone PNG: the chart and, above it, the line naming patient and date.
PNG_RECT = (CHART_RECT[0], CHART_RECT[1], CHART_RECT[2], CHART_RECT[3] + 0.03)
#: Height of one other scale's block (heading, summary, compact chart), and the
#: lowest a block may reach (above the footer).
SCALE_BLOCK = 0.255
PAGE_BOTTOM = 0.07

_ALERT_WORDS = {
    "suicidality_item": "suicidality item",
    "dose_outside_usual_range": "dose outside usual range",
    "blood_pressure_at_hold_threshold": "blood pressure at hold",
    "reliable_deterioration": "reliable deterioration",
}
assert set(_ALERT_WORDS) == set(ALERT_KINDS)


@dataclass(frozen=True)
class Acknowledgement:
    """A clinician's acknowledgement of one alert."""

    alert_key: str
    who: str
    at: str
    note: str | None = None


@dataclass
class PatientReportInput:
    """Everything one patient's report needs, as plain picklable records.

    Attributes:
        status: The domain's analysis of the patient on the report's scale.
        cadss: The patient's CADSS assessments (all courses).
        as_of: The date the analysis was made for; printed as the generation date.
        name: The patient's name, if recorded.
        acknowledgements: Who acknowledged which alert, when, with what note.
        others: The patient's status on every other outcome scale recorded
            for them (a compact chart each, after the details).
    """

    status: PatientStatus
    cadss: Sequence[Assessment] = ()
    as_of: date = field(default_factory=date.today)
    name: str | None = None
    acknowledgements: Sequence[Acknowledgement] = ()
    #: The course's sessions with readings or a recorded discharge (`outcomes.sessions`).
    sessions: Sequence[SessionSummary] = ()
    others: Sequence[PatientStatus] = ()
    #: An esketamine course's concomitant medicines and the session that confirmed them (REMS).
    rems_medicines: tuple[tuple[str, ...], str] | None = None


def write_patient_report(
    item: PatientReportInput, folder: Path, written: list[Path] | None = None
) -> list[Path]:
    """Write ``<stem>.pdf`` and ``<stem>.png`` for one patient into `folder`.

    Each file is added to `written` once it is complete, so that a caller can
    remove them when a later one fails (`reports.partial`).
    """
    with report_style():
        return _write(item, folder, [] if written is None else written)


def _write(item: PatientReportInput, folder: Path, written: list[Path]) -> list[Path]:
    stem = patient_stem(item.status.patient_id)
    pdf_path = inside(folder, stem + ".pdf")
    png_path = inside(folder, stem + ".png")
    pages = draw_pages(item)
    with open_pdf(pdf_path) as pdf:
        for page in pages:
            pdf.savefig(page)
    written.append(pdf_path)
    # The PNG is the chart alone, with who and when above it: crop to it, and
    # skip drawing the page's text.
    for text in pages[0].texts:
        text.set_visible(text.get_gid() == PNG_CAPTION)
    written.append(save_png(pages[0], png_path, crop=PNG_RECT))
    return [pdf_path, png_path]


def draw_pages(item: PatientReportInput) -> list[Figure]:
    """Every page of the patient's PDF: the summary and chart, then the complete details.

    Tables that run past a page continue on the next, so the record is whole
    however many sessions, scores and alerts the patient has.
    """
    status = item.status
    cadss = cadss_per_infusion(status, item.cadss)
    first = new_figure(A4_PORTRAIT)
    _first_page(first, item)
    draw_progress(first, CHART_RECT, status, cadss)
    _png_caption(first, item)
    pages = [first]

    def new_page():
        page = new_figure(A4_PORTRAIT)
        pages.append(page)
        return page

    cursor = Cursor(new_page(), y=0.965, new_page=new_page, bottom=PAGE_BOTTOM)
    _second_page(cursor, item, cadss)
    _other_scales(cursor, item)
    who = f"{_who(item)} - generated for data as of {item.as_of.isoformat()}"
    for number, page in enumerate(pages, start=1):
        footer(
            page,
            who
            if number != 2
            else f"{who} by ketamine-outcomes {__version__}.\n"
            "This report shows what the recorded scores show against the rules named; "
            "treatment decisions stay with the clinician.",
            f"page {number} of {len(pages)}",
        )
    return pages


#: The gid of the caption drawn for the stand-alone PNG only.
PNG_CAPTION = "png-caption"


def _png_caption(fig, item: PatientReportInput):
    """Who, which scale and as of when, above the chart: shown in the stand-alone PNG only.

    The PNG travels without its PDF (into a therapist's notes, an e-mail), so
    it must say whose chart it is; on the PDF page the title says it already.
    """
    scale = get_scale(item.status.scale)
    text = fig.text(
        CHART_RECT[0] + 0.08 * CHART_RECT[2],
        CHART_RECT[1] + CHART_RECT[3] + 0.008,
        f"{_who(item)} - {scale.name} - data as of {item.as_of.isoformat()}",
        size=TEXT_SIZE,
        color=GREY,
        va="bottom",
        gid=PNG_CAPTION,
    )
    text.set_visible(False)
    return text


def _who(item: PatientReportInput) -> str:
    pid = item.status.patient_id
    return f"{item.name} ({pid})" if item.name else f"patient {pid}"


def _first_page(fig, item: PatientReportInput) -> None:
    status = item.status
    settings = status.settings
    scale = get_scale(status.scale)
    cur = Cursor(fig, y=0.965)
    cur.title(
        f"{wording.drug_of_status(status).capitalize()} treatment progress: {_who(item)}",
        f"{settings.clinic_name} - {scale.name}, {scale.purpose} - data as of "
        f"{item.as_of.isoformat()}",
    )

    # The status card, as the command line and the app print it (`outcomes.wording.status_card`).
    for line in wording.status_card(status, next_followup(status, item.as_of)):
        weight = "bold" if line.strong else "normal"
        if line.strong:
            cur.gap(0.3)
        text = line.text
        if line.label == "Safety":
            # As many open alerts as the space above the chart holds (it must not run into it).
            for named in range(ALERTS_NAMED, -1, -1):
                text = line.text + _alerts_named(status, named)
                if cur.y - cur.labelled_height(text, weight=weight) >= PAGE_TEXT_BOTTOM:
                    break
        cur.labelled(line.label, text, weight=weight)


def _alerts_named(status: PatientStatus, most: int = ALERTS_NAMED) -> str:
    """After the card's "Safety: 2 alerts not yet acknowledged", on the same line (page 1 has
    no room for another): the first `most` alerts, then where they all are."""
    open_alerts = status.open_alerts
    if not open_alerts:
        return ""
    if most == 0:
        return " (details on page 2)"
    named = "; ".join(f"{a.when.day} {a.detail}" for a in open_alerts[:most])
    more = " and more" if len(open_alerts) > most else ""
    return f": {named}{more} (details on page 2)"


def _session_table(cur: Cursor, item: PatientReportInput) -> None:
    """Monitoring per session: highest pressure, lowest saturation, deepest sedation, minutes to discharge."""
    cur.heading("Session monitoring")
    _rems_medicines(cur, item)
    number = {inf.when: i for i, inf in enumerate(item.status.infusions, start=1)}
    rows = []
    for s in item.sessions:
        inf = s.infusion
        high = "-" if s.highest_bp is None else f"{s.highest_bp[0] or '?'}/{s.highest_bp[1] or '?'}"
        rows.append(
            (
                str(number.get(inf.when, "-")),
                inf.when.iso().replace("T", " "),
                dose_text(inf),
                high,
                fmt(s.lowest_spo2, suffix="%"),
                fmt(s.deepest_sedation),
                fmt(s.minutes_to_discharge, 0, " min"),
                str(len(s.alerts)) if s.alerts else "",
            )
        )
    cur.table(
        [
            "session",
            "date",
            "drug and dose",
            "top BP",
            "low SpO2",
            "low MOAA/S",
            "to leave",
            "alerts",
        ],
        rows,
        [0.08, 0.16, 0.28, 0.1, 0.1, 0.11, 0.1, 0.07],
        aligns=["left", "left", "left", "left", "right", "right", "right", "right"],
        more_note="sessions",
    )


def _rems_medicines(cur: Cursor, item: PatientReportInput) -> None:
    """An esketamine course's concomitant medicines (course level), before its sessions."""
    course = item.status.course
    if course is not None and course.drug == ESKETAMINE:
        cur.paragraph(f"Course {course.number}: {medicines_line(item.rems_medicines)}")


def _amount(inf, unit: str) -> str:
    """Total mg of a dose per kg; for esketamine (dosed in mg), the nasal devices it took."""
    if unit == "mg":
        return fmt(None if inf.dose_mg is None else inf.dose_mg / ESKETAMINE_DEVICE_MG, 0)
    return fmt(inf.total_mg, 1)


def _second_page(cur: Cursor, item: PatientReportInput, cadss) -> None:
    """The team's record, complete: every score, session, reading summary and alert.

    Tables that run past the page continue on the next one (`Cursor.new_page`).
    """
    status = item.status
    scale = get_scale(status.scale)
    fig = cur.fig
    cur.title(f"Details: {_who(item)}")
    cur.continued = f"Details, continued: {_who(item)}"

    cur.heading(f"{scale.name} scores")
    rows = []
    for p in status.points:
        a = p.assessment
        rows.append(
            (
                a.when.iso().replace("T", " "),
                "baseline"
                if a is status.baseline
                else ("before the first" if p.session == 0 else str(p.session)),
                fmt(p.day),
                str(a.total),
                p.band,
                fmt(p.improvement, 0, "%"),
                (p.status or "-").replace("_", " ") + (" (total only)" if a.total_only else ""),
                "yes" if p.in_verdict_window else "",
            )
        )
    # A total-only record is marked in its category (rare, so no column of its own).
    noun = wording.noun_of(status)
    cur.table(
        [
            "date",
            f"after {noun}",
            "day",
            "score",
            "severity",
            "improvement",
            "category",
            "for verdict",
        ],
        rows,
        [0.15, 0.12, 0.06, 0.07, 0.17, 0.12, 0.21, 0.10],
        aligns=["left", "left", "right", "right", "left", "right", "left", "left"],
        more_note="scores",
    )

    cur.heading(f"{noun.capitalize()}s and side effects")
    by_number = {c.infusion_number: c.total for c in cadss}
    n, unit = status.settings.induction_sessions, DOSE_UNITS[wording.drug_of_status(status)]
    inf_rows = []
    for i, inf in enumerate(status.infusions, start=1):
        bp = (
            f"{inf.bp_systolic_pre}/{inf.bp_diastolic_pre}"
            if inf.bp_systolic_pre is not None
            else "-"
        )
        inf_rows.append(
            (
                str(i) + ("" if i <= n else " booster"),
                inf.when.iso().replace("T", " "),
                fmt(dose_of(inf), 0 if unit == "mg" else 2),
                _amount(inf, unit),
                bp,
                fmt(by_number.get(i)),
                ", ".join(e.replace("_", " ") for e in inf.side_effects) or "none recorded",
            )
        )
    cur.table(
        [
            noun,
            "date",
            unit,
            "total mg" if unit != "mg" else "devices",
            "BP before",
            "CADSS",
            "side effects",
        ],
        inf_rows,
        [0.12, 0.16, 0.07, 0.09, 0.1, 0.07, 0.39],
        aligns=["left", "left", "right", "right", "left", "right", "left"],
        more_note=f"{noun}s",
    )
    if item.sessions:
        _session_table(cur, item)
    elif item.status.course is not None and item.status.course.drug == ESKETAMINE:
        cur.heading("Session monitoring")
        _rems_medicines(cur, item)

    cur.heading("Safety alerts and acknowledgements")
    acks = {a.alert_key: a for a in item.acknowledgements}
    alert_rows = []
    for alert in status.alerts:
        ack = acks.get(alert.key)
        if ack is not None:
            said = f"{ack.who}, {ack.at[:16].replace('T', ' ')}" + (
                f": {ack.note}" if ack.note else ""
            )
        else:
            said = "acknowledged" if alert.acknowledged else "NOT YET ACKNOWLEDGED"
        alert_rows.append(
            (
                str(alert.when.day),
                _ALERT_WORDS.get(alert.kind) or SESSION_ALERT_NAMES.get(alert.kind, alert.kind),
                alert.detail,
                said,
            )
        )
    cur.table(
        ["date", "alert", "detail", "acknowledged by"],
        alert_rows,
        [0.12, 0.2, 0.36, 0.32],
        more_note="alerts",
    )
    if status.safety_unchecked:
        cur.paragraph(
            f"{wording.plural(status.safety_unchecked, 'total-only record')} of a scale "
            "with a suicidality item: that item could not be checked.",
            size=SMALL_SIZE,
            color=VERMILION,
        )

    pairs = [
        f"{spec.key} = {format_value(status.settings.clinic_value(spec.key))}"
        for spec in SETTING_SPECS
        if spec.key not in ("crisis_text",)
    ]
    third = (len(pairs) + 2) // 3
    _item_block(cur, status)
    settings_height = third * line_height(fig, SMALL_SIZE - 0.5)
    cur.heading("Settings used", keep_with=settings_height)
    col_w = (cur.right - cur.left) / 3
    for c in range(3):
        chunk = pairs[c * third : (c + 1) * third]
        text_lines(cur.fig, cur.left + c * col_w, cur.y, chunk, SMALL_SIZE - 0.5, color="#333333")
    cur.y -= settings_height


def _item_block(cur: Cursor, status: PatientStatus) -> None:
    """Each item of the scale at the start and at the latest score, when both have items.

    What changed item by item is what a therapist asks about next; it fills the
    half page a patient with one scale would otherwise leave empty.
    """
    base, latest = status.baseline, status.latest
    if base is None or latest is None or base.items is None or latest.assessment.items is None:
        return
    scale = get_scale(status.scale)
    step = line_height(cur.fig, SMALL_SIZE)
    rows = []
    for number, (start, now) in enumerate(
        zip(base.items, latest.assessment.items, strict=False), start=1
    ):
        label = scale.item_label(number)  # wraps in its cell
        rows.append(
            (str(number), label, str(start), str(now), wording.item_change_words(now - start))
        )
    when = latest.assessment.when.day
    cur.heading(
        f"{scale.name} item by item: at the start ({base.when.day}) and latest ({when})",
        keep_with=(scale.n_items + 1) * step,
    )
    cur.table(
        ["item", "question", "start", "latest", "change"],
        rows,
        [0.05, 0.63, 0.08, 0.08, 0.16],
        aligns=["left", "left", "right", "right", "left"],
    )


def _other_scales(cur: Cursor, item: PatientReportInput) -> None:
    """Every other scale recorded for the patient, compactly: where the details end, then new pages."""
    cur.continued = f"Other scales: {_who(item)}"
    for status in item.others:
        cur.room_for(SCALE_BLOCK)
        _scale_block(cur, status)


def _scale_block(cur: Cursor, status: PatientStatus) -> None:
    """One other scale: what it measures, baseline, where it stands, its verdict, a small chart."""
    scale = get_scale(status.scale)
    cur.heading(f"{scale.name}, {scale.purpose}")
    base = status.baseline
    sentence = wording.status_sentence(status)
    said = (
        f"Baseline {base.total} ({scale.band(base.total)}) on {base.when.day}. "
        f"{sentence[:1].upper()}{sentence[1:]}. "
        if base
        else "No usable baseline on this scale. "
    )
    cur.paragraph(
        said
        + f"{wording.verdict_title(status)} on this scale: "
        + wording.verdict_words(status.verdict.value)
        + ".",
        size=SMALL_SIZE,
    )
    height = SCALE_BLOCK - 0.075  # less the heading, the summary and the axis labels
    draw_compact(cur.fig, (0.03, cur.y - height - 0.01, 0.94, height), status)
    cur.y -= height + 0.035
