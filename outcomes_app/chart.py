"""The terminal chart of one patient's scores: `ScoreChart`.

Draws the chosen scale's totals over days since the course's first infusion
(textual-plotext), with the infusions marked along the bottom (boosters with
their own marker), the response line at the highest whole score that is a
response (half the baseline or lower), the remission line
and, in the clinician's version, the baseline. Every line has its own
character as well as its own colour, and the legend under the plot names each
character, so the chart reads the same on a monochrome terminal.

The clinician app and patient mode share this widget; `simple=True` gives the
patient's version (fewer lines, plain labels). The numbers come from
`outcomes/` (`PatientStatus`, `chart_data`, `response_line_label`);
nothing here decides a clinical question.
"""

from __future__ import annotations

import math

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static
from textual_plotext import PlotextPlot

from outcomes.chart_marks import ChartData, chart_data
from outcomes.status import PatientStatus
from outcomes.wording import not_drawn_words, response_line_label

# One character per kind of mark, so that colour is never the only cue.
SCORE_MARK = "●"
INFUSION_MARK = "▲"
BOOSTER_MARK = "◆"
RESPONSE_MARK = "-"
REMISSION_MARK = "·"
BASELINE_MARK = "="

# Colours are a second cue only; plotext names.
SCORE_COLOR = "cyan"
INFUSION_COLOR = "orange"
BOOSTER_COLOR = "magenta"
RESPONSE_COLOR = "green"
REMISSION_COLOR = "blue"
BASELINE_COLOR = "gray"


def empty_title(data: ChartData | None) -> str:
    """What an empty chart says: never "no scores" when a baseline or any score was recorded."""
    if data is not None and data.baseline is not None:
        return f"Baseline {data.baseline}; no {data.scale_name} score since"
    if data is not None and data.not_drawn:
        return f"No {data.scale_name} score of this course to draw"
    return "No scores on this scale yet"


def _nice_step(span: float, target_ticks: int) -> int:
    """A whole-number tick step of 1, 2 or 5 times a power of ten."""
    raw = max(span / max(target_ticks, 1), 1)
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if factor * power >= raw:
            return int(factor * power)
    return int(10 * power)


def _fmt(value: float) -> str:
    return f"{value:g}" if value != int(value) else str(int(value))


class _Plot(PlotextPlot):
    """The plot area; it asks its chart to redraw when its own size changes."""

    def on_resize(self) -> None:
        # Tick spacing depends on the plot's size, so redraw at the new one.
        chart = self.parent
        if isinstance(chart, ScoreChart):
            chart.redraw()


