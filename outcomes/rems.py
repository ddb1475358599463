"""The Spravato REMS patient monitoring form of an esketamine session: its fields, checks, deadline.

The REMS (modified 2024-12-31) asks the clinic to submit one Patient
Monitoring Form after every esketamine session, within 7 days. This module
holds the rules: which fields the form has beyond what a session already
records (enrolment, first treatment, concomitant medicines, device lot
numbers, sedation / dissociation / respiratory depression observed and
resolved, a serious adverse event), how typed values are checked
(`check_rems`), which required fields a session still lacks
(`missing_fields`), and the form's deadline and state (`deadline`,
`form_state`). Sentences live in `outcomes.wording.rems`.

The deadline is calendar arithmetic in clinic time: the session's date as
recorded (clinic time, like every timepoint) plus 7 calendar days; the form
is due through the end of that day and overdue from the next clinic day.
Calendar days, never 7 x 24 hours, so a clock change in the week moves
nothing (docs/rems.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any, Mapping, NamedTuple

from outcomes.drugs import ESKETAMINE, ESKETAMINE_DEVICE_MG
from outcomes.fields import Checked, Problem, blank, yes_no
from outcomes.typed_text import text_problem

#: Days after the session's date by which the form is submitted (REMS, outpatient pages).
DEADLINE_DAYS = 7
#: Medicines the form asks about: they can add sedation, dissociation,
#: respiratory depression or a blood-pressure rise. Stored names -> words.
CONCOMITANT = {
    "benzodiazepines": "benzodiazepines",
    "opioids": "opioids",
    "sedative_hypnotics": "sedative hypnotics",
    "psychostimulants": "psychostimulants",
    "maois": "MAOIs",
}
#: What `concomitant_medicines` holds when the clinician confirmed none is taken.
NONE_TAKEN = "none"
#: Device lot numbers: printable letters, digits and - . / ; at most this long each.
LOT_MAX = 20
_LOT = re.compile(r"[A-Za-z0-9][A-Za-z0-9./-]*")
#: The serious adverse event's description: one paragraph.
EVENT_TEXT_MAX = 1000
#: The observed / resolved pairs, in the form's order: (observed column, resolved column, words).
EFFECTS = (
    ("sedation_observed", "sedation_resolved", "sedation"),
    ("dissociation_observed", "dissociation_resolved", "dissociation"),
    (
        "respiratory_depression_observed",
        "respiratory_depression_resolved",
        "respiratory depression",
    ),
)
#: Yes/no fields of the form and their words.
YES_NO_FIELDS = {
    "rems_enrolled": "patient enrolled in the REMS",
    "first_treatment": "first treatment",
    **{obs: f"{words} observed" for obs, _, words in EFFECTS},
    **{res: f"{words} resolved by discharge" for _, res, words in EFFECTS},
    "serious_adverse_event": "serious adverse event",
}
#: Every field the form adds to a session, in the form's order (CSV columns, stored columns).
FIELDS = (
    "rems_enrolled",
    "first_treatment",
    "concomitant_medicines",
    "device_lots",
    *(name for pair in EFFECTS for name in pair[:2]),
    "serious_adverse_event",
    "serious_adverse_event_text",
)


class RemsForm(NamedTuple):
    """The form's own fields for one session (None: not answered)."""

    patient_id: str
    session_at: str
    rems_enrolled: bool | None = None
    first_treatment: bool | None = None
    concomitant_medicines: tuple[str, ...] | None = None  # () = none taken, confirmed
    device_lots: tuple[str, ...] = ()
    sedation_observed: bool | None = None
    sedation_resolved: bool | None = None
    dissociation_observed: bool | None = None
    dissociation_resolved: bool | None = None
    respiratory_depression_observed: bool | None = None
    respiratory_depression_resolved: bool | None = None
    serious_adverse_event: bool | None = None
    serious_adverse_event_text: str | None = None


class Submission(NamedTuple):
    """A form marked submitted: on which clinic date and by whom."""

    patient_id: str
    session_at: str
    submitted_on: date
    submitted_by: str


