"""The look of every report: colours, line styles, sizes, and how files are saved.

Colours are the Okabe-Ito palette (safe for the common colour-vision
deficiencies), and every meaning also has its own line style or marker, so a
chart printed in greyscale still reads. Saving goes through `save_png` and
`open_pdf`, which pin the metadata a file would otherwise stamp with the
wall-clock time or the library version: re-running a report on unchanged data
gives byte-identical files.
"""

from __future__ import annotations

import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import numpy as np
from matplotlib import rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from reports.pdf_text import remembered_text
from reports.png_text import remembered_png_text
from safe_files.atomic import atomic_file, os_error_message, temporary_beside, write_atomic

# Okabe & Ito (2008), "Color Universal Design".
BLACK = "#000000"
ORANGE = "#E69F00"
SKY_BLUE = "#56B4E9"
GREEN = "#009E73"
YELLOW = "#F0E442"
BLUE = "#0072B2"
VERMILION = "#D55E00"
PURPLE = "#CC79A7"
GREY = "#777777"
LIGHT_GREY = "#DDDDDD"

#: Severity bands shaded from light to dark grey: the order survives greyscale.
BAND_GREYS = ("#FFFFFF", "#F2F2F2", "#E4E4E4", "#D6D6D6", "#C8C8C8")

A4_PORTRAIT = (8.27, 11.69)
A4_LANDSCAPE = (11.69, 8.27)
PNG_DPI = 100  # sharp enough on screen, cheap to render for a whole clinic

FONT = "DejaVu Sans"
TITLE_SIZE = 14
HEADING_SIZE = 11
TEXT_SIZE = 9
SMALL_SIZE = 7.5

#: Fixed metadata: no creation date, no library version (both change between runs).
PDF_METADATA = {
    "Creator": "ketamine-outcomes",
    "Producer": "ketamine-outcomes",
    "CreationDate": None,
    "ModDate": None,
}


@contextmanager
def _quiet_missing_glyphs() -> Iterator[None]:
    # A name in a script DejaVu Sans lacks (CJK, say) is drawn as empty boxes;
    # matplotlib warns once per glyph, which is noise on a clinician's
    # terminal. The id stays readable in the CSV, and the file name has its hash.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .* missing from font")
        yield


#: Fonts embedded in every PDF, subset to the glyphs used. Type 3 rather
#: than TrueType (42): the same glyphs and searchable text, at about a
#: third of the cost per file, which matters for a clinic's batch.
PDF_FONTS = {"pdf.use14corefonts": False, "pdf.fonttype": 3}

#: One font family, named: with the default family list matplotlib looks up
#: every family of `font.sans-serif` for every text it draws. Text is shown
#: literally: without `text.parse_math` off, a note reading "$20 copay, $5
#: parking" would be set as mathematics (and a stray backslash could fail the page).
REPORT_RC = {"font.family": [FONT], "text.parse_math": False}


@contextmanager
def report_style() -> Iterator[None]:
    """The rc settings reports are built and saved under (fonts are fixed at text creation)."""
    with rc_context(REPORT_RC):
        yield


def new_figure(size: tuple[float, float]) -> Figure:
    """A figure on the Agg canvas, detached from pyplot."""
    fig = Figure(figsize=size)
    FigureCanvasAgg(fig)
    return fig


def save_png(
    fig: Figure, path: Path, crop: tuple[float, float, float, float] | None = None
) -> Path:
    """Save `fig` as a PNG, or only the part `crop` names (left, bottom, width, height
    in figure coordinates).

    The canvas is drawn once and the pixels written by Pillow as RGB with
    light compression and no metadata: for a batch this is markedly cheaper
    than `savefig` (which encodes RGBA at zlib's default level), and the
    bytes depend on nothing but the figure.
    """
    from PIL import Image

    fig.set_dpi(PNG_DPI)
    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    with _quiet_missing_glyphs(), remembered_png_text():
        canvas.draw()
    pixels = np.asarray(canvas.buffer_rgba())
    if crop is not None:
        rows, cols = pixels.shape[:2]
        left, bottom, width, height = crop
        x0, x1 = int(round(left * cols)), int(round((left + width) * cols))
        y0, y1 = int(round((1 - bottom - height) * rows)), int(round((1 - bottom) * rows))
        pixels = pixels[y0:y1, x0:x1]
    image = Image.fromarray(np.ascontiguousarray(pixels[..., :3]), "RGB")
    with atomic_file(path, binary=True) as handle:
        image.save(handle, format="png", compress_level=2)
    return path


@contextmanager
def open_pdf(path: Path) -> Iterator[PdfPages]:
    """A multi-page PDF with fixed metadata, written atomically and owner-only.

    Text is set in DejaVu Sans, embedded (`PDF_FONTS`): the reports' own
    words use arrows and the minus sign, which the PDF core fonts' encoding
    lacks (they printed as "?").
    """
    with temporary_beside(path) as (tmp, move_into_place):
        try:
            with rc_context(PDF_FONTS), _quiet_missing_glyphs(), remembered_text():
                with PdfPages(tmp, metadata=PDF_METADATA) as pdf:
                    yield pdf
        except OSError as exc:
            raise os_error_message(exc, path, "write") from None
        move_into_place()


def write_text(path: Path, text: str) -> Path:
    """Write a text file (CSV, JSON) atomically and owner-only, UTF-8, Unix line ends."""
    return write_atomic(path, text)
