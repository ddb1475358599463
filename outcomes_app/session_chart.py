"""The terminal chart of one session's readings over minutes since its start: `SessionChart`.

One panel per measure, each on its own scale: blood pressure (systolic and
diastolic, both mmHg), oxygen saturation, respiratory rate, MOAA/S sedation,
and the pulse when there is room. Each alert line is drawn at the clinic's
setting and labelled with its value; the other labels are the panel's
highest and lowest readings, so every number on the axis is a whole number
a reading really had. Rows are coarse, so a reading is placed strictly on
the same side of each line as its value (`place`): an alerting reading is
always beyond its line, and a reading that did not alert never is. A
reading that crossed its line is drawn reversed, a cue without colour.
Which side alerts is `outcomes.reading_limits`' rule; nothing here decides it.
"""

from __future__ import annotations

from typing import NamedTuple

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from outcomes.reading_limits import crossed, limits
from outcomes.sessions import SessionSummary, minutes_after_start
from outcomes.settings import Settings

#: Columns for the axis labels, then the axis itself.
LABEL_WIDTH = 4
LINE_MARK = "╌"
#: Rows a panel's plot gets at most and at least (two lines need five: below, on, between, on, above).
MOST_ROWS, FEWEST_ROWS = 10, 4
#: The pulse panel is drawn only when every panel keeps this many rows with it.
ROWS_FOR_PULSE = 8
#: The narrowest panel drawn beside another, and the gap between them.
PANEL_WIDTH, GAP = 28, 2


class Series(NamedTuple):
    field: str
    mark: str
    colour: str
    words: str


class Panel(NamedTuple):
    """One measure's panel: its series and its titles, longest first (the first that fits is used)."""

    series: tuple[Series, ...]
    titles: tuple[str, ...]
    optional: bool = False


def panels(s: Settings) -> tuple[Panel, ...]:
    """The panels in screen order, titled with the clinic's thresholds."""
    hold = f"{s.bp_hold_systolic}/{s.bp_hold_diastolic}"
    rate = f"{s.resp_rate_low}-{s.resp_rate_high}"
    return (
        Panel(
            (
                Series("bp_systolic", "S", "blue", "systolic"),
                Series("bp_diastolic", "D", "dark_orange", "diastolic"),
            ),
            (f"Blood pressure, mmHg: hold at {hold} or above", f"BP mmHg, hold ≥{hold}", "BP"),
        ),
        Panel(
            (Series("spo2", "O", "cyan", "SpO2 %"),),
            (
                f"Oxygen saturation, %: alert below {s.spo2_alert_below}",
                f"SpO2 %, alert <{s.spo2_alert_below}",
                "SpO2",
            ),
        ),
        Panel(
            (Series("respiratory_rate", "R", "green", "resp. rate"),),
            (f"Respiratory rate /min: alert outside {rate}", f"Resp. rate, outside {rate}", "RR"),
        ),
        Panel(
            (Series("sedation_moaas", "M", "magenta", "MOAA/S"),),
            (
                f"Sedation, MOAA/S: alert at {s.sedation_alert_at_or_below} or below",
                f"MOAA/S, alert ≤{s.sedation_alert_at_or_below}",
                "MOAA/S",
            ),
        ),
        Panel((Series("heart_rate", "H", "yellow", "pulse"),), ("Pulse /min", "Pulse"), True),
    )