class ScoreChart(Vertical):
    """A patient's scores on one scale over days since the first infusion.

    Args:
        status: The patient's status on the scale to draw (or None: empty).
        simple: The patient's version: fewer lines, plain labels.
        **widget_kwargs: name, id, classes, disabled, as for any widget.
    """

    DEFAULT_CSS = """
    ScoreChart {
        height: 1fr;
        min-height: 10;
    }
    ScoreChart > PlotextPlot {
        height: 1fr;
        min-height: 8;
    }
    ScoreChart > .chart--legend {
        height: auto;
        padding: 0 1;
    }
    """

    def __init__(
        self, status: PatientStatus | None = None, simple: bool = False, **widget_kwargs
    ) -> None:
        super().__init__(**widget_kwargs)
        self.simple = simple
        self.status = status
        self.data: ChartData | None = chart_data(status) if status else None

    def compose(self) -> ComposeResult:
        yield _Plot(classes="chart--plot")
        yield Static(classes="chart--legend")

    def on_mount(self) -> None:
        self.redraw()

    def show(self, status: PatientStatus | None) -> None:
        """Draw `status` instead of what the chart shows now."""
        self.status = status
        self.data = chart_data(status) if status else None
        if self.is_mounted:
            self.redraw()

    # ----- text forms, for the legend, tests and screen readers -------------
    def legend(self) -> Text:
        """The legend: each mark's character with what it means."""
        data = self.data
        text = Text()
        if data is None or data.empty:
            text.append(self.not_drawn_note() or empty_title(data) + ".")
            return text
        entries = [
            (
                f"{SCORE_MARK}",
                SCORE_COLOR,
                "your score" if self.simple else f"{data.scale_name} total",
            )
        ]
        if data.response_level is not None:
            entries.append(
                (
                    RESPONSE_MARK * 2,
                    RESPONSE_COLOR,
                    response_line_label(data.response_level, for_patient=self.simple),
                )
            )
        if data.remission is not None:
            entries.append(
                (
                    REMISSION_MARK * 2,
                    REMISSION_COLOR,
                    (
                        f"{data.remission} or lower: remission"
                        if self.simple
                        else f"remission: {data.remission} or lower"
                    ),
                )
            )
        if data.baseline is not None and not self.simple:
            entries.append((BASELINE_MARK * 2, BASELINE_COLOR, f"baseline {data.baseline}"))
        if data.infusion_days:
            entries.append((INFUSION_MARK, INFUSION_COLOR, data.noun))
        if data.booster_days:
            entries.append((BOOSTER_MARK, BOOSTER_COLOR, "booster"))
        for i, (mark, color, label) in enumerate(entries):
            if i:
                text.append("   ")
            text.append(mark, style=_rich_color(color))
            text.append(f" {label}")
        note = self.not_drawn_note()
        if note:
            text.append(f"\n{note}")
        return text

    def not_drawn_note(self) -> str | None:
        """Why scores the timeline lists are not drawn (None when all are)."""
        data, status = self.data, self.status
        if data is None or status is None or not data.not_drawn:
            return None
        return not_drawn_words(
            data.scale_name,
            data.not_drawn,
            status.settings.baseline_window_days,
            data.noun,
            for_patient=self.simple,
        )

    def plot_text(self) -> str:
        """The plot as plain characters at its current size (no colour)."""
        plot = self.query_one(PlotextPlot)
        plot.plt.plotsize(plot.size.width, plot.size.height)
        return _strip_ansi(plot.plt.build())

    # ----- drawing ----------------------------------------------------------
    def redraw(self) -> None:
        """Draw the current status again, at the plot's current size."""
        plot = self.query_one(PlotextPlot)
        self.query_one(".chart--legend", Static).update(self.legend())
        plt = plot.plt
        plt.clear_figure()
        data = self.data
        if data is None or data.empty:
            plt.title(empty_title(data))
            plt.xticks([])
            plt.yticks([])
            plot.refresh()
            return
        if self.simple:
            plt.title(f"Your {data.scale_name} scores (lower is better)")
        else:
            plt.title(f"{data.scale_name} total by day since the first {data.noun}")
        plt.xlabel(data.x_label)

        all_days = list(data.days) + list(data.infusion_days) + list(data.booster_days)
        x_lo, x_hi = min(all_days), max(all_days)
        if x_hi - x_lo < 4:
            x_hi = x_lo + 4  # room for a one-day course to read as a line
        x_lo -= 1
        x_hi += 1
        levels = [*data.totals, data.baseline or 0, data.remission or 0]
        y_hi = min(data.total_max, max(levels) + 2)
        y_lo = 0
        # Marks along the bottom edge say when each infusion was given.
        if data.infusion_days:
            plt.scatter(
                list(data.infusion_days),
                [y_lo] * len(data.infusion_days),
                marker=INFUSION_MARK,
                color=INFUSION_COLOR,
            )
        if data.booster_days:
            plt.scatter(
                list(data.booster_days),
                [y_lo] * len(data.booster_days),
                marker=BOOSTER_MARK,
                color=BOOSTER_COLOR,
            )
        if data.remission is not None:
            plt.plot(
                [x_lo, x_hi], [data.remission] * 2, marker=REMISSION_MARK, color=REMISSION_COLOR
            )
        if data.response_level is not None:
            plt.plot(
                [x_lo, x_hi], [data.response_level] * 2, marker=RESPONSE_MARK, color=RESPONSE_COLOR
            )
        if data.baseline is not None and not self.simple:
            plt.plot([x_lo, x_hi], [data.baseline] * 2, marker=BASELINE_MARK, color=BASELINE_COLOR)
        if len(data.totals) > 1:
            plt.plot(list(data.days), list(data.totals), marker="braille", color=SCORE_COLOR)
        plt.scatter(list(data.days), list(data.totals), marker=SCORE_MARK, color=SCORE_COLOR)

        plt.xlim(x_lo, x_hi)
        plt.ylim(y_lo, y_hi)
        height = max(plot.size.height, 8)
        width = max(plot.size.width, 20)
        plt.yticks(*_y_ticks(data, y_lo, y_hi, rows=max(height - 5, 3)))
        x_step = _nice_step(x_hi - x_lo, max(2, (width - 8) // 10))
        first_tick = math.ceil(x_lo / x_step) * x_step
        plt.xticks(list(range(first_tick, x_hi + 1, x_step)))
        plot.refresh()


def _y_ticks(data: ChartData, y_lo: int, y_hi: int, rows: int) -> tuple[list, list]:
    """Ticks at the lines' own levels first, then round numbers between.

    Labelling the response and remission lines with their exact values keeps
    a reader from taking a line drawn on the nearest row for a rounder number.
    """
    per_row = (y_hi - y_lo) / rows
    wanted = [v for v in (data.remission, data.response_level, data.baseline) if v is not None]
    step = _nice_step(y_hi - y_lo, max(2, rows // 3))
    wanted += [y_lo, *range(y_lo + step, int(y_hi) + 1, step)]
    ticks: list[float] = []
    for value in wanted:
        # Two labels on one row would overprint each other.
        if y_lo <= value <= y_hi and all(abs(value - t) >= 1.5 * per_row for t in ticks):
            ticks.append(value)
    ticks.sort()
    return ticks, [_fmt(t) for t in ticks]


def _rich_color(plotext_color: str) -> str:
    # plotext's "orange" and "gray" are not Rich colour names.
    return {"orange": "dark_orange", "gray": "grey50"}.get(plotext_color, plotext_color)


def _strip_ansi(text: str) -> str:
    return Text.from_ansi(text).plain
