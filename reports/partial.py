"""A report that fails part-way leaves none of the files it had written (issue 21).

A patient's report is a PDF and a PNG; the cohort report is its charts, a
PDF, a CSV and a JSON file. When writing fails part-way (a full disk, a name
taken by a folder), the files of that report written so far are removed, so
that the folder never holds half a report that looks whole, and the count of
files written stays true. A file that cannot be removed either is counted as
written and named.
"""

from __future__ import annotations

import os
from pathlib import Path

from outcomes import wording


def remove_partial(written: list[Path]) -> tuple[list[Path], list[Path]]:
    """Remove the files in `written`: (those removed, those left because removing failed)."""
    removed, left = [], []
    for path in written:
        try:
            os.unlink(path)
        except FileNotFoundError:
            continue
        except OSError:
            left.append(path)
        else:
            removed.append(path)
    return removed, left


def failed_part_way(what: str, exc: BaseException, written: list[Path]) -> tuple[str, list[Path]]:
    """The failure's words and the files still there, after removing what `written` lists."""
    removed, left = remove_partial(written)
    words = f"{what}: {type(exc).__name__}: {exc}"
    if removed:
        words += (
            f"; removed the {wording.plural(len(removed), 'file')} it had written "
            f"({', '.join(p.name for p in removed)}), so that no partial report is left"
        )
    if left:
        words += f"; could not remove {', '.join(str(p) for p in left)}"
    return words, left
