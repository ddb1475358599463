"""A clinic's session readings kept as columns, made into records one patient at a time.

A 10,000-patient clinic holds hundreds of thousands of readings, and its
statuses need few of them: a session alerts only when one of its readings
crosses a line (`outcomes.reading_limits`), and nearly none do. So the
readings `db/` hands over are kept as the frame's columns: which readings
cross a line is answered for the whole clinic at once, one vectorised
comparison per line, and a patient's `Reading` records are made only when
something asks for them (the session screen, a report, a session that
alerts), all of that patient's at once, in time order.

`PatientReadings` is what `PatientData.readings` then holds: a sequence that
behaves as the tuple of records it stands for (equal to it, hashed as it,
pickled as it), and answers `len`, `crossing` and `sessions` without making
them. The records are made by `outcomes.records`' own column readers, so
they are the records `readings_from_frame` would make.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from itertools import groupby
from typing import TYPE_CHECKING, Any

from outcomes.reading_limits import ALERTING_MEASURES, alert_lines
from outcomes.records import (
    _READING_ORDER,
    READING_COLUMNS,
    Reading,
    _columns,
    _records,
    _timepoints,
)
from outcomes.settings import Settings
from outcomes.timepoints import Timepoint

if TYPE_CHECKING:  # loaded by `db/` with the frame; not needed to import this module
    import pandas as pd


class ReadingTable:
    """The readings of a clinic (a frame with `READING_COLUMNS`, each patient's rows together).

    Build one with `of`, which declines a frame it cannot keep as columns.
    """

    def __init__(self, columns: dict[str, list], measures: dict[str, Any], runs: dict[str, range]):
        self._columns = columns
        #: Each alerting measure as a float array (NaN where missing), for `crossing_rows`.
        self._measures = measures
        #: Patient id -> the rows of the frame that are that patient's.
        self.runs = runs
        self._crossing: dict[Settings, Any] = {}

    @classmethod
    def of(cls, frame: pd.DataFrame | None) -> ReadingTable | None:
        """The table of `frame`, or None when its records must be made the ordinary way: no
        readings, a measure that is not a number (or missing) throughout, or a patient's rows
        apart (a frame built by hand; `db/` orders readings by patient)."""
        if frame is None or frame.empty:
            return None
        import numpy as np

        measures = {}
        for measure in ALERTING_MEASURES:
            if measure not in frame.columns:
                return None
            try:
                measures[measure] = frame[measure].to_numpy(dtype="float64", na_value=np.nan)
            except (TypeError, ValueError):  # text where a number belongs
                return None
        columns = _columns(frame, READING_COLUMNS)
        runs: dict[str, range] = {}
        start = 0
        for pid, rows in groupby(columns["patient_id"]):
            stop = start + sum(1 for _ in rows)
            if pid in runs:
                return None
            runs[pid] = range(start, stop)
            start = stop
        return cls(columns, measures, runs)

    def readings_of(self, pid: str) -> PatientReadings:
        """Patient `pid`'s readings (none when the patient has no rows)."""
        return PatientReadings(self, self.runs.get(pid, range(0)))

    def records(self, rows: range | list[int]) -> list[Reading]:
        """The `Reading` records of `rows`, in time order (as `records.group_by_patient` sorts)."""
        c = self._columns
        if isinstance(rows, range):
            picked = {name: c[name][rows.start : rows.stop] for name in READING_COLUMNS}
        else:
            picked = {name: [c[name][i] for i in rows] for name in READING_COLUMNS}
        made = _records(
            Reading,
            picked["patient_id"],
            _timepoints(picked["taken_at"]),
            _timepoints(picked["session_at"]),
            *(picked[name] for name in READING_COLUMNS[4:]),
            picked["reading_id"],
        )
        made.sort(key=_READING_ORDER)
        return made

    def sessions(self, rows: range) -> set[Timepoint]:
        """The distinct session times of `rows` (without making their records)."""
        return set(_timepoints(list(set(self._columns["session_at"][rows.start : rows.stop]))))

    def crossing_rows(self, settings: Settings) -> dict[int, list[int]]:
        """The rows that cross a line of one of their measures at `settings`, by the first row of
        their patient's (few: most readings cross none).

        The lines and their sides are `reading_limits`'s (the rules' one home), asked of a whole
        column at once; a missing value (NaN) crosses none. Worked out once per settings.
        """
        found = self._crossing.get(settings)
        if found is None:
            import numpy as np

            mask = np.zeros(len(self._columns["patient_id"]), dtype=bool)
            for measure, lines in alert_lines(settings):
                for line in lines:
                    mask |= line.crossed(self._measures[measure])
            starts = sorted(run.start for run in self.runs.values())
            found = {}
            for row in mask.nonzero()[0].tolist():
                found.setdefault(starts[bisect_right(starts, row) - 1], []).append(row)
            self._crossing[settings] = found
        return found


class PatientReadings(Sequence):
    """One patient's readings in time order: the tuple of `Reading` records, made when first used.

    `len` and `crossing` do not make them. Equal to (and hashed as) that tuple; pickled as it, so a
    worker process gets the records, not the clinic's table.
    """

    __slots__ = ("_table", "_rows", "_made")

    def __init__(self, table: ReadingTable, rows: range):
        self._table, self._rows, self._made = table, rows, None

    def _all(self) -> tuple[Reading, ...]:
        if self._made is None:
            self._made = tuple(self._table.records(self._rows))
        return self._made

    def __len__(self) -> int:
        return len(self._rows)

    def __getitem__(self, index):
        return self._all()[index]

    def __iter__(self):
        return iter(self._all())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, PatientReadings):
            other = other._all()
        return isinstance(other, tuple) and self._all() == other

    def __hash__(self) -> int:
        return hash(self._all())

    def __reduce__(self):
        return (tuple, (self._all(),))

    def __repr__(self) -> str:
        return repr(self._all())

    def crossing(self, settings: Settings) -> list[Reading]:
        """The readings that cross a line at `settings`, in time order (`sessions.crossing`)."""
        hits = self._table.crossing_rows(settings).get(self._rows.start) if self._rows else None
        return self._table.records(hits) if hits else []

    def sessions(self) -> set[Timepoint]:
        """The times of the sessions these readings belong to (`Reading.session`)."""
        if self._made is not None:
            return {r.session for r in self._made}
        return self._table.sessions(self._rows)


def session_times(readings: Sequence[Reading]) -> set[Timepoint]:
    """The times of the sessions `readings` belong to (a clinic's, without making its records)."""
    if isinstance(readings, PatientReadings):
        return readings.sessions()
    return {r.session for r in readings}
