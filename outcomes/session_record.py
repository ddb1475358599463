"""What a session record says, in words (section 11): the lines the PDF and the app show.

The session record is the page a nurse files or copies: drug and dose, the
session's times, the extremes of its readings, dissociation and side
effects (the REMS patient monitoring form of an esketamine session is
`outcomes.rems_record`, which takes its helpers from here). Kept in the core
so that every screen and report says it the same way.
"""

from __future__ import annotations

from typing import Iterable

from outcomes.drugs import ESKETAMINE
from outcomes.readings import MOAAS_LEVELS
from outcomes.records import Assessment, Infusion, Reading
from outcomes.sessions import SessionSummary, altered, minutes_after_start
from outcomes.settings import Settings
from outcomes.timepoints import Timepoint

#: The reading nearest this many minutes after dosing is the "about 40 minutes" pressure.
REMS_MID_MINUTES = 40


def clock(when: Timepoint | None) -> str:
    """'09:40' for a timed point, the date for an untimed one, '-' for none."""
    if when is None:
        return "-"
    return when.at.strftime("%H:%M") if when.at is not None else when.iso()


def dose_text(inf: Infusion) -> str:
    """'esketamine 56 mg intranasal' or 'ketamine 0.5 mg/kg iv (35.0 mg)'."""
    route = f" {inf.route}" if inf.route else ""
    if inf.drug == ESKETAMINE:
        return f"esketamine {inf.dose_mg:g} mg{route}"
    total = f" ({inf.total_mg:g} mg)" if inf.total_mg is not None else ""
    dose = "?" if inf.dose_mg_per_kg is None else f"{inf.dose_mg_per_kg:g}"
    return f"ketamine (racemic) {dose} mg/kg{route}{total}"


def minutes_text(minutes: float | None) -> str:
    return "-" if minutes is None else f"{minutes:.0f} min"


def pressure_text(systolic: int | None, diastolic: int | None) -> str:
    return f"{'?' if systolic is None else systolic}/{'?' if diastolic is None else diastolic} mmHg"


def sedation_text(level: int | None) -> str:
    return "not recorded" if level is None else f"MOAA/S {level} ({MOAAS_LEVELS[level]})"


def session_cadss(inf: Infusion, assessments: Iterable[Assessment]) -> int | None:
    """The highest CADSS total rated for this session (linked to it, or on its day)."""
    totals = [
        a.total
        for a in assessments
        if a.scale == "cadss"
        and (a.infusion_id == inf.id if a.infusion_id is not None else a.when.day == inf.when.day)
    ]
    return max(totals) if totals else None


def summary_lines(
    summary: SessionSummary, cadss: int | None, settings: Settings
) -> list[tuple[str, str]]:
    """The session's facts as (label, value) lines, for the record and the session screen."""
    inf = summary.infusion
    high = summary.highest_bp
    ended = clock(summary.ended) + (
        f" ({minutes_text(minutes_after_start(inf, summary.ended))})"
        if summary.ended is not None and inf.ended_at is not None
        else (f" (duration {inf.duration_min:g} min)" if inf.duration_min else "")
    )
    accompanied = {True: "yes", False: "no", None: "not recorded"}[inf.accompanied]
    if inf.accompanied is False and altered(summary, settings):
        accompanied += " (after dissociation or sedation)"
    # Esketamine's spray takes minutes, not an infusion's time: its end is shown only when recorded.
    end_line = (
        []
        if inf.drug == ESKETAMINE and inf.ended_at is None
        else [("Infusion ended" if inf.drug != ESKETAMINE else "Dosing ended", ended)]
    )
    return [
        ("Drug and dose", dose_text(inf)),
        ("Started", inf.when.iso().replace("T", " ")),
        *end_line,
        ("Lowest saturation", "-" if summary.lowest_spo2 is None else f"{summary.lowest_spo2}%"),
        ("Highest pressure", "-" if high is None else pressure_text(*high)),
        ("Deepest sedation", sedation_text(summary.deepest_sedation)),
        ("CADSS", "-" if cadss is None else str(cadss)),
        (
            "Side effects",
            ", ".join(e.replace("_", " ") for e in inf.side_effects) or "none recorded",
        ),
        ("Minutes monitored", minutes_text(summary.minutes_monitored)),
        (
            "Ready to leave at",
            clock(inf.ready_to_leave_at)
            + (
                f" ({minutes_text(summary.minutes_to_discharge)} after the start)"
                if summary.minutes_to_discharge is not None
                else ""
            ),
        ),
        ("Accompanied home", accompanied),
    ]


def reading_row(inf: Infusion, r: Reading) -> tuple[str, ...]:
    """One reading as table cells: time, minutes, pressure, heart rate, SpO2, rate, MOAA/S, notes."""

    def cell(value, suffix=""):
        return "-" if value is None else f"{value}{suffix}"

    bp = (
        "-"
        if r.bp_systolic is None and r.bp_diastolic is None
        else f"{cell(r.bp_systolic)}/{cell(r.bp_diastolic)}"
    )
    return (
        clock(r.when),
        minutes_text(minutes_after_start(inf, r.when)),
        bp,
        cell(r.heart_rate),
        cell(r.spo2, "%"),
        cell(r.respiratory_rate),
        cell(r.sedation_moaas),
        r.notes or "",
    )


READING_HEADERS = (
    "time",
    "since start",
    "BP mmHg",
    "HR /min",
    "SpO2",
    "RR /min",
    "MOAA/S",
    "notes",
)


class SessionNotFound(LookupError):
    """No (or no single) session of the patient at the time asked; the message says which exist."""


def locate_session(patient, when: Timepoint, settings: Settings) -> tuple[Infusion, int, int]:
    """The patient's session at `when` (a date: its only session that day), its number and induction length.

    Raises:
        SessionNotFound: naming the patient, the time asked and the sessions recorded that day.
    """
    from outcomes.course import courses_of
    from outcomes.drugs import induction_length

    if when.at is not None:
        matches = [inf for inf in patient.infusions if inf.when == when]
    else:
        matches = [inf for inf in patient.infusions if inf.when.day == when.day]
    if len(matches) != 1:
        same_day = [inf.when.iso() for inf in patient.infusions if inf.when.day == when.day]
        known = f"; sessions that day: {', '.join(same_day)}" if same_day else "; none that day"
        what = "more than one session" if len(matches) > 1 else "no session"
        raise SessionNotFound(f"patient {patient.patient_id!r} has {what} at {when.iso()}{known}")
    inf = matches[0]
    for course in courses_of(patient):
        if inf in course.infusions:
            return inf, course.number_of(inf), induction_length(settings, course.drug)
    raise SessionNotFound(
        f"the session of {patient.patient_id!r} at {when.iso()} belongs to no course"
    )