def split_list(text: Any) -> list[str]:
    """Words separated by `;` or `,` (either, as people type them), stripped, blanks dropped."""
    if blank(text):
        return []
    return [w.strip() for w in re.split(r"[;,]", str(text)) if w.strip()]


def parse_concomitant(text: Any) -> tuple[tuple[str, ...] | None, str | None]:
    """(classes taken, in the form's order; () for `none`; None when blank), and why refused."""
    words = [w.lower().replace(" ", "_").replace("-", "_") for w in split_list(text)]
    if not words:
        return None, None
    allowed = f"{NONE_TAKEN}, or one or more of {', '.join(CONCOMITANT)} separated by ';'"
    unknown = [w for w in words if w not in CONCOMITANT and w != NONE_TAKEN]
    if unknown:
        return None, f"concomitant medicines {unknown[0]!r} is not a class the form asks; {allowed}"
    if NONE_TAKEN in words and len(words) > 1:
        return None, f"concomitant medicines: {NONE_TAKEN!r} cannot go with a class; {allowed}"
    return tuple(c for c in CONCOMITANT if c in words), None


def concomitant_text(classes: tuple[str, ...] | None) -> str | None:
    """The stored (and exported) form of `parse_concomitant`'s value."""
    if classes is None:
        return None
    return ";".join(classes) if classes else NONE_TAKEN


def devices_of(dose_mg: float | None) -> int | None:
    """How many nasal spray devices a dose takes (28 mg each)."""
    return None if dose_mg is None else round(dose_mg / ESKETAMINE_DEVICE_MG)


def lot_problem(text: Any, dose_mg: float | None) -> tuple[tuple[str, ...], str | None]:
    """The lot numbers typed (`;`-separated), and why refused (None when fine)."""
    lots = split_list(text)
    for lot in lots:
        if len(lot) > LOT_MAX or not _LOT.fullmatch(lot):
            shown = lot if lot.isprintable() else lot.encode("unicode_escape").decode()
            return (), (
                f"device lot number {shown[:40]!r} is not a lot number: 1-{LOT_MAX} letters, digits, "
                "'-', '.' or '/', starting with a letter or digit; several are separated by ';'"
            )
    devices = devices_of(dose_mg)
    if devices is not None and len(lots) > devices:
        return (), (
            f"{len(lots)} device lot numbers for {dose_mg:g} mg, which is {devices} "
            f"device{'s' if devices != 1 else ''} of {ESKETAMINE_DEVICE_MG} mg; give at most "
            f"{devices} (one per device; a lot used for two devices is given once)"
        )
    return tuple(lots), None


def _yes_no_fields(values: dict, problems: list[Problem], raw: Mapping[str, Any]) -> None:
    for name, words in YES_NO_FIELDS.items():
        try:
            values[name] = yes_no(raw.get(name))
        except ValueError as exc:
            problems.append(Problem(name, f"{words} {str(exc)!r} is not yes or no"))
            values[name] = None


def _effects(values: dict, problems: list[Problem]) -> None:
    for observed, resolved, words in EFFECTS:
        if values[resolved] is not None and values[observed] is not True:
            problems.append(
                Problem(
                    resolved,
                    f"{words} resolved by discharge is answered only when {words} was observed "
                    f"(observed is {'no' if values[observed] is False else 'not answered'}); "
                    "leave it blank",
                )
            )
        elif values[resolved] is False:
            problems.append(
                Problem(
                    resolved,
                    f"{words} had not resolved at discharge: the REMS requires monitoring until "
                    "sedation, dissociation and respiratory depression resolve",
                    kind="warning",
                )
            )


def _adverse_event(values: dict, problems: list[Problem], raw: Mapping[str, Any]) -> None:
    name = "serious_adverse_event_text"
    text = None if blank(raw.get(name)) else str(raw.get(name)).strip()
    values[name] = text
    problem = text_problem(text, "serious adverse event description", note=True)
    if problem is None and text is not None and len(text) > EVENT_TEXT_MAX:
        problem = (
            f"serious adverse event description is {len(text)} characters; at most {EVENT_TEXT_MAX}"
        )
    if problem:
        problems.append(Problem(name, problem))
    elif text is not None and values["serious_adverse_event"] is not True:
        problems.append(
            Problem(
                name,
                "a serious adverse event is described but serious adverse event is not 'yes'; "
                "answer yes, or leave the description blank",
            )
        )


