"""The clinic's cohort report: a PDF, a PNG per figure, a CSV per patient, a JSON summary.

Files (in the `cohort` folder of `--out`):
- `cohort_report.pdf`: the summary table, the four figures, the data-quality page;
- `responders_by_session.png`, `waterfall.png`, `relief_curve.png`,
  `trajectories.png`, `dose_and_early_improvement.png`, `dissociation.png`:
  the figures on their own;
- `patients.csv`: one row per patient with the domain's results;
- `summary.json`: `CohortSummary.as_json()` (the `outcomes report --json` schema).
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path
from typing import Sequence

from outcomes import wording
from outcomes.cohort import RELIEF_CHECKPOINTS, CohortSummary
from outcomes.drugs import DRUGS
from outcomes.followup import OVERDUE, next_followup
from outcomes.scales import get_scale
from outcomes.session_safety import SessionSafety
from outcomes.sessions import (
    DEEP_SEDATION,
    EARLY_DISCHARGE,
    LOW_SPO2,
    RESP_RATE,
    SESSION_ALERT_NAMES,
    SESSION_BP,
    UNACCOMPANIED,
)
from outcomes.settings import Settings
from outcomes.status import PatientStatus
from outcomes.verdict import IN_PROGRESS, INCOMPLETE, NO_BASELINE, NON_RESPONDER, RESPONDER
from outcomes.wording import plural
from reports.association_figures import draw_dissociation, draw_dose_and_early
from reports.cohort_figures import (
    draw_relief_curve,
    draw_responders_by_session,
    draw_trajectories,
    draw_waterfall,
    itt_denominator,
    trajectory_count,
)
from reports.layout import Cursor, footer, page_number
from reports.names import inside
from reports.published_page import published_page, published_rows
from reports.style import (
    A4_LANDSCAPE,
    SMALL_SIZE,
    TEXT_SIZE,
    new_figure,
    open_pdf,
    report_style,
    save_png,
    write_text,
)
from safe_files.spreadsheet import neutralise

PDF_NAME = "cohort_report.pdf"
CSV_NAME = "patients.csv"
JSON_NAME = "summary.json"

CSV_COLUMNS = (
    "patient_id",
    "scale",
    "course",
    "baseline_date",
    "baseline_score",
    "first_infusion",
    "sessions_completed",
    "boosters",
    "latest_date",
    "latest_score",
    "latest_percent_change",
    "status",
    "six_session_verdict",
    "first_response_session",
    "first_response_days",
    "first_remission_session",
    "first_remission_days",
    "best_improvement",
    "relief_days",
    "relief_censored",
    "relief_ended_by",
    "relapse_date",
    "reliable_change",
    "total_only_records",
    "alerts",
    "open_alerts",
    "next_followup_day",
    "next_followup_due",
    "next_followup_state",
)


def write_cohort_report(
    statuses: Sequence[PatientStatus],
    summary: CohortSummary,
    folder: Path,
    *,
    as_of: date,
    settings: Settings,
    problems: Sequence[tuple[str, str]] = (),
    written: list[Path] | None = None,
) -> list[Path]:
    """Write every cohort file into `folder`; returns their paths.

    Args:
        problems: ``(patient_id, message)`` of patients who could not be
            analysed; listed on the data-quality page.
        written: Each file is added here once complete, so that a caller can
            remove them when a later one fails (`reports.partial`).
    """
    with report_style():
        files = [] if written is None else written
        _write(statuses, summary, folder, as_of, settings, problems, files)
        return sorted(files)


def _write(statuses, summary, folder, as_of, settings, problems, files: list[Path]) -> None:
    scale = get_scale(summary.scale)
    stamp = f"{settings.clinic_name} - {scale.name} - data as of {as_of.isoformat()}"
    figures = [
        (
            "responders_by_session.png",
            lambda f: draw_responders_by_session(f, summary, len(summary.responders_by_session)),
        ),
        ("waterfall.png", lambda f: draw_waterfall(f, summary)),
        ("relief_curve.png", lambda f: draw_relief_curve(f, summary)),
        ("trajectories.png", lambda f: draw_trajectories(f, statuses, summary.scale)),
    ]
    if summary.associations is not None:
        figures += [
            (
                "dose_and_early_improvement.png",
                lambda f: draw_dose_and_early(f, summary.associations, scale.name),
            ),
            ("dissociation.png", lambda f: draw_dissociation(f, summary.associations)),
        ]
    pdf_path = inside(folder, PDF_NAME)
    # The safety page, when any session was monitored, reads the summary's own figures.
    safety = (
        summary.safety if summary.safety is not None and summary.safety.monitored_total else None
    )
    published = published_rows(summary, statuses)
    pages = 2 + len(figures) + (1 if safety is not None else 0) + (1 if published else 0)
    with open_pdf(pdf_path) as pdf:
        page = new_figure(A4_LANDSCAPE)
        _summary_page(page, summary, statuses, stamp, settings)
        footer(page, stamp, f"page 1 of {pages}")
        pdf.savefig(page)
        for number, (name, draw) in enumerate(figures, start=2):
            fig = new_figure(A4_LANDSCAPE)
            draw(fig)
            footer(fig, stamp)
            files.append(save_png(fig, inside(folder, name)))
            page_number(fig, f"page {number} of {pages}")  # on the PDF page, not the PNG
            pdf.savefig(fig)
        if safety is not None:
            page = new_figure(A4_LANDSCAPE)
            _safety_page(page, safety, settings)
            footer(page, stamp, f"page {pages - 1 - bool(published)} of {pages}")
            pdf.savefig(page)
        if published:
            page = new_figure(A4_LANDSCAPE)
            published_page(page, published, settings.clinic_name)
            footer(page, stamp, f"page {pages - 1} of {pages}")
            pdf.savefig(page)
        page = new_figure(A4_LANDSCAPE)
        _quality_page(page, statuses, summary, as_of, problems)
        footer(page, stamp, f"page {pages} of {pages}")
        pdf.savefig(page)
    files.append(pdf_path)
    files.append(write_text(inside(folder, CSV_NAME), patients_csv(statuses, as_of)))
    files.append(write_text(inside(folder, JSON_NAME), summary_json(summary)))


def summary_json(summary: CohortSummary) -> str:
    """The summary as the JSON text of `outcomes report --json`."""
    return json.dumps(summary.as_json(), indent=2, allow_nan=False) + "\n"


def patient_row(status: PatientStatus, as_of: date) -> dict:
    """One CSV row: the domain's `as_json` fields, flattened, plus the next follow-up."""
    j = status.as_json()
    follow = next_followup(status, as_of)
    base, latest = j["baseline"] or {}, j["latest"] or {}
    first, remit = j["first_response"] or {}, j["first_remission"] or {}
    return {
        "patient_id": j["patient_id"],
        "scale": j["scale"],
        "course": j["course"],
        "baseline_date": base.get("date"),
        "baseline_score": base.get("score"),
        "first_infusion": j["first_infusion"],
        "sessions_completed": j["sessions_completed"],
        "boosters": j["boosters"],
        "latest_date": latest.get("date"),
        "latest_score": latest.get("score"),
        "latest_percent_change": latest.get("percent_change"),
        "status": j["status"],
        "six_session_verdict": j["six_session_verdict"],
        "first_response_session": first.get("session"),
        "first_response_days": first.get("days_from_first_infusion"),
        "first_remission_session": remit.get("session"),
        "first_remission_days": remit.get("days_from_first_infusion"),
        "best_improvement": j["best_improvement"],
        "relief_days": j["relief_days"],
        "relief_censored": j["relief_censored"],
        "relief_ended_by": j["relief_ended_by"],
        "relapse_date": (j["relapse"] or {}).get("date"),
        "reliable_change": j["reliable_change"],
        "total_only_records": j["total_only_records"],
        "alerts": len(status.alerts),
        "open_alerts": len(status.open_alerts),
        "next_followup_day": follow.day if follow else None,
        "next_followup_due": follow.due_on.isoformat() if follow else None,
        "next_followup_state": follow.state if follow else None,
    }


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    # Text (an id, a name) may start like a formula; numbers are left as numbers.
    return neutralise(value) if isinstance(value, str) else str(value)


