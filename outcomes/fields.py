"""The field readers both record checks use (`outcomes.validation`, `outcomes.readings`).

Each reader takes the mapping a form or a CSV row gave (text or numbers),
puts one field's normalised value in `values` and appends what is wrong with
it to `problems`, so that a check collects every problem, not just the
first. Here too: a check's `Problem` and `Checked`, the one reader of typed
numbers (`parse_decimal`), dates (`date_problem`), patient ids
(`normalise_patient_id`) and yes/no answers (`yes_no`), and the minutes
between two timed moments. Messages name the field, the value and what is
allowed.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Mapping

from outcomes.timepoints import TimeFormatError, Timepoint, parse_timepoint
from outcomes.typed_text import text_problem

PATIENT_ID_MAX = 64
#: Plausible dates: a birth date from 1900, a clinical record (infusion,
#: assessment) from 2000; both up to today.
EARLIEST_BIRTH = date(1900, 1, 1)
EARLIEST_CLINICAL = date(2000, 1, 1)
#: A number is plain decimal digits: an optional sign, digits, one optional
#: decimal point. Not Python's syntax ("1_2_0", "1e3", "inf", "nan", "0x10")
#: nor other scripts' digits; no field needs more than 12 characters.
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
NUMBER_MAX_CHARS = 12
YES = ("yes", "y", "true", "1")
NO = ("no", "n", "false", "0")


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a record."""

    field: str
    message: str
    kind: str = "error"  # "error", "confirm" or "warning"

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


@dataclass
class Checked:
    """The outcome of a check: normalized values and the problems found."""

    values: dict[str, Any]
    problems: list[Problem]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.kind == "error"]

    @property
    def confirmations(self) -> list[Problem]:
        return [p for p in self.problems if p.kind == "confirm"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.kind == "warning"]

    @property
    def ok(self) -> bool:
        """True when nothing blocks saving (confirmations still must be given)."""
        return not self.errors


def blank(value: Any) -> bool:
    """Nothing typed: None, NaN (an empty spreadsheet cell) or only spaces."""
    if value is None:
        return True
    if isinstance(value, float) and value != value:  # NaN
        return True
    return isinstance(value, str) and value.strip() == ""


def decimal_hint(text: str) -> str:
    """A hint for a decimal comma (``0,5``), as European spreadsheets write numbers."""
    head, comma, tail = text.partition(",")
    if comma and head.strip().isdigit() and tail.strip().isdigit():
        return f"; write decimals with a point ({head.strip()}.{tail.strip()})"
    return ""


