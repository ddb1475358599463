"""What the clinic's own data says about dose, dissociation and early improvement.

Associations only, labelled as such (clinical-spec section 12: the program
never recommends a dose). Every figure carries its denominator and who is
left out; a group of fewer than `MIN_GROUP` patients is reported as too
small instead of being estimated. Intervals and correlations come from
scipy.stats, never from hand-written formulas:

- a proportion's 95% interval is Wilson's score interval
  (`scipy.stats.binomtest(k, n).proportion_ci(method="wilson")`);
- Spearman's rank correlation is `scipy.stats.spearmanr`; its 95% interval
  is Fisher's z interval computed on the ranks
  (`scipy.stats.pearsonr(rankdata(x), rankdata(y)).confidence_interval()`,
  Pearson's r of the ranks being Spearman's rho), the usual large-sample
  interval for rho.

Who counts: a course whose verdict is `responder` or `non_responder` (the
completers of the response rate, section 6); "responded" means the verdict
`responder`. In-progress, incomplete and no-baseline courses have no
outcome yet and are left out of every figure, and each figure says how many.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import median
from typing import Mapping, Sequence

from outcomes.dissociation import cadss_per_infusion
from outcomes.drugs import ESKETAMINE, ESKETAMINE_DOSES_MG, KETAMINE, dose_of
from outcomes.json_numbers import json_figure
from outcomes.records import Assessment
from outcomes.status import PatientStatus
from outcomes.verdict import NON_RESPONDER, RESPONDER

#: Decimals of the rates, correlations and intervals in the JSON (`json_figure`).
JSON_PLACES = 3
#: Fewer patients than this in a group: the figure says so instead of estimating.
MIN_GROUP = 10
#: Early improvement: at least this percent below the starting score.
EARLY_IMPROVEMENT = 20.0
#: Sessions after which early improvement is looked at.
EARLY_SESSIONS = (1, 2)
#: Dose bands at the last induction session, per drug, in its unit (upper bounds inclusive):
#: ketamine in mg/kg, esketamine by the label's doses in mg (section 11).
DOSE_BANDS = {
    KETAMINE: (("<= 0.5 mg/kg", 0.5), ("0.5-0.75 mg/kg", 0.75), ("> 0.75 mg/kg", float("inf"))),
    ESKETAMINE: tuple((f"esketamine {mg} mg", mg) for mg in ESKETAMINE_DOSES_MG),
}

#: What each figure does and does not show: one sentence each, shown beside it.
CAVEATS = {
    "dose": "Response rates of this clinic's patients by the dose they had at the last induction "
    "session. Doses were chosen by clinicians, often raised for slow responders, so this "
    "shows an association in this clinic's data, not the effect of a dose.",
    "dissociation": "Whether patients who dissociated more (higher CADSS) improved more in this "
    "clinic. A rank correlation describes an association; it does not show that "
    "dissociation causes improvement.",
    "early": "Among patients who had not yet responded by session k, how often those with and "
    "without an early improvement of at least 20% went on to respond by the end of the "
    "induction in this clinic. It describes past patients, not a prediction for one patient.",
    "dose_rise": "Among patients whose dose was raised during the induction: who had already "
    "responded before the rise and who responded after it. Without a comparison group "
    "it cannot show that the rise caused the response.",
}


@dataclass(frozen=True, slots=True)
class Rate:
    """A share of patients who responded, with Wilson's 95% interval."""

    label: str
    responded: int
    n: int
    low: float | None
    high: float | None

    @property
    def enough(self) -> bool:
        """Whether the group is large enough to be estimated (`MIN_GROUP`)."""
        return self.n >= MIN_GROUP

    @property
    def rate(self) -> float | None:
        return self.responded / self.n if self.n else None

    def as_json(self) -> dict:
        return {
            "label": self.label,
            "responded": self.responded,
            "n": self.n,
            "rate": json_figure(self.rate, JSON_PLACES) if self.enough else None,
            "ci_low": json_figure(self.low, JSON_PLACES) if self.enough else None,
            "ci_high": json_figure(self.high, JSON_PLACES) if self.enough else None,
            "too_small": not self.enough,
        }


