"""A page's lines of text, held and drawn by one artist.

A report page holds hundreds of one-line texts set on their baselines
(`reports.layout.text_lines`): headings, paragraphs, every table cell. As
matplotlib `Text` artists, building and drawing them was close to half of a
batch report's time (issue 24), for features these lines never use: several
lines, rotation, wrapping, boxes, mathtext. `PageText` keeps each line as
plain values and draws it through the renderer's `draw_text` as
`Text.draw` (matplotlib 3.11) draws a one-line, unrotated, baseline-aligned
text: the same font, colour and graphics state, and the same place, exactly
on the baseline asked for. (`Text` reaches it by adding the font's ascent and
subtracting it again, which can leave a rounding of about 1e-15 points; a
PDF writes ten decimals, so that almost never shows. Placing the line there
directly spares measuring every string.) `tests/reports/test_page_text.py`
compares the PDFs and PNGs with matplotlib's own `Text`.

Lines are drawn in the order they were added, and consecutive `text_lines`
calls share one artist standing where their `Text`s would have stood among
the figure's texts, so the PDF's text order (what a reader extracts) is
unchanged. `as_texts` gives the equivalent `Text` artists, for measuring.

Text is shown literally: a dollar sign is a dollar sign, never mathtext.
"""

from __future__ import annotations

from typing import NamedTuple

import matplotlib
from matplotlib import colors as mcolors
from matplotlib.artist import Artist
from matplotlib.figure import Figure, _stale_figure_callback
from matplotlib.font_manager import FontProperties
from matplotlib.text import Text

#: The keyword arguments a line may have, besides its size (as `Figure.text` takes them).
STYLE_KEYS = frozenset({"color", "weight", "style", "ha"})


class _Line(NamedTuple):
    x: float
    y: float
    text: str
    prop: FontProperties
    rgba: tuple[float, float, float, float]
    ha: str
    style: dict


class PageText(Artist):
    """One-line texts on their baselines, in figure coordinates, drawn as `Text` would."""

    zorder = Text.zorder

    def __init__(self, fig: Figure):
        super().__init__()
        self.set_figure(fig)
        self.set_transform(fig.transSubfigure)
        self.lines: list[_Line] = []
        #: `Text` takes its antialiasing from the rc settings when it is made.
        self._antialiased = matplotlib.rcParams["text.antialiased"]

    def add(self, x: float, y: float, text: str, size: float, **style) -> None:
        """A line like ``fig.text(x, y, text, size=size, va="baseline", **style)``."""
        unknown = set(style) - STYLE_KEYS
        if unknown:
            raise TypeError(f"PageText lines take only {sorted(STYLE_KEYS)}, not {sorted(unknown)}")
        prop = _font(size, style.get("weight", "normal"), style.get("style", "normal"))
        rgba = mcolors.to_rgba(style.get("color", matplotlib.rcParams["text.color"]))
        self.lines.append(_Line(x, y, str(text), prop, rgba, style.get("ha", "left"), style))
        self.stale = True

    def get_text(self) -> str:
        """Every line's text, one a line (as tests and `printed` read a figure's texts)."""
        return "\n".join(line.text for line in self.lines)

    def as_texts(self) -> list[Text]:
        """The `Text` artists these lines stand for (not added to the figure)."""
        fig = self.get_figure()
        texts = []
        for line in self.lines:
            text = Text(
                line.x,
                line.y,
                line.text,
                size=line.prop.get_size_in_points(),
                va="baseline",
                parse_math=False,
                transform=self.get_transform(),
                **line.style,
            )
            text.set_figure(fig)
            text.set_visible(self.get_visible())
            texts.append(text)
        return texts

    def draw(self, renderer) -> None:
        if not self.get_visible():
            return
        renderer.open_group("text", self.get_gid())
        trans = self.get_transform()
        canvas_height = renderer.get_canvas_width_height()[1]
        flip = renderer.flipy()
        for line in self.lines:
            if not line.text:
                continue
            # On its baseline: `Text` computes the same place by way of the font's ascent and the
            # line's measured descent, which cancel but for a rounding of about 1e-15 points.
            x, y = trans.transform((float(line.x), float(line.y)))
            if line.ha != "left":  # as `Text` aligns it, to the bit
                width, _, _ = renderer.get_text_width_height_descent(line.text, line.prop, False)
                x = x - (width if line.ha == "right" else width / 2)
            if flip:
                y = canvas_height - y
            # The graphics state as `Text.draw` sets it, call for call.
            gc = renderer.new_gc()
            gc.set_foreground(line.rgba, isRGBA=True)
            gc.set_alpha(None)
            gc.set_url(None)
            gc.set_antialiased(self._antialiased)
            gc.set_snap(None)
            gc.set_clip_path(None)
            renderer.draw_text(gc, x, y, line.text, line.prop, 0.0, ismath=False, mtext=None)
            gc.restore()
        renderer.close_group("text")
        self.stale = False


_FONTS: dict[tuple, FontProperties] = {}


def _font(size: float, weight: str, style: str) -> FontProperties:
    """The font a `Text` of this size, weight and style gets under the current rc settings."""
    rc = matplotlib.rcParams
    key = (tuple(rc["font.family"]), size, weight, style)
    prop = _FONTS.get(key)
    if prop is None:
        prop = _FONTS[key] = FontProperties(size=size, weight=weight, style=style)
    return prop


def page_text(fig: Figure) -> PageText:
    """The figure's `PageText` to add lines to: its last text, or a new one placed after it."""
    texts = fig.texts
    if texts and isinstance(texts[-1], PageText):
        return texts[-1]
    block = PageText(fig)
    block.stale_callback = _stale_figure_callback
    texts.append(block)
    block._remove_method = texts.remove
    fig.stale = True
    return block


def figure_texts(fig: Figure) -> list[Text]:
    """The figure's texts as `Text` artists, each line of a `PageText` as its own (to measure)."""
    return [
        text
        for artist in fig.texts
        for text in (artist.as_texts() if isinstance(artist, PageText) else [artist])
    ]
