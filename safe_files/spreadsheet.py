"""Spreadsheet formula injection: the OWASP rule for every CSV cell the program writes.

A cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is
run as a formula by Excel and LibreOffice (``=HYPERLINK(...)`` in a patient's
name). Such a cell is written with a leading single quote, which the
spreadsheet shows as text. A cell that already starts with a quote gets one
more, so the importer can take exactly one quote off any cell that starts
with one followed by a formula character or another quote, and a CSV round
trip stays exact.
"""

from __future__ import annotations

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_QUOTE = "'"


def neutralise(cell: str) -> str:
    """The cell as written to a CSV file: formula-like text gets a leading quote."""
    if cell and (cell[0] in FORMULA_START or (cell[0] == _QUOTE and _escaped_rest(cell[1:]))):
        return _QUOTE + cell
    return cell


def restore(cell: str) -> str:
    """The cell as stored: undoes `neutralise` (a quote before a formula character or a quote)."""
    if cell[:1] == _QUOTE and _escaped_rest(cell[1:]):
        return cell[1:]
    return cell


def _escaped_rest(rest: str) -> bool:
    return bool(rest) and (rest[0] in FORMULA_START or rest[0] == _QUOTE)
