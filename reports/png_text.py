"""Text in the reports' PNG charts, measured and laid out once per string and size.

The PNG beside each patient's PDF is drawn by matplotlib's Agg renderer,
which (3.11) shapes every tick label, legend entry and note with libraqm
each time it measures it and again each time it draws it. A batch draws the
same few hundred strings on every chart. While a report's PNG is drawn
(`reports.style.save_png`), its renderer keeps each string's measure and
glyph layout (which glyphs, where), keyed by everything they depend on;
the glyphs themselves are rendered as before, so the pixels are the same
(`tests/reports/test_pdf_text.py` compares a batch's files with matplotlib's
own). With any other matplotlib than 3.11, nothing is changed.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from typing import Any, Iterator

import matplotlib
from matplotlib.backends import backend_agg

from reports.pdf_text import LIMIT, SUPPORTED, _prop_key

_METRICS: dict[tuple, tuple[float, float, float]] = {}
_LAYOUTS: dict[tuple, list[tuple[Any, int, float, float]]] = {}

# A layout names its glyphs' FreeType fonts. A forked report worker must not use the parent's:
# a face read through an inherited file shares that file's offset with the other processes, and
# two of them loading glyphs at once read each other's bytes (as `reports.layout` says).
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_LAYOUTS.clear)


def _bounded(cache: dict) -> dict:
    if len(cache) > LIMIT:
        cache.clear()
    return cache


def _key(renderer, s: str, prop) -> tuple:
    rc = matplotlib.rcParams
    return (
        s,
        _prop_key(prop),
        renderer.dpi,
        backend_agg.get_hinting_flag(),
        rc["text.hinting_factor"],
        rc["text.kerning_factor"],
    )


class ReportRendererAgg(backend_agg.RendererAgg):
    """The Agg renderer with each string's measure and glyph layout remembered."""

    def get_text_width_height_descent(self, s, prop, ismath):
        if ismath:
            return super().get_text_width_height_descent(s, prop, ismath)
        key = _key(self, s, prop)
        metrics = _METRICS.get(key)
        if metrics is None:
            metrics = _bounded(_METRICS)[key] = super().get_text_width_height_descent(
                s, prop, ismath
            )
        return metrics

    def draw_text(self, gc, x, y, s, prop, angle, ismath=False, mtext=None):
        if ismath:
            return super().draw_text(gc, x, y, s, prop, angle, ismath, mtext)
        features = mtext.get_fontfeatures() if mtext is not None else None
        language = mtext.get_language() if mtext is not None else None
        key = (*_key(self, s, prop), features, language)
        glyphs = _LAYOUTS.get(key)
        if glyphs is None:
            # As `RendererAgg.draw_text` lays the string out.
            font = self._prepare_font(prop)
            items = font._layout(
                s, flags=backend_agg.get_hinting_flag(), features=features, language=language
            )
            glyphs = _bounded(_LAYOUTS)[key] = [
                (item.ft_object, item.glyph_index, item.x, item.y) for item in items
            ]
        size = prop.get_size_in_points()
        self._draw_text_glyphs_and_boxes(
            gc,
            x,
            y,
            angle,
            (
                (ft_object, size, glyph_index, 0, 1, gx, gy)
                for ft_object, glyph_index, gx, gy in glyphs
            ),
            [],
        )
        return None


@contextmanager
def remembered_png_text() -> Iterator[None]:
    """Agg canvases drawn inside use `ReportRendererAgg` (one thread: a report's own process)."""
    if not SUPPORTED:
        yield
        return
    renderer = backend_agg.RendererAgg
    backend_agg.RendererAgg = ReportRendererAgg
    try:
        yield
    finally:
        backend_agg.RendererAgg = renderer