def _row(value: float, lo: float, hi: float, rows: int) -> int:
    # Rows 1 to rows-2 hold the scale; the top and bottom rows are kept free for `place`.
    span = hi - lo
    return 1 + (round((value - lo) / span * (rows - 3)) if span else (rows - 2) // 2)


def place(value: float, lo: float, hi: float, rows: int, lines: list[int]) -> int:
    """The row (0 = bottom) of `value` on a scale from `lo` to `hi` over `rows` rows.

    Strictly on its side of every line: below a line's row when below its
    value, above when above, on it only when equal, whatever the rounding.
    """
    row = _row(value, lo, hi, rows)
    for line in lines:
        line_row = _row(line, lo, hi, rows)
        if value == line:
            return line_row
        row = min(row, line_row - 1) if value < line else max(row, line_row + 1)
    return max(0, min(rows - 1, row))


class SessionChart(VerticalScroll):
    """Readings of one session over minutes since the start, one panel and scale per measure."""

    DEFAULT_CSS = """
    SessionChart { height: 1fr; scrollbar-size-vertical: 1; }
    SessionChart > #session-chart-text { width: 1fr; height: auto; }
    SessionChart > .chart--legend { height: auto; }
    """

    def __init__(self, **widget_kwargs) -> None:
        super().__init__(**widget_kwargs)
        self.summary: SessionSummary | None = None
        self.settings = Settings()

    def compose(self):
        yield Static(id="session-chart-text")
        yield Static(classes="chart--legend")

    def show(self, summary: SessionSummary, settings: Settings) -> None:
        self.summary, self.settings = summary, settings
        if self.is_mounted:
            self.redraw()

    def on_resize(self) -> None:
        self.redraw()

    def legend(self) -> Text:
        """Each series' mark, the lines and the reversed mark, in words."""
        text = Text()
        for panel in self.shown_panels():
            for series in panel.series:
                text.append(series.mark, style=f"bold {series.colour}")
                text.append(f" {series.words}  ")
        text.append(f"{LINE_MARK * 2} alert line at its setting  ")
        text.append("X", style="bold reverse")
        text.append(" crossed its line")
        return text

    def columns(self) -> int:
        """Panels side by side when each still gets a readable width."""
        return 2 if self.size.width >= 2 * PANEL_WIDTH + GAP else 1

    def panel_width(self) -> int:
        """Each panel's width in cells (the scroll bar's column left free)."""
        cols = self.columns()
        return (max(self.size.width - 1, 20) - GAP * (cols - 1)) // cols

    def shown_panels(self) -> tuple[Panel, ...]:
        """The panels there is room for: the pulse only when every panel keeps enough rows."""
        every = panels(self.settings)
        if self.rows_per_panel(len(every)) >= ROWS_FOR_PULSE:
            return every
        return tuple(p for p in every if not p.optional)

    def rows_per_panel(self, count: int) -> int:
        """Plot rows each panel gets: the height less the legend and axis, over the rows of panels."""
        grid_rows = -(-count // self.columns())
        return min(MOST_ROWS, (self.size.height - 3) // grid_rows - 1)

    def redraw(self) -> None:
        self.query_one(".chart--legend", Static).update(self.legend())
        self.query_one("#session-chart-text", Static).update(self.chart_text())

    def chart_text(self) -> Text:
        """The panels (one or two columns) and the minutes axis at the widget's width."""
        summary = self.summary
        if summary is None or not summary.readings:
            return Text("No readings yet")
        shown = self.shown_panels()
        cols, width = self.columns(), self.panel_width()
        rows = max(FEWEST_ROWS, self.rows_per_panel(len(shown)))
        minutes = [minutes_after_start(summary.infusion, r.when) or 0 for r in summary.readings]
        x_hi = max(max(minutes) + 10, 60)
        drawn = [self.panel_lines(p, summary, minutes, x_hi, width, rows) for p in shown]
        out: list[Text] = []
        for start in range(0, len(drawn), cols):
            out += _side_by_side(drawn[start : start + cols], width)
        out += _side_by_side([[_minutes_axis(x_hi, width)]] * min(cols, len(drawn)), width)
        return Text("\n").join(out)

    def panel_lines(
        self, panel: Panel, summary, minutes, x_hi, width: int, rows: int
    ) -> list[Text]:
        """One panel: its title, then its plot rows from the top, each `width` cells wide."""
        title = next((t for t in panel.titles if len(t) <= width), panel.titles[-1][:width])
        points = [
            (m, getattr(r, s.field), s)
            for s in panel.series
            for m, r in zip(minutes, summary.readings, strict=True)
            if getattr(r, s.field) is not None
        ]
        lines = sorted({lim.value for s in panel.series for lim in limits(s.field, self.settings)})
        if not points:
            return [Text(title, style="bold"), Text(" " * LABEL_WIDTH + "│ not recorded")]
        values = [v for _, v, _ in points]
        lo, hi = min(values + lines), max(values + lines)
        # One row per whole number at most (MOAA/S has six); two lines need five rows.
        rows = min(rows, int(hi - lo) + 3) if len(lines) < 2 else max(rows, 5)
        plot = width - LABEL_WIDTH - 1
        grid = [[(" ", "")] * plot for _ in range(rows)]
        labels: dict[int, str] = {}
        for line in lines:
            row = _row(line, lo, hi, rows)
            grid[row] = [(LINE_MARK, "dim")] * plot
            labels[row] = str(line)
        for value in (max(values), min(values)):
            labels.setdefault(place(value, lo, hi, rows, lines), str(value))
        for m, value, series in points:
            alert = crossed(series.field, value, self.settings)
            style = f"bold reverse {series.colour}" if alert else f"bold {series.colour}"
            grid[place(value, lo, hi, rows, lines)][round(m / x_hi * (plot - 1))] = (
                series.mark,
                style,
            )
        out = [Text(title, style="bold")]
        for row in range(rows - 1, -1, -1):
            text = Text(f"{labels.get(row, ''):>{LABEL_WIDTH}}" + ("┤" if row in labels else "│"))
            for char, style in grid[row]:
                text.append(char, style=style)
            out.append(text)
        return out


def _side_by_side(panels_lines: list[list[Text]], width: int) -> list[Text]:
    """Panels' lines joined across, each padded to `width`, a gap between."""
    height = max(len(lines) for lines in panels_lines)
    joined = []
    for i in range(height):
        parts = [lines[i] if i < len(lines) else Text() for lines in panels_lines]
        line = Text()
        for k, part in enumerate(parts):
            part = part.copy()
            part.truncate(width, pad=k < len(parts) - 1)
            line.append_text(part)
            if k < len(parts) - 1:
                line.append(" " * GAP)
        joined.append(line)
    return joined


def _minutes_axis(x_hi: float, width: int) -> Text:
    """ "0    20    40    60 min" under the panels, labels never overlapping or cut."""
    plot = width - LABEL_WIDTH - 1
    room = plot - len(" min")
    row = [" "] * plot
    step = next((s for s in (5, 10, 15, 20, 30, 60, 120) if plot * s / x_hi >= 6), 240)
    for minute in range(0, int(x_hi) + 1, step):
        col = round(minute / x_hi * (plot - 1))
        label = str(minute)
        if col + len(label) <= room:
            row[col : col + len(label)] = label
    axis = "".join(row[:room]).rstrip()
    return Text(" " * LABEL_WIDTH + "└" + axis + " min", style="dim")
