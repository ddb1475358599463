"""Text pages drawn with matplotlib: headings, wrapped paragraphs and tables.

Reports put many pages through the PDF backend, so text is laid out by hand
in figure coordinates rather than by `tight_layout` or `Axes.table` (both
measure every string, which dominates the cost of a batch). Every line of
text is its own single-line text placed on its baseline (the lines of a page
are held by one artist, `reports.page_text`): multi-line texts
would space their lines by the metrics of whichever font the backend uses
(the PDF and PNG renderers measure a font slightly differently), and table
columns drawn that way drift apart row by row.
"""

from __future__ import annotations

import functools
import os
import textwrap
from dataclasses import dataclass
from typing import Callable, Sequence

from matplotlib import font_manager
from matplotlib.figure import Figure
from matplotlib.ft2font import FT2Font
from matplotlib.patches import Rectangle

from reports.page_text import page_text
from reports.style import FONT, GREY, HEADING_SIZE, LIGHT_GREY, SMALL_SIZE, TEXT_SIZE, TITLE_SIZE

POINTS_PER_INCH = 72.0
LINE_SPACING = 1.25  # line pitch, in font sizes
# Bold DejaVu Sans is up to about a tenth wider than the regular face that `em_width` measures.
BOLD_WIDTH = 1.1
# A title or a footer line wraps to at most this many lines, the last cut with "…": a patient's
# name may be long (free text is bounded only at 200,000 characters), and a page has one layout.
MOST_LINES = 2
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
    block = page_text(fig)
    for i, line in enumerate(lines):
        if line:
            block.add(x, top - (i + BASELINE_DROP) * step, line, size, **kwargs)
    return top - len(lines) * step


@functools.cache
def _measuring_font() -> FT2Font:
    font = FT2Font(font_manager.findfont(FONT))
    font.set_size(100, POINTS_PER_INCH)  # 100 pt at 72 dpi: widths in hundredths of an em
    return font


# A forked report worker opens the font afresh, as matplotlib does for its own fonts: a FreeType
# face read through a file inherited across a fork shares that file's offset with the other
# processes, and two of them loading glyphs at once read each other's bytes ("failed to load glyph").
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_measuring_font.cache_clear)


@functools.cache
def em_width(word: str) -> float:
    """How wide `word` is set in the report font, in ems (FreeType's own measure)."""
    font = _measuring_font()
    font.set_text(word)
    return font.get_width_height()[0] / 64 / 100


