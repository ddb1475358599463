"""What the clinician app shows, as text: list rows, a patient's timeline and status.

Pure functions and plain values from `outcomes/` objects (no widgets, no
database), so that the patient list's rows can be built in the worker
thread and every sentence has one home. The screens of `outcomes_app.screens`
put them on screen.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Mapping

from rich.cells import cell_len
from rich.markup import escape
from rich.text import Text

from outcomes import wording
from outcomes.course import courses_of, dose_steps
from outcomes.drugs import ESKETAMINE, induction_length
from outcomes.followup import next_followup
from outcomes.records import PatientData
from outcomes.relief import LOST_IN_INDUCTION, RELAPSE
from outcomes.scales import get_scale
from outcomes.settings import Settings
from outcomes.status import PatientStatus
from outcomes.terminal_text import terminal_safe
from outcomes.timepoints import infusion_key
from outcomes.verdict import VERDICTS
from outcomes_app.markup import NO_VALUE, VERDICT_STYLE, literal


@dataclass(frozen=True, slots=True)
class PatientRow:
    """One line of the patient list: plain values, sortable, from a status."""

    patient_id: str
    name: str
    progress: str
    sessions: int
    course: str
    latest: int | None
    band: str
    improvement: float | None
    verdict: str
    relief_days: int | None
    relief_censored: bool
    alerts: int
    relapsed: bool = False
    #: A response lost during the induction: the relief cell says so, never a bare 0.
    relief_lost: bool = False
    #: True for a first-paint row (`quick`): verdict, improvement, relief and alerts not computed yet.
    pending: bool = False

    @classmethod
    def of(cls, status: PatientStatus, name: str) -> "PatientRow":
        latest = status.latest
        relief = status.relief
        return cls(
            patient_id=status.patient_id,
            name=name,
            progress=status.progress,
            sessions=status.sessions_completed,
            course=course_short(status),
            latest=latest.assessment.total if latest else None,
            band=latest.band if latest else "",
            improvement=latest.improvement if latest else None,
            verdict=status.verdict.value,
            relief_days=relief.days if relief else None,
            relief_censored=bool(relief and relief.censored),
            alerts=len(status.open_alerts),
            relapsed=bool(relief and relief.ended_by == RELAPSE),
            relief_lost=bool(relief and relief.ended_by == LOST_IN_INDUCTION),
        )

    @classmethod
    def quick(
        cls,
        pid: str,
        name: str | None,
        given: int,
        latest: int | None,
        scale_id: str,
        induction: int,
    ) -> "PatientRow":
        """A first-paint row from `db.list_rows`: id, name, course and latest score only."""
        return cls(
            patient_id=pid,
            name=name or "",
            progress=course_of_counts(given, induction),
            sessions=given,
            course=course_of_counts(given, induction),
            latest=latest,
            band=get_scale(scale_id).band(latest) if latest is not None else "",
            improvement=None,
            verdict="",
            relief_days=None,
            relief_censored=False,
            alerts=0,
            pending=True,
        )

    def cells(self) -> tuple:
        """The row's cells as the list shows them (asked for the rows on screen only)."""
        if self.pending:  # not yet known: never shown as "no alerts"
            return (
                literal(self.patient_id),
                literal(short_name(self.name)),
                PENDING,
                self.course,
                NO_VALUE if self.latest is None else str(self.latest),
                self.band or NO_VALUE,
                PENDING,
                Text(PENDING_VERDICT, style="dim"),
                PENDING,
            )
        relief = NO_VALUE
        if self.relief_lost:
            relief = wording.RELIEF_LOST_SHORT
        elif self.relief_days is not None:
            relief = f"{self.relief_days}{'+' if self.relief_censored else ''}"
        return (
            literal(self.patient_id),
            literal(short_name(self.name)),
            Text(f"⚠ {self.alerts}", style="bold red") if self.alerts else "",
            self.course,
            NO_VALUE if self.latest is None else str(self.latest),
            self.band or NO_VALUE,
            NO_VALUE if self.improvement is None else wording.percent_short(self.improvement),
            Text(wording.verdict_words(self.verdict), style=VERDICT_STYLE.get(self.verdict, "")),
            relief,
        )


#: Longest name the list shows in full; a longer one ends in "…" (search and
#: sort still use the whole name, the patient screen shows it).
NAME_WIDTH = 20


def short_name(name: str) -> str:
    """The name cut to `NAME_WIDTH` characters with an ellipsis, so every column fits 120 columns."""
    return name if len(name) <= NAME_WIDTH else name[: NAME_WIDTH - 1].rstrip() + "…"


#: What the list shows in a cell not computed yet (the worker fills it in).
PENDING = "…"
PENDING_VERDICT = "computing…"


def course_short(status: PatientStatus) -> str:
    """Where the course stands, compactly for the list: "3/6", "6/6 +2 boosters"."""
    return wording.progress_short(status)


