"""Patient mode's own words: the help page, its glossary, paths as the patient reads them.

Every other sentence comes from `outcomes.wording`.
"""

from __future__ import annotations

from pathlib import Path

from outcomes.response import RESPONSE_MIN_IMPROVEMENT
from outcomes.safety import SUICIDALITY
from outcomes.settings import Settings
from outcomes.status import PatientStatus
from outcomes.wording import patient_noun as _patient_noun
from outcomes.wording import share_words as _share
from outcomes_app.saving import WaitWords


def shown_path(path: Path) -> str:
    """A path as the patient reads it: ``~/...`` under their home folder."""
    try:
        return "~/" + str(path.relative_to(Path.home()))
    except ValueError:
        return str(path)


def needs_crisis_text(status: PatientStatus | None) -> bool:
    """True when any of the patient's answers raised a suicidality alert."""
    # Acknowledged or not: the crisis resources stay on the patient's screen.
    return bool(status and any(a.kind == SUICIDALITY for a in status.alerts))


#: Patient mode noticed that the clinic file at its path was replaced (a restore) while it ran.
FILE_REPLACED = (
    "The clinic's records were changed while this screen was open, so what it shows may be out "
    "of date and nothing can be sent from it. Please ask a member of staff to restart it."
)
#: Why answers were not sent once the file was replaced (the self-report's "could not be saved").
NOT_SENT_FILE_REPLACED = "the clinic's records were changed while this screen was open"


#: The waiting dialog while the patient's answers wait for another program's write
#: (another kiosk sending, an import): a patient's words, not the clinician's.
PATIENT_WAIT = WaitWords(
    "Sending your answers",
    "Please wait… ({seconds} s)",
    "The clinic's computer is busy saving something else. Your answers are kept and sent as "
    "soon as it is free (at most {limit}).",
    "you stopped waiting",
    "Your answers are still being sent; closing now would lose them. Please wait, or press "
    "Escape to stop (your answers are then not sent).",
)
#: Why the answers were not sent after that wait ran out.
BUSY_TOO_LONG = "the clinic's computer was busy for too long"
#: Patient mode could not open the clinic's records because another program holds them.
RECORDS_BUSY = (
    "The clinic's records are in use by another program right now, so your results cannot be shown."
)
RECORDS_UNREADABLE = "Your results cannot be shown on this screen right now."
#: Before the technical reason, which only staff need.
FOR_STAFF = "For the clinic team: {reason}"


def for_staff(reason: object) -> str:
    """The technical reason, marked as being for staff (the patient reads the sentence above it)."""
    return FOR_STAFF.format(reason=str(reason).rstrip("."))


HELP_TEXT = """\
Keys
  s        save your chart as a picture (PNG) to take home
  p        save a one-page summary (PDF) to print and take home
  n        your next questionnaire, when you have more than one
  c        go to your chart
  t        switch between a light and a dark screen
  ? or F1  this help
  q        {quit_line}
  Ctrl+P   a list of these commands

Words used here
  Baseline    your score shortly before your first {noun}:
              the starting point
  Response    your score dropped by at least {half} from the baseline
  Remission   your score fell into the range where few or no
              symptoms are left
  Session     one {noun}; the first {n} make up the treatment course
  Booster     an extra {noun} after the first {n}
  Check-in    the same questionnaire again after treatment,
              to see how you are doing

The chart
  ●  your score             --  half your starting score
  ·· the remission range    ▲   {a_noun}     ◆  a booster

This screen shows only your own results, and changes nothing.
Press Escape to close."""


#: What q does, in patient mode and in a kiosk (closed by staff with their code).
QUIT_LINE = "quit: close your progress view"
KIOSK_QUIT_LINE = "for staff: close this screen (it asks for the staff code)"


def help_text(status: PatientStatus | None, settings: Settings, kiosk: bool = False) -> str:
    """The help page for this patient's course: its length and what a session is called
    (an infusion, or a nasal spray session for esketamine); in a kiosk, q is for staff."""
    n = status.induction_size if status is not None else settings.induction_sessions
    noun = _patient_noun(status) if status is not None else "infusion"
    return HELP_TEXT.format(
        half=_share(RESPONSE_MIN_IMPROVEMENT),
        n=n,
        noun=noun,
        a_noun=f"{'an' if noun[0] in 'aeiou' else 'a'} {noun}",
        quit_line=KIOSK_QUIT_LINE if kiosk else QUIT_LINE,
    )


def glossary(status: PatientStatus | None, settings: Settings) -> list[tuple[str, str]]:
    """The "Words used here" of the help page as (word, meaning) pairs (the take-home page lists them)."""
    text = help_text(status, settings)
    block = text.split("Words used here\n", 1)[1].split("\n\n", 1)[0]
    pairs: list[tuple[str, str]] = []
    for line in block.splitlines():
        word, meaning = line[:14].strip(), line[14:].strip()
        if word:
            pairs.append((word, meaning))
        elif pairs:  # a meaning's second line
            pairs[-1] = (pairs[-1][0], f"{pairs[-1][1]} {meaning}")
    return pairs
