"""A patient filling in their own questionnaires: the rules and the words.

`outcomes tui --patient ID --self-report` lets one patient answer the scales
of the setting `self_report_scales` (PHQ-9 and GAD-7 by default: the two
whose full question and answer wording is free to show). This module holds
what the screens need and must not decide themselves: which scales, the
question and answer options of each item, the stored form of the answers
(rater ``self``, dated now, through `check_assessment` like every score),
whether an answer is a positive suicidality item, and every sentence the
patient reads on the way. The app only shows them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Mapping, Sequence

from outcomes.safety import safety_item_positive
from outcomes.scales import SELF_REPORT_SCALE_IDS, get_scale
from outcomes.settings import Settings
from outcomes.validation import Checked, check_assessment

#: The rater stored with an assessment the patient entered.
SELF_RATER = "self"
#: The audit trail's reason for such a record.
AUDIT_REASON = "entered by the patient in patient mode (self-report)"

INTRO = (
    "Please answer a few questions about how you have been feeling. Choose the "
    "answer that fits best; there are no right or wrong answers. You can go back "
    "and change an answer, and you will see all your answers before you send them."
)
KEYS_HINT = "Press 1-4 or click an answer.  Backspace: previous question."
REVIEW_TITLE = "Please check your answers"
REVIEW_HINT = (
    "Click an answer (or press its number) to change it. "
    "Press Enter or click Send when they are right."
)
TEAM_WILL_BE_TOLD = "When you send your answers, your care team will be told straight away."
TEAM_TOLD = "Your care team has been told."
THANK_YOU = "Thank you, please hand the device back."
AFTER_THANKS = "Press Enter to see your progress."
SEE_PROGRESS = "See my progress"
NOT_SAVED = (
    "Your answers could not be saved: {reason}. Nothing was stored. "
    "Please hand the device back to the clinic team."
)
ALREADY_SENT = "Your answers for this visit have been sent."
LEAVE_QUESTION = "Leave without sending your answers? Nothing you answered will be kept."
#: The leave dialog after a positive suicidality item: nothing unsent is kept, so the patient
#: is told plainly that the team does not know, and asked to tell them (README, "Patients
#: filling in their own questionnaires").
LEAVE_AFTER_SAFETY_ITEM = (
    "Your answers have not been sent, so your care team has not been told about them. "
    "If you leave now, nothing you answered is kept."
)
TELL_STAFF = (
    "Please tell a member of staff today about your answer on thoughts of hurting yourself, "
    "or stay and send your answers."
)


def who(patient_id: str) -> str:
    """The `who` of the audit row: the patient, in patient mode."""
    return f"patient {patient_id} (patient mode)"


@dataclass(frozen=True)
class Question:
    """One item as the patient sees it."""

    scale_id: str
    number: int  # 1-based item number within its scale
    of: int  # items in the scale
    stem: str
    text: str
    options: tuple[str, ...]

    @property
    def title(self) -> str:
        return f"{get_scale(self.scale_id).name}: question {self.number} of {self.of}"


def questions(scale_ids: Sequence[str]) -> list[Question]:
    """Every item of the given scales, in order.

    Raises:
        ValueError: a scale a patient may not fill in alone.
    """
    out = []
    for scale_id in scale_ids:
        if scale_id not in SELF_REPORT_SCALE_IDS:
            raise ValueError(
                f"{scale_id!r} cannot be filled in by a patient; allowed: "
                f"{', '.join(SELF_REPORT_SCALE_IDS)}"
            )
        scale = get_scale(scale_id)
        for n in range(1, scale.n_items + 1):
            text = scale.item_label(n).rstrip("?")
            out.append(Question(scale_id, n, scale.n_items, scale.stem, text, scale.option_labels))
    return out


def answers_by_scale(
    qs: Sequence[Question], answers: Sequence[int | None]
) -> dict[str, list[int | None]]:
    """The answers grouped per scale, in item order."""
    grouped: dict[str, list[int | None]] = {}
    for q, a in zip(qs, answers, strict=False):
        grouped.setdefault(q.scale_id, []).append(a)
    return grouped


def positive_safety_item(
    qs: Sequence[Question], answers: Sequence[int | None], settings: Settings
) -> bool:
    """Whether any answered suicidality item reaches its alert threshold."""
    for scale_id, items in answers_by_scale(qs, answers).items():
        filled = [a if a is not None else 0 for a in items]
        if safety_item_positive(scale_id, filled, settings):
            return True
    return False


def checked_answers(
    patient_id: str, qs: Sequence[Question], answers: Sequence[int | None], now: datetime
) -> list[Checked]:
    """The answers as assessments checked like every other score, one per scale.

    Dated now (to the minute, the clinic's local time), rater ``self``. An
    unanswered item is left out, so `check_assessment` refuses the scale
    (no proration) rather than guess.
    """
    when = now.strftime("%Y-%m-%dT%H:%M")
    out = []
    for scale_id, items in answers_by_scale(qs, answers).items():
        raw: Mapping = {
            "patient_id": patient_id,
            "date": when,
            "scale": scale_id,
            "items": " ".join(str(a) for a in items if a is not None),
            "rater": SELF_RATER,
        }
        out.append(check_assessment(raw, now.date()))
    return out
