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

from dataclasses import dataclass
from datetime import date
from typing import Any, Mapping

from outcomes.records import ROUTES, SIDE_EFFECTS, items_to_text
from outcomes.scales import SCALE_IDS, SCALES, Scale
from outcomes.settings import Settings
from outcomes.timepoints import TimeFormatError, Timepoint, parse_timepoint

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
PATIENT_ID_MAX = 64


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a record."""

    field: str
    message: str
    kind: str = "error"  # "error", "confirm" or "warning"

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


@dataclass
class Checked:
    """The outcome of a check: normalized values and the problems found."""

    values: dict[str, Any]
    problems: list[Problem]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.kind == "error"]

    @property
    def confirmations(self) -> list[Problem]:
        return [p for p in self.problems if p.kind == "confirm"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.kind == "warning"]

    @property
    def ok(self) -> bool:
        """True when nothing blocks saving (confirmations still must be given)."""
        return not self.errors


def _blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and value != value:  # NaN
        return True
    return isinstance(value, str) and value.strip() == ""


def _number(
    values: dict, problems: list[Problem], raw: Mapping[str, Any], name: str, words: str,
    low: float, high: float, *, integer: bool = False, required: bool = False, unit: str = "",
) -> None:
    value = raw.get(name)
    if _blank(value):
        if required:
            problems.append(Problem(name, f"{words} is required"))
        values[name] = None
        return
    text = str(value).strip()
    try:
        number = float(text)
        if number != number or number in (float("inf"), float("-inf")):
            raise ValueError
    except ValueError:
        problems.append(Problem(name, f"{words} {text!r} is not a number"))
        values[name] = None
        return
    if integer:
        if number != int(number):
            problems.append(Problem(name, f"{words} {text!r} must be a whole number"))
            values[name] = None
            return
        number = int(number)
    if not low <= number <= high:
        problems.append(
            Problem(name, f"{words} {text}{unit} is outside the plausible range {low:g}-{high:g}{unit}")
        )
    values[name] = number


def _timepoint(
    values: dict, problems: list[Problem], raw: Mapping[str, Any], name: str, words: str,
    today: date | None, *, required: bool = True,
) -> Timepoint | None:
    value = raw.get(name)
    if _blank(value):
        if required:
            problems.append(Problem(name, f"{words} is required (YYYY-MM-DD)"))
        values[name] = None
        return None
    try:
        tp = parse_timepoint(str(value))
    except TimeFormatError as exc:
        problems.append(Problem(name, f"{words}: {exc}"))
        values[name] = None
        return None
    if today is not None and tp.day > today:
        problems.append(
            Problem(name, f"{words} {tp.iso()} is in the future (today is {today.isoformat()})")
        )
    values[name] = tp
    return tp


def _text(values: dict, raw: Mapping[str, Any], name: str) -> None:
    value = raw.get(name)
    values[name] = None if _blank(value) else str(value).strip()


def check_patient(raw: Mapping[str, Any], today: date | None = None) -> Checked:
    """Validate a patient: id (1-64 characters), birth date, weight."""
    values: dict[str, Any] = {}
    problems: list[Problem] = []
    pid = "" if _blank(raw.get("patient_id")) else str(raw.get("patient_id")).strip()
    if not pid:
        problems.append(Problem("patient_id", "patient id is required (1-64 characters)"))
    elif len(pid) > PATIENT_ID_MAX:
        problems.append(
            Problem("patient_id", f"patient id is {len(pid)} characters long; at most {PATIENT_ID_MAX} allowed")
        )
    elif any(ord(c) < 32 or ord(c) == 127 for c in pid):
        problems.append(Problem("patient_id", "patient id contains control characters"))
    values["patient_id"] = pid
    _text(values, raw, "name")
    _text(values, raw, "notes")
    born = _timepoint(values, problems, raw, "birth_date", "birth date", today, required=False)
    if born is not None:
        values["birth_date"] = born.day.isoformat()  # a date: any time typed is dropped
    _number(values, problems, raw, "weight_kg", "weight", *WEIGHT_RANGE_KG, unit=" kg")
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
    values["patient_id"] = "" if _blank(raw.get("patient_id")) else str(raw["patient_id"]).strip()
    if not values["patient_id"]:
        problems.append(Problem("patient_id", "patient id is required"))
    _timepoint(values, problems, raw, "date", "infusion date", today)
    _number(values, problems, raw, "course", "course number", 1, 999, integer=True)
    dose_text = raw.get("dose_mg_per_kg")
    if _blank(dose_text):
        problems.append(Problem("dose_mg_per_kg", "dose in mg/kg is required"))
        values["dose_mg_per_kg"] = None
    else:
        try:
            dose = float(str(dose_text).strip())
            if dose != dose:
                raise ValueError
        except ValueError:
            problems.append(Problem("dose_mg_per_kg", f"dose {str(dose_text).strip()!r} is not a number (mg/kg)"))
            dose = None
        values["dose_mg_per_kg"] = dose
        if dose is not None:
            problems.extend(dose_problems(dose))
    route = raw.get("route")
    if _blank(route):
        values["route"] = None
    else:
        route = str(route).strip().lower()
        if route not in ROUTES:
            problems.append(Problem("route", f"route {route!r} is not known; allowed: {', '.join(ROUTES)}"))
        values["route"] = route
    _number(values, problems, raw, "duration_min", "duration", *DURATION_RANGE_MIN, unit=" min")
    _number(values, problems, raw, "weight_kg", "weight", *WEIGHT_RANGE_KG, unit=" kg")
    for phase in ("pre", "post"):
        _number(values, problems, raw, f"bp_systolic_{phase}", f"systolic pressure ({phase})",
                *SYSTOLIC_RANGE, integer=True, unit=" mmHg")
        _number(values, problems, raw, f"bp_diastolic_{phase}", f"diastolic pressure ({phase})",
                *DIASTOLIC_RANGE, integer=True, unit=" mmHg")
        _number(values, problems, raw, f"heart_rate_{phase}", f"heart rate ({phase})",
                *HEART_RATE_RANGE, integer=True, unit="/min")
    for phase in ("pre", "post"):
        sys_, dia = values.get(f"bp_systolic_{phase}"), values.get(f"bp_diastolic_{phase}")
        if sys_ is not None and dia is not None and dia >= sys_:
            problems.append(Problem(
                f"bp_diastolic_{phase}",
                f"diastolic {dia} is not below systolic {sys_}: are the two swapped?",
            ))
    problems.extend(blood_pressure_problems(values.get("bp_systolic_pre"), values.get("bp_diastolic_pre"), settings))
    effects_raw = raw.get("side_effects")
    effects: list[str] = []
    if not _blank(effects_raw):
        parts = effects_raw if isinstance(effects_raw, (list, tuple)) else str(effects_raw).split(";")
        for part in parts:
            word = str(part).strip().lower().replace(" ", "_")
            if not word:
                continue
            if word not in SIDE_EFFECTS:
                problems.append(Problem(
                    "side_effects",
                    f"side effect {word!r} is not in the vocabulary; allowed: {', '.join(SIDE_EFFECTS)}",
                ))
            elif word not in effects:
                effects.append(word)
    values["side_effects"] = ";".join(effects) if effects else None
    _text(values, raw, "notes")
    return Checked(values, problems)


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
        return [Problem(
            "dose_mg_per_kg",
            f"dose {dose:g} mg/kg is refused as an entry error: it must be above "
            f"{DOSE_REFUSE_AT_OR_BELOW:g} and at most {DOSE_REFUSE_ABOVE:g} mg/kg",
        )]
    if dose_is_unusual(dose):
        return [Problem(
            "dose_mg_per_kg",
            f"dose {dose:g} mg/kg is outside the usual {DOSE_USUAL_MIN:g}-{DOSE_USUAL_MAX:g} mg/kg; "
            "confirm it is intended",
            kind="confirm",
        )]
    return []


def blood_pressure_problems(systolic: int | None, diastolic: int | None, settings: Settings) -> list[Problem]:
    """A warning when the pre-infusion pressure reaches the clinic's hold threshold."""
    if not bp_at_hold(systolic, diastolic, settings):
        return []
    return [Problem(
        "bp_systolic_pre",
        f"blood pressure before infusion {'?' if systolic is None else systolic}/"
        f"{'?' if diastolic is None else diastolic} mmHg is at or above "
        f"the hold threshold {settings.bp_hold_systolic}/{settings.bp_hold_diastolic} "
        "(setting bp_hold_systolic / bp_hold_diastolic)",
        kind="warning",
    )]


