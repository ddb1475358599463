"""One treatment session: its readings summed up, its safety alerts, its discharge (section 11).

A session is an infusion (or an esketamine administration) with the readings
taken from its start to 6 hours after. `summarise_session` gives what the
session screen and the session record show (lowest saturation, highest
pressure, deepest sedation, minutes monitored, minutes to discharge) and the
alerts: saturation below the floor, respiratory rate outside its range, deep
sedation, pressure at the hold threshold at any reading, an early discharge
and a patient leaving alone after dissociation or sedation. Each alert is
keyed by its kind and the session's time, so one acknowledgement covers the
session however many readings crossed the line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from functools import lru_cache
from operator import attrgetter
from typing import Callable, NamedTuple

from outcomes.drugs import ESKETAMINE, ESKETAMINE_MONITOR_MINUTES
from outcomes.fields import minutes_between, moment
from outcomes.reading_limits import any_crossed, limits, reading_crosses
from outcomes.reading_table import PatientReadings, session_times
from outcomes.records import Infusion, Reading
from outcomes.safety import Alert
from outcomes.settings import Settings
from outcomes.timepoints import Timepoint
from outcomes.validation import bp_at_hold

LOW_SPO2 = "low_oxygen_saturation"
RESP_RATE = "respiratory_rate_out_of_range"
DEEP_SEDATION = "deep_sedation"
SESSION_BP = "blood_pressure_at_hold_during_session"
EARLY_DISCHARGE = "early_discharge"
UNACCOMPANIED = "left_unaccompanied"
#: Session alert kinds, in the order the reports list them, with a short name each.
SESSION_ALERT_NAMES = {
    LOW_SPO2: "low oxygen saturation",
    RESP_RATE: "respiratory rate out of range",
    DEEP_SEDATION: "deep sedation",
    SESSION_BP: "blood pressure at hold",
    EARLY_DISCHARGE: "early discharge",
    UNACCOMPANIED: "left unaccompanied",
}
#: Side effects that count as dissociation or sedation for the accompanied rule.
_ALTERED = frozenset({"dissociation", "hallucinations", "drowsiness", "confusion"})


def session_end(inf: Infusion) -> Timepoint | None:
    """When the infusion ended: as recorded, else start + duration (needs a start time)."""
    if inf.ended_at is not None:
        return inf.ended_at
    if inf.duration_min is None or inf.when.at is None:
        return None
    end = moment(inf.when) + timedelta(minutes=inf.duration_min)
    return Timepoint(end.date(), end.time())


def _minutes_after_end(inf: Infusion, when: Timepoint) -> float | None:
    """Minutes from `session_end(inf)` to `when` (a timed session), without making the end.

    The computed end keeps whole seconds (a `Timepoint` drops microseconds), so
    the difference is whole seconds over 60, as `minutes_between` gives.
    """
    if inf.ended_at is not None:
        return minutes_between(inf.ended_at, when)
    if inf.duration_min is None:
        return None
    return (when.clock - inf.when.clock - _whole_seconds(inf.duration_min)) / 60


@lru_cache(maxsize=1024)
def _whole_seconds(minutes: float) -> int:
    """The whole seconds of `timedelta(minutes=minutes)` (a clinic has few distinct durations)."""
    span = timedelta(minutes=minutes)
    return span.days * 86400 + span.seconds


def minutes_after_start(inf: Infusion, when: Timepoint) -> float | None:
    """Minutes from the session's start to `when` (None without a start time)."""
    return None if inf.when.at is None or when.at is None else minutes_between(inf.when, when)


@dataclass(frozen=True)
class SessionSummary:
    """What one session's readings and discharge come to."""

    infusion: Infusion
    readings: tuple[Reading, ...]
    lowest_spo2: int | None
    highest_bp: tuple[int | None, int | None] | None
    deepest_sedation: int | None
    ended: Timepoint | None
    minutes_monitored: float | None
    minutes_to_discharge: float | None
    alerts: list[Alert] = field(default_factory=list)

    @property
    def drug(self) -> str:
        return self.infusion.drug