def parse_decimal(value: Any) -> float | int | None:
    """A number typed as plain decimal text (or a number), else None.

    Integers come back as `int`, decimals as `float`. This is the one reader
    of typed numbers: every numeric field of a form or an import goes
    through it, so a file column added later gets the same rule.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return value if value == value and abs(value) != float("inf") else None
    text = str(value).strip()
    if len(text) > NUMBER_MAX_CHARS or not _DECIMAL.fullmatch(text):
        return None
    return float(text) if "." in text else int(text)


def shown(text: str) -> str:
    """Typed text quoted for a message, cut short when it is long (a number of 5,000 digits)."""
    return repr(text) if len(text) <= 20 else f"{text[:12]!r}... ({len(text)} characters)"


def _not_a_number(words: str, text: str) -> str:
    return f"{words} {shown(text)} is not a number{decimal_hint(text)}"


def number_field(
    values: dict,
    problems: list[Problem],
    raw: Mapping[str, Any],
    name: str,
    words: str,
    low: float,
    high: float,
    *,
    integer: bool = False,
    required: bool = False,
    unit: str = "",
) -> None:
    """The number in `raw[name]` (`parse_decimal`), whole if `integer`, within low-high.

    `words` names the field in a message ("systolic pressure (pre)") and
    `unit` follows the value (" mmHg"); a blank is None, refused if `required`.
    """
    value = raw.get(name)
    if blank(value):
        if required:
            problems.append(Problem(name, f"{words} is required"))
        values[name] = None
        return
    text = str(value).strip()
    number = parse_decimal(text)
    if number is None:
        problems.append(Problem(name, _not_a_number(words, text)))
        values[name] = None
        return
    if integer:
        if number != int(number):
            problems.append(Problem(name, f"{words} {text!r} must be a whole number"))
            values[name] = None
            return
        number = int(number)
    else:
        number = float(number)  # stored as REAL: 45 and 45.0 are one value
    if not low <= number <= high:
        problems.append(
            Problem(
                name, f"{words} {text}{unit} is outside the plausible range {low:g}-{high:g}{unit}"
            )
        )
    values[name] = number


def timepoint_field(
    values: dict,
    problems: list[Problem],
    raw: Mapping[str, Any],
    name: str,
    words: str,
    today: date | None,
    *,
    required: bool = True,
    earliest: date = EARLIEST_CLINICAL,
) -> Timepoint | None:
    """The date or date-time in `raw[name]` (`date_problem`'s rules), also returned.

    A blank is None, refused if `required` (the default).
    """
    value = raw.get(name)
    if blank(value):
        if required:
            problems.append(Problem(name, f"{words} is required (YYYY-MM-DD)"))
        values[name] = None
        return None
    tp, problem = date_problem(value, words, today, earliest)
    if problem is not None:
        problems.append(Problem(name, problem))
        if tp is None:
            values[name] = None
            return None
    values[name] = tp
    return tp


def date_problem(
    value: Any, words: str, today: date | None, earliest: date = EARLIEST_CLINICAL
) -> tuple[Timepoint | None, str | None]:
    """A typed date or date-time, and why it is refused (None when it is not).

    Refused: unreadable text (the timepoint is None then), a day after
    `today` (no record is dated in the future) or before `earliest` (a
    clinical record from 2000, a birth date from 1900; the range is in the
    message); the timepoint is returned then.
    `words` names the field in the message ("start date").
    """
    try:
        tp = parse_timepoint(str(value))
    except TimeFormatError as exc:
        return None, f"{words}: {exc}"
    if today is not None and tp.day > today:
        return tp, f"{words} {tp.iso()} is in the future (today is {today.isoformat()})"
    if tp.day < earliest:
        latest = "today" if today is None else today.isoformat()
        return (
            tp,
            f"{words} {tp.iso()} is outside the plausible range {earliest.isoformat()} to {latest}",
        )
    return tp, None


def normalise_patient_id(typed: Any) -> tuple[str, str | None]:
    """A typed patient id in its one stored form, and what is wrong with it (None: nothing).

    The id is Unicode NFC (an "é" typed as one character or as "e" and an
    accent is one id) without surrounding spaces. It may hold inner spaces,
    but no control characters, no invisible format characters (a zero-width
    space would make "P001" a second patient who looks the same everywhere)
    and no other whitespace (tabs, line breaks, no-break spaces).
    """
    pid = "" if blank(typed) else unicodedata.normalize("NFC", str(typed)).strip()
    if not pid:
        return pid, f"patient id is required (1-{PATIENT_ID_MAX} characters)"
    if len(pid) > PATIENT_ID_MAX:
        return pid, f"patient id is {len(pid)} characters long; at most {PATIENT_ID_MAX} allowed"
    if pid.isascii() and pid.isprintable():
        return pid, None
    for position, char in enumerate(pid, start=1):
        category = unicodedata.category(char)
        if category in ("Cc", "Cf", "Cs", "Co", "Cn") or (char.isspace() and char != " "):
            name = unicodedata.name(char, "a control character")
            return pid, (
                f"patient id holds an invisible or control character (U+{ord(char):04X} {name}) "
                f"at position {position}; ids may hold letters, digits, punctuation and "
                "inner spaces only"
            )
    return pid, None


def patient_ref(values: dict, problems: list[Problem], raw: Mapping[str, Any]) -> None:
    """The patient a record belongs to (required), in its stored form."""
    values["patient_id"], problem = normalise_patient_id(raw.get("patient_id"))
    if problem:
        problems.append(Problem("patient_id", problem))


#: Free-text fields that are notes: they may hold line breaks and tabs (`outcomes.typed_text`).
NOTE_FIELDS = frozenset({"notes"})


def text_field(values: dict, problems: list[Problem], raw: Mapping[str, Any], name: str) -> None:
    """Free text (a name, a rater, notes): stored as typed, without surrounding spaces; no control characters."""
    value = raw.get(name)
    values[name] = text = None if blank(value) else str(value).strip()
    problem = text_problem(text, name, note=name in NOTE_FIELDS)
    if problem:
        problems.append(Problem(name, problem))


def moment(tp: Timepoint) -> datetime:
    """The timepoint as a datetime (a date-only one at midnight)."""
    return (
        datetime.combine(tp.day, tp.at)
        if tp.at is not None
        else datetime.combine(tp.day, datetime.min.time())
    )


def minutes_between(start: Timepoint, end: Timepoint) -> float:
    """Minutes from `start` to `end` (both timed; a date-only one counts from midnight).

    Whole seconds over 60, as `(moment(end) - moment(start)).total_seconds() / 60`
    gives, without making two datetimes (it runs for every session of a clinic).
    """
    return (end.clock - start.clock) / 60


def yes_no(text: Any) -> bool | None:
    """`yes`/`no` (also y/n, true/false, 1/0) as a bool; None when blank; ValueError otherwise."""
    if text is None or (isinstance(text, float) and text != text):
        return None
    if isinstance(text, bool):
        return text
    word = str(text).strip().lower()
    if not word:
        return None
    if word in YES:
        return True
    if word in NO:
        return False
    raise ValueError(word)