def parse_items(text: Any, scale: Scale) -> tuple[tuple[int, ...] | None, list[Problem]]:
    """Item scores typed as space-separated numbers (or a sequence).

    Returns the items (None when absent or when any is wrong) and every
    problem found, one per wrong item.
    """
    if _blank(text):
        return None, []
    parts = list(text) if isinstance(text, (list, tuple)) else str(text).split()
    if len(parts) == scale.n_items and isinstance(text, str) and text.isascii():
        # Fast path for the common case (plain digits, all in range): a bulk
        # import checks 100,000 rows, and building each item's message costs
        # more than the check. Anything else takes the careful path below.
        if "".join(parts).isdigit():
            items = tuple(map(int, parts))
            if all(map(int.__le__, items, scale.item_max)):
                return items, []
    if len(parts) != scale.n_items:
        return None, [Problem(
            "items",
            f"{scale.name} has {scale.n_items} items but {len(parts)} were given "
            "(item scores in order, separated by single spaces)",
        )]
    problems: list[Problem] = []
    items: list[int] = []
    for number, part in enumerate(parts, start=1):
        score, issues = _item_score(scale, number, part)
        problems.extend(issues)
        items.append(score if score is not None else 0)
    return (None if problems else tuple(items)), problems


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
    try:
        as_float = float(text)
        score = int(as_float)
        if score != as_float:
            raise ValueError
    except (ValueError, OverflowError):
        return None, [Problem("items", f"{where}: {str(value).strip()!r} is not a whole number; allowed 0-{top}")]
    if not 0 <= score <= top:
        return None, [Problem("items", f"{where} = {score} is out of range; allowed 0-{top}")]
    return score, []