def patients_csv(statuses: Sequence[PatientStatus], as_of: date) -> str:
    """The per-patient CSV text, patients in id order."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for s in sorted(statuses, key=lambda s: s.patient_id):
        row = patient_row(s, as_of)
        writer.writerow([_cell(row[c]) for c in CSV_COLUMNS])
    return buffer.getvalue()


def _pct(rate: float | None) -> str:
    return "-" if rate is None else f"{rate:.0%}"


def denominator_lines(summary: CohortSummary, trajectories: int) -> list[str]:
    """Every figure's denominator and who is left out, one line each (clinical-spec section 6)."""
    late = wording.late_sessions_words(summary.inductions)
    return [
        f"Induction: {wording.induction_rule_words(summary.inductions)}; every figure counts "
        "each course's own induction"
        + (
            f"; in responders by session, {late}, so its last bar is every responder"
            if late
            else ""
        )
        + ".",
        f"Completers (the headline rates): {wording.completers_words(summary)}.",
        f"All who started (rates and responders by session): {wording.all_who_started_words(summary)}.",
        f"Relief curve: {wording.relief_count_words(summary)}; the curve starts from "
        f"{summary.relief_responders} at risk on day 0.",
        f"Waterfall: {wording.waterfall_words(summary)}.",
        f"Trajectories: {wording.trajectories_words(trajectories, summary.with_baseline, summary.patients)}.",
    ]


