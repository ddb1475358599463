"""A page's lines of text, held and drawn by one artist.

A report page holds hundreds of one-line texts set on their baselines
(`reports.layout.text_lines`): headings, paragraphs, every table cell. As
matplotlib `Text` artists, building and drawing them was close to half of a
batch report's time (issue 24), for features these lines never use: several
lines, rotation, wrapping, boxes, mathtext. `PageText` keeps each line as
plain values and draws it through the renderer's `draw_text` exactly as
`Text.draw` (matplotlib 3.11) would draw a one-line, unrotated,
baseline-aligned text: the same font, colour, graphics state and position,
to the last bit, so the PDF is byte for byte the same
(`tests/reports/test_page_text.py` compares).

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
from matplotlib.font_manager import FontProperties, fontManager, get_font
from matplotlib.text import Text

from reports.pdf_text import LIMIT, ReportRendererPdf

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
        dpi = self.get_figure(root=True).dpi
        # The report PDF renderer measures every string alike at 72 dpi: its offsets are kept.
        offsets = _OFFSETS if isinstance(renderer, ReportRendererPdf) else {}
        rc = matplotlib.rcParams
        fonts = (rc["pdf.use14corefonts"], rc["pdf.fonttype"])
        for line in self.lines:
            if not line.text:
                continue
            key = (line.text, line.prop, line.ha, fonts)
            offset = offsets.get(key)
            if offset is None:
                offset = _baseline_offset(renderer, line, dpi)
                if offsets is _OFFSETS:
                    if len(_OFFSETS) > LIMIT:
                        _OFFSETS.clear()
                    _OFFSETS[key] = offset
            x, y = offset
            posx, posy = trans.transform((float(line.x), float(line.y)))
            x = x + posx
            y = y + posy
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


def _baseline_offset(renderer, line: _Line, dpi: float) -> tuple[float, float]:
    """Where `Text._get_layout` (3.11) puts the one line of an unrotated, baseline-aligned
    text relative to its anchor, operation for operation (so that every bit agrees)."""
    prop = line.prop
    min_ascent = min_descent = None
    if hasattr(renderer, "_get_font_height_metrics"):
        min_ascent, min_descent, _gap = renderer._get_font_height_metrics(prop)
    if min_ascent is None:
        min_ascent, min_descent = _table_ascent_descent(prop, dpi)
    w, h, d = renderer.get_text_width_height_descent(line.text, prop, ismath=False)
    a = h - d
    line_gap = 0  # one line
    a = max(a, min_ascent) + line_gap / 2
    d = max(d, min_descent) + line_gap / 2
    thisy = 0.0
    thisy -= a
    x0, y0 = 0.0, thisy
    descent = d
    width = w
    ymin_box = y0 - descent
    if line.ha == "left":
        layout_x = x0
    elif line.ha == "center":
        layout_x = x0 + width / 2 - w / 2
    else:
        layout_x = x0 + width - w
    xs = (0, 0, width, width)
    ys = (ymin_box, 0, 0, ymin_box)
    xmin, xmax = min(xs), max(xs)
    ymin = min(ys)
    offsetx = xmin if line.ha == "left" else xmax if line.ha == "right" else (xmin + xmax) / 2
    offsety = ymin + descent
    return layout_x - offsetx, y0 - offsety


def _table_ascent_descent(prop: FontProperties, dpi: float) -> tuple[float, float]:
    """The font's ascent and descent from its OS/2 or hhea table, as `Text._get_layout` reads them."""
    font = get_font(fontManager._find_fonts_by_props(prop))
    for table_name, ascent_key, descent_key in (
        ("OS/2", "sTypoAscender", "sTypoDescender"),
        ("hhea", "ascent", "descent"),
    ):
        table = font.get_sfnt_table(table_name)
        if table is None:
            continue
        scale = 1 / font.get_sfnt_table("head")["unitsPerEm"] * prop.get_size_in_points() * dpi / 72
        return table[ascent_key] * scale, -table[descent_key] * scale
    raise ValueError(f"no ascent in the font of {prop}")


_FONTS: dict[tuple, FontProperties] = {}
#: Each line's offset from its anchor in the report PDFs, by text, font, alignment and PDF fonts.
_OFFSETS: dict[tuple, tuple[float, float]] = {}


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
