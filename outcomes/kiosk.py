"""The kiosk: patient mode on a shared terminal, left only with the staff code.

`outcomes tui --patient ID --kiosk` (or any patient mode while the setting
`kiosk_always` is on) runs patient mode so that a patient cannot reach the
shell of whoever started it: leaving needs the clinic's staff code
(setting `kiosk_staff_code`), and after `kiosk_idle_minutes` without a key or
a touch the screen goes back to where it started.

This module holds the rules and the sentences, and no screen: how a staff
code is checked when it is set (`code_problem`), how it is kept (a salted
scrypt hash, `StaffCode`; the code itself is never stored nor shown) and
checked at the kiosk (`StaffCode.matches`), and every sentence the kiosk says.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re

#: Shortest and longest staff code, in characters.
CODE_MIN = 6
CODE_MAX = 64
#: scrypt's cost (about 50 ms a check on a small machine: slow for guessing, quick for staff).
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1
_SALT_BYTES = 16
_STORED = re.compile(r"scrypt\$(\d+)\$(\d+)\$(\d+)\$([0-9a-f]{32})\$([0-9a-f]{64})")

#: What the settings list and every screen print in place of a staff code.
HIDDEN = "set (not shown)"


def code_problem(code: str) -> str | None:
    """Why `code` cannot be the staff code (None when it can)."""
    if len(code) < CODE_MIN:
        return (
            f"setting kiosk_staff_code: the code is too short ({len(code)} characters); give at "
            f"least {CODE_MIN} characters (letters, digits or both) that a patient cannot guess"
        )
    if len(code) > CODE_MAX:
        return f"setting kiosk_staff_code: the code is longer than {CODE_MAX} characters"
    if code != code.strip() or any(not ch.isprintable() for ch in code):
        return (
            "setting kiosk_staff_code: the code may not start or end with a space, nor hold "
            "control characters (staff must be able to type it)"
        )
    return None


def _derive(code: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(code.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=32)


class StaffCode:
    """A staff code as stored: scrypt of the code with a random salt (never the code)."""

    __slots__ = ("stored",)

    def __init__(self, stored: str) -> None:
        if not _STORED.fullmatch(stored):
            raise ValueError("not a stored staff code")
        self.stored = stored

    @classmethod
    def from_code(cls, code: str) -> "StaffCode":
        """Hash a new code with a fresh random salt (raises ValueError with `code_problem`)."""
        problem = code_problem(code)
        if problem:
            raise ValueError(problem)
        salt = os.urandom(_SALT_BYTES)
        digest = _derive(code, salt, _SCRYPT_N, _SCRYPT_R, _SCRYPT_P)
        return cls(f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${salt.hex()}${digest.hex()}")

    def matches(self, typed: str) -> bool:
        """Whether `typed` is the code (compared in constant time)."""
        found = _STORED.fullmatch(self.stored)
        assert found is not None
        n, r, p = (int(found.group(i)) for i in (1, 2, 3))
        salt, digest = bytes.fromhex(found.group(4)), bytes.fromhex(found.group(5))
        if len(typed) > CODE_MAX:
            return False
        return hmac.compare_digest(_derive(typed, salt, n, r, p), digest)

    def __str__(self) -> str:
        return HIDDEN  # never the hash either: what `format_value` prints

    def __repr__(self) -> str:
        return "StaffCode(<hidden>)"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, StaffCode) and other.stored == self.stored

    def __hash__(self) -> int:
        return hash(self.stored)


# ----- what the kiosk says ------------------------------------------------------

#: The footer's word for the key that asks for the staff code.
CLOSE_LABEL = "Staff"
CODE_TITLE = "Closing this screen needs the staff code"
CODE_INTRO = (
    "This screen is for patients of the clinic. A member of staff closes it with the "
    "clinic's staff code. If you are a patient, press Escape to go back."
)
CODE_LABEL = "Staff code"
WRONG_CODE = "That is not the staff code ({count}). Nothing was closed."
NO_CODE_TYPED = "Type the staff code first."
#: Ctrl+C and the like: no shell behind this screen.
STAYS_OPEN = "This screen stays open. When you are done, just leave it; the clinic team closes it."
#: Printed on the terminal after staff closed the kiosk.
CLOSED = "Kiosk closed with the staff code{wrong}."
NO_CODE_SET = (
    "a kiosk needs a staff code to be closed, and none is set: set one first with "
    "`outcomes settings kiosk_staff_code -` (it asks for the code without showing it)"
)


def wrong_count_words(count: int) -> str:
    """ "1 wrong code so far" / "3 wrong codes so far"."""
    return f"{count} wrong code{'s' if count != 1 else ''} so far"


def closed_words(wrong: int) -> str:
    """The line staff read on the terminal after closing the kiosk."""
    return CLOSED.format(
        wrong=f"; {wrong} wrong code{'s were' if wrong != 1 else ' was'} typed while it ran"
        if wrong
        else ""
    )
