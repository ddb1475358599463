"""The check-in form's fields: what the page asks, and reading back what was posted.

Each item of each scale is one radio group named ``<scale>_<n>`` (``phq9_9``)
whose values are the item's stored scores (0 for the first answer). The
questions and answers come from `outcomes.self_report`, as patient mode shows
them and as the program scores them. A posted form is read strictly: only
``application/x-www-form-urlencoded``, UTF-8, each field once, no field the
form does not have, every value one of the item's scores. A missing answer
is the patient's to fix (the form comes back with it marked); anything else
is a form no browser of ours sent, and is refused whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl

from outcomes.scales import get_scale
from outcomes.self_report import Question, questions

FORM_TYPE = "application/x-www-form-urlencoded"


class BadForm(ValueError):
    """A posted form that the page never sends (the message is for the log, not the patient)."""


@dataclass(frozen=True)
class ShownQuestion:
    field: str
    number: int
    text: str
    options: tuple[str, ...]


@dataclass(frozen=True)
class ShownScale:
    name: str
    stem: str
    questions: list[ShownQuestion]


def field_name(q: Question) -> str:
    return f"{q.scale_id}_{q.number}"


def shown_scales(scale_ids: tuple[str, ...]) -> list[ShownScale]:
    """The questions to show, grouped per scale (the stem once, above its items)."""
    out: list[ShownScale] = []
    for scale_id in scale_ids:
        qs = questions([scale_id])
        scale = get_scale(scale_id)
        out.append(
            ShownScale(
                scale.name,
                qs[0].stem if qs else "",
                [ShownQuestion(field_name(q), q.number, q.text, q.options) for q in qs],
            )
        )
    return out


def parse_body(content_type: str | None, body: bytes) -> dict[str, str]:
    """The fields of an urlencoded body, each once.

    Raises:
        BadForm: another content type, not UTF-8, a repeated field.
    """
    kind = (content_type or "").split(";", 1)[0].strip().lower()
    if kind != FORM_TYPE:
        raise BadForm(f"content type {kind or 'none'}")
    try:
        text = body.decode("utf-8")
        pairs = parse_qsl(
            text, keep_blank_values=True, strict_parsing=bool(text), max_num_fields=200
        )
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadForm(type(exc).__name__) from None
    fields: dict[str, str] = {}
    for name, value in pairs:
        if name in fields:
            raise BadForm("a repeated field")
        fields[name] = value
    return fields


def read_answers(
    scale_ids: tuple[str, ...], fields: dict[str, str], extra_allowed: frozenset[str]
) -> tuple[list[Question], list[int | None], list[str]]:
    """The questions, the answers in their order (None: not answered) and the unanswered fields.

    Raises:
        BadForm: a field the form does not have, or an answer that is not one of the item's scores.
    """
    qs = questions(scale_ids)
    names = {field_name(q): q for q in qs}
    unknown = set(fields) - set(names) - extra_allowed
    if unknown:
        raise BadForm("a field the form does not have")
    answers: list[int | None] = []
    missing: list[str] = []
    for q in qs:
        raw = fields.get(field_name(q))
        if raw is None or raw == "":
            answers.append(None)
            missing.append(field_name(q))
            continue
        if not (raw.isascii() and raw.isdigit()) or int(raw) >= len(q.options):
            raise BadForm("an answer out of range")
        answers.append(int(raw))
    return qs, answers, missing


def kept_answers(qs: list[Question], answers: list[int | None]) -> dict[str, int]:
    """Answers given so far, to tick again when the form comes back."""
    return {field_name(q): a for q, a in zip(qs, answers, strict=True) if a is not None}
