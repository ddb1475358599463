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
- which font files a font description resolves to, and its line height;
- each glyph's outline as a Type 3 font's drawing (`_charprocs`);
- what drawing a string writes into the page: the bytes from its first text
  operator to its last (`_TextPlan`). Only the font's name in this file and
  the string's place on the page are written afresh each time; the glyphs
  are recorded in each file's font subset as matplotlib records them. A
  string set in more than one font, raised or lowered glyphs, a link, or a
  glyph this file numbers differently takes matplotlib's own path.

What is written into the PDF is byte for byte what matplotlib writes without
these caches (`tests/reports/test_pdf_text.py` compares). The caches live for
the process (a report worker), bounded in size. With any other matplotlib
than the one this was written against (3.11), nothing is changed.
"""

from __future__ import annotations

import itertools
import math
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Iterator, NamedTuple

import matplotlib
from matplotlib import _text_helpers, font_manager
from matplotlib.backends import backend_pdf
from matplotlib.backends.backend_pdf import Op, _fill, pdfRepr
from matplotlib.ft2font import LoadFlags

#: Entries kept in each cache before it is emptied (a few MB; a batch re-uses far fewer).
LIMIT = 200_000
_LAYOUTS: dict[tuple, list] = {}
_METRICS: dict[tuple, tuple[float, float, float]] = {}
_FONT_FILES: dict[tuple, Any] = {}
_HEIGHTS: dict[tuple, tuple] = {}
_PLANS: dict[tuple, Any] = {}
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
            # `_text_helpers.layout` also loads each glyph as it yields it, which only a
            # renderer drawing from the font's current glyph needs; the PDF's does not.
            items = font._layout(string, LoadFlags.NO_HINTING, features=features, language=language)
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
        if not ismath and gc.get_url() is None and not matplotlib.rcParams["pdf.use14corefonts"]:
            plan = self._plan(s, prop, mtext)
            if plan is not None and plan.tracked_in(self.file):
                self.check_gc(gc, gc._rgb)
                plan.write(self.file, x, y, angle)
                return None
        token = _DRAWING_SIZE.set(prop.get_size_in_points())
        try:
            return super().draw_text(gc, x, y, s, prop, angle, ismath, mtext)
        finally:
            _DRAWING_SIZE.reset(token)

    def _plan(self, s, prop, mtext) -> _TextPlan | None:
        """The remembered drawing of `s` in `prop`, None when matplotlib's path must draw it."""
        features, language = (
            (mtext.get_fontfeatures(), mtext.get_language()) if mtext is not None else (None, None)
        )
        rc = matplotlib.rcParams
        key = (
            s,
            _prop_key(prop),
            rc["pdf.fonttype"],
            rc["text.hinting_factor"],
            rc["text.kerning_factor"],
            features,
            language,
        )
        plan = _PLANS.get(key, ...)
        if plan is ...:
            plan = _bounded(_PLANS)[key] = self._new_plan(s, prop, features, language)
        return plan

    def _new_plan(self, s, prop, features, language) -> _TextPlan | None:
        font = self._get_font_ttf(prop)
        fontsize = prop.get_size_in_points()
        token = _DRAWING_SIZE.set(fontsize)
        try:
            items = list(_Layouts.layout(s, font, features=features, language=language))
        finally:
            _DRAWING_SIZE.reset(token)
        if any(item.ft_object is not font or item.y for item in items):
            return None  # fallback fonts, raised glyphs: matplotlib's path every time
        return _TextPlan.of(items, font, fontsize, matplotlib.rcParams["pdf.fonttype"])


def _line(*data) -> bytes:
    """One `PdfFile.output` call's bytes."""
    return _fill([pdfRepr(x) for x in data]) + b"\n"


_BEGIN = _line(Op.gsave)
_TEXT = _line(Op.begin_text)
#: The first four numbers of an unrotated text's matrix, as `pdfRepr` writes 1.0, 0.0, -0.0, 1.0.
_UPRIGHT = b" ".join(pdfRepr(v) for v in (1.0, 0.0, -0.0, 1.0)) + b" "


def _upright_matrix(x: float, y: float) -> bytes | None:
    """`_line(1.0, 0.0, -0.0, 1.0, x, y, Op.concat_matrix)` without its generic dispatch; None
    for a line `_fill` would break (numbers that long are not on a page)."""
    line = b"%s%s %s cm" % (_UPRIGHT, _number(x), _number(y))
    return line + b"\n" if len(line) < 60 else None


def _number(value: float) -> bytes:
    """`pdfRepr` of a finite float (which it checks with numpy, at many times the cost)."""
    if not math.isfinite(value):
        raise ValueError("Can only output finite numbers in PDF")
    return (b"%.10f" % value).rstrip(b"0").rstrip(b".")


class _FontFile(NamedTuple):
    """A font as `CharacterTracker.track_glyph` reads one: its file and face."""

    fname: str
    face_index: int


