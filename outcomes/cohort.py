"""Clinic-wide figures (clinical-spec section 6) and the relief curve (section 5).

Each patient counts once, by the latest course on the chosen scale. Rates are
proportions from 0 to 1. The Kaplan-Meier estimate of relief comes from
`scipy.stats.ecdf` on censored data, with the log-log (exponential Greenwood)
95% band; the median and its interval are the first times the estimate and
its band fall to 0.5 or below (as lifelines' `median_survival_times` reads
them; a limit the band never reaches is None, "not reached"). Relief at 7, 14,
30, 60 and 90 days is reported only up to the longest follow-up.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np

from outcomes.associations import Associations, associations
from outcomes.records import Assessment
from outcomes.status import PatientStatus
from outcomes.verdict import INCOMPLETE, NON_RESPONDER, RESPONDER, VERDICTS

RELIEF_CHECKPOINTS = (7, 14, 30, 60, 90)


@dataclass(frozen=True)
class ReliefCurve:
    """A Kaplan-Meier step function of relief among responders.

    Attributes:
        times: Event and censoring times, ascending, starting at 0.
        survival: Probability relief still holds just after each time.
        low / high: The 95% band at each time.
        durations / events: The input (event = loss of relief observed).
    """

    times: np.ndarray
    survival: np.ndarray
    low: np.ndarray
    high: np.ndarray
    durations: np.ndarray
    events: np.ndarray

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

    @property
    def median(self) -> float | None:
        return _first_at_or_below_half(self.times, self.survival)

    @property
    def median_ci(self) -> tuple[float | None, float | None]:
        return (
            _first_at_or_below_half(self.times, self.low),
            _first_at_or_below_half(self.times, self.high),
        )


def _first_at_or_below_half(times: np.ndarray, curve: np.ndarray) -> float | None:
    hits = np.nonzero(curve <= 0.5)[0]
    return float(times[hits[0]]) if len(hits) else None


def relief_curve(durations: Sequence[float], events: Sequence[bool]) -> ReliefCurve | None:
    """Fit the Kaplan-Meier estimate; None without any responder."""
    from scipy.stats import CensoredData, ecdf  # imported here: scipy is slow to load

    d = np.asarray(durations, dtype=float)
    e = np.asarray(events, dtype=bool)
    if len(d) == 0:
        return None
    if not e.any():
        # Nothing observed yet: relief holds throughout the follow-up.
        times = np.concatenate([[0.0], np.unique(d)])
        ones = np.ones_like(times)
        return ReliefCurve(times, ones, ones, ones, d, e)
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
    )


def _fill_band(surv: np.ndarray, low: np.ndarray, high: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
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
    for i, value in enumerate(high):
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

    @property
    def median_relief_days(self) -> float | None:
        return self.curve.median if self.curve else None

    @property
    def median_relief_ci(self) -> tuple[float | None, float | None]:
        return self.curve.median_ci if self.curve else (None, None)

    @property
    def relief_at_days(self) -> dict[str, float | None]:
        values = {t: self.curve.estimate(t) if self.curve else None for t in RELIEF_CHECKPOINTS}
        return {str(t): None if v is None else round(v, 4) for t, v in values.items()}

    def as_json(self) -> dict:
        """The cohort summary of `outcomes report --json` (interface.md)."""
        low, high = self.median_relief_ci
        return {
            "scale": self.scale,
            "patients": self.patients,
            "with_baseline": self.with_baseline,
            "verdicts": self.verdict_counts,
            "responders_by_session": self.responders_by_session,
            "response_rate_6": _round(self.response_rate_6),
            "response_rate_itt": _round(self.response_rate_itt),
            "remission_rate_6": _round(self.remission_rate_6),
            "remission_rate_itt": _round(self.remission_rate_itt),
            "responders": self.verdict_counts.get(RESPONDER, 0),
            "median_relief_days": self.median_relief_days,
            "median_relief_ci": [low, high],
            "relief_at_days": self.relief_at_days,
            "total_only_records": self.total_only_records,
            **({"associations": self.associations.as_json()} if self.associations else {}),
        }


def _round(x: float | None) -> float | None:
    return None if x is None or math.isnan(x) else round(x, 4)


def _rate(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def summarise(
    statuses: Sequence[PatientStatus], scale_id: str, induction_sessions: int | None = None,
    cadss: Mapping[str, Sequence[Assessment]] | None = None,
) -> CohortSummary:
    """Cohort figures from every patient's status on one scale.

    Args:
        statuses: One status per patient (`analyse_all`), on `scale_id`.
        scale_id: The scale they were judged on.
        induction_sessions: Sessions 1..N of `responders_by_session`; by
            default the clinic's setting the statuses were made with (6).
        cadss: Each patient's CADSS records; given, the summary carries the
            dose, dissociation and early-improvement figures (`associations`).
    """
    if induction_sessions is None:
        induction_sessions = statuses[0].settings.induction_sessions if statuses else 6
    # An esketamine course's induction is longer (section 11): its late sessions count too.
    induction_sessions = max([induction_sessions] + [s.settings.induction_sessions for s in statuses])
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
        with_baseline=sum(1 for s in statuses if s.course is not None and s.baseline is not None),
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
    )
