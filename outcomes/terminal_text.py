"""Stored text made safe to show on a terminal: the one rule for the command line and the app.

A name, note or setting may hold anything a file or a keyboard gave it,
including terminal control sequences (an OSC sequence in a name retitles the
window; a CSI sequence moves the cursor or clears the screen) and Unicode
direction overrides that make text read backwards. Shown raw, such text
could make a screen lie. `terminal_safe` keeps every printable character as
it is (right-to-left scripts, accents, emoji) and writes each control,
direction-override and line-separator character as a visible escape such as
``\\x1b`` or ``\\u202e``. Markup (``[bold]``) is the app's concern: it shows
text through Rich `Text`, never as markup.
"""

from __future__ import annotations

import unicodedata

#: Unicode's explicit direction controls (embeddings, overrides, isolates, marks).
_BIDI_CONTROLS = frozenset(
    "\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)


def _escape(char: str) -> str:
    code = ord(char)
    if char == "\n":
        return "\\n"
    if char == "\r":
        return "\\r"
    if char == "\t":
        return "\\t"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _unsafe(char: str) -> bool:
    return char in _BIDI_CONTROLS or unicodedata.category(char) in ("Cc", "Zl", "Zp")


def terminal_safe(text: str, *, multiline: bool = False) -> str:
    """`text` with every terminal control character written as a visible escape.

    With `multiline`, line breaks are kept (a list of refusals, a summary);
    otherwise they are escaped too, so one stored value stays on one line.
    """
    if text.isprintable():  # the usual case, and the fast path for long lists
        return text
    if multiline:
        return "\n".join(terminal_safe(line) for line in text.split("\n"))
    return "".join(_escape(c) if _unsafe(c) else c for c in text)
