"""What stored free text may hold: the one rule for names, notes and text settings.

Names, notes, raters, reasons, clinician names, the clinic's name and its
crisis text may hold any printable text (any script, accents, emoji,
punctuation, spaces), but no control characters: an escape sequence in a
name retitles a terminal or clears a screen, a stray carriage return hides
what came before it, and a direction override makes text read backwards.
Such characters are refused where the text comes in (a CSV importer, an app
form, a command-line argument), with the position and what is allowed.

A note (patient, infusion, assessment and reading notes, course notes, alert
acknowledgements, the reason for a change) may also hold line breaks and
tabs, because a note copied from a letter or another system reasonably does;
a carriage return is allowed only as part of a Windows line break (CR LF).
Text stored before this rule existed is left as it is; it is shown with
visible escapes (`outcomes.terminal_text`).

Other invisible characters are allowed in free text (the zero-width
non-joiner is part of how Persian names are spelled, and the joiner builds
emoji); patient ids have their own stricter rule (`validation.normalise_patient_id`).
"""

from __future__ import annotations

import unicodedata

#: Explicit direction embeddings, overrides and isolates: formatting, not text.
DIRECTION_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
#: Unicode categories refused in free text: controls (C0, DEL, C1), lone
#: surrogates, and the line and paragraph separators.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})
#: What a note may hold beyond printable text.
_NOTE_WHITESPACE = frozenset("\n\t")

ONE_LINE_ALLOWED = "it may hold any printable text (letters, digits, punctuation, spaces) but no control characters"
NOTE_ALLOWED = (
    "it may hold any printable text, line breaks and tabs, but no other control characters"
)


def _refused(text: str, position: int, note: bool) -> bool:
    char = text[position]
    if note and char in _NOTE_WHITESPACE:
        return False
    if note and char == "\r" and text[position + 1 : position + 2] == "\n":
        return False  # a Windows line break
    return char in DIRECTION_CONTROLS or unicodedata.category(char) in _REFUSED_CATEGORIES


#: Names of the control characters a user may recognise (Unicode gives controls no name).
_CONTROL_NAMES = {
    "\0": "null",
    "\a": "bell",
    "\b": "backspace",
    "\t": "tab",
    "\n": "line break",
    "\v": "vertical tab",
    "\f": "form feed",
    "\r": "carriage return",
    "\x1b": "escape",
    "\x7f": "delete",
}


def describe_char(char: str) -> str:
    """``U+001B escape`` or ``U+202E RIGHT-TO-LEFT OVERRIDE``."""
    name = _CONTROL_NAMES.get(char) or unicodedata.name(char, "")
    return f"U+{ord(char):04X} {name}".strip()


#: The longest free text stored, in characters (a note copied from a long letter fits). Above the
#: CSV reader's default field limit (131,072), which `db.csv_io` raises to `CSV_FIELD_LIMIT`, so
#: every export re-imports (issue 21).
TEXT_MAX = 200_000
#: The CSV reader's field limit: the longest text plus room for a spreadsheet guard quote.
CSV_FIELD_LIMIT = TEXT_MAX + 16


def too_long(text: str, what: str) -> str | None:
    """The refusal of text longer than `TEXT_MAX`, or None."""
    if len(text) <= TEXT_MAX:
        return None
    return f"{what} is {len(text):,} characters long; at most {TEXT_MAX:,} are allowed"


def text_problem(text: str | None, what: str, *, note: bool = False) -> str | None:
    """What is wrong with free text `what` (``"name"``, ``"notes"``), or None when it may be stored.

    Args:
        text: The text as typed or read from a file (None or empty: nothing to check).
        what: The field's name, as the message says it.
        note: Whether line breaks and tabs are allowed (notes and reasons).
    """
    if not text:
        return None
    if len(text) > TEXT_MAX:
        return too_long(text, what)
    if text.isprintable():  # the usual case, and the fast path of a bulk import
        return None
    for position in range(len(text)):
        if _refused(text, position, note):
            allowed = NOTE_ALLOWED if note else ONE_LINE_ALLOWED
            return (
                f"{what} holds a control character ({describe_char(text[position])}) at position "
                f"{position + 1}; {allowed}"
            )
    return None
