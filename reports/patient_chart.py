"""One patient's progress chart: the outcome scale over the course, and CADSS per infusion.

The chart answers the psychotherapy team's questions at a glance: where did
the patient start (baseline), where are the response (50% of baseline) and
remission lines, when were infusions and boosters given, when was response
first reached, did it hold (relief span), and did dissociation or a positive
suicidality item accompany any session. Everything drawn comes from the
domain's `PatientStatus`; the chart decides nothing.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.text import Text
from matplotlib.ticker import MaxNLocator
from matplotlib.transforms import ScaledTranslation, blended_transform_factory

from outcomes import wording
from outcomes.course import dose_steps
from outcomes.dissociation import CadssPoint
from outcomes.drugs import DOSE_UNITS, dose_of
from outcomes.relief import RELAPSE
from outcomes.response import remission_cut, response_score
from outcomes.safety import SUICIDALITY
from outcomes.scales import get_scale
from outcomes.status import PatientStatus
from reports.layout import line_height
from reports.style import (
    BAND_GREYS,
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
    new_figure,
    report_style,
    save_png,
)


def _day(status: PatientStatus, when: date) -> int:
    return (when - status.infusions[0].when.day).days


def draw_progress(
    fig: Figure,
    rect: tuple[float, float, float, float],
    status: PatientStatus,
    cadss: Sequence[CadssPoint],
    *,
    alerts: bool = True,
) -> None:
    """Draw the two-panel progress chart into `rect` (figure coordinates).

    `rect` includes room for the band labels on the right and the legend below.
    `alerts=False` leaves out the suicidality-alert flags (patient mode's
    picture: the patient sees the clinic's crisis text instead).
    """
    left, bottom, width, height = rect
    scale = get_scale(status.scale)
    main_rect = (left + 0.08 * width, bottom + 0.48 * height, 0.78 * width, 0.45 * height)
    side_rect = (main_rect[0], bottom + 0.29 * height, main_rect[2], 0.15 * height)
    ax = fig.add_axes(main_rect)
    ax2 = fig.add_axes(side_rect, sharex=ax)
    fig.text(
        left + 0.08 * width,
        bottom + 0.965 * height,
        f"{scale.name} score since the first {wording.noun_of(status)} (lower is better)",
        size=TEXT_SIZE + 1,
        weight="bold",
        va="center",
    )

    top = scale.total_max
    ax.set_ylim(0, top * 1.16)  # headroom above the scale for the relief span
    # The axes' own tick machinery (locators, formatters, a Tick object of
    # five artists per tick) costs more than the rest of the chart together;
    # the few ticks this chart needs are drawn directly (`_axis_marks`).
    for axes in (ax, ax2):
        axes.xaxis.set_visible(False)
        axes.yaxis.set_visible(False)
    step = 5 if top <= 30 else 10
    _axis_marks(ax, "y", list(range(0, top + 1, step)), f"{scale.name} total (0-{top})")

    _draw_bands(ax, scale)
    if not status.infusions:
        _text(
            ax,
            0.5,
            0.5,
            "No infusion recorded yet: nothing to chart over a course.",
            transform=ax.transAxes,
            ha="center",
            va="center",
            size=TEXT_SIZE,
        )
        _axis_marks(ax2, "x", [], f"days since the first {wording.noun_of(status)}")
        return
    handles = _draw_course(ax, ax2, status, cadss, alerts)
    draw_key(
        fig,
        (main_rect[0] - 0.04 * width, bottom, main_rect[2] + 0.1 * width, 0.2 * height),
        handles,
    )


def _draw_course(
    ax, ax2, status: PatientStatus, cadss: Sequence[CadssPoint], alerts: bool
) -> list[Line2D]:
    """Everything drawn over the days of the course; returns the key's entries."""
    ax.set_xlim(*_day_span(status))
    handles = _draw_infusions(
        ax,
        ax2,
        [_day(status, inf.when.day) for inf in status.infusions],
        status.settings.induction_sessions,
        wording.noun_of(status),
    )
    handles += _draw_doses(ax, status)
    handles += _draw_reference_lines(ax, status)
    scores = [(p.day, p.assessment.total) for p in status.points if p.day is not None]
    if scores:
        x, y = zip(*scores, strict=True)
        ax.plot(x, y, color=BLUE, lw=2, marker="o", ms=5, zorder=5)
        handles.append(
            Line2D(
                [],
                [],
                color=BLUE,
                lw=2,
                marker="o",
                ms=5,
                label=f"{get_scale(status.scale).name} score",
            )
        )
    handles += _draw_milestones(ax, status)
    _draw_relief(ax, status)
    handles += _draw_cadss(ax2, cadss, wording.noun_of(status))
    if alerts:
        handles += _draw_safety_flags(ax, status)
    lo, hi = ax.get_xlim()
    _axis_marks(
        ax2,
        "x",
        [t for t in MaxNLocator(9, integer=True).tick_values(lo, hi) if lo <= t <= hi],
        f"days since the first {wording.noun_of(status)}",
    )
    low, high = ax2.get_ylim()
    _axis_marks(
        ax2,
        "y",
        [t for t in MaxNLocator(3, integer=True).tick_values(low, high) if low <= t <= high],
        "CADSS\n(dissociation)",
        label_size=SMALL_SIZE,
    )
    return handles


def _day_span(status: PatientStatus) -> tuple[float, float]:
    """The x-axis limits: every infusion, score and the relief span, with a margin."""
    days = [_day(status, inf.when.day) for inf in status.infusions]
    xs = [p.day for p in status.points if p.day is not None]
    relief_end = None
    if status.relief is not None:
        relief_end = _day(status, status.relief.day0.day) + status.relief.days
    span_max = max(days + xs + ([relief_end] if relief_end is not None else []) + [1])
    span_min = min(xs + [0])
    pad = max(1.5, (span_max - span_min) * 0.04)
    return span_min - pad, span_max + pad


#: The chart alone, in inches: the part of a report page it takes there.
CHART_ALONE_SIZE = (7.8, 7.6)


def write_chart_png(
    status: PatientStatus,
    cadss: Sequence[CadssPoint],
    path: Path,
    title: str = "",
    *,
    alerts: bool = True,
) -> Path:
    """The progress chart alone as a PNG, under `title` (patient mode's take-home picture).

    Written atomically (`save_png`); `alerts` as for `draw_progress`.
    """
    with report_style():
        fig = new_figure(CHART_ALONE_SIZE)
        top = 1.0
        if title:
            fig.text(0.5, 0.98, title, ha="center", va="top", size=TEXT_SIZE + 2, weight="bold")
            top = 0.95
        draw_progress(fig, (0.0, 0.0, 1.0, top), status, cadss, alerts=alerts)
        return save_png(fig, path)


def _text(ax, x, y, s, **kwargs) -> Text:
    """`ax.text` for the chart's texts, none of them clipped: without the clip path
    `Axes.text` gives every text (unused while `clip_on` is False, as it is for every text
    here), which costs a new transform of the axes' patch each time: 4% of a batch report."""
    text = Text(
        x,
        y,
        s,
        **{
            "verticalalignment": "baseline",
            "horizontalalignment": "left",
            "transform": ax.transData,
            "clip_on": False,
            **kwargs,
        },
    )
    ax._add_text(text)
    return text


TICK_LENGTH_IN = 0.05
TICK_PAD_IN = 0.04


def _axis_marks(
    ax, which: str, ticks: Sequence[float], label: str, label_size: float = TEXT_SIZE
) -> None:
    """Tick marks, tick labels and the axis label of one side of `ax`, drawn directly."""
    fig = ax.get_figure()
    pos = ax.get_position()
    width_in, height_in = pos.width * fig.get_figwidth(), pos.height * fig.get_figheight()
    if which == "y":
        along = blended_transform_factory(ax.transAxes, ax.transData)
        tick, pad = TICK_LENGTH_IN / width_in, TICK_PAD_IN / width_in
        xs = [v for t in ticks for v in (-tick, 0.0, np.nan)]
        ys = [v for t in ticks for v in (t, t, np.nan)]
        for t in ticks:
            _text(
                ax,
                -tick - pad,
                t,
                f"{t:.0f}",
                transform=along,
                ha="right",
                va="center",
                size=SMALL_SIZE,
            )
        _text(
            ax,
            -0.42 / width_in,
            0.5,
            label,
            transform=ax.transAxes,
            rotation=90,
            ha="center",
            va="center",
            size=label_size,
            linespacing=1.1,
        )
    else:
        along = blended_transform_factory(ax.transData, ax.transAxes)
        tick, pad = TICK_LENGTH_IN / height_in, TICK_PAD_IN / height_in
        xs = [v for t in ticks for v in (t, t, np.nan)]
        ys = [v for t in ticks for v in (-tick, 0.0, np.nan)]
        for t in ticks:
            _text(
                ax,
                t,
                -tick - pad,
                f"{t:.0f}",
                transform=along,
                ha="center",
                va="top",
                size=SMALL_SIZE,
            )
        _text(
            ax,
            0.5,
            -0.24 / height_in,
            label,
            transform=ax.transAxes,
            ha="center",
            va="top",
            size=label_size,
        )
    if ticks:
        ax.plot(xs, ys, transform=along, color=BLACK, lw=0.8, clip_on=False)


def draw_key(
    fig: Figure, rect: tuple[float, float, float, float], handles: Sequence[Line2D], ncols: int = 2
) -> None:
    """A legend laid out by hand in `rect`: symbols and labels in `ncols` columns.

    matplotlib's `Legend` measures every label before drawing it; for a key
    drawn for each of hundreds of patients the fixed grid is much cheaper.
    """
    left, bottom, width, height = rect
    rows = -(-len(handles) // ncols)
    pitch = min(height / max(rows, 1), line_height(fig, SMALL_SIZE) * 1.45)
    # Symbol widths in figure coordinates: a fixed length in inches.
    seg = 0.45 / fig.get_figwidth()
    for i, h in enumerate(handles):
        col, row = divmod(i, rows)
        x0 = left + col * width / ncols
        y = bottom + height - (row + 0.5) * pitch
        fig.add_artist(
            Line2D(
                [x0, x0 + seg],
                [y, y],
                transform=fig.transFigure,
                color=h.get_color(),
                lw=h.get_linewidth(),
                ls=h.get_linestyle(),
            )
        )
        if h.get_marker() not in (None, "None", "", " "):
            fig.add_artist(
                Line2D(
                    [x0 + seg / 2],
                    [y],
                    transform=fig.transFigure,
                    ls="none",
                    marker=h.get_marker(),
                    ms=min(h.get_markersize(), 9),
                    mfc=h.get_markerfacecolor(),
                    mec=h.get_markeredgecolor(),
                    mew=h.get_markeredgewidth(),
                )
            )
        fig.text(x0 + seg * 1.3, y, h.get_label(), size=SMALL_SIZE, va="center_baseline")


def _draw_bands(ax, scale) -> None:
    label_at = blended_transform_factory(ax.transAxes, ax.transData)
    lower = 0
    for i, band in enumerate(scale.bands):
        upper = min(band.upper, scale.total_max)
        ax.axhspan(
            lower,
            upper,
            facecolor=BAND_GREYS[min(i, len(BAND_GREYS) - 1)],
            edgecolor="none",
            zorder=0,
        )
        label = band.label.replace("moderately severe", "moderately\nsevere")
        _text(
            ax,
            1.01,
            (lower + upper) / 2,
            label,
            transform=label_at,
            size=SMALL_SIZE,
            color=GREY,
            va="center",
            ha="left",
            linespacing=1.0,
        )
        lower = upper


def _draw_infusions(ax, ax2, days: list[int], n: int, noun: str) -> list[Line2D]:
    induction, boosters = days[:n], days[n:]
    bottom = blended_transform_factory(ax.transData, ax.transAxes)
    # One collection per kind and panel (not one line per infusion): cheaper to draw.
    for axes in (ax, ax2):
        span = blended_transform_factory(axes.transData, axes.transAxes)
        axes.vlines(induction, 0, 1, transform=span, color=GREY, lw=0.6, zorder=1)
        if boosters:
            axes.vlines(
                boosters,
                0,
                1,
                transform=span,
                color=PURPLE,
                lw=1.0,
                linestyles=[(0, (4, 2))],
                zorder=1,
            )
    handles = []
    ax.plot(
        induction,
        [0.015] * len(induction),
        ls="none",
        marker="^",
        ms=7,
        color=BLACK,
        transform=bottom,
        clip_on=False,
        zorder=6,
    )
    handles.append(
        Line2D(
            [],
            [],
            ls="-",
            lw=0.6,
            color=GREY,
            marker="^",
            ms=7,
            mfc=BLACK,
            mec=BLACK,
            label=f"{noun} (induction 1-{n})",
        )
    )
    if boosters:
        ax.plot(
            boosters,
            [0.015] * len(boosters),
            ls="none",
            marker="D",
            ms=6,
            color=PURPLE,
            transform=bottom,
            clip_on=False,
            zorder=6,
        )
        handles.append(
            Line2D(
                [],
                [],
                ls=(0, (4, 2)),
                lw=1.0,
                color=PURPLE,
                marker="D",
                ms=6,
                label=f"booster {noun}",
            )
        )
    return handles


def _draw_doses(ax, status: PatientStatus) -> list[Line2D]:
    """The dose at the first infusion and at every step up or down, above the infusion marks."""
    infusions = status.infusions
    steps = dose_steps(infusions)
    first = next((i for i, inf in enumerate(infusions) if dose_of(inf) is not None), None)
    if first is None:
        return []
    above_marks = blended_transform_factory(ax.transData, ax.transAxes)
    for index in [first, *steps]:
        dose = dose_of(infusions[index])
        arrow = {1: "\u2191 ", -1: "\u2193 "}.get(steps.get(index), "")
        _text(
            ax,
            _day(status, infusions[index].when.day),
            0.05,
            f"{arrow}{dose:g}",
            transform=above_marks,
            ha="center",
            va="bottom",
            size=SMALL_SIZE,
            weight="bold" if arrow else "normal",
            zorder=6,
            bbox=dict(boxstyle="square,pad=0.15", fc="white", ec="none", alpha=0.8),
        )
    # A plain marker, not a mathtext one ("$...$"): mathtext's parse cache keeps FreeType faces
    # that forked report workers would share with this process (file offsets and all).
    return [
        Line2D(
            [],
            [],
            ls="none",
            marker="|",
            ms=7,
            color=BLACK,
            label=f"dose ({DOSE_UNITS[status.course.drug]}): first, then \u2191 / \u2193 at a change",
        )
    ]


def _draw_reference_lines(ax, status: PatientStatus) -> list[Line2D]:
    handles = []
    base = status.baseline
    if base is not None:
        b = base.total
        ax.axhline(b, color=BLACK, lw=1.0, ls="-.", zorder=2)
        handles.append(Line2D([], [], color=BLACK, lw=1.0, ls="-.", label=f"baseline ({b})"))
        level = response_score(b)  # the highest whole score that is a response
        ax.axhline(level, color=ORANGE, lw=1.6, ls="--", zorder=2)
        handles.append(
            Line2D(
                [],
                [],
                color=ORANGE,
                lw=1.6,
                ls="--",
                label=wording.response_line_label(level, for_patient=False),
            )
        )
    cut = remission_cut(status.scale, status.settings)
    if cut is not None:
        ax.axhline(cut, color=GREEN, lw=1.6, ls=":", zorder=2)
        handles.append(
            Line2D([], [], color=GREEN, lw=1.6, ls=":", label=f"remission: {cut} or less")
        )
    return handles


def _draw_milestones(ax, status: PatientStatus) -> list[Line2D]:
    handles = []
    marks = []
    if status.first_response is not None:
        m = status.first_response
        marks.append(
            (
                m.days_from_first_infusion,
                m.when.total,
                "*",
                16,
                ORANGE,
                f"first response: session {m.session}, day {m.days_from_first_infusion}",
            )
        )
    if status.first_remission is not None:
        m = status.first_remission
        marks.append(
            (
                m.days_from_first_infusion,
                m.when.total,
                "s",
                13,
                GREEN,
                f"first remission: session {m.session}, day {m.days_from_first_infusion}",
            )
        )
    relief = status.relief
    if relief is not None and relief.ended_by == RELAPSE and relief.relapse_when is not None:
        lost = next((p for p in status.points if p.assessment.when == relief.relapse_when), None)
        if lost is not None and lost.day is not None:
            marks.append(
                (
                    lost.day,
                    lost.assessment.total,
                    "X",
                    11,
                    VERMILION,
                    f"loss of response: day {lost.day}",
                )
            )
    for x, y, marker, size, colour, label in marks:
        # The star sits on top: when response and remission came with the same
        # score, the square shows around it.
        ax.plot(
            [x],
            [y],
            ls="none",
            marker=marker,
            ms=size,
            mfc=colour,
            mec=BLACK,
            mew=0.8,
            zorder=8 if marker == "*" else 7,
        )
        handles.append(
            Line2D(
                [],
                [],
                ls="none",
                marker=marker,
                ms=size,
                mfc=colour,
                mec=BLACK,
                mew=0.8,
                label=label,
            )
        )
    return handles


def _draw_relief(ax, status: PatientStatus) -> None:
    relief = status.relief
    if relief is None:
        return
    start = _day(status, relief.day0.day)
    end = start + relief.days
    scale_top = get_scale(status.scale).total_max
    y = scale_top * 1.05
    if relief.days > 0:
        ax.annotate(
            "",
            xy=(end, y),
            xytext=(start, y),
            arrowprops=dict(
                arrowstyle="<|-|>", color=BLACK, lw=1.0, shrinkA=0, shrinkB=0, mutation_scale=8
            ),
        )
    _text(
        ax,
        start + relief.days / 2,
        y + scale_top * 0.02,
        wording.relief_label(status),
        ha="center",
        va="bottom",
        size=SMALL_SIZE,
        zorder=8,
        bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.85),
    )


def _draw_cadss(ax2, cadss: Sequence[CadssPoint], noun: str) -> list[Line2D]:
    handles = []
    if cadss:
        xs = [c.day for c in cadss]
        ys = [c.total for c in cadss]
        ax2.bar(xs, ys, width=0.8, color=SKY_BLUE, edgecolor=BLACK, lw=0.6, hatch="///", zorder=3)
        peak = max(ys)
        ax2.set_ylim(0, max(10, peak * 1.45))
        for x, y in zip(xs, ys, strict=True):
            _text(ax2, x, y, f"{y}", ha="center", va="bottom", size=SMALL_SIZE - 1, zorder=4)
        handles.append(
            Line2D(
                [],
                [],
                ls="none",
                marker="s",
                ms=8,
                mfc=SKY_BLUE,
                mec=BLACK,
                label=f"CADSS at the {noun} (0-92)",
            )
        )
    else:
        ax2.set_ylim(0, 10)
        _text(
            ax2,
            0.5,
            0.5,
            "no CADSS (dissociation) rating recorded",
            transform=ax2.transAxes,
            ha="center",
            va="center",
            size=SMALL_SIZE,
            color=GREY,
            zorder=4,
            bbox=dict(boxstyle="square,pad=0.3", fc="white", ec="none"),
        )
    return handles


def _draw_safety_flags(ax, status: PatientStatus) -> list[Line2D]:
    """Scores whose suicidality item was positive, flagged just above the score itself, open
    or acknowledged (the clinician's chart only); a flag from another scale sits at the top."""
    handles = []
    totals = {p.assessment.when: p.assessment.total for p in status.points}
    top = get_scale(status.scale).total_max
    # 11 points above the score: the flag points down at it, clear of its marker.
    above = ax.transData + ScaledTranslation(0, 11 / 72, ax.figure.dpi_scale_trans)
    flags = [a for a in status.alerts if a.kind == SUICIDALITY]
    for acknowledged, face, edge, width, label in (
        (False, VERMILION, BLACK, 1.0, "suicidality item positive, open"),
        (True, "white", VERMILION, 1.5, "suicidality item positive, acknowledged"),
    ):
        chosen = [a for a in flags if a.acknowledged == acknowledged]
        if not chosen:
            continue
        style = dict(ls="none", marker="v", ms=9, mfc=face, mec=edge, mew=width)
        ax.plot(
            [_day(status, a.when.day) for a in chosen],
            [totals.get(a.when, top) for a in chosen],
            transform=above,
            zorder=6,
            clip_on=False,
            **style,
        )
        handles.append(Line2D([], [], label=label, **style))
    return handles


def draw_compact(
    fig: Figure, rect: tuple[float, float, float, float], status: PatientStatus
) -> None:
    """A small one-panel chart of one scale for the report's page of other scales.

    The scores over the days since the first infusion, the severity bands,
    baseline, response and remission lines and the infusions; the full
    chart's legend is on page 1, so the lines are named in the title line.
    """
    scale = get_scale(status.scale)
    left, bottom, width, height = rect
    ax = fig.add_axes((left + 0.08 * width, bottom + 0.16 * height, 0.78 * width, 0.8 * height))
    ax.xaxis.set_visible(False)
    ax.yaxis.set_visible(False)
    top = scale.total_max
    ax.set_ylim(0, top * 1.04)
    _axis_marks(
        ax,
        "y",
        list(range(0, top + 1, 5 if top <= 30 else 10)),
        f"total (0-{top})",
        label_size=SMALL_SIZE,
    )
    _draw_bands(ax, scale)
    scores = [(p.day, p.assessment.total) for p in status.points if p.day is not None]
    days = [_day(status, inf.when.day) for inf in status.infusions]
    if not scores:
        _text(
            ax,
            0.5,
            0.5,
            f"No score after the first {wording.noun_of(status)} on this scale.",
            transform=ax.transAxes,
            ha="center",
            va="center",
            size=SMALL_SIZE,
        )
        return
    xs = [x for x, _ in scores] + days
    pad = max(1.5, (max(xs) - min(xs + [0])) * 0.04)
    ax.set_xlim(min(xs + [0]) - pad, max(xs) + pad)
    n = status.settings.induction_sessions
    span = blended_transform_factory(ax.transData, ax.transAxes)
    ax.vlines(days[:n], 0, 1, transform=span, color=GREY, lw=0.6, zorder=1)
    if days[n:]:
        ax.vlines(
            days[n:], 0, 1, transform=span, color=PURPLE, lw=1.0, linestyles=[(0, (4, 2))], zorder=1
        )
    _draw_reference_lines(ax, status)
    x, y = zip(*scores, strict=True)
    ax.plot(x, y, color=BLUE, lw=1.6, marker="o", ms=3.5, zorder=5)
    lo, hi = ax.get_xlim()
    _axis_marks(
        ax,
        "x",
        [t for t in MaxNLocator(9, integer=True).tick_values(lo, hi) if lo <= t <= hi],
        f"days since the first {wording.noun_of(status)}",
        label_size=SMALL_SIZE,
    )