@dataclass(frozen=True, slots=True)
class Correlation:
    """Spearman's rho between two measures per patient, with its 95% interval."""

    label: str
    points: tuple[tuple[float, float], ...]
    rho: float | None
    low: float | None
    high: float | None

    @property
    def n(self) -> int:
        return len(self.points)

    @property
    def enough(self) -> bool:
        return self.n >= MIN_GROUP and self.rho is not None

    def as_json(self) -> dict:
        return {
            "label": self.label,
            "n": self.n,
            "rho": json_figure(self.rho, JSON_PLACES) if self.enough else None,
            "ci_low": json_figure(self.low, JSON_PLACES) if self.enough else None,
            "ci_high": json_figure(self.high, JSON_PLACES) if self.enough else None,
            "too_small": not self.enough,
        }


@dataclass(frozen=True, slots=True)
class DoseRise:
    """Patients whose dose was raised during the induction, and when they responded."""

    raised: int
    responded_before: int
    after: Rate  # among those who had not responded before the rise

    def as_json(self) -> dict:
        return {
            "raised": self.raised,
            "responded_before_rise": self.responded_before,
            "after_rise": self.after.as_json(),
        }


@dataclass(frozen=True, slots=True)
class EarlyImprovement:
    """Early improvement by session k against a response after it (clinical-spec section 13).

    Attributes:
        session: k.
        improved / not_improved: Among patients not yet responded by session k,
            those at least 20% below the starting score by session k and those not,
            each with how many went on to respond by the end of the verdict window.
        already_responded: Patients left out because they had responded by
            session k (the outcome would sit inside the predictor).
        no_score: Patients left out because no score belongs to sessions 1..k.
    """

    session: int
    improved: Rate
    not_improved: Rate
    already_responded: tuple[str, ...] = ()
    no_score: tuple[str, ...] = ()

    def as_json(self) -> dict:
        return {
            "improved": self.improved.as_json(),
            "not_improved": self.not_improved.as_json(),
            "left_out_already_responded": {
                "count": len(self.already_responded),
                "patients": list(self.already_responded),
            },
            "left_out_no_score": {"count": len(self.no_score), "patients": list(self.no_score)},
        }


@dataclass(frozen=True, slots=True)
class Associations:
    """The clinic's dose, dissociation and early-improvement figures (see the module doc)."""

    completers: int
    left_out: int
    dose_bands: tuple[Rate, ...]
    dose_unknown: int
    #: Patients with a verdict but no recorded dose at their last induction session.
    dose_unknown_patients: tuple[str, ...]
    cadss_first: Correlation
    cadss_highest: Correlation
    cadss_median: float | None
    above_median: Rate
    at_or_below_median: Rate
    early: tuple[EarlyImprovement, ...]
    dose_rise: DoseRise

    def as_json(self) -> dict:
        return {
            "completers": self.completers,
            "left_out_without_outcome": self.left_out,
            "min_group": MIN_GROUP,
            "response_by_dose": {
                "bands": [r.as_json() for r in self.dose_bands],
                "dose_unknown": self.dose_unknown,
                "dose_unknown_patients": list(self.dose_unknown_patients),
            },
            "dissociation": {
                "cadss_first_vs_best_improvement": self.cadss_first.as_json(),
                "cadss_highest_vs_best_improvement": self.cadss_highest.as_json(),
                "cadss_first_median": self.cadss_median,
                "above_median": self.above_median.as_json(),
                "at_or_below_median": self.at_or_below_median.as_json(),
            },
            "early_improvement": {str(e.session): e.as_json() for e in self.early},
            "dose_rise": self.dose_rise.as_json(),
        }


