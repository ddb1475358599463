"""Text in the reports' PDFs, measured and laid out once per string and size.

A batch of patient reports draws the same strings again and again: column
heads, the settings table, severity words, dates, numbers. matplotlib (3.11)
shapes a string with libraqm each time it is measured and again each time it
is drawn into a PDF, then loads every glyph; for a clinic's batch that is
most of the time spent on a report (issue 24). While a report's PDF is
written (`reports.style.open_pdf`), its renderer keeps what it learnt:

- the width, height and descent of each string in each font and size;
- the glyph layout of each string in each font file and size (the glyphs,
  their positions and kerning: libraqm's answer, which depends on nothing
  else), which the PDF's text drawing then reads;
- which font files a font description resolves to, and its line height.

What is written into the PDF is byte for byte what matplotlib writes without
these caches (`tests/reports/test_pdf_text.py` compares). The caches live for
the process (a report worker), bounded in size. With any other matplotlib
than the one this was written against (3.11), nothing is changed.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Iterator, NamedTuple

import matplotlib
from matplotlib import _text_helpers, font_manager
from matplotlib.backends import backend_pdf

#: Entries kept in each cache before it is emptied (a few MB; a batch re-uses far fewer).
LIMIT = 200_000
_LAYOUTS: dict[tuple, list] = {}
_METRICS: dict[tuple, tuple[float, float, float]] = {}
_FONT_FILES: dict[tuple, Any] = {}
_HEIGHTS: dict[tuple, tuple] = {}
#: The size the renderer set on the font it is drawing with (the layout depends on it).
_DRAWING_SIZE: ContextVar[float | None] = ContextVar("drawing_size", default=None)
#: The matplotlib whose PDF text drawing this mirrors: 3.11 (libraqm layout, `FontPath`).
SUPPORTED = matplotlib.__version__.split(".")[:2] == ["3", "11"]


def _prop_key(prop) -> tuple:
    return (
        tuple(prop.get_family()),
        prop.get_style(),
        prop.get_variant(),
        prop.get_weight(),
        prop.get_stretch(),
        prop.get_size_in_points(),
        prop.get_file(),
    )


def _bounded(cache: dict) -> dict:
    if len(cache) > LIMIT:
        cache.clear()
    return cache


class _Item(NamedTuple):
    """One glyph of a remembered layout, as the PDF backend reads a `LayoutItem`."""

    ft_object: Any
    char: str
    glyph_index: int
    x: float
    y: float
    prev_kern: float


class _Layouts:
    """Stands in for `matplotlib._text_helpers` inside the PDF backend: `layout` remembered.

    Only the plain numbers of a layout are kept, and only for a string set
    wholly in the font asked for: a `LayoutItem` points into its font's
    FreeType objects, which must not outlive it (a glyph from a fallback font
    is laid out afresh every time).
    """

    def __getattr__(self, name: str) -> Any:
        return getattr(_text_helpers, name)

    @staticmethod
    def layout(string, font, *, features=None, language=None):
        size = _DRAWING_SIZE.get()
        if size is None:  # not drawn by the reports' renderer: as matplotlib does
            return _text_helpers.layout(string, font, features=features, language=language)
        rc = matplotlib.rcParams
        key = (
            font.fname,
            font.face_index,
            size,
            rc["text.hinting_factor"],
            rc["text.kerning_factor"],
            string,
            features,
            language,
        )
        glyphs = _LAYOUTS.get(key)
        if glyphs is None:
            items = list(_text_helpers.layout(string, font, features=features, language=language))
            if any(item.ft_object is not font for item in items):
                return items  # a fallback font's glyphs: not remembered
            glyphs = _bounded(_LAYOUTS)[key] = [
                (item.char, item.glyph_index, item.x, item.y, item.prev_kern) for item in items
            ]
        return [_Item(font, *glyph) for glyph in glyphs]


class ReportRendererPdf(backend_pdf.RendererPdf):
    """The PDF renderer with its measurements and layouts remembered across pages and files."""

    def get_text_width_height_descent(self, s, prop, ismath):
        if ismath:
            return super().get_text_width_height_descent(s, prop, ismath)
        rc = matplotlib.rcParams
        key = (s, _prop_key(prop), rc["pdf.use14corefonts"], rc["pdf.fonttype"])
        metrics = _METRICS.get(key)
        if metrics is None:
            metrics = _bounded(_METRICS)[key] = super().get_text_width_height_descent(
                s, prop, ismath
            )
        return metrics

    def _get_font_ttf(self, prop):
        key = _prop_key(prop)
        files = _FONT_FILES.get(key)
        if files is None:
            files = _bounded(_FONT_FILES)[key] = font_manager.fontManager._find_fonts_by_props(prop)
        try:
            font = font_manager.get_font(files)
        except RuntimeError:  # matplotlib's own path logs which font is not supported
            return super()._get_font_ttf(prop)
        font.clear()
        font.set_size(prop.get_size_in_points(), 72)
        return font

    def _get_font_height_metrics(self, prop):
        # A text's line height, from its font's tables: what `Text._get_layout` works out for
        # every text it draws (at the PDF's 72 dpi) when the renderer offers none, done once.
        if matplotlib.rcParams["pdf.use14corefonts"]:
            return super()._get_font_height_metrics(prop)
        key = _prop_key(prop)
        heights = _HEIGHTS.get(key)
        if heights is None:
            heights = _bounded(_HEIGHTS)[key] = _table_heights(prop)
        return heights

    def draw_text(self, gc, x, y, s, prop, angle, ismath=False, mtext=None):
        token = _DRAWING_SIZE.set(prop.get_size_in_points())
        try:
            return super().draw_text(gc, x, y, s, prop, angle, ismath, mtext)
        finally:
            _DRAWING_SIZE.reset(token)


def _table_heights(prop, dpi: int = 72) -> tuple:
    """Ascent, descent and line gap of `prop`'s font as `Text._get_layout` (matplotlib 3.11)
    computes them from the font's OS/2 or hhea table, operation for operation; Nones without."""
    font = font_manager.get_font(font_manager.fontManager._find_fonts_by_props(prop))
    for table_name, gap_key, ascent_key, descent_key in (
        ("OS/2", "sTypoLineGap", "sTypoAscender", "sTypoDescender"),
        ("hhea", "lineGap", "ascent", "descent"),
    ):
        table = font.get_sfnt_table(table_name)
        if table is None:
            continue
        fontsize = prop.get_size_in_points()
        units_per_em = font.get_sfnt_table("head")["unitsPerEm"]
        scale = 1 / units_per_em * fontsize * dpi / 72
        return table[ascent_key] * scale, -table[descent_key] * scale, table[gap_key] * scale
    return None, None, None


@contextmanager
def remembered_text() -> Iterator[None]:
    """PDFs written inside use `ReportRendererPdf` (one thread: a report's own process)."""
    if not SUPPORTED:
        yield
        return
    renderer, helpers = backend_pdf.RendererPdf, backend_pdf._text_helpers
    backend_pdf.RendererPdf, backend_pdf._text_helpers = ReportRendererPdf, _Layouts()
    try:
        yield
    finally:
        backend_pdf.RendererPdf, backend_pdf._text_helpers = renderer, helpers