def course_of_counts(given: int, induction: int) -> str:
    """`course_short` from the number of sessions of the latest course (the first paint's query)."""
    return wording.course_of_counts(given, induction)


#: (label, attribute) of the list's columns; the attribute is also the sort key.
#: Alerts come right after the name, so that they stay on screen when a
#: narrow terminal pushes the right-hand columns off. The labels are short so
#: that every column fits at 120 columns; the help screen (`tui_screens`)
#: spells out what each one means.
LIST_COLUMNS = (
    ("ID", "patient_id"),
    ("Name", "name"),
    ("Alerts", "alerts"),
    ("Course", "progress"),
    ("Latest", "latest"),
    ("Band", "band"),
    ("Improved", "improvement"),
    ("Verdict", "verdict"),
    ("Relief", "relief_days"),
)


#: Columns whose text does not sort well, and the value they sort by instead.
SORT_BY = {"progress": "sessions", "band": "latest"}

#: The columns a narrow terminal gives up, least needed first: the band is
#: implied by the score beside it, the latest score by the improvement, the
#: course by the verdict; the id, alerts, improvement and verdict always stay.
DROP_FIRST = ("band", "latest", "progress", "relief_days", "name")
#: What the columns need beyond their widest text: the sort arrow in one
#: header (" ▲") and the table's cell padding on either side of each.
ARROW_WIDTH, CELL_PADDING = 2, 2


def _width(text: str) -> int:
    return len(text) if text.isascii() else cell_len(text)


def column_widths(rows) -> dict[str, int]:
    """Each list column's width on screen for these rows: header or widest cell, and padding."""
    # Only the id and the name differ from row to row; the other cells take
    # few values, so one row of each kind is measured (10,000 rows in a few ms).
    kinds = {
        (
            r.course,
            r.latest,
            r.band,
            r.improvement,
            r.verdict,
            r.relief_days,
            r.relief_censored,
            r.relief_lost,
            r.alerts,
        ): r
        for r in rows
    }
    widest = {key: len(label) for label, key in LIST_COLUMNS}
    # The verdict column as wide as its longest verdict from the start, so that
    # the columns chosen for the first paint stay when the verdicts come in.
    widest["verdict"] = max(len(wording.verdict_words(v)) for v in VERDICTS)
    for row in kinds.values():
        for (_, key), cell in zip(LIST_COLUMNS, row.cells(), strict=False):
            widest[key] = max(widest[key], _width(str(cell)))
    widest["patient_id"] = max([widest["patient_id"], *(_width(r.patient_id) for r in rows)])
    widest["name"] = max([widest["name"], *(_width(short_name(r.name)) for r in rows)])
    return {key: width + CELL_PADDING for key, width in widest.items()}


def fitting_columns(widths: Mapping[str, int], available: int) -> list[str]:
    """The list's column keys that fit `available` cells, dropping `DROP_FIRST` in order."""
    keys = [key for _, key in LIST_COLUMNS]
    for key in DROP_FIRST:
        if sum(widths[k] for k in keys) + ARROW_WIDTH <= available:
            break
        keys.remove(key)
    return keys


#: How the timeline marks what is not a plain induction infusion.
BOOSTER_STYLE = "bold magenta"
#: Before a dose that differs from the one before it (a titration step), readable without colour.
DOSE_STEP_MARK = {1: "↑", -1: "↓"}
COURSE_START_STYLE = "bold"
#: Longest course note the timeline shows in full (the rest ends in "…"):
#: as wide as an infusion's record text, so the column does not outgrow the panel.
NOTE_WIDTH = 36


def course_notes(courses) -> dict[int, str]:
    """Course number -> the note given when it was started, from `ClinicData.courses`."""
    if courses is None or courses.empty or "notes" not in courses:
        return {}
    return {
        int(c): str(n)
        for c, n in zip(courses["course"], courses["notes"], strict=True)
        if isinstance(n, str) and n.strip()
    }


def timeline_rows(
    patient: PatientData, settings: Settings, notes: Mapping[int, str] | None = None
) -> list[tuple[str, tuple]]:
    """The course timeline in time order, keyed by record.

    Each course opens with a "Course N start" row (key "course:N") on the
    date a clinician started it or, without that, its first infusion, with
    the note given at the start (`notes`, see `course_notes`). Infusions
    after the induction are labelled and coloured as boosters.
    """
    notes = notes or {}
    events: list[tuple[Any, int, str, tuple]] = []
    courses = courses_of(patient)
    explicit = dict(patient.course_starts)
    #: infusion id -> (its sort key, course number, "Infusion 2" / "Booster 1 (s7)")
    given: dict[int, tuple[Any, int, str]] = {}
    for course in courses:
        events.append(_course_start_event(course, explicit, notes))
        steps = dose_steps(course.infusions)
        n, noun = induction_length(settings, course.drug), wording.session_noun(course.drug)
        for number, inf in enumerate(course.infusions, start=1):
            booster = course.is_booster(inf, n)
            kind = (
                f"Booster {number - n} (s{number})" if booster else f"{noun.capitalize()} {number}"
            )
            given[inf.id] = (inf.key, course.number, kind)
            step = DOSE_STEP_MARK.get(steps.get(number - 1), "")
            session = Text(kind, style=BOOSTER_STYLE) if booster else kind
            cells = (
                inf.when.iso().replace("T", " "),
                str(course.number),
                session,
                _infusion_text(inf, step),
            )
            events.append((inf.key, 1, f"infusion:{inf.id}", cells))
    events += [_assessment_event(a, courses, given, settings) for a in patient.assessments]
    events.sort(key=lambda e: (e[0], e[1]))
    return [(key, cells) for _, _, key, cells in events]


