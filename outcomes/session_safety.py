"""The clinic's session safety figures (section 11): how many sessions raised each kind of alert,
and the median minutes to discharge for each drug.

Counted over every session with readings or a recorded discharge, in every
course of every patient (not only the latest course): a safety page is
about what happened in the chair, whatever the course's verdict.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from statistics import median
from typing import Iterable

from outcomes.drugs import DRUGS
from outcomes.records import PatientData
from outcomes.sessions import (
    SESSION_ALERT_NAMES,
    alerts_by_session,
    minutes_after_start,
    monitored,
)
from outcomes.settings import Settings


@dataclass
class SessionSafety:
    """Session counts and discharge times of a clinic.

    Attributes:
        sessions: Sessions given, by drug.
        monitored: Sessions with readings or a recorded discharge, by drug.
        with_alert: Sessions with each kind of session alert (kind -> count).
        minutes_to_discharge: Minutes from the start to ready-to-leave, by drug (each session).
    """

    sessions: dict[str, int] = field(default_factory=dict)
    monitored: dict[str, int] = field(default_factory=dict)
    with_alert: dict[str, int] = field(default_factory=dict)
    minutes_to_discharge: dict[str, list[float]] = field(default_factory=dict)

    def median_minutes(self, drug: str) -> float | None:
        """Median minutes to discharge for `drug` to a tenth of a minute, None without a
        recorded discharge (the figure the safety page prints and `summary.json` holds)."""
        values = self.minutes_to_discharge.get(drug)
        return round(median(values), 1) if values else None

    @property
    def monitored_total(self) -> int:
        """Sessions with readings or a recorded discharge, every drug."""
        return sum(self.monitored.values())

    def discharges(self, drug: str) -> int:
        """Sessions of `drug` with a recorded ready-to-leave time."""
        return len(self.minutes_to_discharge.get(drug, ()))

    def as_json(self) -> dict:
        """The `safety` object of the cohort summary: the safety page's figures, by the same keys."""
        return {
            "sessions": {d: self.sessions.get(d, 0) for d in DRUGS},
            "monitored_sessions": {d: self.monitored.get(d, 0) for d in DRUGS},
            "sessions_with_alert": {
                kind: self.with_alert.get(kind, 0) for kind in SESSION_ALERT_NAMES
            },
            "median_minutes_to_discharge": {d: self.median_minutes(d) for d in DRUGS},
            "discharges_recorded": {d: self.discharges(d) for d in DRUGS},
        }


def session_safety(patients: Iterable[PatientData], settings: Settings) -> SessionSafety:
    """The safety figures of every session of `patients`."""
    out = SessionSafety(
        {d: 0 for d in DRUGS},
        {d: 0 for d in DRUGS},
        {k: 0 for k in SESSION_ALERT_NAMES},
        {d: [] for d in DRUGS},
    )
    for patient in patients:
        for inf in patient.infusions:
            out.sessions[inf.drug] = out.sessions.get(inf.drug, 0) + 1
        chosen = monitored(patient.infusions, patient.readings)
        # The alerts and discharge minutes `session_summaries` would give, without summing up each
        # session (a network's cohort report counts hundreds of thousands).
        found = alerts_by_session(patient, chosen, settings)
        for position, inf in enumerate(chosen):
            alerts = found.get(position, ())
            out.monitored[inf.drug] += 1
            for kind in {a.kind for a in alerts}:
                out.with_alert[kind] += 1
            if inf.ready_to_leave_at is not None:
                minutes = minutes_after_start(inf, inf.ready_to_leave_at)
                if minutes is not None:
                    out.minutes_to_discharge[inf.drug].append(minutes)
    return out