def _summary_page(fig, summary: CohortSummary, statuses, stamp: str, settings: Settings) -> None:
    n = len(statuses)
    scale = get_scale(summary.scale)
    counts = summary.verdict_counts
    responders, non = counts.get(RESPONDER, 0), counts.get(NON_RESPONDER, 0)
    incomplete = counts.get(INCOMPLETE, 0)
    itt = itt_denominator(summary)
    cur = Cursor(fig, y=0.95, left=0.06, right=0.94)
    cur.title(f"Clinic outcomes on {scale.name}", stamp)
    remitted = round((summary.remission_rate_6 or 0) * (responders + non))
    remitted_itt = round((summary.remission_rate_itt or 0) * itt)
    rule = wording.induction_rule_words(summary.inductions)
    n_words = "Verdict"
    within = "within the induction"
    rows = [
        ("Patients", f"{n}", "the clinic's patients, each counted once by the latest course"),
        (
            "With a usable baseline",
            f"{summary.with_baseline}",
            f"of the {n}; {n - summary.with_baseline} without one (see data quality)",
        ),
        (f"{n_words}: responder", f"{responders}", f"response within the induction ({rule})"),
        (f"{n_words}: non-responder", f"{non}", f"whole induction, no response ({rule})"),
        (f"{n_words}: incomplete", f"{incomplete}", "stopped early, no response"),
        (f"{n_words}: in progress", f"{counts.get(IN_PROGRESS, 0)}", "still in the induction"),
        (
            f"{n_words}: no baseline",
            f"{counts.get(NO_BASELINE, 0)}",
            "no usable baseline (see data quality)",
        ),
        (
            f"Response {within}, completers",
            _pct(summary.response_rate_6),
            f"{responders} of the {summary.completers} completers (see below)",
        ),
        (
            f"Response {within}, all who started",
            _pct(summary.response_rate_itt),
            f"{responders} of the {itt} who started (see below)",
        ),
        (
            f"Remission {within}, completers",
            _pct(summary.remission_rate_6),
            f"{remitted} of the {summary.completers} completers",
        ),
        (
            f"Remission {within}, all who started",
            _pct(summary.remission_rate_itt),
            f"{remitted_itt} of the {itt} who started",
        ),
        (
            "Median relief among responders",
            wording.median_relief_words(summary),
            f"Kaplan-Meier, {plural(summary.relief_responders, 'responder')} (see below)",
        ),
    ]
    rows += [
        (
            f"Relief still holding at day {t}",
            wording.relief_share_words(summary.relief_at_days.get(str(t))),
            "Kaplan-Meier estimate"
            if summary.relief_at_days.get(str(t)) is not None
            else "no responder followed this long yet",
        )
        for t in RELIEF_CHECKPOINTS
    ]
    rows.append(
        (
            "Total-only records",
            f"{summary.total_only_records}",
            "scores entered without items (item checks not possible)",
        )
    )
    cur.heading("Summary")
    # The "how" column names each drug's induction (6 infusions, 8 sessions); it wraps.
    cur.table(["measure", "value", "how"], rows, [0.35, 0.2, 0.45], size=TEXT_SIZE + 1)
    cur.heading("Who each figure counts")
    for line in denominator_lines(summary, trajectory_count(statuses)):
        cur.paragraph(line, size=TEXT_SIZE)
    cur.heading("How these are defined")
    cur.paragraph(
        f"Response: a score at least 50% below the baseline; remission: a score at or below "
        f"the remission cut when the baseline was above it. The induction is "
        f"{rule}; the verdict counts assessments of the induction sessions and up to "
        f"{settings.verdict_window_days} days after the last of them "
        f"(verdict_window_days). A course is incomplete with fewer sessions and none for "
        f"more than {settings.incomplete_after_days} days (incomplete_after_days). Relief "
        f"ends at the first score less than 50% below baseline after the first response"
        + (", confirmed by the next" if settings.relapse_confirmations == 2 else "")
        + (
            ", or at a booster"
            if settings.booster_ends_relief
            else "; a booster censors it (booster_ends_relief = false)"
        )
        + ". Each patient counts once, by the latest course. The figures report what the "
        "recorded scores show; treatment decisions stay with the clinician.",
        size=TEXT_SIZE,
    )