def given(raw: Mapping[str, Any]) -> bool:
    """Whether `raw` holds any of the form's fields."""
    return any(not blank(raw.get(name)) for name in FIELDS)


def check_rems(raw: Mapping[str, Any], drug: str, dose_mg: float | None) -> Checked:
    """Check the form's fields typed for a session of `drug` (values keyed by `FIELDS`).

    Nothing given: no values, no problems. Given for a session that is not
    esketamine: refused (the REMS is Spravato's). The values hold the fields
    `raw` names (blank ones as None), so a form that asks a few of them
    changes only those.
    """
    values: dict[str, Any] = {}
    problems: list[Problem] = []
    if not given(raw):
        return Checked(values, problems)
    if drug != ESKETAMINE:
        named = ", ".join(n for n in FIELDS if not blank(raw.get(n)))
        problems.append(
            Problem(
                named.split(", ")[0],
                f"REMS monitoring form fields ({named}) are for esketamine sessions; this session "
                f"gives {drug}; leave them blank",
            )
        )
        return Checked(values, problems)
    _yes_no_fields(values, problems, raw)
    _effects(values, problems)
    _adverse_event(values, problems, raw)
    classes, problem = parse_concomitant(raw.get("concomitant_medicines"))
    values["concomitant_medicines"] = classes
    if problem:
        problems.append(Problem("concomitant_medicines", problem))
    values["device_lots"], problem = lot_problem(raw.get("device_lots"), dose_mg)
    if problem:
        problems.append(Problem("device_lots", problem))
    if values["rems_enrolled"] is False:
        problems.append(
            Problem(
                "rems_enrolled",
                "the patient is not enrolled in the Spravato REMS; the REMS requires enrolment "
                "before treatment",
                kind="warning",
            )
        )
    return Checked({k: v for k, v in values.items() if k in raw}, problems)


def deadline(session_day: date) -> date:
    """The last clinic day to submit the form: the session's date + 7 calendar days."""
    return session_day + timedelta(days=DEADLINE_DAYS)


def clinic_today(now: datetime | None = None, zone=None) -> date:
    """Today's date in clinic time: `now` (default: this instant) in `zone` (default: the machine's)."""
    instant = now if now is not None else datetime.now(timezone.utc)
    if instant.tzinfo is None:  # a naive moment is already clinic time
        return instant.date()
    return instant.astimezone(zone).date()


DUE, OVERDUE, SUBMITTED = "due", "overdue", "submitted"


@dataclass(frozen=True)
class FormState:
    """Where one session's form stands on `today`."""

    state: str  # DUE, OVERDUE or SUBMITTED
    deadline: date
    days_left: int  # negative when overdue
    submission: Submission | None = None


def form_state(session_day: date, submission: Submission | None, today: date) -> FormState:
    """The form's state: submitted (whenever), else due through its deadline, overdue after."""
    last = deadline(session_day)
    left = (last - today).days
    if submission is not None:
        return FormState(SUBMITTED, last, left, submission)
    return FormState(DUE if left >= 0 else OVERDUE, last, left)


def submitted_on_problem(on: date, session_day: date, today: date) -> str | None:
    """Why a form cannot be marked submitted on `on`, or None (not before the session, not in the future)."""
    if on > today:
        return f"submitted on {on.isoformat()} is after today ({today.isoformat()}); give the day it was sent"
    if on < session_day:
        return (
            f"submitted on {on.isoformat()} is before the session ({session_day.isoformat()}); "
            "a form is submitted after its session"
        )
    return None