def rate(label: str, responded: int, n: int) -> Rate:
    """`responded` of `n`, with Wilson's 95% interval (None for an empty group)."""
    if n == 0:
        return Rate(label, 0, 0, None, None)
    from scipy.stats import binomtest  # scipy loads only where a figure is computed

    ci = binomtest(responded, n).proportion_ci(confidence_level=0.95, method="wilson")
    return Rate(label, responded, n, float(ci.low), float(ci.high))


def correlation(label: str, points: Sequence[tuple[float, float]]) -> Correlation:
    """Spearman's rho of `points` (x, y) with Fisher's 95% interval on the ranks."""
    points = tuple(points)
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    if len(points) < 4 or len(set(xs)) < 2 or len(set(ys)) < 2:
        return Correlation(label, points, None, None, None)  # rho undefined, or no interval
    from scipy.stats import pearsonr, rankdata, spearmanr

    rho = float(spearmanr(xs, ys).statistic)
    ci = pearsonr(rankdata(xs), rankdata(ys)).confidence_interval(confidence_level=0.95)
    return Correlation(label, points, rho, float(ci.low), float(ci.high))


def _responded(status: PatientStatus) -> bool:
    return status.verdict.value == RESPONDER


def _last_induction_dose(status: PatientStatus) -> float | None:
    """The dose of the last induction session the patient was given: session N, or for a
    responder who stopped before it, their last session (section 13)."""
    n = status.settings.induction_sessions  # the course drug's induction length
    given = status.infusions[:n]
    return dose_of(given[-1]) if given else None


def dose_band_of(status: PatientStatus) -> str | None:
    """The course's dose band (`DOSE_BANDS`) at its last induction session given; None
    without a recorded dose there."""
    dose = _last_induction_dose(status)
    bands = DOSE_BANDS.get(status.course.drug if status.course else KETAMINE, DOSE_BANDS[KETAMINE])
    return next((label for label, upper in bands if dose is not None and dose <= upper), None)


def response_by_dose(
    completers: Sequence[PatientStatus],
) -> tuple[tuple[Rate, ...], tuple[str, ...]]:
    """Response rate per dose band at the last induction session given; and who had no
    recorded dose there.

    Ketamine's bands always; esketamine's only where the clinic has an
    esketamine course with a verdict.
    """
    counts: dict[str, list[int]] = {label: [0, 0] for label, _ in DOSE_BANDS[KETAMINE]}
    unknown: list[str] = []
    for s in completers:
        label = dose_band_of(s)
        if label is None:
            unknown.append(s.patient_id)
            continue
        tally = counts.setdefault(label, [0, 0])
        tally[0] += _responded(s)
        tally[1] += 1
    order = [label for drug in DOSE_BANDS for label, _ in DOSE_BANDS[drug] if label in counts]
    return tuple(rate(label, *counts[label]) for label in order), tuple(unknown)


def _dissociation(
    completers: Sequence[PatientStatus], cadss: Mapping[str, Sequence[Assessment]]
) -> tuple[Correlation, Correlation, float | None, Rate, Rate]:
    first_points, highest_points, first_of = [], [], []
    for s in completers:
        per_infusion = cadss_per_infusion(s, cadss.get(s.patient_id, ()))
        if not per_infusion or s.best_improvement is None:
            continue
        if per_infusion[0].infusion_number == 1:
            first_points.append((float(per_infusion[0].total), s.best_improvement))
            first_of.append((per_infusion[0].total, s))
        highest_points.append((float(max(c.total for c in per_infusion)), s.best_improvement))
    cut = median(total for total, _ in first_of) if first_of else None
    above = [s for total, s in first_of if cut is not None and total > cut]
    below = [s for total, s in first_of if cut is not None and total <= cut]
    return (
        correlation("CADSS at the first session", first_points),
        correlation("highest CADSS of the course", highest_points),
        cut,
        rate("CADSS above the median", sum(map(_responded, above)), len(above)),
        rate("CADSS at or below the median", sum(map(_responded, below)), len(below)),
    )