def _safety_page(fig, safety: SessionSafety, settings: Settings) -> None:
    """Sessions with each kind of alert, and median minutes to discharge by drug."""
    cur = Cursor(fig, y=0.95, left=0.06, right=0.94)
    cur.title(
        "Session safety",
        "Readings during sessions, recovery and discharge (clinical-spec section 11); "
        "every course of every patient",
    )
    monitored = safety.monitored_total
    cur.heading("Sessions given and monitored")
    cur.table(
        [
            "drug",
            "sessions",
            "with readings or a discharge recorded",
            "median minutes to discharge",
            "discharges recorded",
        ],
        [
            (
                drug,
                str(safety.sessions.get(drug, 0)),
                str(safety.monitored.get(drug, 0)),
                "-"
                if safety.median_minutes(drug) is None
                else f"{safety.median_minutes(drug):g} min",
                str(safety.discharges(drug)),
            )
            for drug in DRUGS
        ],
        [0.16, 0.12, 0.3, 0.24, 0.18],
        aligns=["left", "right", "right", "right", "right"],
    )
    cur.heading(f"Sessions with each kind of alert (of {monitored} monitored)")
    rules = {
        LOW_SPO2: f"saturation below {settings.spo2_alert_below}%",
        RESP_RATE: f"rate outside {settings.resp_rate_low}-{settings.resp_rate_high}/min",
        DEEP_SEDATION: f"MOAA/S at or below {settings.sedation_alert_at_or_below}",
        SESSION_BP: f"a reading at or above {settings.bp_hold_systolic}/{settings.bp_hold_diastolic}",
        EARLY_DISCHARGE: f"ketamine: under {settings.recovery_minutes} min after the end; "
        "esketamine: under 120 min after dosing",
        UNACCOMPANIED: "not accompanied after dissociation or sedation",
    }
    cur.table(
        ["alert", "sessions", "rule"],
        [
            (name, str(safety.with_alert.get(kind, 0)), rules[kind])
            for kind, name in SESSION_ALERT_NAMES.items()
        ],
        [0.3, 0.12, 0.58],
        aligns=["left", "right", "left"],
    )


def _quality_page(
    fig,
    statuses: Sequence[PatientStatus],
    summary: CohortSummary,
    as_of: date,
    problems: Sequence[tuple[str, str]],
) -> None:
    cur = Cursor(fig, y=0.95, left=0.06, right=0.94)
    cur.title("Data quality", "Records to complete or check before trusting the figures above")
    no_base = [s for s in statuses if s.verdict.value == NO_BASELINE and s.course is not None]
    cur.heading(f"Courses without a usable baseline ({len(no_base)})")
    cur.table(
        ["patient", "first infusion", "why"],
        [
            (s.patient_id[:30], str(s.course.start.day), wording.verdict_reason(s.verdict)[:160])
            for s in no_base
        ],
        [0.14, 0.12, 0.74],
        max_rows=10,
        keep="first",
        more_note="courses",
    )
    overdue = []
    for s in statuses:
        follow = next_followup(s, as_of)
        if follow is not None and follow.state == OVERDUE:
            overdue.append(
                (
                    follow.days_late,
                    s.patient_id[:30],
                    f"day {follow.day}",
                    str(follow.due_on),
                    wording.plural(follow.days_late, "day"),
                )
            )
    overdue.sort(key=lambda row: (-row[0], row[1]))  # the longest overdue first
    cur.heading(f"Overdue follow-up assessments ({len(overdue)}), longest overdue first")
    cur.table(
        ["patient", "follow-up after the last induction infusion", "was due", "late by"],
        [row[1:] for row in overdue],
        [0.14, 0.26, 0.12, 0.48],
        max_rows=12,
        keep="first",
        more_note="follow-ups",
    )
    total_only = [
        (s.patient_id[:30], str(s.total_only_count), str(s.safety_unchecked))
        for s in statuses
        if s.total_only_count or s.safety_unchecked
    ]
    cur.heading(
        f"Total-only records ({summary.total_only_records} on {get_scale(summary.scale).name})"
    )
    cur.table(
        [
            "patient",
            f"total-only on {get_scale(summary.scale).name}",
            "suicidality item not checkable (any scale)",
        ],
        total_only,
        [0.14, 0.26, 0.60],
        max_rows=8,
        keep="first",
        more_note="patients",
    )
    if problems:
        cur.heading(f"Patients that could not be analysed ({len(problems)})")
        cur.table(
            ["patient", "problem"],
            [(p[:30], m[:120]) for p, m in problems],
            [0.14, 0.86],
            max_rows=6,
            keep="first",
            more_note="patients",
            size=SMALL_SIZE,
        )