#: Readings in time order; a C-level key, as a clinic has hundreds of thousands of readings.
_BY_TIME = attrgetter("when.akey")


def _highest_bp(readings: tuple[Reading, ...]) -> tuple[int | None, int | None] | None:
    with_bp = [r for r in readings if r.bp_systolic is not None or r.bp_diastolic is not None]
    if not with_bp:
        return None
    top = max(with_bp, key=lambda r: (r.bp_systolic or 0, r.bp_diastolic or 0))
    return (top.bp_systolic, top.bp_diastolic)


def _lowest(values) -> int | None:
    present = [v for v in values if v is not None]
    return min(present) if present else None


def summarise_session(inf: Infusion, readings, settings: Settings) -> SessionSummary:
    """The session's summary and alerts from its readings (in time order) and its end."""
    readings = tuple(sorted(readings, key=_BY_TIME))
    last = [
        m for m in (inf.ready_to_leave_at, readings[-1].when if readings else None) if m is not None
    ]
    monitored = minutes_after_start(inf, max(last)) if last else None
    summary = SessionSummary(
        infusion=inf,
        readings=readings,
        lowest_spo2=_lowest([r.spo2 for r in readings]),
        highest_bp=_highest_bp(readings),
        deepest_sedation=_lowest([r.sedation_moaas for r in readings]),
        ended=session_end(inf),
        minutes_monitored=monitored,
        minutes_to_discharge=None
        if inf.ready_to_leave_at is None
        else minutes_after_start(inf, inf.ready_to_leave_at),
    )
    summary.alerts.extend(reading_alerts(inf, readings, settings))
    summary.alerts.extend(discharge_alerts(summary, settings))
    return summary


def _alert(kind: str, inf: Infusion, detail: str) -> Alert:
    return Alert(key=f"{kind}:s:{inf.when.iso()}", when=inf.when, kind=kind, detail=detail)


def _at(inf: Infusion, r: Reading) -> str:
    minutes = minutes_after_start(inf, r.when)
    clock = r.when.at.strftime("%H:%M") if r.when.at else r.when.iso()
    return clock if minutes is None else f"{clock} ({minutes:.0f} min)"


def crossing(readings, settings: Settings) -> list[Reading]:
    """The readings that cross a line of `reading_alerts` (one quick pass, nothing worded).

    Most readings cross none: checking first spares the quiet sessions the
    wording of every rule. A clinic's readings (`reading_table.PatientReadings`)
    are asked for the whole clinic at once; the lines are `reading_limits`'s either way.
    """
    if isinstance(readings, PatientReadings):
        return readings.crossing(settings)
    return [r for r in readings if reading_crosses(r, settings)]


class _ReadingRule(NamedTuple):
    """One reading alert: when a reading crosses it, which reading is worst, and its words."""

    kind: str
    crossed: Callable[[Reading], bool]
    worst_first: Callable[[Reading], tuple]
    shown: Callable[[Reading], str]
    rule: str


