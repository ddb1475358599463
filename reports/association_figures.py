"""The cohort report's association pages: dose, dissociation and early improvement.

Two landscape pages drawn from `outcomes.associations.Associations`: response
by dose band beside early improvement, then dissociation against improvement
beside the median split and the dose rises. Every panel says its
denominator and who is left out, carries the one-line "what this does and
does not show" of `outcomes.associations.CAVEATS`, and a group too small to
estimate is written as such instead of drawn. Hatches as well as colours, so
the pages survive a greyscale printer.
"""

from __future__ import annotations

from typing import Sequence

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from outcomes.associations import (
    CAVEATS,
    MIN_GROUP,
    Associations,
    Correlation,
    EarlyImprovement,
    Rate,
)
from reports.layout import text_lines, wrap
from reports.style import (
    BLACK,
    BLUE,
    GREY,
    ORANGE,
    SKY_BLUE,
    SMALL_SIZE,
    TEXT_SIZE,
    TITLE_SIZE,
    VERMILION,
)

LEFT_RECT = (0.07, 0.21, 0.38, 0.50)
RIGHT_RECT = (0.57, 0.21, 0.38, 0.50)
PANEL_WIDTH = 70  # characters of small text across one panel
PAGE_WIDTH = 150  # characters of body text across the page


def _page_title(fig: Figure, title: str, subtitle: str) -> None:
    fig.text(0.07, 0.95, title, size=TITLE_SIZE, weight="bold", va="top")
    text_lines(fig, 0.07, 0.91, wrap(subtitle, PAGE_WIDTH), TEXT_SIZE, color=GREY)


def _panel(fig: Figure, rect, title: str, denominator: str, caveat: str) -> Axes:
    x, y, w, h = rect
    fig.text(x, y + h + 0.105, title, size=TEXT_SIZE + 2, weight="bold", va="bottom")
    text_lines(fig, x, y + h + 0.095, wrap(denominator, PANEL_WIDTH), SMALL_SIZE + 0.5, color=GREY)
    text_lines(fig, x, y - 0.085, wrap(caveat, PANEL_WIDTH + 5), SMALL_SIZE, color=GREY)
    ax = fig.add_axes(rect)
    ax.tick_params(labelsize=SMALL_SIZE + 1)
    ax.spines[["top", "right"]].set_visible(False)
    return ax


def _rate_bars(
    ax: Axes, rates: Sequence[Rate], colours: Sequence[str], hatches: Sequence[str]
) -> None:
    """Bars of response rate with Wilson 95% intervals; a too-small group is a note, not a bar."""
    for i, (r, colour, hatch) in enumerate(zip(rates, colours, hatches, strict=False)):
        if not r.enough:
            ax.text(
                i,
                4,
                f"too few patients\nto estimate\n({r.responded} of {r.n})",
                ha="center",
                va="bottom",
                size=SMALL_SIZE,
                color=GREY,
            )
            continue
        pct = 100 * r.rate
        ax.bar(i, pct, width=0.6, color=colour, edgecolor=BLACK, hatch=hatch, lw=0.8)
        ax.errorbar(
            i, pct, yerr=[[pct - 100 * r.low], [100 * r.high - pct]], color=BLACK, capsize=4, lw=1
        )
        ax.text(
            i,
            100 * r.high + 1.5,
            f"{pct:.0f}% ({r.responded} of {r.n})",
            va="bottom",
            ha="center",
            size=SMALL_SIZE,
        )
    ax.set_xticks(range(len(rates)), [wrapped(r.label, 11) for r in rates])
    ax.set_xlim(-0.6, len(rates) - 0.2)
    ax.set_ylim(0, 110)
    ax.set_ylabel("responded by the end of the induction (%)", size=TEXT_SIZE)


def wrapped(label: str, width: int = 13) -> str:
    return "\n".join(wrap(label, width))


def draw_dose_and_early(fig: Figure, assoc: Associations, scale_name: str) -> None:
    """Page 1: response by dose band; response after early improvement or none."""
    _page_title(
        fig,
        "Dose, early improvement and response in this clinic",
        f"Associations in the clinic's own records on {scale_name}, with 95% intervals "
        f"(Wilson). Groups of fewer than {MIN_GROUP} patients are not estimated. "
        "The program recommends no dose.",
    )
    known = sum(r.n for r in assoc.dose_bands)
    left_out = (
        f"; {assoc.dose_unknown} without a recorded dose at that session "
        f"({named_few(assoc.dose_unknown_patients)}; every id in summary.json)"
        if assoc.dose_unknown
        else ""
    )
    ax = _panel(
        fig,
        LEFT_RECT,
        "Response by dose at the last induction session given",
        f"{known} of the {assoc.completers} patients whose induction reached a verdict"
        f"{left_out}; {assoc.left_out} still without a verdict left out",
        CAVEATS["dose"],
    )
    bars = len(assoc.dose_bands)
    _rate_bars(ax, assoc.dose_bands, [SKY_BLUE] * 3 + [ORANGE] * 3, ["//", "..", "xx"] * 2)
    if bars > 3:
        ax.axvline(2.5, color=GREY, lw=0.8, ls="--")  # ketamine | esketamine
    rates = []
    for e in assoc.early:
        rates += [e.improved, e.not_improved]
    ax = _panel(
        fig,
        RIGHT_RECT,
        "Early improvement (>= 20% below the starting score)",
        "Patients with a verdict, not yet responded by session k: "
        + "; ".join(_early_count(e, assoc.completers) for e in assoc.early)
        + " (every id in summary.json). Outcome: a response after session k, by the end "
        "of the verdict window",
        CAVEATS["early"],
    )
    _rate_bars(ax, rates, [BLUE, VERMILION] * 2, ["//", "", "//", ""])
    ax.axvline(1.5, color=GREY, lw=0.8, ls="--")


