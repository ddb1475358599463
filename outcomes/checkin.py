"""Check-ins from home: the rules of a one-time link and every sentence the patient reads.

A clinic sends a patient a link (or prints it on the take-home page) to
answer their self-report questionnaires on their own phone, between visits
(`outcomes serve`, `outcomes checkin link|send|revoke`). This module holds
what every front end must agree on and none may decide itself:

- a link's secret: `new_token` (256 random bits, URL-safe) and the short
  code printed beside it (`new_code`: 16 letters and digits from Crockford's
  alphabet, 80 random bits, typed in four groups), and their stored form,
  a SHA-256 digest (`secret_digest`); the secrets themselves are never
  stored. A slow password hash is not needed: nobody can guess a secret of
  80 or more random bits, so the digest only keeps a stolen database from
  opening links;
- when a link may be used (`link_state`: valid from, until, spent, revoked);
- the patient's greeting (first name only) and the sentences of the pages
  and the email, which carry no clinical data.

The questions, answers, scoring and alert come from `outcomes.self_report`,
exactly as patient mode uses them.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

#: The audit trail's reason for a score sent from a web check-in.
AUDIT_REASON = "entered by the patient in a web check-in (one-time link)"
#: The `who` of the audit row of a web check-in's scores.
WEB_WHO = "patient (web check-in)"

#: Bytes of randomness in a link's token: 256 bits (at least 128 are required).
TOKEN_BYTES = 32
#: Crockford's base-32 alphabet: no I, L, O or U, so 1/I/L and 0/O cannot be confused.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
#: Characters in a short code: 16 x 5 bits = 80 random bits.
CODE_LENGTH = 16
#: What a typed code may hold before it is normalised (letters, digits, spaces, dashes).
_CODE_TYPED = re.compile(r"^[0-9A-Za-z \-]{1,40}$")
#: A token as it appears in a URL (token_urlsafe(32) gives 43 characters).
_TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_\-]{43}$")

#: A link's states.
OPEN = "open"
NOT_YET = "not_yet"
SPENT = "spent"
EXPIRED = "expired"
REVOKED = "revoked"


def new_token() -> str:
    """A fresh link secret: 256 random bits, URL-safe (43 characters)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def new_code() -> str:
    """A fresh short code: 16 characters of Crockford's alphabet (80 random bits)."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def code_groups(code: str) -> str:
    """The code as printed and typed: four groups of four (``7K2M-9QXD-H4PA-3RTV``)."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def normalise_code(typed: str) -> str | None:
    """A typed short code in its stored form, or None when it cannot be one.

    Spaces and dashes are dropped, letters upper-cased, and the look-alikes
    Crockford allows are read as the digit meant (O as 0, I and L as 1).
    """
    if not isinstance(typed, str) or not _CODE_TYPED.match(typed):
        return None
    code = typed.replace(" ", "").replace("-", "").upper()
    code = code.translate(str.maketrans({"O": "0", "I": "1", "L": "1"}))
    if len(code) != CODE_LENGTH or any(c not in CODE_ALPHABET for c in code):
        return None
    return code


def token_shape_ok(token: str) -> bool:
    """Whether a URL's token could be one of ours (anything else is refused unread)."""
    return isinstance(token, str) and bool(_TOKEN_SHAPE.match(token))


def secret_digest(secret: str) -> str:
    """The stored form of a token or code: its SHA-256, in hex."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class LinkTimes:
    """When a link opens and closes, and whether it was used or withdrawn (UTC)."""

    valid_from: datetime
    valid_until: datetime
    spent_at: datetime | None = None
    revoked_at: datetime | None = None


def link_state(link: LinkTimes, now: datetime) -> str:
    """Whether the link may be used now: spent and revoked first, then its window."""
    if link.spent_at is not None:
        return SPENT
    if link.revoked_at is not None:
        return REVOKED
    if now < link.valid_from:
        return NOT_YET
    if now >= link.valid_until:
        return EXPIRED
    return OPEN


def first_name(name: str | None) -> str | None:
    """The first word of the patient's name, for the greeting (never the whole name)."""
    if not name or not name.strip():
        return None
    return name.strip().split()[0]


def greeting(name: str | None) -> str:
    """ "Hello Anna," (first name only) or plain "Hello," when no name is known."""
    first = first_name(name)
    return f"Hello {first}," if first else "Hello,"


# ----- the patient's pages ----------------------------------------------------

