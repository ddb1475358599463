"""Dates and date-times of clinical events, and how they order.

A record's time is either a date (``2026-01-05``) or a date-time
(``2026-01-05T09:30``), kept as ISO text in storage. The difference matters:
`clinical-spec.md` section 2 places a date-only assessment on the day of an
infusion *before* that infusion (pre-dose is the common practice). The same
reading is used when the infusion is the one without a time: on a shared day
an assessment is only "after" an infusion when both have times and the
assessment's is later.

That rule is encoded once, in two sort keys: an assessment is after an
infusion exactly when ``assessment_key(a) > infusion_key(i)``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from functools import lru_cache

# Keys are day_ordinal * _DAY + offset. An untimed infusion sits at the end of
# its day and an untimed assessment before its start, so that neither is ever
# "after" something on its own day unless both carry a time.
_DAY = 100_000
_UNTIMED_INFUSION = 90_000  # after any time of day (86,399 s), before the next day's keys
_UNTIMED_ASSESSMENT = -1

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$")
_WITH_ZONE = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$")


class TimeFormatError(ValueError):
    """A date or date-time text that cannot be read; the message says why."""


@dataclass(frozen=True, slots=True)
class Timepoint:
    """A calendar date with an optional time of day (no time zone: clinic time).

    Timepoints order by day, then time; a date-only timepoint sorts before
    every time of its day. (Whether an assessment comes after an infusion is
    decided by `assessment_key` and `infusion_key`, not by this order.)
    """

    day: date
    at: time | None = None
    #: Sort keys (see `infusion_key` / `assessment_key`), computed once.
    ikey: int = field(init=False, repr=False, compare=False)
    akey: int = field(init=False, repr=False, compare=False)
    #: Seconds from the start of day 1 of the calendar to this moment (a date-only one at
    #: midnight): minutes between two timepoints are a subtraction (`fields.minutes_between`).
    clock: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.at is not None and (self.at.microsecond or self.at.tzinfo is not None):
            # Clinic time to the second, as stored: a time from `datetime.now()`
            # must equal the same time read back from the database.
            object.__setattr__(self, "at", self.at.replace(microsecond=0, tzinfo=None))
        ordinal = self.day.toordinal()
        base = ordinal * _DAY
        if self.at is None:
            object.__setattr__(self, "ikey", base + _UNTIMED_INFUSION)
            object.__setattr__(self, "akey", base + _UNTIMED_ASSESSMENT)
            object.__setattr__(self, "clock", ordinal * 86400)
        else:
            offset = self.at.hour * 3600 + self.at.minute * 60 + self.at.second
            object.__setattr__(self, "ikey", base + offset)
            object.__setattr__(self, "akey", base + offset)
            object.__setattr__(self, "clock", ordinal * 86400 + offset)

    def _order(self) -> tuple[date, int]:
        return (self.day, -1 if self.at is None else self.seconds())

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Timepoint):
            return NotImplemented
        return self._order() < other._order()

    def __le__(self, other: object) -> bool:
        if not isinstance(other, Timepoint):
            return NotImplemented
        return self._order() <= other._order()

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, Timepoint):
            return NotImplemented
        return self._order() > other._order()

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, Timepoint):
            return NotImplemented
        return self._order() >= other._order()

    @property
    def has_time(self) -> bool:
        return self.at is not None

    def iso(self) -> str:
        """``YYYY-MM-DD`` or ``YYYY-MM-DDTHH:MM[:SS]`` (the stored form)."""
        if self.at is None:
            return self.day.isoformat()
        fmt = "%H:%M" if self.at.second == 0 else "%H:%M:%S"
        return f"{self.day.isoformat()}T{self.at.strftime(fmt)}"

    def seconds(self) -> int:
        return 0 if self.at is None else self.at.hour * 3600 + self.at.minute * 60 + self.at.second


# Cached: a Timepoint is immutable, and a clinic's records share few distinct
# dates and times, so a 100,000-row import parses each text once.
@lru_cache(maxsize=1 << 16)
def parse_timepoint(text: str) -> Timepoint:
    """Read ``YYYY-MM-DD`` or an ISO 8601 date-time without a time zone.

    Raises:
        TimeFormatError: naming what was typed and the accepted forms; a
            day-first date such as ``05/01/2026`` is refused because it cannot
            be told apart from a month-first one.
    """
    raw = (text or "").strip()
    if not raw:
        raise TimeFormatError("the date is missing; use YYYY-MM-DD (e.g. 2026-01-05)")
    if _ISO_DATE.match(raw):
        try:
            return Timepoint(date.fromisoformat(raw))
        except ValueError:
            raise TimeFormatError(f"{raw!r} is not a real calendar date") from None
    if _ISO_DATETIME.match(raw):
        try:
            moment = datetime.fromisoformat(raw.replace(" ", "T"))
        except ValueError:
            raise TimeFormatError(f"{raw!r} is not a real date and time") from None
        return Timepoint(moment.date(), moment.time().replace(microsecond=0))
    if _WITH_ZONE.match(raw):
        raise TimeFormatError(
            f"{raw!r} carries a time zone; enter the clinic's local time without one "
            "(YYYY-MM-DDTHH:MM)"
        )
    if "/" in raw or "." in raw:
        raise TimeFormatError(
            f"{raw!r} is ambiguous (day-first or month-first?); use YYYY-MM-DD "
            "(e.g. 2026-01-05) or YYYY-MM-DDTHH:MM"
        )
    raise TimeFormatError(
        f"{raw!r} is not a date; use YYYY-MM-DD (e.g. 2026-01-05) or YYYY-MM-DDTHH:MM"
    )


def infusion_key(tp: Timepoint) -> int:
    """Sort key of an infusion (see the module docstring)."""
    return tp.ikey


def assessment_key(tp: Timepoint) -> int:
    """Sort key of an assessment: after infusion i iff greater than its key."""
    return tp.akey


def days_between(earlier: Timepoint, later: Timepoint) -> int:
    """Whole calendar days from `earlier` to `later` (times ignored)."""
    return (later.day - earlier.day).days