def _course_start_event(course, explicit: Mapping[int, Any], notes: Mapping[int, str]) -> tuple:
    """The "Course N start" row: on the clinician's start date, else the first infusion."""
    # The clinician's own start date when there is one (the course may
    # begin before its first infusion); otherwise the first infusion.
    start = explicit.get(course.number, course.start)
    key = infusion_key(start) if course.number in explicit else course.start_key
    # The note goes in the wide Record column; it is cut to fit the
    # timeline's width beside the chart (the full note is in the history).
    note = " ".join(notes.get(course.number, "").split())
    if len(note) > NOTE_WIDTH:
        note = note[: NOTE_WIDTH - 1].rstrip() + "…"
    if not note:
        note = (
            "started, no note"
            if course.number in explicit
            else f"at its first {wording.session_noun(course.drug)}"
        )
    cells = (
        start.iso().replace("T", " "),
        str(course.number),
        Text(f"Course {course.number} start", style=COURSE_START_STYLE),
        Text(terminal_safe(note), style=COURSE_START_STYLE),
    )
    # Priority -1: before a baseline or the first infusion at the same moment.
    return (key, -1, f"course:{course.number}", cells)


def _infusion_text(inf, step: str = "") -> str:
    """An infusion's Record cell: dose (after its dose-step mark), total, route and duration, BP before."""
    parts = [f"{step}{inf.dose_mg_per_kg:g}mg/kg" if inf.dose_mg_per_kg is not None else "dose ?"]
    if inf.drug == ESKETAMINE:
        parts = [f"{step}esketamine {inf.dose_mg:g}mg"]
    elif inf.total_mg is not None:
        parts.append(f"={inf.total_mg:g}mg")
    if inf.route:
        parts.append(inf.route + (f" {inf.duration_min:g}′" if inf.duration_min else ""))
    if inf.bp_systolic_pre is not None:
        parts.append(f"BP {inf.bp_systolic_pre}/{inf.bp_diastolic_pre or '?'}")
    return " ".join(parts)


def _assessment_event(
    a, courses, given: Mapping[int, tuple[Any, int, str]], settings: Settings
) -> tuple:
    """An assessment's row: under its infusion for a rating of one, else placed in its course."""
    scale = get_scale(a.scale)
    if a.infusion_id in given:
        # A rating of an infusion (CADSS) sits right under its infusion, not
        # "pre-course": it is taken at the infusion's own time.
        key, number, kind = given[a.infusion_id]
        cells = (
            a.when.iso().replace("T", " "),
            str(number),
            f"at {kind[0].lower()}{kind[1:]}",
            f"{scale.name} {a.total}" + (" (total-only)" if a.items is None else ""),
        )
        return (key, 2, f"assessment:{a.id}", cells)
    course = next((c for c in courses if c.contains(a)), None)
    where = "pre-course"
    if course is not None:
        session = course.session_of(a)
        where = f"pre-{wording.session_noun(course.drug)}" if session == 0 else f"after s{session}"
        n = induction_length(settings, course.drug)
        if session >= n:
            day = (a.when.day - course.infusions[n - 1].when.day).days
            where = f"follow-up d{day}"
    detail = f"{scale.name} {a.total}"
    if scale.bands:
        detail += f" {scale.band(a.total)}"
    if a.items is None:
        detail += " (total-only)"
    cells = (
        a.when.iso().replace("T", " "),
        str(course.number) if course else NO_VALUE,
        where,
        detail,
    )
    return (a.key, 0, f"assessment:{a.id}", cells)


def status_text(status: PatientStatus, today: date) -> str:
    """The status panel: the status card (`outcomes.wording.status_card`), labels in bold.

    The card's detail lines (baseline, latest score, safety)
    are left out: the timeline, the chart and the alert banner beside the
    panel show them.
    """
    card = wording.status_card(status, next_followup(status, today))
    return "\n".join(
        f"[b]{escape(line.label)}:[/b] {escape(line.text)}" for line in card if not line.detail
    )
