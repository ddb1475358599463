"""One session's record: a one-page PDF a nurse files or copies onto the REMS form (section 11).

The page holds the session's facts (`outcomes.session_record.summary_lines`),
for esketamine the REMS patient monitoring form's fields in the form's order,
the session's safety alerts, every reading as a table, and a small chart of
the readings over minutes since the start with the clinic's thresholds drawn.
It is handed plain records; it never opens the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from matplotlib.ticker import MaxNLocator

from outcomes.drugs import ESKETAMINE
from outcomes.rems import FormState, RemsForm, form_state
from outcomes.rems_record import form_lines, missing_fields
from outcomes.session_record import READING_HEADERS, reading_row, summary_lines
from outcomes.sessions import SESSION_ALERT_NAMES, SessionSummary, minutes_after_start
from outcomes.settings import Settings
from outcomes.wording import NOT_RECORDED_IN_SESSION, session_place
from outcomes.wording.rems import ADVERSE_EVENT_DUTY, missing_words, state_words
from reports.layout import Cursor, footer
from reports.names import inside, patient_stem
from reports.style import (
    A4_PORTRAIT,
    BLUE,
    GREY,
    ORANGE,
    SMALL_SIZE,
    VERMILION,
    new_figure,
    open_pdf,
    report_style,
)

CHART_TOP = 0.25  # the charts take at least the page below this, above the footer
CHART_BOTTOM = 0.07
#: Room above which the four panels stand two by two (taller, easier to read).
GRID_ROOM = 0.36
#: Height of one row of the readings table, as a fraction of the page.
ROW_HEIGHT = 0.0125
CHART_LEFT_OUT = (
    "The readings' chart is left out: this record's text fills the page; every reading is in the "
    "table above (or the CSV export)."
)


@dataclass
class SessionRecordInput:
    """Everything one session's record needs.

    Attributes:
        patient_id: The patient's id.
        summary: The session with its readings and alerts (`outcomes.sessions`).
        session_number: Its number in the course, and the induction length ("session 3 of 8").
        settings: The clinic settings (thresholds drawn, words).
        name: The patient's name, if recorded.
        cadss: The session's CADSS total, if rated.
        acknowledged: Keys of the alerts a clinician has acknowledged.
        as_of: The date the record was made.
        rems_form: An esketamine session's REMS form fields, if any were entered.
        rems_state: Where that form stands (due, overdue, submitted).
    """

    patient_id: str
    summary: SessionSummary
    session_number: tuple[int, int]
    settings: Settings
    name: str | None = None
    cadss: int | None = None
    acknowledged: frozenset[str] = frozenset()
    as_of: date = field(default_factory=date.today)
    rems_form: RemsForm | None = None
    rems_state: FormState | None = None


def session_stem(patient_id: str, summary: SessionSummary) -> str:
    """`<patient stem>-session-<YYYY-MM-DDTHHMM>`: one file per session, safe whatever the id holds."""
    return f"{patient_stem(patient_id)}-session-{summary.infusion.when.iso().replace(':', '')}"


def write_session_record(item: SessionRecordInput, folder: Path) -> Path:
    """Write the one-page PDF into `folder`; returns its path."""
    with report_style():
        path = inside(folder, session_stem(item.patient_id, item.summary) + ".pdf")
        fig = new_figure(A4_PORTRAIT)
        _page(fig, item)
        with open_pdf(path) as pdf:
            pdf.savefig(fig)
    return path


def _page(fig, item: SessionRecordInput) -> None:
    summary, settings = item.summary, item.settings
    inf = summary.infusion
    who = f"{item.name} ({item.patient_id})" if item.name else f"patient {item.patient_id}"
    k, n = item.session_number
    cur = Cursor(fig, y=0.965)
    cur.title(
        f"Session record: {who}",
        f"{settings.clinic_name} - {session_place(k, n)} ({inf.drug}), "
        f"{inf.when.iso().replace('T', ' ')}",
    )
    facts = summary_lines(summary, item.cadss, settings)
    for label, value in facts:
        cur.labelled(label, value, label_width=0.22)
    if inf.drug == ESKETAMINE:
        _rems_section(cur, item)
    cur.heading("Safety alerts in this session")
    if not summary.alerts:
        cur.paragraph("none", color=GREY)
    for alert in summary.alerts:
        state = "acknowledged" if alert.key in item.acknowledged else "OPEN"
        cur.paragraph(
            f"{SESSION_ALERT_NAMES.get(alert.kind, alert.kind)} ({state}): {alert.detail}",
            size=SMALL_SIZE,
            color=VERMILION if state == "OPEN" else "black",
        )
    cur.heading(f"Readings ({len(summary.readings)})")
    rows = [reading_row(inf, r) for r in summary.readings]
    # The chart below the table when at least three rows fit above it; else the page's room goes
    # to the table, and the chart is left out rather than drawn over the text (one page). A
    # session with no readings has no chart: four empty panels would only repeat "none recorded".
    fit = int((cur.y - CHART_TOP - 0.05) / ROW_HEIGHT)
    with_chart = bool(rows) and fit >= min(3, len(rows))
    cur.table(
        READING_HEADERS,
        rows,
        (0.08, 0.1, 0.12, 0.09, 0.08, 0.09, 0.09, 0.35),
        max_rows=max(1, fit if with_chart else int((cur.y - CHART_BOTTOM - 0.06) / ROW_HEIGHT)),
        keep="first",
        more_note="readings",
    )
    if with_chart:
        _chart(fig, summary, settings, top=cur.y - 0.03)
    elif rows:
        cur.paragraph(CHART_LEFT_OUT, size=SMALL_SIZE, color=GREY)
    footer(
        fig,
        f"{who} - session record made {item.as_of.isoformat()} - minutes are counted from "
        "the session's start",
        "page 1 of 1",
    )


def _rems_section(cur: Cursor, item: SessionRecordInput) -> None:
    """The REMS Patient Monitoring Form's fields in its order, what is missing, the form's state."""
    summary, form = item.summary, item.rems_form
    cur.heading("Spravato REMS Patient Monitoring Form, in the form's order")
    missing = missing_fields(summary, form)
    if missing:
        cur.paragraph(missing_words(missing), size=SMALL_SIZE, color=VERMILION)
    for label, value in form_lines(summary, item.cadss, form, describe_event=False):
        cur.labelled(label, value, label_width=0.4, size=SMALL_SIZE)
    if form is not None and form.serious_adverse_event and form.serious_adverse_event_text:
        cur.paragraph(f"What happened: {form.serious_adverse_event_text}", size=SMALL_SIZE)
    if form is not None and form.serious_adverse_event:
        cur.paragraph(ADVERSE_EVENT_DUTY, size=SMALL_SIZE, color=VERMILION, weight="bold")
    if item.rems_state is not None:
        cur.labelled(
            "Form to the REMS",
            state_words(item.rems_state, item.as_of),
            label_width=0.4,
            size=SMALL_SIZE,
        )


def _chart(fig, summary: SessionSummary, settings: Settings, top: float) -> None:
    """Four small panels over minutes since the start, each with its threshold dashed."""
    inf = summary.infusion
    minutes = [minutes_after_start(inf, r.when) or 0 for r in summary.readings]
    panels = (
        (
            "Blood pressure (mmHg)",
            (("bp_systolic", BLUE, "systolic"), ("bp_diastolic", ORANGE, "diastolic")),
            ((settings.bp_hold_systolic, BLUE), (settings.bp_hold_diastolic, ORANGE)),
            None,
        ),
        (
            "Oxygen saturation (%)",
            (("spo2", BLUE, "SpO2"),),
            ((settings.spo2_alert_below, VERMILION),),
            None,
        ),
        (
            "Respiratory rate (/min)",
            (("respiratory_rate", BLUE, "rate"),),
            ((settings.resp_rate_low, VERMILION), (settings.resp_rate_high, VERMILION)),
            None,
        ),
        (
            "Sedation (MOAA/S)",
            (("sedation_moaas", BLUE, "MOAA/S"),),
            ((settings.sedation_alert_at_or_below, VERMILION),),
            (-0.3, 5.3),
        ),
    )
    # Every panel over the same minutes (the session's readings), also one with nothing to plot:
    # matplotlib would give an empty panel an axis of 0-1 that reads as a one-minute session.
    first, last = min(minutes, default=0), max(minutes, default=0)
    pad = max(1.0, (last - first) * 0.05)
    for rect, (title, series, lines, ylim) in zip(_panel_rects(top), panels, strict=True):
        ax = fig.add_axes(rect)
        ax.set_title(title, fontsize=SMALL_SIZE)
        plotted = False
        for name, colour, label in series:
            points = [
                (m, getattr(r, name))
                for m, r in zip(minutes, summary.readings, strict=True)
                if getattr(r, name) is not None
            ]
            if points:
                ax.plot(
                    *zip(*points, strict=True),
                    marker="o",
                    markersize=3,
                    color=colour,
                    linewidth=1,
                    label=label,
                )
                plotted = True
        if not plotted:
            ax.text(
                0.5,
                0.5,
                NOT_RECORDED_IN_SESSION,
                transform=ax.transAxes,
                ha="center",
                va="center",
                fontsize=SMALL_SIZE,
                color=GREY,
            )
        ax.set_xlim(first - pad, last + pad)
        for value, colour in lines:
            ax.axhline(value, color=colour, linestyle="--", linewidth=0.8)
        if ylim:
            ax.set_ylim(*ylim)
        else:  # the alert lines in view, with room beyond them for a reading that crossed
            low, high = ax.get_ylim()
            values = [v for v, _ in lines]
            ax.set_ylim(min(low, min(values) - 2), max(high, max(values) + 2))
        # Whole numbers as recorded: no offset ("+9e1") and no fractional ticks.
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.ticklabel_format(axis="y", useOffset=False, style="plain")
        ax.set_xlabel("minutes since start", fontsize=SMALL_SIZE)
        ax.tick_params(labelsize=SMALL_SIZE - 1)


def _panel_rects(top: float) -> list[tuple[float, float, float, float]]:
    """Where the four panels go below `top`: two by two where there is room, else in a row."""
    room = max(top, CHART_TOP) - CHART_BOTTOM
    if room < GRID_ROOM:
        width = 0.86 / 4
        return [(0.08 + i * width, CHART_BOTTOM, width - 0.045, room - 0.02) for i in range(4)]
    height = min(0.2, (room - 0.07) / 2)
    rows = (CHART_BOTTOM + height + 0.06, CHART_BOTTOM)
    return [(0.08 + col * 0.45, y, 0.38, height) for y in rows for col in (0, 1)]


def session_record_input(
    patient,
    when,
    settings: Settings,
    *,
    name: str | None = None,
    acknowledged: frozenset[str] = frozenset(),
    as_of: date | None = None,
    rems_forms=None,
    rems_submissions=None,
) -> SessionRecordInput:
    """The record of `patient`'s (`PatientData`) session at `when` (a Timepoint).

    Raises:
        SessionNotFound: no single session at that time.
    """
    from outcomes.session_record import locate_session, session_cadss
    from outcomes.sessions import summarise_session

    inf, k, n = locate_session(patient, when, settings)
    summary = summarise_session(inf, patient.readings_of(inf), settings)
    as_of = as_of or date.today()
    at = inf.when.iso()
    state = None
    if inf.drug == ESKETAMINE:
        submission = (rems_submissions or {}).get((patient.patient_id, at))
        state = form_state(inf.when.day, submission, as_of)
    return SessionRecordInput(
        patient.patient_id,
        summary,
        (k, n),
        settings,
        name=name,
        cadss=session_cadss(inf, patient.assessments),
        acknowledged=acknowledged,
        as_of=as_of,
        rems_form=(rems_forms or {}).get(at),
        rems_state=state,
    )