PAGE_TITLE = "Your check-in"
INTRO = (
    "Please answer a few questions about how you have been feeling. Choose the answer "
    "that fits best; there are no right or wrong answers. Your answers go straight to "
    "your care team."
)
SEND = "Send my answers"
THANK_YOU = "Thank you. Your answers have been sent to your care team."
TEAM_TOLD = "Your care team has been told about your answer to the question on self-harm."
SEE_PROGRESS = "Your progress"
CLOSE_PAGE = "You can close this page now."
MISSING_ANSWERS = (
    "Please answer every question before sending. The questions still to answer are marked below."
)
#: What a link that cannot be used says: kindly, and nothing more.
LINK_WORDS = {
    SPENT: "This check-in link has already been used, so it cannot be used again. "
    "Thank you for sending your answers.",
    EXPIRED: "This check-in link has expired. If you would still like to send your "
    "answers, please ask your clinic for a new link.",
    REVOKED: "This check-in link has been withdrawn by your clinic. Please ask your "
    "clinic for a new link if you need one.",
    NOT_YET: "This check-in link is not open yet. It opens on {day}; please come back then.",
}
UNKNOWN_LINK = (
    "This check-in link is not valid. Please check that you copied the whole link, or "
    "ask your clinic for a new one."
)
UNKNOWN_CODE = (
    "That code was not recognised. Please check it against your sheet and try again, "
    "or ask your clinic for a new one."
)
TOO_MANY_TRIES = (
    "There have been too many attempts from this device. Please wait a few minutes and "
    "try again, or ask your clinic for help."
)
ENTER_CODE = "Type the check-in code printed on your sheet (16 letters and numbers)."
NOT_SAVED = (
    "Your answers could not be saved just now: nothing was stored. Please try again in "
    "a few minutes, or tell your clinic."
)
FORM_EXPIRED = (
    "This page was open too long or was sent twice, so the answers were not stored. "
    "Please open your link again."
)
BAD_REQUEST = "The page could not understand what was sent. Nothing was stored."
#: The server's clinic file was replaced (a restore) while it ran: it serves nothing until restarted.
UNAVAILABLE = (
    "This page cannot be used just now: nothing was stored. Please try again later, or tell "
    "your clinic."
)


def not_yet_words(opens: datetime) -> str:
    """The not-yet-open sentence, with the day the link opens."""
    return LINK_WORDS[NOT_YET].format(day=f"{opens.day} {opens:%B %Y}")


# ----- the take-home page -----------------------------------------------------------


def handout_words(code_page: str, opens: datetime, until: datetime) -> str:
    """The take-home page's line beside the QR code of the next check-in (the code follows it
    on a line of its own, so that it is never broken)."""
    window = (
        f"until {until.day} {until:%B}"
        if opens.date() <= datetime.now(opens.tzinfo).date()
        else f"from {opens.day} {opens:%B} to {until.day} {until:%B}"
    )
    return (
        f"Next check-in from home: scan the square with your phone's camera, or open "
        f"{code_page} and type this code (it works once, {window}):"
    )


# ----- the email ------------------------------------------------------------------

EMAIL_SUBJECT = "Your check-in from {clinic}"
EMAIL_REMINDER_SUBJECT = "Reminder: your check-in from {clinic}"


def email_body(clinic: str, name: str | None, url: str, until: datetime) -> str:
    """The invitation: greeting, the link, until when it works. No clinical data."""
    return (
        f"{greeting(name)}\n\n"
        f"{clinic} would like to know how you have been feeling. Please answer a few short "
        "questions on this secure page; it takes about five minutes:\n\n"
        f"{url}\n\n"
        f"The link works once, until {until.day} {until:%B %Y}. Please do not share it.\n"
        "If you did not expect this message, please tell your clinic.\n\n"
        f"{clinic}\n"
    )


# ----- who is emailed ---------------------------------------------------------------

INVITE = "invite"
REMIND = "remind"


def invitation_action(
    followup_state: str | None,
    emailed_since_due: int,
    open_emailed_at: datetime | None,
    now: datetime,
    reminder_days: int,
) -> str | None:
    """Whether `outcomes checkin send --due` emails this patient now, and how.

    Args:
        followup_state: the next follow-up's state (`outcomes.followup`: due,
            overdue, upcoming) or None when none is scheduled.
        emailed_since_due: links emailed to the patient since that follow-up fell due.
        open_emailed_at: when the newest emailed link still open was emailed (None: none open).
        now: the moment of sending.
        reminder_days: the setting `checkin_reminder_days` (0: never remind).

    Returns:
        ``"invite"`` (first link of this follow-up), ``"remind"`` (one reminder,
        with a fresh link, `reminder_days` after an unused invitation) or None.
    """
    if followup_state not in ("due", "overdue"):
        return None
    if emailed_since_due == 0:
        return INVITE
    if (
        reminder_days > 0
        and emailed_since_due == 1
        and open_emailed_at is not None
        and (now - open_emailed_at).total_seconds() >= reminder_days * 86400
    ):
        return REMIND
    return None