def check_submission(raw: Mapping[str, Any], session_day: date, drug: str, today: date) -> Checked:
    """The `rems_submitted_on` / `rems_submitted_by` columns of an imported session (both or neither)."""
    values: dict[str, Any] = {}
    problems: list[Problem] = []
    on_text, by = raw.get("rems_submitted_on"), raw.get("rems_submitted_by")
    if blank(on_text) and blank(by):
        return Checked(values, problems)
    if drug != ESKETAMINE:
        problems.append(
            Problem(
                "rems_submitted_on",
                f"a REMS form submission is given for a session of {drug}; only esketamine "
                "sessions have a REMS monitoring form; leave rems_submitted_on and rems_submitted_by blank",
            )
        )
        return Checked(values, problems)
    if blank(on_text) or blank(by):
        missing = "rems_submitted_on" if blank(on_text) else "rems_submitted_by"
        problems.append(
            Problem(
                missing,
                "a submitted form needs both the date (rems_submitted_on) and who (rems_submitted_by)",
            )
        )
        return Checked(values, problems)
    try:
        on = date.fromisoformat(str(on_text).strip())
    except ValueError:
        problems.append(
            Problem(
                "rems_submitted_on",
                f"rems_submitted_on {str(on_text)[:40]!r} is not a date (YYYY-MM-DD)",
            )
        )
        return Checked(values, problems)
    problem = submitted_on_problem(on, session_day, today) or text_problem(
        str(by).strip(), "rems_submitted_by"
    )
    if problem:
        field = (
            "rems_submitted_by" if problem.startswith("rems_submitted_by") else "rems_submitted_on"
        )
        problems.append(Problem(field, problem))
    values.update(rems_submitted_on=on, rems_submitted_by=str(by).strip())
    return Checked(values, problems)


class FormRow(NamedTuple):
    """One esketamine session's form in a list: whose, which session, where it stands."""

    patient_id: str
    session_at: str
    course: int
    state: FormState


def form_list(sessions, submissions: Mapping, today: date, *, due_only: bool) -> list[FormRow]:
    """Every esketamine session's form state, overdue and due first, each by deadline.

    `sessions`: (patient id, session time, course); `submissions`: by (patient id, session time).
    `due_only`: leave out the submitted ones.
    """
    rows = []
    for pid, session_at, course in sessions:
        if session_at[:10] > today.isoformat():  # judged as of an earlier day: not yet given
            continue
        state = form_state(
            date.fromisoformat(session_at[:10]), submissions.get((pid, session_at)), today
        )
        if due_only and state.state == SUBMITTED:
            continue
        rows.append(FormRow(pid, session_at, course, state))
    order = {OVERDUE: 0, DUE: 1, SUBMITTED: 2}
    return sorted(
        rows, key=lambda r: (order[r.state.state], r.state.deadline, r.session_at, r.patient_id)
    )


def form_json(row: FormRow) -> dict[str, Any]:
    """One form as `outcomes rems --json` prints it (docs/rems.md)."""
    sub = row.state.submission
    return {
        "patient_id": row.patient_id,
        "session": row.session_at,
        "course": row.course,
        "deadline": row.state.deadline.isoformat(),
        "state": row.state.state,
        "days_left": row.state.days_left,
        "submitted": None
        if sub is None
        else {"date": sub.submitted_on.isoformat(), "by": sub.submitted_by},
    }


def list_json(rows: list[FormRow], today: date) -> dict[str, Any]:
    """The whole of `outcomes rems --json`: the clinic date judged, the counts, each form."""
    return {
        "as_of": today.isoformat(),
        "deadline_days": DEADLINE_DAYS,
        "overdue": sum(r.state.state == OVERDUE for r in rows),
        "due": sum(r.state.state == DUE for r in rows),
        "submitted": sum(r.state.state == SUBMITTED for r in rows),
        "forms": [form_json(r) for r in rows],
    }


def course_medicines(
    forms: Mapping[str, RemsForm], session_times
) -> tuple[tuple[str, ...], str] | None:
    """A course's concomitant medicines: those confirmed at its latest session that confirmed them.

    `session_times`: the course's session times (stored text). Returns (classes, that session's
    time), or None when no session of the course confirmed them. Kept per course this way: the
    next session's form starts from it and the nurse confirms or changes it.
    """
    for at in sorted(session_times, reverse=True):
        form = forms.get(at)
        if form is not None and form.concomitant_medicines is not None:
            return form.concomitant_medicines, at
    return None
