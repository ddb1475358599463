"""Clinic-wide figures (clinical-spec section 6) and the relief curve (section 5).

Each patient counts once, by the latest course on the chosen scale. Rates are
proportions from 0 to 1. The Kaplan-Meier estimate of relief comes from
`scipy.stats.ecdf` on censored data, with the log-log (exponential Greenwood)
95% band. The median and its interval are read as R's survival package reads
them (`quantile(survfit(..., conf.type = "log-log"), 0.5)`, clinical-spec
section 5): the first time the curve falls to 0.5 or below, except that where
it is flat at exactly 0.5 the median is the midpoint of that flat stretch (up
to the last follow-up when it never drops further); a limit the band never
reaches, or reaches only where it is undefined, is None. Relief at 7, 14, 30,
60 and 90 days is reported only up to the longest follow-up.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np

from outcomes.associations import Associations, associations
from outcomes.drugs import DRUGS, KETAMINE
from outcomes.json_numbers import json_figure
from outcomes.records import Assessment
from outcomes.session_safety import SessionSafety
from outcomes.status import PatientStatus
from outcomes.verdict import INCOMPLETE, NON_RESPONDER, RESPONDER, VERDICTS

RELIEF_CHECKPOINTS = (7, 14, 30, 60, 90)
#: Decimals of the rates and relief checkpoints in `CohortSummary.as_json` (`json_figure`).
JSON_PLACES = 4


@dataclass(frozen=True)
class ReliefCurve:
    """A Kaplan-Meier step function of relief among responders.

    Attributes:
        times: Event and censoring times, ascending, starting at 0.
        survival: Probability relief still holds just after each time.
        low / high: The 95% band at each time, filled where the log-log
            formula is undefined (for drawing).
        durations / events: The input (event = loss of relief observed).
        raw_low / raw_high: The band as computed, NaN where undefined (what
            the median's interval is read from, as R reads it).
    """

    times: np.ndarray
    survival: np.ndarray
    low: np.ndarray
    high: np.ndarray
    durations: np.ndarray
    events: np.ndarray
    raw_low: np.ndarray | None = None
    raw_high: np.ndarray | None = None

    def at(self, t: float) -> float:
        """Probability that relief still holds at day `t`."""
        idx = np.searchsorted(self.times, t, side="right") - 1
        return float(self.survival[max(idx, 0)])

    def estimate(self, t: float) -> float | None:
        """`at(t)` where the data say something: None past the longest follow-up.

        Beyond the last responder still observed the curve is only carried
        forward, not estimated (unless relief had already ended for everyone,
        when it stays 0); the reported checkpoints use this.
        """
        if t > float(self.durations.max()) and self.survival[-1] > 0:
            return None
        return self.at(t)

    def at_risk(self, t: float) -> int:
        """Responders still observed with relief at day `t`."""
        return int(np.sum(self.durations >= t))

    def drawn_band(self) -> tuple[np.ndarray, np.ndarray]:
        """The band to draw: NaN (nothing drawn) where R's survival has no interval, i.e.
        where the log-log formula is undefined (the estimate at 1 or at 0)."""
        if self.raw_low is None or self.raw_high is None:
            return self.low, self.high
        undefined = np.isnan(self.raw_low) | np.isnan(self.raw_high)
        return np.where(undefined, np.nan, self.low), np.where(undefined, np.nan, self.high)

    @property
    def median(self) -> float | None:
        return r_quantile(self.times, self.survival, self._last_time)

    @property
    def median_ci(self) -> tuple[float | None, float | None]:
        # The lower limit is where the lower band falls to 0.5 (it falls first).
        low = self.raw_low if self.raw_low is not None else self.low
        high = self.raw_high if self.raw_high is not None else self.high
        return (
            r_quantile(self.times, low, self._last_time),
            r_quantile(self.times, high, self._last_time),
        )

    @property
    def _last_time(self) -> float:
        return float(self.durations.max())


#: R's tolerance for "exactly 0.5" (`sqrt(.Machine$double.eps)`).
R_TOLERANCE = math.sqrt(np.finfo(float).eps)


def r_quantile(
    times: np.ndarray, curve: np.ndarray, last_time: float, p: float = 0.5
) -> float | None:
    """The time the curve falls to `p`, as R's survival package (`findq`) reads it.

    Works on the distribution 1 - curve with repeated values (censoring times)
    dropped: the answer is the first time it reaches `p`; where it sits at
    exactly `p` (within `R_TOLERANCE`) it is the midpoint of that time and the
    next drop, or of that time and the last follow-up when the curve ends
    there. Undefined (NaN) points of a band are skipped; None when the curve
    never reaches `p` where it is defined.
    """
    y = 1.0 - np.asarray(curve, dtype=float)
    x = np.asarray(times, dtype=float)
    seen: set = set()
    keep = []
    for i, v in enumerate(y):
        key = "nan" if math.isnan(v) else v
        if key not in seen:
            seen.add(key)
            keep.append(i)
    x, y = x[keep], y[keep]
    defined = ~np.isnan(y)
    if not defined.any() or y[defined].max() < p:
        return None
    index = np.arange(len(y))[defined]
    reach = index[y[defined] >= p - R_TOLERANCE]
    if not len(reach):
        return None
    first = reach[0]
    if defined[-1] and abs(p - y[-1]) < R_TOLERANCE:
        return float((x[first] + last_time) / 2)  # flat at p to the end of the curve
    past = index[y[defined] >= p + R_TOLERANCE]
    return float((x[first] + x[past[0]]) / 2) if len(past) else None


def relief_curve(durations: Sequence[float], events: Sequence[bool]) -> ReliefCurve | None:
    """Fit the Kaplan-Meier estimate; None without any responder."""
    from scipy.stats import CensoredData, ecdf  # imported here: scipy is slow to load

    d = np.asarray(durations, dtype=float)
    e = np.asarray(events, dtype=bool)
    if len(d) == 0:
        return None
    if not e.any():
        # Nothing observed yet: relief holds throughout the follow-up, and the band is
        # undefined everywhere (R's survival gives NA): nothing to draw.
        times = np.concatenate([[0.0], np.unique(d)])
        ones = np.ones_like(times)
        nan = np.full_like(times, np.nan)
        return ReliefCurve(times, ones, ones, ones, d, e, nan, nan)
    result = ecdf(CensoredData(uncensored=d[e], right=d[~e]))
    sf = result.sf
    with warnings.catch_warnings():
        # scipy warns where the band is undefined (where the estimate is 0 or 1).
        warnings.simplefilter("ignore", RuntimeWarning)
        band = sf.confidence_interval(confidence_level=0.95, method="log-log")
    surv = sf.probabilities
    low, high = _fill_band(surv, band.low.probabilities, band.high.probabilities)
    times = np.concatenate([[0.0], sf.quantiles])
    return ReliefCurve(
        times,
        np.concatenate([[1.0], surv]),
        np.concatenate([[1.0], low]),
        np.concatenate([[1.0], high]),
        d,
        e,
        np.concatenate([[1.0], band.low.probabilities]),
        np.concatenate([[1.0], band.high.probabilities]),
    )


def _fill_band(
    surv: np.ndarray, low: np.ndarray, high: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Fill the band where the log-log formula is undefined.

    Where the estimate is still 1 (no loss of relief yet) the band is 1. Where
    it has fallen to 0 (everyone still observed lost relief), the lower bound
    is 0 and the upper bound stays at its last defined value, as R's survival
    package leaves it undefined there: so the median's upper confidence
    limit reads "not reached" (None) rather than the last event time.
    """
    low, high = low.copy(), high.copy()
    undefined_low, undefined_high = np.isnan(low), np.isnan(high)
    low[undefined_low] = surv[undefined_low]
    last = 1.0
    for i in range(len(high)):
        if undefined_high[i]:
            high[i] = last if surv[i] == 0 else surv[i]
        last = high[i]
    return low, high


@dataclass
class CohortSummary:
    """The clinic's figures for one scale."""

    scale: str
    patients: int
    with_baseline: int
    verdict_counts: dict[str, int]
    responders_by_session: dict[str, int]
    response_rate_6: float | None
    response_rate_itt: float | None
    remission_rate_6: float | None
    remission_rate_itt: float | None
    waterfall: list[tuple[str, float]]
    curve: ReliefCurve | None
    total_only_records: int
    #: Dose, dissociation and early improvement (when the CADSS records were given).
    associations: Associations | None = None
    #: Responders whose relief is not measured yet (still in the induction).
    responders_in_induction: int = 0
    #: The session safety figures (section 11), when the patients' sessions were given.
    safety: SessionSafety | None = None
    #: The induction length of each drug among the counted courses ({"ketamine": 6,
    #: "esketamine": 8}): what "within the induction" means for each (section 11).
    inductions: dict[str, int] = field(default_factory=dict)

    @property
    def completers(self) -> int:
        """Responders + non-responders: the denominator of `response_rate_6`."""
        return self.verdict_counts.get(RESPONDER, 0) + self.verdict_counts.get(NON_RESPONDER, 0)

    @property
    def all_who_started(self) -> int:
        """Completers + incomplete courses: the denominator of the ITT rates and by-session counts."""
        return self.completers + self.verdict_counts.get(INCOMPLETE, 0)

    @property
    def relief_responders(self) -> int:
        """Responders whose induction is over: the relief curve's number at risk at day 0."""
        return len(self.curve.durations) if self.curve is not None else 0

    @property
    def median_relief_days(self) -> float | None:
        return self.curve.median if self.curve else None

    @property
    def median_relief_ci(self) -> tuple[float | None, float | None]:
        return self.curve.median_ci if self.curve else (None, None)

    @property
    def relief_at_days(self) -> dict[str, float | None]:
        values = {t: self.curve.estimate(t) if self.curve else None for t in RELIEF_CHECKPOINTS}
        return {str(t): json_figure(v, JSON_PLACES) for t, v in values.items()}

    def as_json(self) -> dict:
        """The cohort summary of `outcomes report --json` (interface.md)."""
        low, high = self.median_relief_ci
        return {
            "scale": self.scale,
            "patients": self.patients,
            "with_baseline": self.with_baseline,
            "verdicts": self.verdict_counts,
            "responders_by_session": self.responders_by_session,
            "induction_sessions": self.inductions,
            "response_rate_6": json_figure(self.response_rate_6, JSON_PLACES),
            "response_rate_itt": json_figure(self.response_rate_itt, JSON_PLACES),
            "remission_rate_6": json_figure(self.remission_rate_6, JSON_PLACES),
            "remission_rate_itt": json_figure(self.remission_rate_itt, JSON_PLACES),
            "responders": self.verdict_counts.get(RESPONDER, 0),
            "median_relief_days": self.median_relief_days,
            "median_relief_ci": [low, high],
            "relief_at_days": self.relief_at_days,
            "total_only_records": self.total_only_records,
            **({"associations": self.associations.as_json()} if self.associations else {}),
            **({"safety": self.safety.as_json()} if self.safety is not None else {}),
            # Every figure's denominator (clinical-spec section 6).
            "denominators": {
                "completers": self.completers,
                "all_who_started": self.all_who_started,
                "relief_responders": self.relief_responders,
                "responders_in_induction": self.responders_in_induction,
                "waterfall": len(self.waterfall),
            },
        }


def _rate(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def has_baseline(status: PatientStatus) -> bool:
    """Whether a patient counts in `with_baseline`: a course with a usable baseline."""
    return status.course is not None and status.baseline is not None


def summarise(
    statuses: Sequence[PatientStatus],
    scale_id: str,
    induction_sessions: int | None = None,
    cadss: Mapping[str, Sequence[Assessment]] | None = None,
    safety: SessionSafety | None = None,
) -> CohortSummary:
    """Cohort figures from every patient's status on one scale.

    Args:
        statuses: One status per patient (`analyse_all`), on `scale_id`.
        scale_id: The scale they were judged on.
        induction_sessions: Sessions 1..N of `responders_by_session`; by
            default the clinic's setting the statuses were made with (6).
        cadss: Each patient's CADSS records; given, the summary carries the
            dose, dissociation and early-improvement figures (`associations`).
        safety: The clinic's session safety figures (`outcomes.session_safety`),
            carried as they are (the safety page and `summary.json` read them).
    """
    if induction_sessions is None:
        induction_sessions = statuses[0].settings.induction_sessions if statuses else 6
    # An esketamine course's induction is longer (section 11): its late sessions count too.
    induction_sessions = max(
        [induction_sessions] + [s.settings.induction_sessions for s in statuses]
    )
    counts = {v: 0 for v in VERDICTS}
    for s in statuses:
        counts[s.verdict.value] = counts.get(s.verdict.value, 0) + 1
    firsts = [s.first_response.session for s in statuses if s.first_response]
    by_session = {
        str(k): sum(1 for f in firsts if f <= k) for k in range(1, induction_sessions + 1)
    }
    completers = [s for s in statuses if s.verdict.value in (RESPONDER, NON_RESPONDER)]
    itt = completers + [s for s in statuses if s.verdict.value == INCOMPLETE]
    remitted = [s for s in completers if s.first_remission]
    remitted_incomplete = [s for s in itt if s.verdict.value == INCOMPLETE and s.first_remission]
    responders = [s for s in statuses if s.verdict.value == RESPONDER and s.relief]
    curve = relief_curve(
        [s.relief.days for s in responders], [not s.relief.censored for s in responders]
    )
    waterfall = sorted(
        ((s.patient_id, s.best_improvement) for s in statuses if s.best_improvement is not None),
        key=lambda pair: -pair[1],
    )
    return CohortSummary(
        scale=scale_id,
        patients=len(statuses),
        with_baseline=sum(1 for s in statuses if has_baseline(s)),
        verdict_counts=counts,
        responders_by_session=by_session,
        response_rate_6=_rate(counts[RESPONDER], len(completers)),
        response_rate_itt=_rate(counts[RESPONDER], len(itt)),
        remission_rate_6=_rate(len(remitted), len(completers)),
        remission_rate_itt=_rate(len(remitted) + len(remitted_incomplete), len(itt)),
        waterfall=waterfall,
        curve=curve,
        total_only_records=sum(s.total_only_count for s in statuses),
        associations=None if cadss is None else associations(statuses, cadss),
        responders_in_induction=sum(
            1 for s in statuses if s.verdict.value == RESPONDER and s.relief is None
        ),
        safety=safety,
        inductions=induction_lengths(statuses),
    )


def induction_lengths(statuses: Sequence[PatientStatus]) -> dict[str, int]:
    """{drug: N} for the drugs of the patients' courses, in the order of `DRUGS`; a clinic
    with no course yet has the ketamine setting only."""
    found = {s.course.drug: s.settings.induction_sessions for s in statuses if s.course}
    if not found:
        n = statuses[0].settings.induction_sessions if statuses else 6
        return {KETAMINE: n}
    return {drug: found[drug] for drug in DRUGS if drug in found}
