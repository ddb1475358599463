"""Validation of a clinical record before anything is written.

Each `check_*` function takes the values a clinician typed or a CSV row held
(text or numbers), and returns the normalized values together with every
problem found, not just the first. A problem is one of three kinds:

- ``error``: refused; the record cannot be saved as it is;
- ``confirm``: allowed only after an explicit confirmation (an unusual dose);
- ``warning``: saved, but shown first (blood pressure at the hold threshold).

Messages name the field, the value and what is allowed, in words a clinician
understands. The ranges live in `outcomes.scales` and here, nowhere else.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from operator import le
from typing import Any, Mapping

from outcomes.drugs import (
    DRUGS,
    ESKETAMINE,
    ESKETAMINE_DOSES_MG,
    ESKETAMINE_ROUTE,
    KETAMINE,
    before_dose,
)
from outcomes.fields import (
    EARLIEST_BIRTH,
    EARLIEST_CLINICAL,
    PATIENT_ID_MAX,
    Checked,
    Problem,
    blank,
    decimal_hint,
    minutes_between,
    moment,
    number_field,
    parse_decimal,
    patient_ref,
    shown,
    text_field,
    timepoint_field,
    yes_no,
)
from outcomes.records import DIGIT_VALUES, ROUTES, SIDE_EFFECTS, items_to_text
from outcomes.scales import SCALE_IDS, SCALES, Scale
from outcomes.settings import Settings
from outcomes.timepoints import TimeFormatError, Timepoint, parse_timepoint
from outcomes.typed_text import TEXT_MAX, text_problem
from outcomes.wording import plural

# Dose rules of clinical-spec section 8.
DOSE_REFUSE_AT_OR_BELOW = 0.0
DOSE_REFUSE_ABOVE = 2.0
DOSE_USUAL_MIN = 0.1
DOSE_USUAL_MAX = 1.0

# Plausibility guards against typing slips (not clinical thresholds).
WEIGHT_RANGE_KG = (20.0, 350.0)
SYSTOLIC_RANGE = (50, 300)
DIASTOLIC_RANGE = (20, 200)
HEART_RATE_RANGE = (20, 250)
DURATION_RANGE_MIN = (1.0, 600.0)
#: The end of a session and the time the patient was ready to leave: at most this long after the
#: start, the longest duration allowed (an end days or months later is a mistyped date).
SESSION_END_LIMIT_MIN = DURATION_RANGE_MIN[1]


def _minutes_words(minutes: float) -> str:
    """'2,250 minutes' (days shown too when it is more than a day: '4,320 minutes (3 days)')."""
    days = minutes / 1440
    text = f"{minutes:,.0f} minutes"
    return f"{text} ({days:,.1f} days)" if days >= 1 else text


def _squash(text: str) -> str:
    return "".join(c for c in text.lower() if c.isalnum())


_SCALE_BY_SQUASHED = {_squash(scale_id): scale_id for scale_id in SCALE_IDS}


def scale_id_of(text: str) -> str | None:
    """The scale id a person meant, or None: case, spaces, '-' and '_' are ignored.

    "PHQ-9", "phq 9" and " Phq9" all mean ``phq9``; "QIDS-SR16" means
    ``qids_sr16``. Harmless: no two scale ids differ only in those. Every
    place a scale is named takes it: --scale, settings, the `scale` column of
    an import and the forms (`check_assessment`).
    """
    return _SCALE_BY_SQUASHED.get(_squash(text))


def exact_number(value: float) -> str:
    """A number in a refusal exactly as it was read: 56.00001, 0.09999999999999999, 56 (never
    rounded to look like an allowed value, which would hide why it was refused)."""
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


def _did_you_mean(typed: str) -> str:
    meant = scale_id_of(typed)
    return f" (did you mean {meant}?)" if meant else ""


#: The one sentence for a change, correction or retraction without a reason.
REASON_REQUIRED = "a reason is required (it is kept in the audit trail)"


def reason_problems(reason: Any) -> list[Problem]:
    """A change, correction or retraction must say why: the audit trail keeps the reason."""
    if blank(reason):
        return [Problem("reason", REASON_REQUIRED)]
    problem = text_problem(str(reason).strip(), "reason", note=True)
    return [Problem("reason", problem)] if problem else []


#: An email address as the check-in invitations need it: one @, a dot in the domain, no spaces.
EMAIL_SHAPE = re.compile(
    r"^[^@\s\x00-\x1f\x7f]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?)+$"
)
#: The longest address a mail server accepts (RFC 5321).
EMAIL_MAX = 254


def email_problem(text: str | None) -> str | None:
    """What is wrong with an email address (None: nothing, or none given)."""
    if text is None:
        return None
    if len(text) > EMAIL_MAX or not EMAIL_SHAPE.match(text):
        return (
            f"email {text[:80]!r} is not an email address; give one like name@example.org "
            f"(at most {EMAIL_MAX} characters), or leave it empty"
        )
    return None


def _email(values: dict, problems: list[Problem], raw: Mapping[str, Any]) -> None:
    """The patient's optional email (for check-in links): stored without spaces around it.

    Left out of the values when the record does not mention it (a form or file without
    the field), so that updating other details never erases a stored address.
    """
    if "email" not in raw:
        return
    value = raw.get("email")
    values["email"] = text = None if blank(value) else str(value).strip()
    problem = email_problem(text)
    if problem:
        problems.append(Problem("email", problem))


def check_patient(raw: Mapping[str, Any], today: date | None = None) -> Checked:
    """Validate a patient: id (1-64 characters), birth date, weight, email."""
    values: dict[str, Any] = {}
    problems: list[Problem] = []
    patient_ref(values, problems, raw)
    text_field(values, problems, raw, "name")
    text_field(values, problems, raw, "notes")
    _email(values, problems, raw)
    born = timepoint_field(
        values,
        problems,
        raw,
        "birth_date",
        "birth date",
        today,
        required=False,
        earliest=EARLIEST_BIRTH,
    )
    if born is not None:
        values["birth_date"] = born.day.isoformat()  # a date: any time typed is dropped
    number_field(values, problems, raw, "weight_kg", "weight", *WEIGHT_RANGE_KG, unit=" kg")
    return Checked(values, problems)


def check_infusion(
    raw: Mapping[str, Any], settings: Settings | None = None, today: date | None = None
) -> Checked:
    """Validate an infusion, applying the dose and blood-pressure rules.

    A dose <= 0 or > 2.0 mg/kg is refused as an entry error; a dose outside
    0.1-1.0 mg/kg needs confirmation; a pre-infusion blood pressure at or
    above the clinic's hold threshold is a warning (clinical-spec section 8).
    """
    settings = settings or Settings()
    values: dict[str, Any] = {}
    problems: list[Problem] = []
    patient_ref(values, problems, raw)
    timepoint_field(values, problems, raw, "date", "infusion date", today)
    number_field(values, problems, raw, "course", "course number", 1, 999, integer=True)
    drug = _drug(values, problems, raw)
    if drug == ESKETAMINE:
        _esketamine_dose(values, problems, raw)
    else:
        _ketamine_dose(values, problems, raw)
    _route(values, problems, raw, drug)
    number_field(
        values, problems, raw, "duration_min", "duration", *DURATION_RANGE_MIN, unit=" min"
    )
    number_field(values, problems, raw, "weight_kg", "weight", *WEIGHT_RANGE_KG, unit=" kg")
    _vital_signs(values, problems, raw, settings)
    if drug == ESKETAMINE:
        problems.extend(
            esketamine_bp_problems(
                values.get("bp_systolic_pre"), values.get("bp_diastolic_pre"), settings
            )
        )
    _side_effects(values, problems, raw)
    text_field(values, problems, raw, "notes")
    _session_end(values, problems, raw, today)
    return Checked(values, problems)


def _vital_signs(
    values: dict, problems: list[Problem], raw: Mapping[str, Any], settings: Settings
) -> None:
    """Blood pressure and heart rate before and after, each plausible, diastolic below systolic."""
    for phase in ("pre", "post"):
        number_field(
            values,
            problems,
            raw,
            f"bp_systolic_{phase}",
            f"systolic pressure ({phase})",
            *SYSTOLIC_RANGE,
            integer=True,
            unit=" mmHg",
        )
        number_field(
            values,
            problems,
            raw,
            f"bp_diastolic_{phase}",
            f"diastolic pressure ({phase})",
            *DIASTOLIC_RANGE,
            integer=True,
            unit=" mmHg",
        )
        number_field(
            values,
            problems,
            raw,
            f"heart_rate_{phase}",
            f"heart rate ({phase})",
            *HEART_RATE_RANGE,
            integer=True,
            unit="/min",
        )
    for phase in ("pre", "post"):
        sys_, dia = values.get(f"bp_systolic_{phase}"), values.get(f"bp_diastolic_{phase}")
        if sys_ is not None and dia is not None and dia >= sys_:
            problems.append(
                Problem(
                    f"bp_diastolic_{phase}",
                    f"diastolic {dia} is not below systolic {sys_}: are the two swapped?",
                )
            )
    problems.extend(
        blood_pressure_problems(
            values.get("bp_systolic_pre"),
            values.get("bp_diastolic_pre"),
            settings,
            values.get("drug"),
        )
    )


def _side_effects(values: dict, problems: list[Problem], raw: Mapping[str, Any]) -> None:
    """Side effects from the vocabulary, `;`-separated (or a list), each once."""
    effects_raw = raw.get("side_effects")
    effects: list[str] = []
    if not blank(effects_raw):
        parts = (
            effects_raw if isinstance(effects_raw, (list, tuple)) else str(effects_raw).split(";")
        )
        for part in parts:
            word = str(part).strip().lower().replace(" ", "_")
            if not word:
                continue
            if word not in SIDE_EFFECTS:
                problems.append(
                    Problem(
                        "side_effects",
                        f"side effect {word!r} is not in the vocabulary; allowed: {', '.join(SIDE_EFFECTS)}",
                    )
                )
            elif word not in effects:
                effects.append(word)
    values["side_effects"] = ";".join(effects) if effects else None


def _drug(values: dict, problems: list[Problem], raw: Mapping[str, Any]) -> str:
    text = raw.get("drug")
    drug = KETAMINE if blank(text) else str(text).strip().lower()
    if drug not in DRUGS:
        problems.append(Problem("drug", f"drug {drug!r} is not known; allowed: {', '.join(DRUGS)}"))
    values["drug"] = drug
    return drug


def _ketamine_dose(values: dict, problems: list[Problem], raw: Mapping[str, Any]) -> None:
    """Racemic ketamine: a dose in mg/kg (section 8); a dose in mg belongs to esketamine."""
    values["dose_mg"] = None
    if not blank(raw.get("dose_mg")):
        problems.append(
            Problem(
                "dose_mg",
                "a dose in mg is for esketamine; ketamine doses are in "
                "mg/kg (dose_mg_per_kg), or set drug to esketamine",
            )
        )
    dose_text = raw.get("dose_mg_per_kg")
    if blank(dose_text):
        problems.append(Problem("dose_mg_per_kg", "dose in mg/kg is required"))
        values["dose_mg_per_kg"] = None
        return
    # Plain decimal digits only (parse_decimal): "5e-1", "0x1", "1_0" and "inf" are refused.
    number = parse_decimal(dose_text)
    dose = None if number is None else float(number)
    if dose is None:
        text = str(dose_text).strip()
        problems.append(
            Problem(
                "dose_mg_per_kg",
                f"dose {shown(text)} is not a number (mg/kg): write plain decimal digits "
                f"such as 0.5{decimal_hint(text)}",
            )
        )
    values["dose_mg_per_kg"] = dose
    if dose is not None:
        problems.extend(dose_problems(dose))


def _esketamine_dose(values: dict, problems: list[Problem], raw: Mapping[str, Any]) -> None:
    """Esketamine: a dose in mg, one of 28, 56 or 84 (section 11); never mg/kg."""
    values["dose_mg_per_kg"] = None
    if not blank(raw.get("dose_mg_per_kg")):
        problems.append(
            Problem(
                "dose_mg_per_kg",
                "esketamine is dosed in mg (dose_mg: "
                f"{', '.join(map(str, ESKETAMINE_DOSES_MG))}), not mg/kg",
            )
        )
    allowed = ", ".join(map(str, ESKETAMINE_DOSES_MG))
    # Any number is read; only the label's doses are accepted, whatever the typo.
    number_field(
        values, problems, raw, "dose_mg", "esketamine dose", -1e9, 1e9, required=True, unit=" mg"
    )
    dose = values["dose_mg"]
    if dose is not None and dose not in ESKETAMINE_DOSES_MG:
        problems.append(
            Problem(
                "dose_mg",
                f"esketamine dose {exact_number(dose)} mg is refused: it must be "
                f"{allowed} mg (one device holds 28 mg)",
            )
        )


def _route(values: dict, problems: list[Problem], raw: Mapping[str, Any], drug: str) -> None:
    route = raw.get("route")
    route = None if blank(route) else str(route).strip().lower()
    if drug == ESKETAMINE:
        if route not in (None, ESKETAMINE_ROUTE):
            problems.append(
                Problem("route", f"esketamine is given {ESKETAMINE_ROUTE}, not {route!r}")
            )
        route = ESKETAMINE_ROUTE
    elif route is not None and route not in ROUTES:
        problems.append(
            Problem("route", f"route {route!r} is not known; allowed: {', '.join(ROUTES)}")
        )
    values["route"] = route


def _later_than_now(tp: Timepoint, today: date | None) -> bool:
    """Whether a timed point is later than now (checked on today's records: a check as of another
    day, as a test's, compares days only, which `date_problem` does)."""
    now = datetime.now()
    if today is not None and today != now.date():
        return False
    return tp.at is not None and moment(tp) > now


def _session_end(
    values: dict, problems: list[Problem], raw: Mapping[str, Any], today: date | None
) -> None:
    """When the infusion ended, when the patient was ready to leave, and whether accompanied."""
    start = values.get("date")
    for name, words in (
        ("ended_at", "end of the infusion"),
        ("ready_to_leave_at", "ready to leave"),
    ):
        tp = timepoint_field(values, problems, raw, name, words, today, required=False)
        if tp is None:
            continue
        if tp.at is None:
            problems.append(
                Problem(name, f"{words} {tp.iso()} needs a time of day (YYYY-MM-DDTHH:MM)")
            )
        elif start is not None and start.at is None:
            problems.append(
                Problem(
                    name,
                    f"{words} needs the session's start time too (date {start.iso()} has none)",
                )
            )
        elif start is not None and tp <= start:
            problems.append(
                Problem(
                    name, f"{words} {tp.iso()} is not after the session started ({start.iso()})"
                )
            )
        elif name == "ready_to_leave_at" and _later_than_now(tp, today):
            problems.append(
                Problem(
                    name,
                    f"{words} {tp.iso().replace('T', ' ')} is later than now "
                    f"({datetime.now():%Y-%m-%d %H:%M}); record it once the patient is ready to "
                    "leave, or correct the date or time",
                )
            )
        elif start is not None and minutes_between(start, tp) > SESSION_END_LIMIT_MIN:
            # Bounded as the duration is (issue 21): a slip of the day or month, not a session.
            problems.append(
                Problem(
                    name,
                    f"{words} {tp.iso()} is {_minutes_words(minutes_between(start, tp))} after the "
                    f"session started ({start.iso()}); at most {SESSION_END_LIMIT_MIN:g} minutes "
                    "is allowed: is the date or time mistyped?",
                )
            )
    ended, ready, duration = (
        values.get("ended_at"),
        values.get("ready_to_leave_at"),
        values.get("duration_min"),
    )
    if ended is not None and ready is not None and ended.at and ready.at and ready < ended:
        problems.append(
            Problem(
                "ready_to_leave_at",
                f"ready to leave {ready.iso()} is before the infusion ended ({ended.iso()})",
            )
        )
    if ended is not None and duration is not None and start is not None and start.at and ended.at:
        minutes = minutes_between(start, ended)
        if abs(minutes - duration) > 1:
            problems.append(
                Problem(
                    "duration_min",
                    f"duration {duration:g} min does not match the end "
                    f"time {ended.iso()} ({minutes:g} min after the start); give one of them",
                )
            )
    try:
        values["accompanied"] = yes_no(raw.get("accompanied"))
    except ValueError as exc:
        problems.append(Problem("accompanied", f"accompanied {str(exc)!r} is not yes or no"))
        values["accompanied"] = None


def dose_is_unusual(dose: float) -> bool:
    """A dose outside the usual 0.1-1.0 mg/kg (it needs confirmation; section 8)."""
    return not DOSE_USUAL_MIN <= dose <= DOSE_USUAL_MAX


def bp_at_hold(systolic: int | None, diastolic: int | None, settings: Settings) -> bool:
    """Pre-infusion pressure at or above the clinic's hold threshold (either number)."""
    return (systolic is not None and systolic >= settings.bp_hold_systolic) or (
        diastolic is not None and diastolic >= settings.bp_hold_diastolic
    )


def dose_problems(dose: float) -> list[Problem]:
    """The dose rule of clinical-spec section 8, for one dose in mg/kg."""
    if dose <= DOSE_REFUSE_AT_OR_BELOW or dose > DOSE_REFUSE_ABOVE:
        return [
            Problem(
                "dose_mg_per_kg",
                f"dose {exact_number(dose)} mg/kg is refused as an entry error: it must be above "
                f"{DOSE_REFUSE_AT_OR_BELOW:g} and at most {DOSE_REFUSE_ABOVE:g} mg/kg",
            )
        ]
    if dose_is_unusual(dose):
        return [
            Problem(
                "dose_mg_per_kg",
                f"dose {exact_number(dose)} mg/kg is outside the usual {DOSE_USUAL_MIN:g}-{DOSE_USUAL_MAX:g} mg/kg; "
                "confirm it is intended",
                kind="confirm",
            )
        ]
    return []


def blood_pressure_problems(
    systolic: int | None, diastolic: int | None, settings: Settings, drug: str | None = None
) -> list[Problem]:
    """A warning when the pre-dose pressure reaches the clinic's hold threshold."""
    if not bp_at_hold(systolic, diastolic, settings):
        return []
    return [
        Problem(
            "bp_systolic_pre",
            f"blood pressure {before_dose(drug)} {'?' if systolic is None else systolic}/"
            f"{'?' if diastolic is None else diastolic} mmHg is at or above "
            f"the hold threshold {settings.bp_hold_systolic}/{settings.bp_hold_diastolic} "
            "(setting bp_hold_systolic / bp_hold_diastolic)",
            kind="warning",
        )
    ]


def esketamine_bp_problems(
    systolic: int | None, diastolic: int | None, settings: Settings
) -> list[Problem]:
    """A warning when the pressure before esketamine is above the label's caution (section 11)."""
    limit = settings.esketamine_bp_caution
    if not (
        (systolic is not None and systolic > limit.systolic)
        or (diastolic is not None and diastolic > limit.diastolic)
    ):
        return []
    return [
        Problem(
            "bp_systolic_pre",
            f"blood pressure before esketamine {'?' if systolic is None else systolic}/"
            f"{'?' if diastolic is None else diastolic} mmHg is above {limit} "
            "(setting esketamine_bp_caution; the label asks to weigh the risk of a rise in pressure)",
            kind="warning",
        )
    ]


def parse_items(text: Any, scale: Scale) -> tuple[tuple[int, ...] | None, list[Problem]]:
    """Item scores typed as space-separated numbers (or a sequence).

    Returns the items (None when absent or when any is wrong) and every
    problem found, one per wrong item.
    """
    if blank(text):
        return None, []
    if isinstance(text, str):
        items = _plain_items(text, scale)
        if items is not None:
            return items, []
    parts = list(text) if isinstance(text, (list, tuple)) else str(text).split()
    if len(parts) != scale.n_items:
        separator = next((c for c in ",;" if isinstance(text, str) and c in text), None)
        return None, [
            Problem(
                "items",
                f"{scale.name} has {scale.n_items} items but {plural(len(parts), 'was', 'were')} given "
                "(item scores in order, separated by single spaces"
                + (f", not {separator!r})" if separator else ")"),
            )
        ]
    problems: list[Problem] = []
    items: list[int] = []
    for number, part in enumerate(parts, start=1):
        score, issues = _item_score(scale, number, part)
        problems.extend(issues)
        items.append(score if score is not None else 0)
    return (None if problems else tuple(items)), problems


def _plain_items(text: str, scale: Scale) -> tuple[int, ...] | None:
    """The items of the common clean text (plain digits, all in range), else None.

    The fast path of a bulk import, which checks 100,000 rows: building each
    item's message costs more than the check. None only means "take the
    careful path" (`parse_items`), which finds and words every problem.
    """
    n = len(scale.item_max)
    if len(text) == 2 * n - 1 and text.isascii():
        # "2 1 3 0 ...": one digit per item and single spaces, read without splitting.
        digits = text[::2]
        if not digits.isdigit() or text[1::2] != " " * (n - 1):
            return None
        items = tuple(digits.encode().translate(DIGIT_VALUES))
    else:
        parts = text.split()
        # Long digit strings take the careful path (int() refuses over 4,300 digits).
        if (
            len(parts) != n
            or len(text) > 4 * n
            or not text.isascii()
            or not "".join(parts).isdigit()
        ):
            return None
        items = tuple(map(int, parts))
    return items if all(map(le, items, scale.item_max)) else None


def item_problems(scale: Scale, number: int, value: Any) -> list[Problem]:
    """Problems with item `number` of `scale` holding `value` (typed text or int)."""
    return _item_score(scale, number, value)[1]


def _item_score(scale: Scale, number: int, value: Any) -> tuple[int | None, list[Problem]]:
    top = scale.item_max[number - 1]
    where = f"{scale.name} item {number} ({scale.item_label(number).split(' (')[0]})"
    text = str(value).strip()
    if number in scale.lettered_items and text[-1:].lower() in ("a", "b"):
        # BDI-II items 16 and 18 offer 1a/1b, 2a/2b, 3a/3b: the number is the score.
        text = text[:-1]
    as_number = parse_decimal(text)
    if as_number is None or as_number != int(as_number):
        return None, [
            Problem(
                "items",
                f"{where}: {shown(str(value).strip())} is not a whole number; allowed 0-{top}",
            )
        ]
    score = int(as_number)
    if not 0 <= score <= top:
        return None, [Problem("items", f"{where} = {score} is out of range; allowed 0-{top}")]
    return score, []


def check_assessment(raw: Mapping[str, Any], today: date | None = None) -> Checked:
    """Validate an assessment: scale, items and/or total, date.

    Either items or a total is required; when both are given they must agree.
    A total without items is accepted and marked total-only.
    """
    clean = clean_assessment(raw, today)
    if clean is not None:
        return Checked(clean, [])
    values: dict[str, Any] = {}
    problems: list[Problem] = []
    patient_ref(values, problems, raw)
    timepoint_field(values, problems, raw, "date", "assessment date", today)
    typed = "" if blank(raw.get("scale")) else str(raw["scale"]).strip()
    # "PHQ-9" means phq9 here too, as in `settings` and --scale (issue 21: one rule everywhere).
    scale_id = scale_id_of(typed) or typed.lower()
    values["scale"] = scale_id
    text_field(values, problems, raw, "rater")
    text_field(values, problems, raw, "notes")
    values["items"] = None
    values["total"] = None
    if scale_id not in SCALES:
        problems.append(
            Problem(
                "scale",
                f"scale {scale_id!r} is not known; allowed: {', '.join(SCALE_IDS)}{_did_you_mean(scale_id)}"
                if scale_id
                else f"scale is required; allowed: {', '.join(SCALE_IDS)}",
            )
        )
        return Checked(values, problems)
    scale = SCALES[scale_id]
    items, item_issues = parse_items(raw.get("items"), scale)
    problems.extend(item_issues)
    total_raw = raw.get("total")
    total = _typed_total(scale, total_raw, problems)
    if blank(raw.get("items")) and blank(total_raw):
        problems.append(
            Problem("items", f"{scale.name}: give the item scores or a total (or both)")
        )
    if items is not None:
        computed = scale.total(items)
        if total is not None and total != computed:
            problems.append(
                Problem(
                    "total",
                    f"{scale.name} total {total} does not match the items, whose total is {computed}",
                )
            )
        total = computed
    values["items"] = items
    values["total"] = total
    return Checked(values, problems)


def _typed_total(scale: Scale, total_raw: Any, problems: list[Problem]) -> int | None:
    """The total as typed: a whole number within the scale's range, else None (and a problem)."""
    if blank(total_raw):
        return None
    text = str(total_raw).strip()
    as_number = parse_decimal(text)
    if as_number is None or as_number != int(as_number):
        problems.append(Problem("total", f"{scale.name} total {shown(text)} is not a whole number"))
        return None
    total = int(as_number)
    if not 0 <= total <= scale.total_max:
        problems.append(
            Problem(
                "total", f"{scale.name} total {total} is out of range; allowed 0-{scale.total_max}"
            )
        )
        return None
    return total


def clean_assessment(raw: Mapping[str, Any], today: date | None) -> dict[str, Any] | None:
    """The values of a clean assessment row of text cells, or None: then use `check_assessment`.

    A bulk import's rows are nearly all clean: text cells, a known scale,
    plain in-range item digits, a total (if any) that agrees. This path only
    recognises such a row, with the same rules (`parse_timepoint`,
    `_plain_items`, the scale's ranges and scorer); any doubt at all returns
    None, and `check_assessment` then runs every check and words every
    problem. So it changes speed only, never a verdict or a message.
    """
    get = raw.get
    pid, when, scale_id, items_text = get("patient_id"), get("date"), get("scale"), get("items")
    typed_total, rater, notes = get("total"), get("rater"), get("notes")
    if not (
        str is type(pid) is type(when) is type(scale_id) is type(items_text)
    ):  # text cells only
        return None
    pid = pid.strip()
    scale = SCALES.get(scale_id.strip().lower())
    # Plain ASCII ids are already in their stored form; others take the careful path.
    if (
        not pid
        or scale is None
        or len(pid) > PATIENT_ID_MAX
        or not (pid.isascii() and pid.isprintable())
    ):
        return None
    items = _plain_items(items_text, scale)
    if items is None:
        return None
    try:
        tp = parse_timepoint(when)
    except TimeFormatError:
        return None
    if (today is not None and tp.day > today) or tp.day < EARLIEST_CLINICAL:
        return None
    total = scale.total(items)
    if typed_total is not None:
        if type(typed_total) is not str:
            return None
        typed_total = typed_total.strip()
        if typed_total and not (
            len(typed_total) <= 4
            and typed_total.isdigit()
            and typed_total.isascii()
            and int(typed_total) == total <= scale.total_max
        ):
            return None
    if rater is not None:
        if (
            type(rater) is not str or not rater.isprintable() or len(rater) > TEXT_MAX
        ):  # the careful path words it
            return None
        rater = rater.strip() or None
    if notes is not None:
        if type(notes) is not str or not notes.isprintable() or len(notes) > TEXT_MAX:
            return None
        notes = notes.strip() or None
    return {
        "patient_id": pid,
        "date": tp,
        "scale": scale.id,
        "rater": rater,
        "notes": notes,
        "items": items,
        "total": total,
    }


def stored_items(values: Mapping[str, Any]) -> str | None:
    """The items of checked assessment values in their stored text form."""
    return items_to_text(values.get("items"))


#: What makes two assessments one record (clinical-spec section 9): a second
#: assessment of the same scale at the same time for one patient is refused,
#: by the app and the importer alike; it is a correction of the first.
ASSESSMENT_IDENTITY = ("patient_id", "taken_at", "scale")


def already_recorded(what: str, how: str = "", instead: str = "") -> str:
    """The refusal of a second record of the same thing, in one wording.

    >>> already_recorded("the PHQ-9 of P001 on 2026-01-08")
    'the PHQ-9 of P001 on 2026-01-08 is already recorded; correct the stored record instead'
    """
    return f"{what} is already recorded{how}; correct the stored record instead{instead}"
