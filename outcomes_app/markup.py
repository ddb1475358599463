"""Stored values as the app shows them: literal text, markup-safe text, identifiers as words.

Every screen, widget and line of text of the app shows stored text through
these, so typed text is never read as markup and control characters show as
escapes.
"""

from __future__ import annotations

from typing import Any, Iterable

from rich.text import Text

from outcomes.terminal_text import terminal_safe
from outcomes.validation import Problem
from outcomes.verdict import VerdictValue
from outcomes.wording import words  # noqa: F401  (re-exported: a stored code as words, the core's)

#: Verdict colours, by meaning rather than by theme (they read in light and dark).
VERDICT_STYLE = {
    VerdictValue.RESPONDER: "bold green",
    VerdictValue.NON_RESPONDER: "bold red",
    VerdictValue.INCOMPLETE: "yellow",
    VerdictValue.IN_PROGRESS: "cyan",
    VerdictValue.NO_BASELINE: "dim",
}
NO_VALUE = "–"


def literal(text: Any) -> Text:
    """Stored text as the app shows it: never read as markup, control characters as escapes."""
    return Text(terminal_safe(str(text)))


def safe_markup(text: Any) -> str:
    """Stored text to put inside a markup string: shown as typed, control characters as escapes.

    Every "[" is escaped, not only those that look like a tag: a partial
    escape lets a "[" left in the text (as in an escaped ``\\x1b[5m``) pair
    with a later "]" and swallow what follows as a tag.
    """
    return terminal_safe(str(text)).replace("[", "\\[")


def problem_lines(problems: Iterable[Problem]) -> str:
    """Problems as one message per line (markup), each naming its field; typed values shown literally."""
    return "\n".join(f"• {safe_markup(p.message)}" for p in problems)