ALREADY_RESPONDED = "already_responded"
NO_SCORE = "no_score"


def _early_kind(status: PatientStatus, session: int) -> bool | str:
    """Improved by >= 20% by `session` (True/False), or why the course is left out."""
    if status.first_response is not None and status.first_response.session <= session:
        return ALREADY_RESPONDED
    best = status.best_improvement_by_session()
    so_far = [v for k, v in best.items() if k <= session]
    if not so_far:
        return NO_SCORE
    return max(so_far) >= EARLY_IMPROVEMENT


def early_improved(status: PatientStatus, session: int) -> bool | None:
    """Whether the course improved by at least 20% by `session` (clinical-spec section 13);
    None when it is left out of that comparison (already responded by then, or no score)."""
    kind = _early_kind(status, session)
    return kind if isinstance(kind, bool) else None


def early_improvement(completers: Sequence[PatientStatus], session: int) -> EarlyImprovement:
    """Response after `session` for patients not yet responded by it, improved >= 20% or not.

    "By session k" is the best improvement of the scores belonging to
    sessions 1..k. Left out, and named: a patient who had already responded
    by session k (their response would count as its own predictor), and one
    with no score in those sessions.
    """
    improved, not_improved, already, no_score = [], [], [], []
    for s in completers:
        kind = _early_kind(s, session)
        if kind == ALREADY_RESPONDED:
            already.append(s.patient_id)
        elif kind == NO_SCORE:
            no_score.append(s.patient_id)
        else:
            (improved if kind else not_improved).append(s)
    return EarlyImprovement(
        session,
        rate(f"improved by session {session}", sum(map(_responded, improved)), len(improved)),
        rate(
            f"not improved by session {session}",
            sum(map(_responded, not_improved)),
            len(not_improved),
        ),
        tuple(already),
        tuple(no_score),
    )


def first_dose_rise(status: PatientStatus) -> int | None:
    """The induction session whose dose was first higher than the one before it."""
    infusions = status.infusions[: status.settings.induction_sessions]
    for k in range(1, len(infusions)):
        before, now = dose_of(infusions[k - 1]), dose_of(infusions[k])
        if before is not None and now is not None and now > before:
            return k + 1
    return None


def dose_rise(completers: Sequence[PatientStatus]) -> DoseRise:
    """Of the patients with a dose rise: responded before it, and responded after it."""
    raised = before = after = not_before = 0
    for s in completers:
        rise = first_dose_rise(s)
        if rise is None:
            continue
        raised += 1
        first = s.first_response.session if s.first_response else None
        if first is not None and first < rise:
            before += 1
            continue
        not_before += 1
        after += first is not None and _responded(s)
    return DoseRise(raised, before, rate("responded after the rise", after, not_before))


def associations(
    statuses: Sequence[PatientStatus], cadss: Mapping[str, Sequence[Assessment]]
) -> Associations:
    """Every figure of this module for one clinic.

    Args:
        statuses: One status per patient on the clinic's outcome scale.
        cadss: Each patient's CADSS records (`PatientData.of_scale("cadss")`).
    """
    completers = [s for s in statuses if s.verdict.value in (RESPONDER, NON_RESPONDER)]
    bands, unknown = response_by_dose(completers)
    first, highest, cut, above, below = _dissociation(completers, cadss)
    return Associations(
        completers=len(completers),
        left_out=len(statuses) - len(completers),
        dose_bands=bands,
        dose_unknown=len(unknown),
        dose_unknown_patients=unknown,
        cadss_first=first,
        cadss_highest=highest,
        cadss_median=cut,
        above_median=above,
        at_or_below_median=below,
        early=tuple(early_improvement(completers, k) for k in EARLY_SESSIONS),
        dose_rise=dose_rise(completers),
    )
