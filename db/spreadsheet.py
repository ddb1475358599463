"""The storage layer's name for the CSV formula-injection rule, `safe_files.spreadsheet`.

The rule lives below `db/` so that the reports' `patients.csv` applies it
without importing `db`.
"""

from __future__ import annotations

from safe_files.spreadsheet import FORMULA_START, neutralise, restore

__all__ = ["FORMULA_START", "neutralise", "restore"]
