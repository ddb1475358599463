"""The clinic's figures: responders by session, waterfall, relief curve, trajectories.

Each function draws one figure into a given `Figure` from the domain's
`CohortSummary` and patients' `PatientStatus` objects. Like the patient
chart, every meaning has a line style or hatch as well as an Okabe-Ito
colour, so the pages survive a greyscale printer.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from outcomes import wording
from outcomes.cohort import RELIEF_CHECKPOINTS, CohortSummary, has_baseline
from outcomes.response import PARTIAL_MIN_IMPROVEMENT, RESPONSE_MIN_IMPROVEMENT
from outcomes.scales import get_scale
from outcomes.status import PatientStatus
from outcomes.verdict import INCOMPLETE, NON_RESPONDER, RESPONDER
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

AXES_RECT = (0.08, 0.14, 0.88, 0.72)
#: Past this many patients the waterfall drops bar edges and the trajectories thin out.
MANY_PATIENTS = 300
#: For a figure whose subtitle (its denominators) may take four lines.
LOW_AXES_RECT = (0.08, 0.14, 0.88, 0.66)


#: Characters of subtitle per line on a landscape page: longer ones wrap, never run off.
SUBTITLE_WIDTH = 165


def _frame(fig: Figure, title: str, subtitle: str, rect=AXES_RECT):
    from textwrap import wrap

    fig.text(0.08, 0.95, title, size=TITLE_SIZE, weight="bold", va="top")
    lines = [line for part in subtitle.split("\n") for line in wrap(part, SUBTITLE_WIDTH)]
    fig.text(0.08, 0.905, "\n".join(lines), size=TEXT_SIZE, color=GREY, va="top")
    ax = fig.add_axes(rect)
    ax.tick_params(labelsize=SMALL_SIZE + 1)
    ax.spines[["top", "right"]].set_visible(False)
    return ax


def itt_denominator(summary: CohortSummary) -> int:
    """Courses with a verdict or left incomplete: the all-who-started denominator."""
    counts = summary.verdict_counts
    return counts.get(RESPONDER, 0) + counts.get(NON_RESPONDER, 0) + counts.get(INCOMPLETE, 0)


def draw_responders_by_session(fig: Figure, summary: CohortSummary, induction: int) -> None:
    """Cumulative % of patients who had responded by each induction session."""
    denominator = itt_denominator(summary)
    ax = _frame(
        fig,
        "Responders by session (cumulative)",
        "Patients whose first response (>= 50% below baseline) came at or before each session, as % "
        f"of all who started: {wording.all_who_started_words(summary)}.\nThe headline response "
        f"rate counts completers only: {wording.completers_words(summary)}.\n"
        f"Induction: {wording.induction_rule_words(summary.inductions)}"
        + (
            f"; {late}: the last bar counts every responder."
            if (late := wording.late_sessions_words(summary.inductions))
            else "."
        ),
        rect=LOW_AXES_RECT,
    )
    sessions = list(range(1, induction + 1))
    counts = [summary.responders_by_session.get(str(k), 0) for k in sessions]
    pct = [100.0 * c / denominator if denominator else 0.0 for c in counts]
    ax.bar(sessions, pct, width=0.6, color=SKY_BLUE, edgecolor=BLACK, hatch="//", lw=0.8)
    for k, c, p in zip(sessions, counts, pct, strict=False):
        ax.text(
            k,
            p + 1.5,
            f"{p:.0f}%\n({c} of {denominator})",
            ha="center",
            va="bottom",
            size=TEXT_SIZE,
            linespacing="normal",
        )
    shortest = min(summary.inductions.values(), default=induction)
    only = {  # a session only a longer induction has: which drug's courses it counts
        k: " and ".join(d for d, n in summary.inductions.items() if n >= k)
        for k in sessions
        if k > shortest
    }
    ax.set_xticks(
        sessions,
        [f"session {k}" + (f"\n({only[k]} only)" if k in only else "") for k in sessions],
    )
    ax.set_ylim(0, 112)
    ax.set_ylabel("patients who had responded (%)", size=TEXT_SIZE)
    ax.set_xlabel("session of the induction", size=TEXT_SIZE)
    if not denominator:
        ax.text(
            0.5,
            0.5,
            "No course has reached a verdict yet.",
            transform=ax.transAxes,
            ha="center",
            size=TEXT_SIZE + 1,
        )


def draw_waterfall(fig: Figure, summary: CohortSummary) -> None:
    """Best improvement within the induction, one bar per patient, best first."""
    pairs = summary.waterfall
    ax = _frame(
        fig,
        "Best improvement within the induction",
        f"One bar per patient, best first: {wording.waterfall_words(summary)}.\n"
        "Above the dashed line is a response (>= 50% below baseline). "
        f"{wording.within_induction_words(summary.inductions).capitalize()}.",
        rect=LOW_AXES_RECT,
    )
    if not pairs:
        ax.text(
            0.5,
            0.5,
            "No patient with a baseline and a score after an infusion yet.",
            transform=ax.transAxes,
            ha="center",
            size=TEXT_SIZE + 1,
        )
        return
    values = np.array([v for _, v in pairs])
    x = np.arange(len(values))
    responded = values >= RESPONSE_MIN_IMPROVEMENT
    # One PolyCollection per class, not one Rectangle artist per patient (a clinic network's
    # 10,000 bars draw several times faster); bar edges only while bars are wider than a line.
    # Many bars touch, without edges or anti-aliasing (which would leave white seams between them).
    few = len(values) <= MANY_PATIENTS
    for chosen, colour, hatch in ((responded, ORANGE, "//"), (~responded, SKY_BLUE, None)):
        ax.add_collection(
            PolyCollection(
                _bar_outlines(x[chosen], values[chosen], 0.85 if few else 1.0),
                facecolors=colour,
                edgecolors=BLACK,
                linewidths=0.4 if few else 0.0,
                hatch=hatch,
                antialiaseds=few,
            )
        )
    ax.axhline(RESPONSE_MIN_IMPROVEMENT, color=BLACK, ls="--", lw=1.4)
    ax.axhline(PARTIAL_MIN_IMPROVEMENT, color=GREY, ls=":", lw=1.2)
    ax.axhline(0, color=BLACK, lw=0.8)
    ax.set_ylabel("best improvement (% below baseline)", size=TEXT_SIZE)
    ax.set_xlim(-1, len(values))
    ax.set_ylim(min(-10.0, values.min() - 10), 105)
    if len(pairs) <= 40:
        ax.set_xticks(x, [pid for pid, _ in pairs], rotation=90, size=SMALL_SIZE)
    else:
        ax.set_xticks([])
        ax.set_xlabel(f"{len(pairs)} patients, ordered by best improvement", size=TEXT_SIZE)
    ax.legend(
        handles=[
            Patch(facecolor=ORANGE, edgecolor=BLACK, hatch="//", label="response reached"),
            Patch(facecolor=SKY_BLUE, edgecolor=BLACK, label="no response"),
            Line2D([], [], color=BLACK, ls="--", lw=1.4, label="response: 50% below baseline"),
            Line2D([], [], color=GREY, ls=":", lw=1.2, label="partial response: 25%"),
        ],
        loc="upper right",
        fontsize=SMALL_SIZE + 0.5,
        frameon=True,
        framealpha=0.9,
    )


def _bar_outlines(x: np.ndarray, heights: np.ndarray, width: float) -> np.ndarray:
    """Rectangles from 0 to each height, centred on x, as (n, 4, 2) polygon vertices."""
    left, right = x - width / 2, x + width / 2
    zero = np.zeros_like(heights, dtype=float)
    return np.stack(
        [
            np.column_stack(pair)
            for pair in ((left, zero), (left, heights), (right, heights), (right, zero))
        ],
        axis=1,
    )


def relief_ticks(summary: CohortSummary) -> list[int]:
    """Days at which the numbers at risk are shown."""
    longest = float(summary.curve.durations.max()) if summary.curve is not None else 0.0
    ticks = [0, *RELIEF_CHECKPOINTS]
    t = 120
    while t <= longest:
        ticks.append(t)
        t += 30
    return [d for d in ticks if d <= max(longest, 30)] or [0]


#: Clearance between the median's label and the curve or its band (a share of responders).
LABEL_CLEARANCE = 0.025


def _envelope(curve, x0: float, x1: float) -> tuple[float, float]:
    """Lowest and highest of the curve and its band over days x0..x1 (a step function)."""
    first = max(0, int(np.searchsorted(curve.times, x0, side="right")) - 1)
    last = max(first + 1, int(np.searchsorted(curve.times, x1, side="right")))
    values = np.concatenate(
        [curve.survival[first:last], curve.low[first:last], curve.high[first:last]]
    )
    return float(np.nanmin(values)), float(np.nanmax(values))


def median_label(ax, curve, median: float, text: str):
    """The median's label where it touches neither the curve nor its band, near the median's point.

    Tried beside the median on either side, above the band and below it; the
    nearest clear place wins, and a thin line leads from the label to the point
    when it sits away from it. A median on a flat stretch at 0.5 has the curve
    running through the point on both sides, so "just above" is not enough.
    """
    label = ax.text(
        0,
        0,
        text,
        color=BLACK,
        size=TEXT_SIZE + 1,
        va="bottom",
        ha="left",
        bbox=dict(boxstyle="round,pad=0.2", fc="white", ec="none", alpha=0.9),
        zorder=7,
    )
    renderer = ax.figure.canvas.get_renderer()
    box = label.get_window_extent(renderer).transformed(ax.transData.inverted())
    x_lo, x_hi = ax.get_xlim()
    width, height, pad = box.width, box.height, LABEL_CLEARANCE  # days; share of responders
    best = None
    for x0 in (median + 0.01 * (x_hi - x_lo), median - 0.01 * (x_hi - x_lo) - width):
        x0 = min(max(x0, x_lo), x_hi - width)
        low, high = _envelope(curve, x0, x0 + width)
        for y in (high + pad, low - pad - height):
            if 0.02 <= y and y + height <= 1.03:
                distance = abs(y + height / 2 - 0.5) + abs(x0 + width / 2 - median) / (x_hi - x_lo)
                if best is None or distance < best[0]:
                    best = (distance, x0, y)
    _, x0, y = best if best is not None else (0, x_lo, 0.9)
    label.set_position((x0, y))
    ax.annotate(
        "",
        xy=(median, 0.5),
        xytext=(x0 + width / 2, y + height if y < 0.5 else y),
        arrowprops=dict(arrowstyle="-", color=VERMILION, lw=0.8, shrinkA=0, shrinkB=4),
        zorder=6,
    )
    return label


def draw_relief_curve(fig: Figure, summary: CohortSummary) -> None:
    """Kaplan-Meier estimate of relief among responders, band, median, numbers at risk."""
    curve = summary.curve
    rect = (0.1, 0.29, 0.86, 0.54)  # room for a three-line subtitle (its denominators)
    ax = _frame(
        fig,
        "How long relief lasts after the induction",
        "Kaplan-Meier estimate from the last induction session (day 0; the induction is "
        f"{wording.induction_rule_words(summary.inductions)}) to loss of response or a "
        f"booster, among {wording.relief_count_words(summary)}.\nShaded: 95% confidence band "
        "(none where it is undefined, as in R's survival); + : still holding when last seen "
        "(censored).",
        rect=rect,
    )
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("responders whose relief still holds", size=TEXT_SIZE)
    ax.yaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    if curve is None:
        ax.text(
            0.5,
            0.5,
            "No responder yet: relief cannot be estimated.",
            transform=ax.transAxes,
            ha="center",
            size=TEXT_SIZE + 1,
        )
        return
    ticks = relief_ticks(summary)
    low, high = curve.drawn_band()
    ax.fill_between(curve.times, low, high, step="post", color=SKY_BLUE, alpha=0.35, lw=0)
    ax.step(curve.times, curve.survival, where="post", color=BLUE, lw=2)
    censored = curve.durations[~curve.events]
    if len(censored):
        ax.plot(
            censored,
            [curve.at(t) for t in censored],
            ls="none",
            marker="+",
            ms=9,
            mew=1.4,
            color=BLACK,
        )
    ax.axhline(0.5, color=GREY, ls=":", lw=1)
    median = curve.median
    right = max(ticks[-1], float(curve.durations.max())) * 1.04 + 1
    ax.set_xlim(0, right)
    if median is not None:
        ax.plot([median, median], [0, 0.5], color=VERMILION, ls="--", lw=1.6)
        ax.plot([median], [0.5], ls="none", marker="o", ms=6, color=VERMILION)
        median_label(ax, curve, median, f"median {wording.median_relief_words(summary)}")
    else:
        ax.text(
            0.98,
            0.55,
            "median not reached: more than half still have relief",
            transform=ax.transAxes,
            ha="right",
            size=TEXT_SIZE + 1,
        )
    ax.set_xticks(ticks)
    ax.set_xlabel("days since the last induction session", size=TEXT_SIZE)
    # Numbers at risk under the axis, aligned with the ticks.
    from matplotlib.transforms import blended_transform_factory

    under = blended_transform_factory(ax.transData, fig.transFigure)
    fig.text(
        0.1,
        0.175,
        "Number at risk (responders still observed with relief)",
        size=TEXT_SIZE,
        weight="bold",
        va="center",
    )
    for t in ticks:
        ax.text(
            t,
            0.145,
            str(curve.at_risk(t)),
            transform=under,
            ha="center",
            va="center",
            size=TEXT_SIZE,
        )
    held = "   ".join(
        f"day {t}: {wording.relief_share_words(summary.relief_at_days.get(str(t)))}"
        for t in RELIEF_CHECKPOINTS
    )
    fig.text(0.1, 0.095, f"Relief still holding at {held}", size=TEXT_SIZE + 1, va="center")


def trajectory_lines(statuses: Sequence[PatientStatus]) -> dict[bool, list]:
    """{responder: [[(day, % of baseline), ...], ...]} of every patient with a baseline and a later score."""
    lines: dict[bool, list] = {True: [], False: []}
    for s in statuses:
        if s.baseline is None or not s.infusions:
            continue
        pts = [
            (p.day, 100.0 * p.assessment.total / s.baseline.total)
            for p in s.points
            if p.day is not None and (p.session >= 1 or p.assessment is s.baseline)
        ]
        if len(pts) >= 2:
            lines[s.verdict.value == RESPONDER].append(pts)
    return lines


def trajectory_count(statuses: Sequence[PatientStatus]) -> int:
    """How many lines the trajectories figure draws."""
    lines = trajectory_lines(statuses)
    return len(lines[True]) + len(lines[False])


def draw_trajectories(fig: Figure, statuses: Sequence[PatientStatus], scale_id: str) -> None:
    """Every patient's scores as % of baseline over the course (a spaghetti plot)."""
    scale = get_scale(scale_id)
    lines = trajectory_lines(statuses)
    drawn = len(lines[True]) + len(lines[False])
    with_baseline = sum(1 for s in statuses if has_baseline(s))
    ax = _frame(
        fig,
        f"Every trajectory: {scale.name} as % of baseline",
        f"One line per patient, from the baseline to the latest score: "
        f"{wording.trajectories_words(drawn, with_baseline, len(statuses))}.\n"
        "Solid blue: responders; dashed grey: everyone else.",
    )
    # One LineCollection per class instead of one Line2D per patient; past a few hundred
    # patients thinner, fainter lines, so that where many run together reads as dense.
    many = drawn > MANY_PATIENTS
    for responder, colour, style, alpha in ((False, GREY, "--", 0.6), (True, BLUE, "-", 0.55)):
        if lines[responder]:
            ax.add_collection(
                LineCollection(
                    lines[responder],
                    colors=colour,
                    linestyles=style,
                    linewidths=0.5 if many else 0.9,
                    alpha=alpha * (0.35 if many else 1.0),
                )
            )
    ax.autoscale_view()
    ax.axhline(100, color=BLACK, lw=1, ls="-.")
    ax.axhline(50, color=ORANGE, lw=1.8, ls="--")
    ax.set_ylabel(f"{scale.name} score as % of baseline (lower is better)", size=TEXT_SIZE)
    ax.set_xlabel("days since the first infusion", size=TEXT_SIZE)
    ax.legend(
        handles=[
            Line2D([], [], color=BLUE, lw=1.2, label="responder"),
            Line2D([], [], color=GREY, lw=1.2, ls="--", label="not a responder (yet)"),
            Line2D([], [], color=BLACK, lw=1, ls="-.", label="baseline (100%)"),
            Line2D([], [], color=ORANGE, lw=1.8, ls="--", label="response line (50%)"),
        ],
        loc="upper right",
        fontsize=SMALL_SIZE + 0.5,
        framealpha=0.9,
    )
    if not drawn:
        ax.text(
            0.5,
            0.5,
            "No patient has a baseline and a later score yet.",
            transform=ax.transAxes,
            ha="center",
            size=TEXT_SIZE + 1,
        )
    else:
        ax.set_ylim(0, max(150, ax.get_ylim()[1]))