@lru_cache(maxsize=16)
def _reading_rules(settings: Settings) -> tuple[_ReadingRule, ...]:
    """The reading alert rules at a clinic's settings (made once per settings, not per session)."""
    spo2, rate, sedation = (
        limits(field, settings) for field in ("spo2", "respiratory_rate", "sedation_moaas")
    )
    middle = (settings.resp_rate_low + settings.resp_rate_high) / 2
    return (
        _ReadingRule(
            LOW_SPO2,
            lambda r: any_crossed(spo2, r.spo2),
            lambda r: (r.spo2,),
            lambda r: f"oxygen saturation {r.spo2}%",
            f"below {settings.spo2_alert_below}% (setting spo2_alert_below)",
        ),
        _ReadingRule(
            RESP_RATE,
            lambda r: any_crossed(rate, r.respiratory_rate),
            lambda r: (-abs(r.respiratory_rate - middle),),
            lambda r: f"respiratory rate {r.respiratory_rate}/min",
            f"outside {settings.resp_rate_low}-{settings.resp_rate_high}/min "
            "(settings resp_rate_low, resp_rate_high)",
        ),
        _ReadingRule(
            DEEP_SEDATION,
            lambda r: any_crossed(sedation, r.sedation_moaas),
            lambda r: (r.sedation_moaas,),
            lambda r: f"sedation MOAA/S {r.sedation_moaas}",
            f"at or below {settings.sedation_alert_at_or_below} "
            "(setting sedation_alert_at_or_below)",
        ),
        _ReadingRule(
            SESSION_BP,
            lambda r: bp_at_hold(r.bp_systolic, r.bp_diastolic, settings),
            lambda r: (-(r.bp_systolic or 0), -(r.bp_diastolic or 0)),
            lambda r: f"blood pressure {r.bp_systolic or '?'}/{r.bp_diastolic or '?'} mmHg",
            f"at or above hold {settings.bp_hold_systolic}/{settings.bp_hold_diastolic} "
            "(settings bp_hold_systolic / bp_hold_diastolic)",
        ),
    )


def reading_alerts(inf: Infusion, readings, settings: Settings) -> list[Alert]:
    """One alert per kind per session, naming the worst reading and how many crossed the line."""
    # Only a reading that crosses some line can cross a rule's: the rules look at those alone,
    # in the order given (the worst and the count are the same).
    return _worded(inf, crossing(readings, settings), settings)


def _worded(inf: Infusion, readings: list[Reading], settings: Settings) -> list[Alert]:
    """`reading_alerts` of a session's readings that cross a line (`crossing`)."""
    if not readings:
        return []
    alerts = []
    for kind, crossed, worst_first, shown, rule in _reading_rules(settings):
        hits = [r for r in readings if crossed(r)]
        if hits:
            worst = min(hits, key=worst_first)
            count = f"; {len(hits)} readings crossed it" if len(hits) > 1 else ""
            alerts.append(_alert(kind, inf, f"{shown(worst)} at {_at(inf, worst)}, {rule}{count}"))
    return alerts


def discharge_problem(inf: Infusion, settings: Settings) -> str | None:
    """Why the patient was ready to leave too early, or None (section 11).

    Ketamine: sooner than `recovery_minutes` after the infusion ended (a
    warning). Esketamine: sooner than 120 minutes after administration (the
    label's minimum monitoring; not a setting).
    """
    ready = inf.ready_to_leave_at
    if ready is None or ready.at is None or inf.when.at is None:
        return None
    if inf.drug == ESKETAMINE:
        minutes = minutes_between(inf.when, ready)
        if minutes < ESKETAMINE_MONITOR_MINUTES:
            return (
                f"ready to leave {minutes:.0f} min after esketamine was given; the label requires "
                f"at least {ESKETAMINE_MONITOR_MINUTES} minutes of monitoring"
            )
        return None
    minutes = _minutes_after_end(inf, ready)
    if minutes is None:
        return None
    if minutes < settings.recovery_minutes:
        return (
            f"ready to leave {minutes:.0f} min after the infusion ended; recovery is "
            f"{settings.recovery_minutes} min (setting recovery_minutes)"
        )
    return None


def altered(summary: SessionSummary, settings: Settings) -> bool:
    """Dissociation or sedation in the session: a side effect recorded, or a MOAA/S below 5."""
    return _altered(summary.infusion, lambda: summary.deepest_sedation)


def _altered(inf: Infusion, deepest_sedation: Callable[[], int | None]) -> bool:
    """`altered`; `deepest_sedation()` is asked only when no side effect says so (it reads every
    reading of the session)."""
    if _ALTERED & set(inf.side_effects):
        return True
    deepest = deepest_sedation()
    return deepest is not None and deepest < 5


