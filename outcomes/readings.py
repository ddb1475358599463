"""Readings through a session, and the session's end (clinical-spec section 11).

A reading is one moment of monitoring: any of blood pressure, heart rate,
oxygen saturation, respiratory rate and sedation on the MOAA/S scale. This
module holds their physiological ranges (entry errors outside them), checks
one reading as typed or imported, and checks the end of a session (when it
ended, when the patient was ready to leave, whether accompanied). The
alerts the readings raise are in `outcomes.session_alerts`.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache
from operator import le
from typing import Any, Mapping

from outcomes.drugs import READING_WINDOW_HOURS
from outcomes.fields import (
    Checked,
    Problem,
    moment,
    number_field,
    patient_ref,
    text_field,
    timepoint_field,
)
from outcomes.timepoints import TimeFormatError, Timepoint, parse_timepoint
from outcomes.typed_text import TEXT_MAX

#: Physiological ranges of section 11: a value outside is refused as an entry error.
READING_RANGES: dict[str, tuple[int, int]] = {
    "bp_systolic": (50, 260),
    "bp_diastolic": (20, 160),
    "heart_rate": (20, 250),
    "spo2": (50, 100),
    "respiratory_rate": (0, 60),
    "sedation_moaas": (0, 5),
}
#: Measurement columns, in the order of vitals.csv.
MEASUREMENTS = tuple(READING_RANGES)
#: How each measurement is named in messages, and its unit.
READING_WORDS: dict[str, tuple[str, str]] = {
    "bp_systolic": ("systolic pressure", " mmHg"),
    "bp_diastolic": ("diastolic pressure", " mmHg"),
    "heart_rate": ("heart rate", "/min"),
    "spo2": ("oxygen saturation", "%"),
    "respiratory_rate": ("respiratory rate", "/min"),
    "sedation_moaas": ("sedation (MOAA/S)", ""),
}
#: The MOAA/S scale (Chernik 1990), as section 11 words each level.
MOAAS_LEVELS = {
    5: "responds readily to name in a normal tone",
    4: "lethargic response to name",
    3: "responds only to name called loudly or repeatedly",
    2: "responds only to mild prodding or shaking",
    1: "responds only to a painful stimulus",
    0: "no response",
}


def window_problem(session: Timepoint, at: Timepoint) -> str | None:
    """Why a reading at `at` cannot belong to the session starting `session`, or None.

    A session recorded without a time of day accepts readings on its day
    only (its start is not known to the minute).
    """
    if session.at is None:
        if at.day != session.day:
            return (
                f"the reading at {at.iso()} is not on the day of the session ({session.iso()}); "
                "a reading belongs to its session's day"
            )
        return None
    start = moment(session)
    when = moment(at)
    if when < start:
        return f"the reading at {at.iso()} is before the session started ({session.iso()})"
    if when > start + timedelta(hours=READING_WINDOW_HOURS):
        return (
            f"the reading at {at.iso()} is more than {READING_WINDOW_HOURS} hours after the "
            f"session started ({session.iso()})"
        )
    return None


def follow_session(at: str, old_start: str, new_start: str) -> str:
    """A time of a session (a reading, its end, ready to leave) once the session's start is
    corrected from `old_start` to `new_start`, as stored text (YYYY-MM-DDTHH:MM).

    It keeps its minutes after the start, which every rule and chart reads. When either start has
    no time of day, it moves by whole days only: its clock time was typed as it is.
    """
    old, new = parse_timepoint(old_start), parse_timepoint(new_start)
    if old.at is None or new.at is None:
        shift = timedelta(days=(new.day - old.day).days)
    else:
        shift = moment(new) - moment(old)
    return (moment(parse_timepoint(at)) + shift).strftime("%Y-%m-%dT%H:%M")


def check_reading(raw: Mapping[str, Any], today: date | None = None) -> Checked:
    """Validate one reading (a vitals.csv row or the session screen's form).

    Returns a `Checked` with `patient_id`, `session` and `at` (Timepoints),
    each measurement (int or None) and `notes`. Whether the session exists
    is for the caller, who knows the stored sessions.
    """
    values: dict[str, Any] = {}
    problems: list[Problem] = []
    patient_ref(values, problems, raw)
    session = timepoint_field(values, problems, raw, "session", "session date", today)
    at = timepoint_field(values, problems, raw, "at", "reading time", today)
    if at is not None and at.at is None:
        problems.append(
            Problem("at", f"reading time {at.iso()} needs a time of day (YYYY-MM-DDTHH:MM)")
        )
        at = None
    for name in MEASUREMENTS:
        words, unit = READING_WORDS[name]
        number_field(
            values, problems, raw, name, words, *READING_RANGES[name], integer=True, unit=unit
        )
    if all(values[name] is None for name in MEASUREMENTS) and not any(
        p.field in MEASUREMENTS for p in problems
    ):
        problems.append(
            Problem(
                "bp_systolic",
                "a reading needs at least one measurement: " + ", ".join(MEASUREMENTS),
            )
        )
    sys_, dia = values["bp_systolic"], values["bp_diastolic"]
    if sys_ is not None and dia is not None and dia >= sys_:
        problems.append(
            Problem(
                "bp_diastolic",
                f"diastolic {dia} is not below systolic {sys_}: are the two swapped?",
            )
        )
    if session is not None and at is not None:
        wrong = window_problem(session, at)
        if wrong:
            problems.append(Problem("at", wrong))
    text_field(values, problems, raw, "notes")
    return Checked(values, problems)


def reading_time(text: str, session: Timepoint) -> str:
    """A reading time as typed at the session screen, as the full date-time `check_reading` reads.

    "09:40" is that time on the session's day; "+40" is 40 minutes after the
    session's start; anything else is passed on as typed (a full date-time,
    or a slip that `check_reading` then words).
    """
    text = text.strip()
    if text.startswith("+") and text[1:].isdigit() and session.at is not None:
        when = moment(session) + timedelta(minutes=int(text[1:]))
        return when.strftime("%Y-%m-%dT%H:%M")
    if len(text) in (4, 5) and text.count(":") == 1 and text.replace(":", "").isdigit():
        hours, minutes = text.split(":")
        return f"{session.day.isoformat()}T{int(hours):02d}:{minutes}"
    return text


def split_pressure(text: str) -> tuple[str, str]:
    """'120/80' as ('120', '80'); '120' as ('120', ''); blank as ('', '')."""
    systolic, _, diastolic = text.strip().partition("/")
    return systolic.strip(), diastolic.strip()


#: FHIR vital-signs codes of section 11 (LOINC); MOAA/S has none verified: the project's own code.
BP_PANEL_LOINC = ("85354-9", "Blood pressure panel with all children optional")
VITAL_LOINC: dict[str, tuple[tuple[str, str], ...]] = {
    "bp_systolic": (("8480-6", "Systolic blood pressure"),),
    "bp_diastolic": (("8462-4", "Diastolic blood pressure"),),
    "heart_rate": (("8867-4", "Heart rate"),),
    "respiratory_rate": (("9279-1", "Respiratory rate"),),
    "spo2": (
        ("2708-6", "Oxygen saturation in Arterial blood"),
        ("59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry"),
    ),
}
#: UCUM units of each measurement.
VITAL_UNITS = {
    "bp_systolic": "mm[Hg]",
    "bp_diastolic": "mm[Hg]",
    "heart_rate": "/min",
    "respiratory_rate": "/min",
    "spo2": "%",
}
MOAAS_LOCAL_CODE = (
    "moaas",
    "Sedation, Modified Observer's Assessment of Alertness/Sedation (MOAA/S)",
)


@lru_cache(maxsize=1 << 16)
def _typed_timepoint(text: str) -> Timepoint | None:
    # None: let the careful path word what is wrong.
    try:
        return parse_timepoint(text)
    except TimeFormatError:
        return None


@lru_cache(maxsize=1 << 16)
def _window(session_text: str, at_text: str, today: date | None) -> tuple[str, str] | None:
    """The stored (ISO) session and reading times when both are timed, past, and in the window.

    Cached: a clinic's sessions start at a few times of day and readings fall
    on a few minutes, so a 300,000-row file holds only thousands of pairs.
    """
    session, at = _typed_timepoint(session_text), _typed_timepoint(at_text)
    if session is None or at is None or session.at is None or at.at is None:
        return None
    if today is not None and (at.day > today or session.day > today):
        return None
    delta = at.clock - session.clock
    return (session.iso(), at.iso()) if 0 <= delta <= READING_WINDOW_HOURS * 3600 else None


_LOWS = tuple(low for low, _ in READING_RANGES.values())
_HIGHS = tuple(high for _, high in READING_RANGES.values())


def _measurements(cells: tuple) -> tuple[int | None, ...] | None:
    """The six measurement cells as numbers when each is blank or plain in-range digits, else None."""
    try:
        joined = "".join(cells)
    except TypeError:  # a cell that is not text (a missing column reads as None)
        joined = None
    if joined is not None and "" not in cells and joined.isdigit() and joined.isascii():
        numbers = tuple(map(int, cells))  # the common row: every measurement taken
        if all(map(le, _LOWS, numbers)) and all(map(le, numbers, _HIGHS)):
            return numbers
        return None
    out = []
    for cell, low, high in zip(cells, _LOWS, _HIGHS, strict=False):
        if cell is None or cell == "":
            out.append(None)
        elif type(cell) is str and cell.isdigit() and cell.isascii() and low <= int(cell) <= high:
            out.append(int(cell))
        else:
            return None
    return tuple(out) if any(v is not None for v in out) else None


def clean_reading_row(raw: Mapping[str, Any], today: date | None) -> tuple | None:
    """A clean vitals.csv row in its stored order, or None: then use `check_reading`.

    The fast path of a bulk import (300,000 readings): it only recognises a
    row that `check_reading` would accept without a word, by the same rules
    (ranges, diastolic below systolic, a timed reading within 6 hours of a
    timed session, nothing in the future); any doubt returns None and the
    careful check runs. So it changes speed only, never a verdict or a message.
    The row is (patient_id, at, session, *MEASUREMENTS, notes), times as stored.
    """
    get = raw.get
    pid, session_text, at_text = get("patient_id"), get("session"), get("at")
    if not (str is type(pid) is type(session_text) is type(at_text)):
        return None
    pid = pid.strip()
    times = _window(session_text, at_text, today)
    numbers = _measurements(tuple(map(get, MEASUREMENTS)))
    if not pid or times is None or numbers is None:
        return None
    if numbers[0] is not None and numbers[1] is not None and numbers[1] >= numbers[0]:
        return None
    notes = get("notes")
    if notes is not None:
        if (
            type(notes) is not str or not notes.isprintable() or len(notes) > TEXT_MAX
        ):  # the careful path words it
            return None
        notes = notes.strip() or None
    return (pid, times[1], times[0], *numbers, notes)
