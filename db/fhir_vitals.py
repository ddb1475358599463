"""FHIR R4 vital-sign Observations of a session's readings (clinical-spec section 11).

Each reading becomes one Observation per measurement, in the vital-signs
category with the LOINC codes of the spec (`outcomes.readings.VITAL_LOINC`):
blood pressure as the 85354-9 panel with systolic 8480-6 and diastolic
8462-4 components, heart rate 8867-4, respiratory rate 9279-1, oxygen
saturation 2708-6 with 59408-5 (pulse oximetry); MOAA/S sedation, which has
no verified LOINC code, under the project's own code system. Every
Observation is `partOf` the session's Procedure. `db.fhir` yields what
`reading_resources` returns for each reading, in the bundle and the NDJSON files alike.
"""

from __future__ import annotations

from typing import Any

from outcomes.readings import BP_PANEL_LOINC, MOAAS_LOCAL_CODE, VITAL_LOINC, VITAL_UNITS
from outcomes.records import Reading
from outcomes.scales import LOCAL_CODE_SYSTEM, LOINC_SYSTEM

VITAL_SIGNS = {
    "coding": [
        {
            "system": "http://terminology.hl7.org/CodeSystem/observation-category",
            "code": "vital-signs",
            "display": "Vital Signs",
        }
    ]
}
UCUM = "http://unitsofmeasure.org"


def _code(codes) -> dict:
    return {
        "coding": [{"system": LOINC_SYSTEM, "code": c, "display": d} for c, d in codes],
        "text": codes[0][1],
    }


def _quantity(name: str, value: int) -> dict:
    unit = VITAL_UNITS[name]
    return {"value": value, "unit": unit, "system": UCUM, "code": unit}


def reading_resources(
    identity: Any, reading: Reading, procedure: dict | None, notes: bool = True
) -> list[tuple[str, dict]]:
    """The (fullUrl, resource) pairs of one reading's measurements.

    `identity` is the export's per-patient identity (ids, references, shifted
    times); `procedure` the reference to the session's Procedure; `notes` is
    False when de-identifying (free text dropped).
    """

    def observation(kind: str, code: dict) -> dict:
        resource = {
            "resourceType": "Observation",
            "id": identity.id(kind, reading.when.iso()),
            "status": "final",
            "category": [VITAL_SIGNS],
            "code": code,
            "subject": identity.subject,
            "effectiveDateTime": identity.when(reading.when),
        }
        if procedure:
            resource["partOf"] = [procedure]
        if notes and reading.notes:
            resource["note"] = [{"text": reading.notes}]
        return resource

    out: list[tuple[str, dict]] = []
    if reading.bp_systolic is not None or reading.bp_diastolic is not None:
        panel = observation("VitalBP", _code((BP_PANEL_LOINC,)))
        panel["component"] = [
            {"code": _code(VITAL_LOINC[name]), "valueQuantity": _quantity(name, value)}
            for name in ("bp_systolic", "bp_diastolic")
            if (value := getattr(reading, name)) is not None
        ]
        out.append(("VitalBP", panel))
    for name in ("heart_rate", "respiratory_rate", "spo2"):
        value = getattr(reading, name)
        if value is not None:
            resource = observation(f"Vital-{name}", _code(VITAL_LOINC[name]))
            resource["valueQuantity"] = _quantity(name, value)
            out.append((f"Vital-{name}", resource))
    if reading.sedation_moaas is not None:
        code, display = MOAAS_LOCAL_CODE
        resource = observation(
            "Vital-moaas",
            {
                "coding": [{"system": LOCAL_CODE_SYSTEM, "code": code, "display": display}],
                "text": display,
            },
        )
        resource["valueInteger"] = reading.sedation_moaas
        out.append(("Vital-moaas", resource))
    return [(identity.url(kind, reading.when.iso()), r) for kind, r in out]