def check_assessment(
    raw: Mapping[str, Any], today: date | None = None
) -> Checked:
    """Validate an assessment: scale, items and/or total, date.

    Either items or a total is required; when both are given they must agree.
    A total without items is accepted and marked total-only.
    """
    values: dict[str, Any] = {}
    problems: list[Problem] = []
    values["patient_id"] = "" if _blank(raw.get("patient_id")) else str(raw["patient_id"]).strip()
    if not values["patient_id"]:
        problems.append(Problem("patient_id", "patient id is required"))
    _timepoint(values, problems, raw, "date", "assessment date", today)
    scale_id = "" if _blank(raw.get("scale")) else str(raw["scale"]).strip().lower()
    values["scale"] = scale_id
    _text(values, raw, "rater")
    _text(values, raw, "notes")
    values["items"] = None
    values["total"] = None
    if scale_id not in SCALES:
        problems.append(Problem(
            "scale",
            f"scale {scale_id!r} is not known; allowed: {', '.join(SCALE_IDS)}" if scale_id
            else f"scale is required; allowed: {', '.join(SCALE_IDS)}",
        ))
        return Checked(values, problems)
    scale = SCALES[scale_id]
    items, item_issues = parse_items(raw.get("items"), scale)
    problems.extend(item_issues)
    total_raw = raw.get("total")
    total: int | None = None
    if not _blank(total_raw):
        text = str(total_raw).strip()
        try:
            as_float = float(text)
            if as_float != int(as_float):
                raise ValueError
            total = int(as_float)
        except (ValueError, OverflowError):
            problems.append(Problem("total", f"{scale.name} total {text!r} is not a whole number"))
        else:
            if not 0 <= total <= scale.total_max:
                problems.append(Problem(
                    "total", f"{scale.name} total {total} is out of range; allowed 0-{scale.total_max}"
                ))
                total = None
    if _blank(raw.get("items")) and _blank(total_raw):
        problems.append(Problem("items", f"{scale.name}: give the item scores or a total (or both)"))
    if items is not None:
        computed = scale.total(items)
        if total is not None and total != computed:
            problems.append(Problem(
                "total", f"{scale.name} total {total} does not match the items, whose total is {computed}"
            ))
        total = computed
    values["items"] = items
    values["total"] = total
    return Checked(values, problems)


def stored_items(values: Mapping[str, Any]) -> str | None:
    """The items of checked assessment values in their stored text form."""
    return items_to_text(values.get("items"))
