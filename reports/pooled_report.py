"""The pooled report of a clinic network (`outcomes pool`, issue 27).

Files written into `--out`:
- `pooled_report.pdf`: per drug and scale, a page of pooled and
  per-site response and remission with Wilson intervals and the chi-square
  test across sites; the pooled relief curve with its band and median and
  each site's curve on one chart, with the log-rank test; the published
  real-world figures beside the network's;
- `relief_<drug>_<scale>.png`: each relief chart on its own;
- `pooled.json`: every figure (`pooled_json`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Sequence

from outcomes.cohort import ReliefCurve
from outcomes.pooling import Group, SiteDifference
from outcomes.published import comparison_rows
from outcomes.scales import get_scale
from reports.layout import Cursor, footer, page_number
from reports.published_page import published_page
from reports.style import (
    A4_LANDSCAPE,
    BLACK,
    BLUE,
    GREEN,
    GREY,
    ORANGE,
    PURPLE,
    SKY_BLUE,
    SMALL_SIZE,
    TEXT_SIZE,
    VERMILION,
    YELLOW,
    new_figure,
    open_pdf,
    report_style,
    save_png,
    write_text,
)

PDF_NAME = "pooled_report.pdf"
JSON_NAME = "pooled.json"
#: Site colours and line styles: each site is told apart in greyscale too.
SITE_STYLES = [
    (c, ls)
    for ls in ("-", "--", "-.", ":")
    for c in (ORANGE, GREEN, VERMILION, PURPLE, SKY_BLUE, YELLOW, BLACK)
]


def pooled_json(exports: Sequence[dict[str, Any]], groups: Sequence[Group]) -> dict[str, Any]:
    """The pooled figures as one JSON document (`outcomes pool --json`)."""
    return {
        "sites": [_site_json(m) for m in exports],
        "clinical_settings": exports[0].get("clinical_settings") if exports else {},
        "groups": [{**g.as_json(), "published": _published(g, "pooled")} for g in groups],
    }


def _site_json(manifest: dict[str, Any]) -> dict[str, Any]:
    return {
        "site_id": manifest.get("site_id"),
        "kind": manifest.get("kind"),
        "courses": manifest.get("courses"),
        "export_date": manifest.get("export_date"),
        "program_version": manifest.get("program_version"),
        "folder": manifest.get("folder"),
    }


def _published(group: Group, who: str) -> list[dict]:
    return comparison_rows(
        group.drug, group.scale, group.pooled.response, group.pooled.remission, who
    )


def _pct(rate, low, high) -> str:
    if rate is None:
        return "-"
    return f"{100 * rate:.1f}% ({100 * low:.1f}-{100 * high:.1f})"


def _test_words(test: SiteDifference) -> str:
    if test.p_value is None:
        return f"{test.name}: not computed ({test.note})."
    note = f"; {test.note}" if test.note else ""
    return (
        f"{test.name}: statistic {test.statistic:.2f}, {test.dof} degree(s) of freedom, "
        f"p = {test.p_value:.3g} over {test.sites} sites{note}."
    )


def _title(group: Group) -> str:
    return f"{group.drug}, judged on {get_scale(group.scale).name}"


#: Sites listed in one page's table; more are in pooled.json (a network of 40+ clinics).
MAX_SITE_ROWS = 40
#: Sites named beside (and in the legend of) a relief chart; more are in pooled.json.
MAX_SITE_LINES = 25


def _rate_row(label: str, r) -> tuple[str, ...]:
    return (
        label,
        f"{r.response.n}",
        _pct(r.response.rate, r.response.low, r.response.high),
        _pct(r.remission.rate, r.remission.low, r.remission.high),
        f"{r.suppressed}",
    )


def _rates_page(fig, exports, group: Group) -> None:
    """One drug and scale: the pooled and per-site rates, the chi-square, the definitions."""
    cur = Cursor(fig, y=0.95, left=0.06, right=0.94)
    courses = sum(int(m.get("courses") or 0) for m in exports)
    cur.title(
        f"Response and remission: {_title(group)}",
        f"{len(exports)} site(s) pooled, {courses:,} courses exported in all",
    )
    sites = list(group.per_site.items())
    rows = [_rate_row("all sites", group.pooled)]
    rows += [_rate_row(site, r) for site, r in sites[:MAX_SITE_ROWS]]
    cur.table(
        ["site", "completers", "response (95% CI)", "remission (95% CI)", "cells suppressed"],
        rows,
        [0.2, 0.12, 0.26, 0.26, 0.16],
        size=SMALL_SIZE,
    )
    if len(sites) > MAX_SITE_ROWS:
        cur.paragraph(
            f"... and {len(sites) - MAX_SITE_ROWS} more sites: every site is in {JSON_NAME}.",
            size=SMALL_SIZE,
        )
    cur.paragraph(_test_words(group.response_test), size=SMALL_SIZE)
    cur.heading("How these are defined")
    cur.paragraph(
        "Each clinic ran the program's rules on its own records and exported one row per "
        "course (or counts only). Completers: courses with the verdict responder or "
        "non-responder. Response: a score at least 50% below baseline within the verdict "
        "window; remission: at or below the scale's cut by then. Intervals are Wilson's 95% "
        "score intervals. A counts-only export leaves out cells under its threshold; those "
        "courses count nowhere here, and the table says how many cells were left out.",
        size=TEXT_SIZE,
    )


def _draw_curve(ax, curve: ReliefCurve, color: str, ls: str, label: str, lw: float) -> None:
    ax.step(curve.times, curve.survival, where="post", color=color, ls=ls, lw=lw, label=label)


def draw_pooled_relief(fig, group: Group) -> None:
    """The pooled relief curve with its band and median, and every site's curve on one chart."""
    ax = fig.add_axes((0.08, 0.2, 0.62, 0.66))
    fig.text(0.08, 0.93, f"How long relief lasts: {_title(group)}", size=14, weight="bold")
    fig.text(
        0.08,
        0.89,
        "Kaplan-Meier estimate from the last induction session (day 0) to loss of response or a "
        "booster, among responders. Shaded: the pooled 95% band.",
        size=TEXT_SIZE,
        color=GREY,
    )
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("days since the last induction session", size=TEXT_SIZE)
    ax.set_ylabel("responders whose relief still holds", size=TEXT_SIZE)
    ax.yaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    curve = group.curve
    if curve is None:
        ax.text(0.5, 0.5, "No responder yet.", transform=ax.transAxes, ha="center")
        return
    low, high = curve.drawn_band()  # no band where R's survival gives none (issue 22)
    ax.fill_between(curve.times, low, high, step="post", color=SKY_BLUE, alpha=0.35, lw=0)
    for (site, site_curve), (color, ls) in zip(
        group.site_curves.items(), SITE_STYLES * 10, strict=False
    ):
        if site_curve is not None:
            _draw_curve(ax, site_curve, color, ls, f"{site} ({len(site_curve.durations)})", 1.2)
    _draw_curve(ax, curve, BLUE, "-", f"all sites ({len(curve.durations)})", 2.6)
    ax.axhline(0.5, color=GREY, ls=":", lw=1)
    ax.set_xlim(0, float(curve.durations.max()) * 1.04 + 1)
    if len(group.site_curves) <= MAX_SITE_LINES:  # beyond that a legend hides the chart
        ax.legend(loc="upper right", fontsize=SMALL_SIZE, frameon=False)
    cur = Cursor(fig, y=0.86, left=0.73, right=0.97)
    low, high = curve.median_ci
    median = "not reached" if curve.median is None else f"{curve.median:g} days"
    limits = ", ".join("not reached" if v is None else f"{v:g}" for v in (low, high))
    cur.paragraph(f"Median relief, all sites: {median} (95% CI {limits}).", size=TEXT_SIZE)
    cur.gap()
    listed = list(group.site_curves.items())
    for site, site_curve in listed[:MAX_SITE_LINES]:
        if site_curve is None:
            cur.paragraph(f"{site}: no responder with relief measured.", size=SMALL_SIZE)
            continue
        m = "not reached" if site_curve.median is None else f"{site_curve.median:g} days"
        cur.paragraph(
            f"{site}: median {m}, {len(site_curve.durations)} responders.", size=SMALL_SIZE
        )
    if len(listed) > MAX_SITE_LINES:
        more = len(listed) - MAX_SITE_LINES
        cur.paragraph(f"... and {more} more sites (in {JSON_NAME}).", size=SMALL_SIZE)
    cur.gap()
    cur.paragraph(_test_words(group.relief_test), size=SMALL_SIZE)


