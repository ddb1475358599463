"""What the clinician app shows, as text: list rows, a patient's timeline and status.

Pure functions and plain values from `outcomes/` objects (no widgets, no
database), so that the patient list's rows can be built in the worker
thread and every sentence has one home. The screens in `tui`, `tui_forms`
and `tui_screens` put them on screen.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from rich.markup import escape
from rich.text import Text

from outcomes.course import courses_of
from outcomes.followup import next_followup
from outcomes.records import PatientData
from outcomes.scales import get_scale
from outcomes.settings import Settings
from outcomes.status import PatientStatus
from tui_widgets import NO_VALUE, VERDICT_STYLE, words


@dataclass(frozen=True, slots=True)
class PatientRow:
    """One line of the patient list: plain values, sortable, from a status."""

    patient_id: str
    name: str
    progress: str
    sessions: int
    latest: int | None
    band: str
    improvement: float | None
    verdict: str
    relief_days: int | None
    relief_censored: bool
    alerts: int
    cached_cells: tuple = ()

    @classmethod
    def of(cls, status: PatientStatus, name: str) -> "PatientRow":
        latest = status.latest
        relief = status.relief
        row = cls(
            patient_id=status.patient_id,
            name=name,
            progress=status.progress,
            sessions=status.sessions_completed,
            latest=latest.assessment.total if latest else None,
            band=latest.band if latest else "",
            improvement=latest.improvement if latest else None,
            verdict=status.verdict.value,
            relief_days=relief.days if relief else None,
            relief_censored=bool(relief and relief.censored),
            alerts=len(status.open_alerts),
        )
        # Built here, in the worker, so the UI thread only hands them to the table.
        object.__setattr__(row, "cached_cells", row.cells())
        return row

    def cells(self) -> tuple:
        relief = NO_VALUE
        if self.relief_days is not None:
            relief = f"{self.relief_days}{'+' if self.relief_censored else ''}"
        return (
            self.patient_id,
            self.name,
            Text(f"⚠ {self.alerts}", style="bold red") if self.alerts else "",
            self.progress,
            NO_VALUE if self.latest is None else str(self.latest),
            self.band or NO_VALUE,
            NO_VALUE if self.improvement is None else f"{self.improvement:.0f}%",
            Text(words(self.verdict), style=VERDICT_STYLE.get(self.verdict, "")),
            relief,
        )



#: (label, attribute) of the list's columns; the attribute is also the sort key.
#: Alerts come right after the name, so that they stay on screen when a
#: narrow terminal (or a long course text) pushes the right-hand columns off.
LIST_COLUMNS = (
    ("ID", "patient_id"),
    ("Name", "name"),
    ("Alerts", "alerts"),
    ("Course", "progress"),
    ("Latest", "latest"),
    ("Band", "band"),
    ("Improved", "improvement"),
    ("Verdict", "verdict"),
    ("Relief days", "relief_days"),
)


#: Columns whose text does not sort well, and the value they sort by instead.
SORT_BY = {"progress": "sessions", "band": "latest"}


def patient_names(data) -> dict[str, str]:
    frame = data.patients
    if frame is None or frame.empty:
        return {}
    names = frame["name"].where(frame["name"].notna(), "") if "name" in frame else [""] * len(frame)
    return {str(p): str(n) for p, n in zip(frame["patient_id"], names)}


def timeline_rows(patient: PatientData, settings: Settings) -> list[tuple[str, tuple]]:
    """The course timeline: infusions and assessments in time order, keyed by record."""
    n = settings.induction_sessions
    events: list[tuple[int, int, str, tuple]] = []
    courses = courses_of(patient)
    #: infusion id -> (its sort key, course number, "Infusion 2" / "Booster 7")
    given: dict[int, tuple[Any, int, str]] = {}
    for course in courses:
        for number, inf in enumerate(course.infusions, start=1):
            kind = f"Booster {number}" if number > n else f"Infusion {number}"
            given[inf.id] = (inf.key, course.number, kind)
            parts = [f"{inf.dose_mg_per_kg:g}mg/kg" if inf.dose_mg_per_kg is not None else "dose ?"]
            if inf.total_mg is not None:
                parts.append(f"={inf.total_mg:g}mg")
            if inf.route:
                parts.append(inf.route + (f" {inf.duration_min:g}′" if inf.duration_min else ""))
            if inf.bp_systolic_pre is not None:
                parts.append(f"BP {inf.bp_systolic_pre}/{inf.bp_diastolic_pre or '?'}")
            cells = (inf.when.iso().replace("T", " "), str(course.number), kind, " ".join(parts))
            events.append((inf.key, 1, f"infusion:{inf.id}", cells))
    for a in patient.assessments:
        scale = get_scale(a.scale)
        if a.infusion_id in given:
            # A rating of an infusion (CADSS) sits right under its infusion, not
            # "pre-course": it is taken at the infusion's own time.
            key, number, kind = given[a.infusion_id]
            cells = (a.when.iso().replace("T", " "), str(number), f"at {kind.lower()}",
                     f"{scale.name} {a.total}" + (" (total-only)" if a.items is None else ""))
            events.append((key, 2, f"assessment:{a.id}", cells))
            continue
        course = next((c for c in courses if c.contains(a)), None)
        where = "pre-course"
        if course is not None:
            session = course.session_of(a)
            where = "pre-infusion" if session == 0 else f"after s{session}"
            if session >= n:
                day = (a.when.day - course.infusions[n - 1].when.day).days
                where = f"follow-up d{day}"
        detail = f"{scale.name} {a.total}"
        if scale.bands:
            detail += f" {scale.band(a.total)}"
        if a.items is None:
            detail += " (total-only)"
        cells = (a.when.iso().replace("T", " "), str(course.number) if course else NO_VALUE, where, detail)
        events.append((a.key, 0, f"assessment:{a.id}", cells))
    events.sort(key=lambda e: (e[0], e[1]))
    return [(key, cells) for _, _, key, cells in events]


def status_text(status: PatientStatus, today: date) -> str:
    """The status panel: verdict and the rule behind it, progress, relief, follow-up."""
    scale = get_scale(status.scale)
    lines = [
        f"[b]Six-session verdict:[/b] {words(status.verdict.value)} — {escape(status.verdict.reason)}",
        f"[b]Status ({scale.name}):[/b] {escape(status.status_sentence())}",
    ]
    best = NO_VALUE if status.best_improvement is None else f"{status.best_improvement:.0f}%"
    lines.append(
        f"[b]Where:[/b] {status.progress} · best improvement so far {best} · trend {status.trend or NO_VALUE}"
    )
    if status.relief is not None:
        r = status.relief
        lines.append(f"[b]Relief:[/b] {r.days} day{'' if r.days == 1 else 's'}" + (" so far (ongoing)" if r.censored
                     else f", ended by {words(r.ended_by)}" if r.ended_by else ""))
    if status.reliable is not None:
        lines.append(f"[b]Reliable change:[/b] {status.reliable.category} ({escape(status.reliable.detail)})")
    follow = next_followup(status, today)
    if follow is not None:
        lines.append(f"[b]Next follow-up:[/b] day {follow.day}, {follow.due_on.isoformat()} ({follow.state})")
    if status.total_only_count:
        lines.append(f"{status.total_only_count} total-only record(s): item-based checks not possible for them")
    return "\n".join(lines)
