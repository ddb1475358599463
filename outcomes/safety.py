"""Safety alerts (clinical-spec section 8).

Alerts come from the record itself: a positive suicidality item, an infusion
given at an unusual dose or with blood pressure at the hold threshold, and a
reliable deterioration (section 7). Each alert has a stable `key` so that a
clinician's acknowledgement (kept by `db/`) can be matched to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Iterable

from outcomes.drugs import before_dose
from outcomes.records import Assessment, Infusion
from outcomes.scales import SCALES
from outcomes.settings import Settings
from outcomes.timepoints import Timepoint
from outcomes.validation import DOSE_USUAL_MAX, DOSE_USUAL_MIN, bp_at_hold, dose_is_unusual
from outcomes.wording.status import reliable_words

if TYPE_CHECKING:
    from outcomes.reliable_change import ReliableChange

SUICIDALITY = "suicidality_item"
DOSE = "dose_outside_usual_range"
BLOOD_PRESSURE = "blood_pressure_at_hold_threshold"
DETERIORATION = "reliable_deterioration"
ALERT_KINDS = (SUICIDALITY, DOSE, BLOOD_PRESSURE, DETERIORATION)


@dataclass(frozen=True, slots=True)
class Alert:
    """One safety alert.

    Attributes:
        key: Stable identity for acknowledgement, e.g. ``suicidality_item:a:2026-01-06:phq9``.
        when: When the underlying record was taken.
        kind: One of `ALERT_KINDS`.
        detail: Plain words, e.g. "MADRS item 10 = 4".
        acknowledged: True once a clinician acknowledged it.
    """

    key: str
    when: Timepoint
    kind: str
    detail: str
    acknowledged: bool = False

    def as_json(self) -> dict:
        return {
            "date": self.when.day.isoformat(),
            "kind": self.kind,
            "detail": self.detail,
            "key": self.key,
            "acknowledged": self.acknowledged,
        }


def _record_ref(prefix: str, when: Timepoint, extra: str = "") -> str:
    # Keyed on what the record is (kind, time, scale), not on its database row
    # id: the same clinical record keeps its key through a correction, an
    # export and a re-import in any row order, so an acknowledgement still
    # matches it. A patient has at most one record of a kind (and scale) at
    # one time; imports refuse a second, conflicting one.
    return f"{prefix}:{when.iso()}{extra}"


def safety_item_positive(scale_id: str, items, settings: Settings) -> bool:
    """Whether these item scores reach the scale's suicidality threshold."""
    scale = SCALES.get(scale_id)
    if (
        scale is None
        or scale.safety_item is None
        or items is None
        or len(items) < scale.safety_item
    ):
        return False
    threshold = settings.suicide_alert_min(scale.id)
    return threshold is not None and items[scale.safety_item - 1] >= threshold


def suicidality_alert(assessment: Assessment, settings: Settings) -> Alert | None:
    """An alert when the scale's suicidality item reaches its threshold."""
    if not safety_item_positive(assessment.scale, assessment.items, settings):
        return None
    scale = SCALES[assessment.scale]
    value = assessment.items[scale.safety_item - 1]
    return Alert(
        key=_record_ref(f"{SUICIDALITY}:a", assessment.when, f":{scale.id}"),
        when=assessment.when,
        kind=SUICIDALITY,
        detail=f"{scale.name} item {scale.safety_item} = {value}",
    )


def infusion_alerts(infusion: Infusion, settings: Settings) -> list[Alert]:
    """Alerts kept from an infusion: unusual dose, blood pressure at hold."""
    dose = infusion.dose_mg_per_kg
    unusual = dose is not None and dose_is_unusual(dose)
    high = bp_at_hold(infusion.bp_systolic_pre, infusion.bp_diastolic_pre, settings)
    if not (unusual or high):
        return []  # the usual case, for most infusions
    alerts = []
    if unusual:
        alerts.append(
            Alert(
                key=_record_ref(f"{DOSE}:i", infusion.when),
                when=infusion.when,
                kind=DOSE,
                detail=f"dose {dose:g} mg/kg outside the usual {DOSE_USUAL_MIN:g}-{DOSE_USUAL_MAX:g} (confirmed at entry)",
            )
        )
    if high:
        alerts.append(
            Alert(
                key=_record_ref(f"{BLOOD_PRESSURE}:i", infusion.when),
                when=infusion.when,
                kind=BLOOD_PRESSURE,
                detail=f"blood pressure {before_dose(infusion.drug)} {_or_unknown(infusion.bp_systolic_pre)}/"
                f"{_or_unknown(infusion.bp_diastolic_pre)} "
                f"at or above hold {settings.bp_hold_systolic}/{settings.bp_hold_diastolic}",
            )
        )
    return alerts


def _or_unknown(value: int | None) -> str:
    return "?" if value is None else str(value)


def deterioration_alert(scale_id: str, latest: Assessment, reliable: ReliableChange) -> Alert:
    """The alert of a reliable deterioration at the latest score, worded by `reliable_words`."""
    return Alert(
        key=_record_ref(f"{DETERIORATION}:a", latest.when, f":{scale_id}"),
        when=latest.when,
        kind=DETERIORATION,
        detail=f"{SCALES[scale_id].name} reliable deterioration: {reliable_words(reliable)}",
    )


def record_alerts(
    assessments: Iterable[Assessment], infusions: Iterable[Infusion], settings: Settings
) -> list[Alert]:
    """Every record-based alert of one patient, in time order."""
    watched = _watched_items(settings)
    alerts = []
    for a in assessments:
        rule = watched.get(a.scale)
        if rule is not None and a.items is not None and a.items[rule[0]] >= rule[1]:
            alerts.append(suicidality_alert(a, settings))
    for inf in infusions:
        alerts.extend(infusion_alerts(inf, settings))
    alerts.sort(key=lambda a: (a.when.akey, a.key))
    return alerts


@lru_cache(maxsize=16)
def _watched_items(settings: Settings) -> dict[str, tuple[int, int]]:
    # Scale id -> (index of its suicidality item, score that alerts), worked
    # out once per settings rather than for every patient.
    return {
        s.id: (s.safety_item - 1, settings.suicide_alert_min(s.id))
        for s in SCALES.values()
        if s.safety_item is not None and settings.suicide_alert_min(s.id) is not None
    }


def safety_item_unknown(assessment: Assessment) -> bool:
    """A total-only record of a scale with a suicidality item: it cannot be checked."""
    scale = SCALES.get(assessment.scale)
    return bool(scale and scale.safety_item and assessment.items is None)


def count_safety_unchecked(assessments: Iterable[Assessment]) -> int:
    """How many total-only records have a suicidality item nobody can check."""
    return sum(1 for a in assessments if a.items is None and safety_item_unknown(a))
