"""sqlite-utils loaded without pandas and numpy.

sqlite-utils imports pandas and numpy at its own import whenever they are
installed, only to map their value types to column types when it is asked to
guess a table's columns; this program never asks (its schema is written out
in `db.migrations`). pandas and numpy take about half a second to load, a
third of an import of 50,000 rows (issue 24), so sqlite-utils is loaded with
them hidden; whatever needs pandas later imports it as usual.
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType

#: What sqlite-utils would load at its import and never needs here.
_NOT_NEEDED = ("pandas", "numpy")


def sqlite_utils() -> ModuleType:
    """The `sqlite_utils` module (imported the first time without pandas and numpy)."""
    module = sys.modules.get("sqlite_utils")
    if module is not None:
        return module
    hidden = [name for name in _NOT_NEEDED if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]  # an import of it raises ImportError
    try:
        return importlib.import_module("sqlite_utils")
    finally:
        for name in hidden:
            if sys.modules.get(name, ...) is None:
                del sys.modules[name]
