"""Pooled figures across clinics, from plain count tables (issue 27).

Every clinic's registry export reduces to two tables (`db.pool_read` builds
them with SQL from per-course rows, or reads them as a counts-only export
wrote them):

- verdict cells: (site, drug, scale, verdict, remitted) -> courses, a cell
  under the clinic's threshold written as None (suppressed);
- relief cells: (site, drug, scale, day) -> events, censored, among responders
  whose relief is measured.

A Kaplan-Meier curve depends only on how many ended and how many were
censored on each day, so the curve rebuilt from a relief table is the curve
of the courses themselves: `curve_from_table` hands the table to the core's
one estimator (`outcomes.cohort.relief_curve`, section 5 of the spec), never
a second one. Rates carry Wilson's interval from `outcomes.associations.rate`.
Whether sites differ: Pearson's chi-square on responders and non-responders
per site (`scipy.stats.chi2_contingency`), and the k-sample log-rank test of
relief across sites (`lifelines.statistics.multivariate_logrank_test`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from outcomes.associations import Rate, rate
from outcomes.cohort import RELIEF_CHECKPOINTS, ReliefCurve, relief_curve
from outcomes.json_numbers import json_figure
from outcomes.verdict import INCOMPLETE, NON_RESPONDER, RESPONDER

#: Default smallest cell shown in a counts-only verdict table (setting `registry_min_cell`).
MIN_CELL = 5
#: Decimals of the pooled rates, intervals and relief checkpoints in the JSON (`json_figure`);
#: the tests' statistics and p values keep 6.
JSON_PLACES = 4


# ----- count tables from rows (the counts-only export) -------------------------


def verdict_table(rows: Iterable[Mapping[str, Any]], min_cell: int) -> list[dict[str, Any]]:
    """Courses per site, drug, scale, verdict and remission; cells of 1..min_cell-1 as None."""
    counts = Counter(
        (r["site_id"], r["drug"], r["scale"], r["verdict"], bool(r["remission"])) for r in rows
    )
    return [
        {
            "site_id": site,
            "drug": drug,
            "scale": scale,
            "verdict": verdict,
            "remitted": remitted,
            "courses": n if n >= min_cell else None,
        }
        for (site, drug, scale, verdict, remitted), n in sorted(counts.items())
    ]


def relief_table(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Per site, drug, scale and day: responders at risk, relief ended (events), censored."""
    counts: Counter = Counter()
    for r in rows:
        if r["verdict"] != RESPONDER or r["relief_days"] is None:
            continue
        ended = bool(r["relief_event"])
        counts[(r["site_id"], r["drug"], r["scale"], int(r["relief_days"]), ended)] += 1
    days = sorted({key[:4] for key in counts})
    table = [
        {
            "site_id": site,
            "drug": drug,
            "scale": scale,
            "day": day,
            "events": counts[(site, drug, scale, day, True)],
            "censored": counts[(site, drug, scale, day, False)],
        }
        for site, drug, scale, day in days
    ]
    return with_at_risk(table)


