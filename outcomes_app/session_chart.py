"""The terminal chart of one session's readings over minutes since its start: `SessionChart`.

Two panels (textual-plotext): pressure and oxygen saturation above, with
the hold threshold and the saturation floor dashed; respiratory rate and
MOAA/S sedation below, with the rate's range and the deep-sedation line.
Every series has its own letter as well as its colour, named in the legend,
so it reads on a monochrome terminal. The thresholds are the clinic's
settings; nothing here decides a clinical question.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static
from textual_plotext import PlotextPlot

from outcomes.sessions import SessionSummary, minutes_after_start
from outcomes.settings import Settings

#: (reading field, mark, colour, legend words) per panel.
TOP = (
    ("bp_systolic", "S", "blue", "systolic"),
    ("bp_diastolic", "D", "orange", "diastolic"),
    ("spo2", "O", "cyan", "SpO2 %"),
)
BOTTOM = (
    ("respiratory_rate", "R", "green", "resp. rate"),
    ("sedation_moaas", "M", "magenta", "MOAA/S"),
)
LINE = "-"


class SessionChart(Vertical):
    """Readings of one session drawn over minutes since the start, thresholds dashed."""

    DEFAULT_CSS = """
    SessionChart { height: 1fr; }
    SessionChart > PlotextPlot { height: 1fr; min-height: 8; }
    SessionChart > .chart--legend { height: auto; }
    """

    def __init__(self, **widget_kwargs) -> None:
        super().__init__(**widget_kwargs)
        self.summary: SessionSummary | None = None
        self.settings = Settings()

    def compose(self) -> ComposeResult:
        yield PlotextPlot(id="chart-top")
        yield PlotextPlot(id="chart-bottom")
        yield Static(classes="chart--legend")

    def show(self, summary: SessionSummary, settings: Settings) -> None:
        self.summary, self.settings = summary, settings
        if self.is_mounted:
            self.redraw()

    def on_resize(self) -> None:
        self.redraw()

    def legend(self) -> Text:
        s = self.settings
        text = Text()
        for _, mark, colour, words in TOP + BOTTOM:
            text.append(f"{mark} ", style=colour if colour != "orange" else "dark_orange")
            text.append(f"{words}   ")
        text.append(
            f"{LINE * 2} thresholds: hold {s.bp_hold_systolic}/{s.bp_hold_diastolic}, SpO2 "
            f"{s.spo2_alert_below}, rate {s.resp_rate_low}-{s.resp_rate_high}, "
            f"MOAA/S {s.sedation_alert_at_or_below}"
        )
        return text

    def redraw(self) -> None:
        self.query_one(".chart--legend", Static).update(self.legend())
        summary, s = self.summary, self.settings
        panels = (
            (
                TOP,
                (
                    (s.bp_hold_systolic, "blue"),
                    (s.bp_hold_diastolic, "orange"),
                    (s.spo2_alert_below, "cyan"),
                ),
                "BP mmHg and SpO2 % by minute since the start",
            ),
            (
                BOTTOM,
                (
                    (s.resp_rate_low, "green"),
                    (s.resp_rate_high, "green"),
                    (s.sedation_alert_at_or_below, "magenta"),
                ),
                "resp. rate and MOAA/S by minute",
            ),
        )
        for plot, (series, lines, title) in zip(self.query(PlotextPlot), panels, strict=False):
            self._draw(plot, summary, series, lines, title)

    @staticmethod
    def _draw(plot: PlotextPlot, summary: SessionSummary | None, series, lines, title: str) -> None:
        plt = plot.plt
        plt.clear_figure()
        if summary is None or not summary.readings:
            plt.title("No readings yet")
            plt.xticks([])
            plt.yticks([])
            plot.refresh()
            return
        inf = summary.infusion
        minutes = [minutes_after_start(inf, r.when) or 0 for r in summary.readings]
        x_hi = max(max(minutes) + 10, 60)
        plt.title(title)
        for value, colour in lines:
            plt.plot([0, x_hi], [value, value], marker=LINE, color=colour)
        for name, mark, colour, _ in series:
            points = [
                (m, getattr(r, name))
                for m, r in zip(minutes, summary.readings, strict=True)
                if getattr(r, name) is not None
            ]
            if points:
                plt.scatter(
                    [p[0] for p in points], [p[1] for p in points], marker=mark, color=colour
                )
        plt.xlim(0, x_hi)
        plot.refresh()