def discharge_alerts(summary: SessionSummary, settings: Settings) -> list[Alert]:
    """Early discharge, and leaving unaccompanied after dissociation or sedation."""
    inf = summary.infusion
    return _discharge_alerts(
        inf, discharge_problem(inf, settings), lambda: summary.deepest_sedation
    )


def _discharge_alerts(inf: Infusion, early: str | None, deepest_sedation) -> list[Alert]:
    """`discharge_alerts` of a session whose `discharge_problem` is `early`; `deepest_sedation()`
    is asked only when the rule needs it."""
    alerts = []
    if early:
        alerts.append(_alert(EARLY_DISCHARGE, inf, early))
    if inf.accompanied is False and _altered(inf, deepest_sedation):
        alerts.append(
            _alert(
                UNACCOMPANIED,
                inf,
                "left without someone to accompany them after a session "
                "with dissociation or sedation",
            )
        )
    return alerts


def _by_session(readings) -> dict[int, list[Reading]]:
    """Readings grouped by their session's time (its `akey`: one int per time, cheap to hash),
    each session's in the order given."""
    by_session: dict[int, list[Reading]] = {}
    for r in readings:
        by_session.setdefault(r.session.akey, []).append(r)
    return by_session


def session_summaries(infusions, readings, settings: Settings) -> list[SessionSummary]:
    """Every session of a patient with its readings (matched by the session's time)."""
    by_session = _by_session(readings)
    return [
        summarise_session(inf, by_session.get(inf.when.akey, ()), settings) for inf in infusions
    ]


def session_alerts(patient, settings: Settings) -> list[Alert]:
    """Every session alert of one patient (`PatientData`), sessions in time order.

    The alerts of `session_summaries`, without summing up each session: only
    sessions with readings or a recorded discharge can alert, and a session
    whose readings cross no line is not worded (a large clinic has hundreds
    of thousands of sessions, nearly all of them quiet).
    """
    if not patient.readings and not any(
        inf.ready_to_leave_at is not None or inf.accompanied is not None
        for inf in patient.infusions
    ):
        return []
    found = alerts_by_session(patient, patient.infusions, settings)
    return [a for position in sorted(found) for a in found[position]]


def alerts_by_session(patient, infusions, settings: Settings) -> dict[int, list[Alert]]:
    """The alerts of each of `infusions` (sessions of `patient`) that has any, by its position in
    `infusions`: those `summarise_session` gives, without summing the session up."""
    readings = patient.readings  # in time order, as `PatientData` keeps them
    crossed = _by_session(crossing(readings, settings))  # what `reading_alerts` looks at
    found: dict[int, list[Alert]] = {}
    for position, inf in enumerate(infusions):
        key = inf.when.akey
        # Most sessions end well: the rules are worded only for those that do not.
        early = None if inf.ready_to_leave_at is None else discharge_problem(inf, settings)
        if key in crossed or early or inf.accompanied is False:
            alerts = _worded(inf, crossed[key], settings) if key in crossed else []
            alerts += _discharge_alerts(
                inf,
                early,
                lambda key=key: _lowest(
                    [r.sedation_moaas for r in readings if r.session.akey == key]
                ),
            )
            if alerts:
                found[position] = alerts
    return found


def monitored(infusions, readings) -> list[Infusion]:
    """The sessions among `infusions` that were monitored: with readings (matched by the
    session's time) or a recorded discharge."""
    sessions = session_times(readings)
    return [
        inf
        for inf in infusions
        if inf.when in sessions or inf.ready_to_leave_at is not None or inf.accompanied is not None
    ]


def monitored_sessions(status, patient) -> list[SessionSummary]:
    """The monitored sessions of `status`'s course (`monitored`), summed up."""
    chosen = monitored(status.infusions, patient.readings)
    return session_summaries(chosen, patient.readings, status.settings)