def with_at_risk(table: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The table with `at_risk` per row: that group's responders still followed on that day."""
    left: dict[tuple, int] = Counter()
    for cell in table:
        left[(cell["site_id"], cell["drug"], cell["scale"])] += cell["events"] + cell["censored"]
    out = []
    for cell in sorted(table, key=lambda c: (c["site_id"], c["drug"], c["scale"], c["day"])):
        group = (cell["site_id"], cell["drug"], cell["scale"])
        out.append({**cell, "at_risk": left[group]})
        left[group] -= cell["events"] + cell["censored"]
    return out


# ----- the estimates -----------------------------------------------------------


def curve_from_table(cells: Iterable[Mapping[str, Any]]) -> ReliefCurve | None:
    """The Kaplan-Meier curve of relief from (day, events, censored) cells, pooled over them.

    Each cell stands for its courses: the estimator sees exactly the
    durations and events the courses had, so the curve equals theirs.
    """
    days, events, censored = _columns(cells)
    durations = np.concatenate([np.repeat(days, events), np.repeat(days, censored)])
    ended = np.concatenate([np.ones(events.sum(), bool), np.zeros(censored.sum(), bool)])
    return relief_curve(durations, ended)


def _columns(cells: Iterable[Mapping[str, Any]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    cells = list(cells)
    return (
        np.array([c["day"] for c in cells], dtype=float),
        np.array([c["events"] for c in cells], dtype=np.int64),
        np.array([c["censored"] for c in cells], dtype=np.int64),
    )


@dataclass(frozen=True)
class Rates:
    """Response and remission among completers (responders + non-responders), with intervals."""

    response: Rate
    remission: Rate
    started: int  # completers + incomplete: who started the induction
    suppressed: int  # cells a counts-only export left out (under its threshold)

    def as_json(self) -> dict[str, Any]:
        return {
            "completers": self.response.n,
            "all_who_started": self.started,
            "responders": self.response.responded,
            "response_rate": json_figure(self.response.rate, JSON_PLACES),
            "response_ci": [
                json_figure(self.response.low, JSON_PLACES),
                json_figure(self.response.high, JSON_PLACES),
            ],
            "remitted": self.remission.responded,
            "remission_rate": json_figure(self.remission.rate, JSON_PLACES),
            "remission_ci": [
                json_figure(self.remission.low, JSON_PLACES),
                json_figure(self.remission.high, JSON_PLACES),
            ],
            "suppressed_cells": self.suppressed,
        }


def rates_of(cells: Iterable[Mapping[str, Any]]) -> Rates:
    """Rates from verdict cells (a suppressed cell counts nowhere, and is counted)."""
    responders = non = remitted = incomplete = suppressed = 0
    for c in cells:
        n = c["courses"]
        if n is None:
            suppressed += 1
            continue
        if c["verdict"] == RESPONDER:
            responders += n
        elif c["verdict"] == NON_RESPONDER:
            non += n
        elif c["verdict"] == INCOMPLETE:
            incomplete += n
        if c["remitted"] and c["verdict"] in (RESPONDER, NON_RESPONDER):
            remitted += n
    completers = responders + non
    return Rates(
        rate("response", responders, completers),
        rate("remission", remitted, completers),
        completers + incomplete,
        suppressed,
    )


@dataclass(frozen=True)
class SiteDifference:
    """A test of whether sites differ."""

    name: str
    statistic: float | None
    dof: int | None
    p_value: float | None
    sites: int
    note: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "test": self.name,
            "statistic": json_figure(self.statistic, 6),
            "degrees_of_freedom": self.dof,
            "p_value": json_figure(self.p_value, 6),
            "sites": self.sites,
            "note": self.note,
        }


CHI_SQUARE = "Pearson's chi-square on responders and non-responders per site"
LOGRANK = "log-rank test of relief across sites (lifelines multivariate_logrank_test)"


def response_difference(per_site: Mapping[str, Rates]) -> SiteDifference:
    """Whether response rates differ across sites (chi-square; sites with completers only)."""
    table = [
        [r.response.responded, r.response.n - r.response.responded]
        for r in per_site.values()
        if r.response.n
    ]
    if len(table) < 2 or not all(sum(col) for col in zip(*table, strict=True)):
        return SiteDifference(
            CHI_SQUARE, None, None, None, len(table), "needs two sites with completers"
        )
    from scipy.stats import chi2_contingency

    result = chi2_contingency(np.array(table), correction=False)
    small = (result.expected_freq < 5).any()
    note = "some expected counts under 5: read the p-value with care" if small else ""
    return SiteDifference(
        CHI_SQUARE, float(result.statistic), int(result.dof), float(result.pvalue), len(table), note
    )


def relief_difference(cells: Sequence[Mapping[str, Any]]) -> SiteDifference:
    """Whether relief differs across sites: the k-sample log-rank test, each cell weighted."""
    sites = sorted({c["site_id"] for c in cells if c["events"] + c["censored"]})
    if len(sites) < 2 or not any(c["events"] for c in cells):
        return SiteDifference(
            LOGRANK, None, None, None, len(sites), "needs two sites with responders"
        )
    from lifelines.statistics import multivariate_logrank_test  # slow to load

    durations, groups, observed, weights = [], [], [], []
    for c in cells:
        for ended, n in ((1, c["events"]), (0, c["censored"])):
            if n:
                durations.append(c["day"])
                groups.append(c["site_id"])
                observed.append(ended)
                weights.append(n)
    result = multivariate_logrank_test(
        np.array(durations, float), np.array(groups), np.array(observed), weights=np.array(weights)
    )
    return SiteDifference(
        LOGRANK,
        float(result.test_statistic),
        int(result.degrees_of_freedom),
        float(result.p_value),
        len(sites),
    )


# ----- one drug and scale across sites -----------------------------------------


@dataclass
class Group:
    """The pooled and per-site figures of one drug on one scale."""

    drug: str
    scale: str
    pooled: Rates
    per_site: dict[str, Rates]
    curve: ReliefCurve | None
    site_curves: dict[str, ReliefCurve | None]
    response_test: SiteDifference
    relief_test: SiteDifference

    def as_json(self) -> dict[str, Any]:
        return {
            "drug": self.drug,
            "scale": self.scale,
            "pooled": self.pooled.as_json(),
            "sites": {site: r.as_json() for site, r in self.per_site.items()},
            "relief": curve_json(self.curve),
            "site_relief": {
                site: curve_json(c, points=False) for site, c in self.site_curves.items()
            },
            "response_differs_by_site": self.response_test.as_json(),
            "relief_differs_by_site": self.relief_test.as_json(),
        }


def curve_json(curve: ReliefCurve | None, points: bool = True) -> dict[str, Any] | None:
    """A curve's median, interval and checkpoints (and, with `points`, its steps and band)."""
    if curve is None:
        return None
    low, high = curve.median_ci
    out = {
        "responders": int(len(curve.durations)),
        "relief_ended": int(curve.events.sum()),
        "median_relief_days": curve.median,
        "median_relief_ci": [low, high],
        "relief_at_days": {
            str(t): json_figure(curve.estimate(t), JSON_PLACES) for t in RELIEF_CHECKPOINTS
        },
    }
    if points:
        out["curve"] = {
            "days": [float(t) for t in curve.times],
            "survival": [float(v) for v in curve.survival],
            "low": [float(v) for v in curve.low],
            "high": [float(v) for v in curve.high],
        }
    return out


def pool_group(
    drug: str,
    scale: str,
    verdicts: Sequence[Mapping[str, Any]],
    relief: Sequence[Mapping[str, Any]],
) -> Group:
    """Every pooled figure of one drug and scale from its verdict and relief cells."""
    sites = sorted({c["site_id"] for c in verdicts} | {c["site_id"] for c in relief})
    per_site = {s: rates_of(c for c in verdicts if c["site_id"] == s) for s in sites}
    site_curves = {s: curve_from_table(c for c in relief if c["site_id"] == s) for s in sites}
    return Group(
        drug=drug,
        scale=scale,
        pooled=rates_of(verdicts),
        per_site=per_site,
        curve=curve_from_table(relief),
        site_curves=site_curves,
        response_test=response_difference(per_site),
        relief_test=relief_difference(relief),
    )


def pool(verdicts: Sequence[Mapping[str, Any]], relief: Sequence[Mapping[str, Any]]) -> list[Group]:
    """One `Group` per drug and scale found in the tables, in drug then scale order."""
    keys = sorted(
        {(c["drug"], c["scale"]) for c in verdicts} | {(c["drug"], c["scale"]) for c in relief}
    )
    return [
        pool_group(
            drug,
            scale,
            [c for c in verdicts if (c["drug"], c["scale"]) == (drug, scale)],
            [c for c in relief if (c["drug"], c["scale"]) == (drug, scale)],
        )
        for drug, scale in keys
    ]


# ----- which exports may be pooled ---------------------------------------------


def _minor(version: str) -> str:
    return ".".join(str(version).split(".")[:2])


def export_problem(
    name: str, manifest: Mapping[str, Any], reference_name: str, reference: Mapping[str, Any]
) -> str | None:
    """Why the export `name` cannot be pooled with this program or with `reference`; else None.

    Poolable: the same registry format as this program reads, made by the same
    major.minor program version (a rule may change between minor versions),
    under the same rules and the same clinical settings as the first export.
    """
    from outcomes import __version__
    from outcomes.registry import REGISTRY_FORMAT, RULE_SETTINGS, RULES

    made = manifest.get("registry_format")
    if made != REGISTRY_FORMAT:
        return f"{name} is registry format {made}; this program reads format {REGISTRY_FORMAT}"
    version = str(manifest.get("program_version"))
    if _minor(version) != _minor(__version__):
        return (
            f"{name} was made by version {version} of the program and this is version "
            f"{__version__}: only exports of version {_minor(__version__)}.x pool together; "
            "export it again with this version"
        )
    if list(manifest.get("rules") or []) != list(RULES):
        return f"{name} was computed under other rules than this program's (its manifest's 'rules')"
    ours = manifest.get("clinical_settings") or {}
    theirs = reference.get("clinical_settings") or {}
    differ = [k for k in RULE_SETTINGS if ours.get(k) != theirs.get(k)]
    if differ:
        words = "; ".join(
            f"{k} = {ours.get(k)} there, {theirs.get(k)} in {reference_name}" for k in differ
        )
        return (
            f"{name} was made under other clinical settings than {reference_name} ({words}): "
            "figures computed under different rules do not pool"
        )
    return None


def value_problem(
    name: str, site_id: str, values: Mapping[str, Any], expected_site: str
) -> str | None:
    """Why a registry file's row (site, drug, scale, verdict) cannot be pooled; else None.

    A file holds its own site's courses only, and only the drugs, scales and
    verdicts this program knows: anything else was not written by `outcomes
    export registry` (and a drug or scale names an output file).
    """
    from outcomes.drugs import DRUGS
    from outcomes.scales import OUTCOME_SCALE_IDS
    from outcomes.verdict import VERDICTS

    if site_id != expected_site:
        return (
            f"{name} holds courses of site {site_id!r}, but its manifest is site {expected_site!r}"
        )
    known = {"drug": DRUGS, "scale": OUTCOME_SCALE_IDS, "verdict": tuple(map(str, VERDICTS))}
    for column, allowed in known.items():
        if column in values and values[column] not in allowed:
            return (
                f"{name} holds {column} {values[column]!r}, which this program does not know "
                f"({', '.join(allowed)})"
            )
    return None