class _TextPlan(NamedTuple):
    """What `RendererPdf.draw_text` (matplotlib 3.11, TrueType) writes for one string in one font.

    `glyphs` are (char, glyph index, character code) in the font's first
    256-character subset, where matplotlib puts a glyph whose character code
    is below 256 and not yet taken by another glyph; `tail` is every byte
    after the font is selected (position, glyphs with their kerning, end).
    """

    font_path: Any
    fontsize: float
    glyphs: tuple[tuple[str, int, int], ...]
    tail: bytes

    @classmethod
    def of(cls, items, font, fontsize: float, fonttype: int) -> _TextPlan | None:
        if fonttype != 3:
            return None  # the reports' Type 3 fonts (`reports.style.PDF_FONTS`) only
        glyphs = tuple((item.char, item.glyph_index, ord(item.char[0])) for item in items)
        if any(len(char) != 1 or code >= 256 for char, _, code in glyphs):
            return None  # matplotlib numbers these glyphs per file, in the order it meets them
        tail = b""
        if items:
            chunk: list = []
            for item, (_, _, code) in zip(items, glyphs, strict=True):
                if item.prev_kern:
                    chunk.append(item.prev_kern)
                chunk.append(code)
            # As `draw_text`'s `_setup_textpos(item.x, 0, 0, 0, 0, 0)` and `output_singlebyte_chunk`.
            tail = _line(items[0].x - 0, 0 - 0, Op.textpos) + _line(
                [
                    (-1000 * next(group) / fontsize) if kind == float else bytes(group)
                    for kind, group in itertools.groupby(chunk, type)
                ],
                Op.showkern,
            )
        tail += _line(Op.end_text) + _line(Op.grestore)
        font_path = backend_pdf.FontPath(font.fname, font.face_index)
        return cls(font_path, fontsize, glyphs, tail)

    def tracked_in(self, file) -> bool:
        """Record this string's glyphs in `file`'s font subsets, as matplotlib would; False when
        `file` numbers one of them differently (then matplotlib's own path draws the string)."""
        # Once a plan's glyphs are recorded in a file, its later strings need no look:
        # keyed by the plan's id, the plan kept alive by the entry (so the id stays its own).
        done = file.__dict__.setdefault("_report_plans", {})
        if done.get(id(self)) is self:
            return True
        seen = file.__dict__.setdefault("_report_glyphs", set())
        tracker = file._character_tracker
        font = _FontFile(self.font_path.path, self.font_path.face_index)
        for char, glyph, code in self.glyphs:
            if (font, char, glyph) in seen:
                continue
            if tracker.track_glyph(font, char, glyph) != (0, code):
                return False
            seen.add((font, char, glyph))
        done[id(self)] = self
        return True

    def write(self, file, x: float, y: float, angle: float) -> None:
        matrix = _upright_matrix(x, y) if angle == 0 else None
        if matrix is None:
            a = math.radians(angle)
            matrix = _line(
                math.cos(a), math.sin(a), -math.sin(a), math.cos(a), x, y, Op.concat_matrix
            )
        select = b""
        if self.glyphs:
            fonts = file.__dict__.setdefault("_report_fonts", {})
            key = (self.font_path, self.fontsize)
            select = fonts.get(key)
            if select is None:
                select = fonts[key] = _line(
                    file.fontName(self.font_path, 0), self.fontsize, Op.selectfont
                )
        file.write(_BEGIN + matrix + _TEXT + select + self.tail)


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
    renderer, helpers, charprocs = (
        backend_pdf.RendererPdf,
        backend_pdf._text_helpers,
        backend_pdf._get_pdf_charprocs,
    )
    backend_pdf.RendererPdf, backend_pdf._text_helpers = ReportRendererPdf, _Layouts()
    backend_pdf._get_pdf_charprocs = _charprocs
    try:
        yield
    finally:
        backend_pdf.RendererPdf, backend_pdf._text_helpers = renderer, helpers
        backend_pdf._get_pdf_charprocs = charprocs


_CHARPROCS: dict[tuple, tuple[str, bytes]] = {}
_PLAIN_CHARPROCS = backend_pdf._get_pdf_charprocs


def _charprocs(font_path, glyph_indices) -> dict[str, bytes]:
    """`backend_pdf._get_pdf_charprocs` with each glyph's drawing kept: it depends only on the
    font and the glyph, and every file of a batch embeds the same few dozen glyphs again."""
    procs = {}
    for glyph in glyph_indices:
        key = (font_path, glyph)
        entry = _CHARPROCS.get(key)
        if entry is None:
            ((name, proc),) = _PLAIN_CHARPROCS(font_path, [glyph]).items()
            entry = _bounded(_CHARPROCS)[key] = (name, proc)
        procs[entry[0]] = entry[1]
    return procs