def _early_count(early: EarlyImprovement, completers: int) -> str:
    """ "session 1: 19 of 25; left out 6 already responded (R1-0, R1-1 and 4 more)"; the full
    lists are in summary.json."""
    counted = early.improved.n + early.not_improved.n
    text = f"session {early.session}: {counted} of {completers}"
    parts = []
    if early.already_responded:
        parts.append(
            f"{len(early.already_responded)} already responded "
            f"({named_few(early.already_responded)})"
        )
    if early.no_score:
        parts.append(f"{len(early.no_score)} without a score ({named_few(early.no_score)})")
    return text + (f", left out {' and '.join(parts)}" if parts else "")


def named_few(ids: tuple[str, ...], shown: int = 2) -> str:
    """Up to `shown` patient ids, then how many more (every id is in summary.json)."""
    if len(ids) <= shown:
        return ", ".join(ids)
    return ", ".join(ids[:shown]) + f" and {len(ids) - shown} more"


def _scatter(ax: Axes, corr: Correlation) -> None:
    if not corr.points:
        ax.text(
            0.5,
            0.5,
            "No patient has both a CADSS rating and a verdict.",
            transform=ax.transAxes,
            ha="center",
            size=TEXT_SIZE,
        )
        return
    xs, ys = zip(*corr.points, strict=True)
    ax.scatter(xs, ys, s=12, facecolors="none", edgecolors=BLUE, linewidths=0.8)
    ax.set_xlabel(f"{corr.label} (CADSS total)", size=TEXT_SIZE)
    ax.set_ylabel("best improvement in the induction (%)", size=TEXT_SIZE)
    if corr.enough:
        text = (
            f"Spearman rho {corr.rho:.2f} (95% CI {corr.low:.2f} to {corr.high:.2f}), n = {corr.n}"
        )
    else:
        text = f"n = {corr.n}: too few patients (or no spread) to estimate a correlation"
    ax.text(0.02, 1.0, text, transform=ax.transAxes, size=SMALL_SIZE + 0.5, va="bottom")


def draw_dissociation(fig: Figure, assoc: Associations) -> None:
    """Page 2: CADSS at the first session against improvement; median split; dose rises."""
    _page_title(
        fig,
        "Dissociation, dose rises and response in this clinic",
        "Associations in the clinic's own records, with 95% intervals; not evidence "
        "that one causes the other.",
    )
    corr = assoc.cadss_first
    highest = assoc.cadss_highest
    highest_text = (
        f"rho {highest.rho:.2f} (95% CI {highest.low:.2f} to {highest.high:.2f})"
        if highest.enough
        else "too few to estimate"
    )
    ax = _panel(
        fig,
        LEFT_RECT,
        "Dissociation at the first session and best improvement",
        f"{corr.n} of the {assoc.completers} patients with a verdict had a CADSS rating at "
        f"infusion 1. The highest CADSS of the course against best improvement: "
        f"{highest_text}, n = {highest.n}.",
        CAVEATS["dissociation"],
    )
    _scatter(ax, corr)
    rise = assoc.dose_rise
    median = "-" if assoc.cadss_median is None else f"{assoc.cadss_median:g}"
    ax = _panel(
        fig,
        RIGHT_RECT,
        "Response by dissociation, and after a dose rise",
        f"Left: the {assoc.above_median.n + assoc.at_or_below_median.n} patients above and at "
        f"or below the clinic's median CADSS at infusion 1 ({median}). Right: {rise.raised} "
        f"patients had their dose raised during the induction; {rise.responded_before} had "
        f"already responded before the rise and are left out of that bar.",
        CAVEATS["dose_rise"],
    )
    _rate_bars(
        ax,
        [assoc.above_median, assoc.at_or_below_median, rise.after],
        [VERMILION, SKY_BLUE, BLUE],
        ["xx", "..", "//"],
    )
    ax.axvline(1.5, color=GREY, lw=0.8, ls="--")
