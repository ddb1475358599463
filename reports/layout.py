"""Text pages drawn with matplotlib: headings, wrapped paragraphs and tables.

Reports put many pages through the PDF backend, so text is laid out by hand
in figure coordinates rather than by `tight_layout` or `Axes.table` (both
measure every string, which dominates the cost of a batch). Every line of
text is its own single-line text placed on its baseline: multi-line texts
would space their lines by the metrics of whichever font the backend uses
(the PDF core fonts are tighter than DejaVu Sans in the PNG), and table
columns drawn that way drift apart row by row.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from typing import Sequence

from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from reports.style import GREY, HEADING_SIZE, LIGHT_GREY, SMALL_SIZE, TEXT_SIZE, TITLE_SIZE

POINTS_PER_INCH = 72.0
LINE_SPACING = 1.25  # line pitch, in font sizes
BASELINE_DROP = 0.8  # where a line's baseline sits below its top, in line pitches


def line_height(fig: Figure, size: float) -> float:
    """The pitch of text lines of `size` points, in figure coordinates."""
    return size * LINE_SPACING / POINTS_PER_INCH / fig.get_figheight()


def wrap(text: str, width: int) -> list[str]:
    """Wrap plain text to `width` characters (an estimate that suits DejaVu Sans)."""
    lines: list[str] = []
    for paragraph in str(text).split("\n"):
        lines.extend(textwrap.wrap(paragraph, width) or [""])
    return lines


def text_lines(
    fig: Figure, x: float, top: float, lines: Sequence[str], size: float, **kwargs
) -> float:
    """Draw `lines` one under another from `top`; returns the y below the last."""
    step = line_height(fig, size)
    for i, line in enumerate(lines):
        if line:
            fig.text(x, top - (i + BASELINE_DROP) * step, line, size=size, va="baseline", **kwargs)
    return top - len(lines) * step


@dataclass
class Cursor:
    """Writes blocks top to bottom on a page, in figure coordinates."""

    fig: Figure
    y: float = 0.95
    left: float = 0.07
    right: float = 0.95

    @property
    def chars_per_line(self) -> int:
        # DejaVu Sans averages about 0.55 em per character.
        width_in = (self.right - self.left) * self.fig.get_figwidth()
        return max(20, int(width_in * POINTS_PER_INCH / (TEXT_SIZE * 0.55)))

    def gap(self, lines: float = 0.6, size: float = TEXT_SIZE) -> None:
        self.y -= lines * line_height(self.fig, size)

    def title(self, text: str, sub: str | None = None) -> None:
        self.y = text_lines(self.fig, self.left, self.y, [text], TITLE_SIZE, weight="bold")
        if sub:
            self.y = text_lines(self.fig, self.left, self.y, [sub], TEXT_SIZE, color=GREY)
        self.gap(0.5)

    def heading(self, text: str) -> None:
        self.gap(0.4)
        self.y = text_lines(self.fig, self.left, self.y, [text], HEADING_SIZE, weight="bold")
        self.gap(0.1)

    def paragraph(
        self,
        text: str,
        size: float = TEXT_SIZE,
        color: str = "black",
        weight: str = "normal",
        indent: float = 0.0,
    ) -> None:
        width = int(self.chars_per_line * TEXT_SIZE / size * (1 - indent * 1.2))
        lines = wrap(text, width)
        self.y = text_lines(
            self.fig, self.left + indent, self.y, lines, size, color=color, weight=weight
        )

    def labelled(
        self,
        label: str,
        text: str,
        label_width: float = 0.2,
        size: float = TEXT_SIZE,
        weight: str = "normal",
    ) -> None:
        """A "label: value" line; the value wraps in its own column."""
        width = int(self.chars_per_line * (1 - label_width / (self.right - self.left)))
        lines = wrap(text, width)
        text_lines(self.fig, self.left, self.y, [label], size, color=GREY)
        self.y = text_lines(self.fig, self.left + label_width, self.y, lines, size, weight=weight)

    def table(
        self,
        headers: Sequence[str],
        rows: Sequence[Sequence[str]],
        widths: Sequence[float],
        size: float = SMALL_SIZE,
        max_rows: int | None = None,
        aligns: Sequence[str] | None = None,
        more_note: str = "rows",
        keep: str = "last",
    ) -> None:
        """Rows under a bold header; `widths` are fractions of the text width.

        With more rows than `max_rows`, the last (or, with ``keep="first"``,
        the first) `max_rows` are shown and a line says how many were left out.
        """
        shown = list(rows)
        hidden = 0
        if max_rows is not None and len(shown) > max_rows:
            hidden = len(shown) - max_rows
            shown = shown[-max_rows:] if keep == "last" else shown[:max_rows]
        span = self.right - self.left
        step = line_height(self.fig, size)
        top = self.y
        if hidden and keep == "last":
            top = text_lines(
                self.fig,
                self.left,
                top,
                [f"({hidden} earlier {more_note} not shown)"],
                size,
                color=GREY,
                style="italic",
            )
        # Zebra stripes help the eye along long rows.
        for i in range(1, len(shown) + 1, 2):
            self.fig.add_artist(
                Rectangle(
                    (self.left - 0.005, top - (i + 1) * step),
                    span + 0.01,
                    step,
                    transform=self.fig.transFigure,
                    facecolor="#F0F0F0",
                    edgecolor="none",
                    zorder=0,
                )
            )
        self.fig.add_artist(
            Rectangle(
                (self.left - 0.005, top - step * 1.02),
                span + 0.01,
                0.0012,
                transform=self.fig.transFigure,
                facecolor=LIGHT_GREY,
                edgecolor="none",
            )
        )
        x = self.left
        aligns = aligns or ["left"] * len(headers)
        for col, (header, width) in enumerate(zip(headers, widths, strict=False)):
            ha = aligns[col]
            # Right-aligned (numeric) columns end short of the next column.
            xpos = x + (width * span * 0.8 if ha == "right" else 0.0)
            text_lines(self.fig, xpos, top, [header], size, weight="bold", ha=ha)
            text_lines(self.fig, xpos, top - step, [str(r[col]) for r in shown], size, ha=ha)
            x += width * span
        self.y = top - (len(shown) + 1) * step
        if not shown:
            self.y = text_lines(self.fig, self.left, self.y, ["none recorded"], size, color=GREY)
        if hidden and keep == "first":
            self.y = text_lines(
                self.fig,
                self.left,
                self.y,
                [f"... and {hidden} more {more_note} (see the CSV)"],
                size,
                color=GREY,
                style="italic",
            )
        self.gap(0.4)


def footer(fig: Figure, left: str, right: str = "") -> None:
    """A small grey line (or two) at the foot of a page; `right` is the page number."""
    lines = left.split("\n")
    top = 0.02 + len(lines) * line_height(fig, SMALL_SIZE)
    text_lines(fig, 0.07, top, lines, SMALL_SIZE, color=GREY)
    if right:
        page_number(fig, right)


def page_number(fig: Figure, text: str) -> None:
    """ "page n of m" at the bottom right."""
    text_lines(
        fig, 0.95, 0.02 + line_height(fig, SMALL_SIZE), [text], SMALL_SIZE, color=GREY, ha="right"
    )


def fmt(value, digits: int = 0, suffix: str = "", none: str = "-") -> str:
    """A number for a table cell; `none` for a missing value."""
    if value is None:
        return none
    if isinstance(value, float):
        return f"{value:.{digits}f}{suffix}"
    return f"{value}{suffix}"
