"""sqlite-utils loaded without pandas and numpy.

sqlite-utils imports pandas and numpy at its own import whenever they are
installed, only to map their value types to column types when it is asked to
guess a table's columns; this program never asks (its schema is written out
in `db.migrations`). pandas and numpy take about half a second to load, a
third of an import of 50,000 rows (issue 24), so sqlite-utils is loaded with
them hidden; whatever needs pandas later imports it as usual. Its date
parser (`dateutil.parser`, about 10 ms, for recipes this program never
calls) stands in as `_OnFirstUse` and loads only if one is called.
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
    if "dateutil.parser" not in sys.modules:
        sys.modules["dateutil.parser"] = _OnFirstUse("dateutil.parser")
    try:
        return importlib.import_module("sqlite_utils")
    finally:
        for name in hidden:
            if sys.modules.get(name, ...) is None:
                del sys.modules[name]


class _OnFirstUse(ModuleType):
    """A module that imports the real one when one of its names is first asked for.

    `from dateutil import parser` binds this object; `parser.parse(...)` then
    finds the real module's function (a module's own `__getattr__` is asked
    only for names it lacks, and this one lacks all of them).
    """

    def __getattr__(self, attribute: str):
        name = self.__name__
        if sys.modules.get(name) is self:
            del sys.modules[name]
        module = importlib.import_module(name)
        return getattr(module, attribute)