def write_pooled_report(
    exports: Sequence[dict[str, Any]], groups: Sequence[Group], folder: Path, stamp: str
) -> list[Path]:
    """Write the PDF, one PNG per relief chart, and the JSON into `folder`; returns the paths."""
    with report_style():
        files = []
        pages = 1 + 2 * len(groups)
        with open_pdf(folder / PDF_NAME) as pdf:
            for index, group in enumerate(groups):
                page = new_figure(A4_LANDSCAPE)
                _rates_page(page, exports, group)
                footer(page, stamp, f"page {2 * index + 1} of {pages}")
                pdf.savefig(page)
                fig = new_figure(A4_LANDSCAPE)
                draw_pooled_relief(fig, group)
                footer(fig, stamp)
                files.append(save_png(fig, folder / f"relief_{group.drug}_{group.scale}.png"))
                page_number(fig, f"page {2 * index + 2} of {pages}")
                pdf.savefig(fig)
            page = new_figure(A4_LANDSCAPE)
            tables = [(_title(g), _published(g, "this network")) for g in groups]
            published_page(page, [t for t in tables if len(t[1]) > 2], "This network")
            footer(page, stamp, f"page {pages} of {pages}")
            pdf.savefig(page)
        files.append(folder / PDF_NAME)
        text = json.dumps(pooled_json(exports, groups), indent=2, allow_nan=False) + "\n"
        files.append(write_text(folder / JSON_NAME, text))
    return sorted(files)