def wrap_to_width(text: str, ems: float) -> list[str]:
    """Wrap `text` into lines no wider than `ems`, measuring each word (cells must not
    run into the next column whatever their letters: capitals are wider)."""
    lines: list[str] = []
    space = em_width("x x") - em_width("xx")
    for paragraph in str(text).split("\n"):
        line, used = "", 0.0
        for word in paragraph.split():
            width = em_width(word)
            if line and used + space + width > ems:
                lines.append(line)
                line, used = "", 0.0
            if not line and width > ems:  # one word wider than the column: cut it
                cut = max(1, int(len(word) * ems / width))
                lines += [word[i : i + cut] for i in range(0, len(word) - cut, cut)]
                word = word[(len(word) - 1) // cut * cut :]
                width = em_width(word)
            line, used = (f"{line} {word}", used + space + width) if line else (word, width)
        lines.append(line)
    return lines


def fitted_lines(text: str, ems: float, most: int = MOST_LINES) -> list[str]:
    """`text` wrapped to `ems`, in at most `most` lines; the last ends in "…" when some is cut."""
    lines = wrap_to_width(text, ems)
    if len(lines) <= most:
        return lines
    last = lines[most - 1]
    while last and em_width(last + " …") > ems:
        last = last[: max(0, len(last) - max(1, len(last) // 20))]
    return lines[: most - 1] + [f"{last.rstrip()} …"]


def ems_across(fig: Figure, width: float, size: float) -> float:
    """How many ems of `size`-point text fit in `width` (figure coordinates)."""
    return width * fig.get_figwidth() * POINTS_PER_INCH / size


@dataclass
class Cursor:
    """Writes blocks top to bottom on a page, in figure coordinates.

    With `new_page` set (a function returning a fresh page's figure), a table
    or a block that does not fit above `bottom` continues on a new page under
    `continued` as its title, so nothing is dropped to fit.
    """

    fig: Figure
    y: float = 0.95
    left: float = 0.07
    right: float = 0.95
    new_page: Callable[[], Figure] | None = None
    continued: str = ""
    bottom: float = 0.07

    @property
    def chars_per_line(self) -> int:
        # DejaVu Sans averages about 0.55 em per character.
        width_in = (self.right - self.left) * self.fig.get_figwidth()
        return max(20, int(width_in * POINTS_PER_INCH / (TEXT_SIZE * 0.55)))

    def gap(self, lines: float = 0.6, size: float = TEXT_SIZE) -> None:
        self.y -= lines * line_height(self.fig, size)

    def title(self, text: str, sub: str | None = None) -> None:
        """The page's bold title and a grey line under it, each wrapped within the margins."""
        width = self.right - self.left
        lines = fitted_lines(text, ems_across(self.fig, width, TITLE_SIZE) / BOLD_WIDTH)
        self.y = text_lines(self.fig, self.left, self.y, lines, TITLE_SIZE, weight="bold")
        if sub:
            lines = fitted_lines(sub, ems_across(self.fig, width, TEXT_SIZE))
            self.y = text_lines(self.fig, self.left, self.y, lines, TEXT_SIZE, color=GREY)
        self.gap(0.5)

    def room_for(self, height: float) -> bool:
        """Make room for a block `height` tall: a new page when this one is too full.

        Returns False when the block does not fit and no new page can be had.
        """
        if self.y - height >= self.bottom:
            return True
        if self.new_page is None:
            return False
        self.fig = self.new_page()
        self.y = 0.965
        self.title(self.continued)
        return True

    def heading(self, text: str, keep_with: float = 0.0) -> None:
        """A bold heading, kept on one page with the first `keep_with` of what follows."""
        self.room_for(2 * line_height(self.fig, HEADING_SIZE) + keep_with)
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
        lines = _measured_lines(self.fig, text, self.right - self.left - indent, size, weight)
        self.y = text_lines(
            self.fig, self.left + indent, self.y, lines, size, color=color, weight=weight
        )

    def labelled_height(
        self, text: str, label_width: float = 0.2, size: float = TEXT_SIZE, weight: str = "normal"
    ) -> float:
        """How far down `labelled` with these arguments would move the cursor."""
        lines = _measured_lines(self.fig, text, self.right - self.left - label_width, size, weight)
        return len(lines) * line_height(self.fig, size)

    def labelled(
        self,
        label: str,
        text: str,
        label_width: float = 0.2,
        size: float = TEXT_SIZE,
        weight: str = "normal",
    ) -> None:
        """A "label: value" line; the value wraps in its own column."""
        lines = _measured_lines(self.fig, text, self.right - self.left - label_width, size, weight)
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

        A cell longer than its column wraps onto more lines of its row. With
        more rows than `max_rows`, the last (or, with ``keep="first"``, the
        first) `max_rows` are shown and a line says how many were left out;
        without `max_rows`, rows that do not fit continue on a new page (when
        the cursor has `new_page`), under the header again.
        """
        shown, hidden = _limit(list(rows), max_rows, keep)
        columns = _Columns(self, headers, widths, aligns or ["left"] * len(headers), size)
        step = line_height(self.fig, size)
        if hidden and keep == "last":
            self.y = text_lines(
                self.fig,
                self.left,
                self.y,
                [f"({hidden} earlier {more_note} not shown)"],
                size,
                color=GREY,
                style="italic",
            )
        part = columns.start()
        for i, row in enumerate(shown):
            cells = columns.wrapped(row)
            height = max(len(lines) for lines in cells) * step
            if self.y - height < self.bottom and self.new_page is not None:
                columns.draw(part)
                self.room_for(height + step)
                part = columns.start()
            part.append((cells, self.y, height, i % 2 == 0))
            self.y -= height
        columns.draw(part)
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


def _measured_lines(fig: Figure, text: str, width: float, size: float, weight: str) -> list[str]:
    """`text` wrapped to `width` (figure coordinates) by measuring its words: a bold line is
    wider, and a guess by characters let the page's safety line run off the paper."""
    ems = ems_across(fig, width, size) / (BOLD_WIDTH if weight == "bold" else 1.0)
    return wrap_to_width(text, ems)


def _limit(rows: list, max_rows: int | None, keep: str) -> tuple[list, int]:
    """The rows a table shows and how many it leaves out."""
    if max_rows is None or len(rows) <= max_rows:
        return rows, 0
    hidden = len(rows) - max_rows
    return (rows[-max_rows:] if keep == "last" else rows[:max_rows]), hidden


@dataclass
class _Columns:
    """Where a table's columns stand and how wide their text may run."""

    cursor: Cursor
    headers: Sequence[str]
    widths: Sequence[float]
    aligns: Sequence[str]
    size: float

    def _x(self, col: int) -> float:
        span = self.cursor.right - self.cursor.left
        x = self.cursor.left + sum(self.widths[:col]) * span
        # Right-aligned (numeric) columns end short of the next column.
        return x + (self.widths[col] * span * 0.8 if self.aligns[col] == "right" else 0.0)

    def wrapped(self, row: Sequence[str]) -> list[list[str]]:
        fig, span = self.cursor.fig, self.cursor.right - self.cursor.left
        cells = []
        for col, (text, width) in enumerate(zip(row, self.widths, strict=False)):
            # A little space before the next column; a right-aligned one ends at 0.8.
            share = 0.8 if self.aligns[col] == "right" else 0.94
            inches = width * span * fig.get_figwidth() * share
            cells.append(wrap_to_width(str(text), inches * POINTS_PER_INCH / self.size))
        return cells

    def start(self) -> list:
        """A part of the table on one page: its header's top, then its rows as they are placed."""
        top = self.cursor.y
        self.cursor.y -= line_height(self.cursor.fig, self.size)
        return [top]

    def draw(self, part: list) -> None:
        """Draw one page's part: stripes and the header rule, then column by column (a PDF
        reader extracts the text in that order, as the tests and screen readers read it)."""
        cur, (top, *rows) = self.cursor, part
        step = line_height(cur.fig, self.size)
        for _cells, y, height, striped in rows:
            if striped:  # zebra stripes help the eye along long rows
                cur.fig.add_artist(_band(cur, y - height, height, "#F0F0F0", zorder=0))
        cur.fig.add_artist(_band(cur, top - step * 1.02, 0.0012, LIGHT_GREY))
        for col, header in enumerate(self.headers):
            x, ha = self._x(col), self.aligns[col]
            text_lines(cur.fig, x, top, [header], self.size, weight="bold", ha=ha)
            for cells, y, _height, _striped in rows:
                text_lines(cur.fig, x, y, cells[col], self.size, ha=ha)


def _band(cur: Cursor, y: float, height: float, colour: str, zorder: int = 1) -> Rectangle:
    """A full-width band of a table (a stripe or a rule), in figure coordinates."""
    return Rectangle(
        (cur.left - 0.005, y),
        cur.right - cur.left + 0.01,
        height,
        transform=cur.fig.transFigure,
        facecolor=colour,
        edgecolor="none",
        zorder=zorder,
    )


def footer(fig: Figure, left: str, right: str = "") -> None:
    """A small grey line (or two) at the foot of a page; `right` is the page number.

    Each line of `left` wraps short of the page number, which it must never run into.
    """
    number = ems_across(fig, 0.02, SMALL_SIZE) + em_width(right) if right else 0.0
    ems = ems_across(fig, 0.95 - 0.07, SMALL_SIZE) - number
    lines = [line for given in left.split("\n") for line in fitted_lines(given, ems)]
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
