"""FHIR R4 export: a `Bundle` (type ``collection``) of Patient, Procedure and Observation.

Infusions become Procedures; assessments become Observations whose code is
LOINC only where `outcomes.scales` lists a verified code (PHQ-9, GAD-7) and
the project's own code system (`outcomes.scales.LOCAL_CODE_SYSTEM`)
otherwise, with one component per item; an itemized PHQ-9 also gets its
LOINC panel Observation (44249-1) whose `hasMember` points at the score. FHIR wants a time zone on every
time of day; ours are clinic-local, so the offset of this computer's zone on
that date is attached.

``deidentify`` drops names, birth dates, free-text notes and rater names,
replaces patient ids by stable pseudonyms (an HMAC with a secret kept in this
database, so the same patient gets the same pseudonym in every export from
it) and shifts each patient's dates by a per-patient number of days, which
keeps every interval, and so relief days, intact.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import secrets
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlite_utils

from db.connection import write_transaction
from db.files import write_atomic
from db.paths import new_file
from db.reads import load_clinic, meta_value
from outcomes.records import Assessment, Infusion, PatientData
from outcomes.scales import LOCAL_CODE_SYSTEM, LOINC_SYSTEM, SCALES
from outcomes.timepoints import Timepoint

PATIENT_ID_SYSTEM = "urn:ketamine-outcomes:patient-id"
EXTENSION_BASE = "urn:ketamine-outcomes:fhir"
_NAMESPACE = uuid.UUID("6f1c1f5e-1d1b-4f0e-9a55-0b7d4a6c2e10")
_SECRET_KEY = "pseudonym_secret"
#: Largest shift, in days, of a de-identified patient's dates.
MAX_SHIFT_DAYS = 365


def pseudonym_secret(database: sqlite_utils.Database) -> bytes:
    """This database's secret for pseudonyms, created on first use."""
    value = meta_value(database, _SECRET_KEY)
    if value is None:
        with write_transaction(database):
            value = meta_value(database, _SECRET_KEY)
            if value is None:
                value = secrets.token_hex(32)
                database.conn.execute("INSERT INTO meta (key, value) VALUES (?, ?)", (_SECRET_KEY, value))
    return bytes.fromhex(value)


class _Identity:
    """How one patient appears in the bundle: id, pseudonym and date shift."""

    def __init__(self, pid: str, secret: bytes | None):
        self.pid = pid
        if secret is None:
            self.label, self.shift = pid, 0
        else:
            digest = hmac.new(secret, pid.encode(), hashlib.sha256).digest()
            self.label = "anon-" + digest[:8].hex()
            # Never 0, so that no de-identified date equals the real one.
            self.shift = 1 + int.from_bytes(digest[8:12], "big") % MAX_SHIFT_DAYS
            self.shift = -self.shift

    def day(self, d: date) -> date:
        return d + timedelta(days=self.shift)

    def when(self, tp: Timepoint) -> str:
        day = self.day(tp.day)
        if tp.at is None:
            return day.isoformat()
        moment = datetime.combine(day, tp.at).astimezone()  # the local offset of that date
        return moment.isoformat(timespec="seconds")

    def url(self, kind: str, key: Any) -> str:
        return "urn:uuid:" + str(uuid.uuid5(_NAMESPACE, f"{kind}:{self.label}:{key}"))


def _clean(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return value


def _patient(identity: _Identity, row: dict, deidentify: bool) -> dict:
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "id": identity.url("Patient", "").removeprefix("urn:uuid:"),
        "identifier": [{"system": PATIENT_ID_SYSTEM, "value": identity.label}],
    }
    if not deidentify:
        if _clean(row.get("name")):
            resource["name"] = [{"text": row["name"]}]
        if _clean(row.get("birth_date")):
            resource["birthDate"] = row["birth_date"]
    return resource


def _procedure(identity: _Identity, inf: Infusion, deidentify: bool, key: Any) -> dict:
    dose = f"{inf.dose_mg_per_kg:g} mg/kg" if inf.dose_mg_per_kg is not None else "dose not recorded"
    resource: dict[str, Any] = {
        "resourceType": "Procedure",
        "id": identity.url("Procedure", key).removeprefix("urn:uuid:"),
        "status": "completed",
        "code": {"text": f"Ketamine {inf.route or ''} infusion, {dose}".replace("  ", " ")},
        "subject": {"reference": identity.url("Patient", "")},
        "performedDateTime": identity.when(inf.when),
        "extension": [{"url": f"{EXTENSION_BASE}/course", "valueInteger": int(inf.course)}],
    }
    if inf.dose_mg_per_kg is not None:
        resource["extension"].append({
            "url": f"{EXTENSION_BASE}/dose-mg-per-kg",
            "valueQuantity": {"value": inf.dose_mg_per_kg, "unit": "mg/kg",
                              "system": "http://unitsofmeasure.org", "code": "mg/kg"},
        })
    if inf.side_effects:
        resource["complication"] = [{"text": effect.replace("_", " ")} for effect in inf.side_effects]
    if inf.notes and not deidentify:
        resource["note"] = [{"text": inf.notes}]
    return resource


def _code(scale, what: str, loinc: str | None, display: str) -> dict:
    if loinc:
        return {"coding": [{"system": LOINC_SYSTEM, "code": loinc, "display": display}], "text": display}
    return {"coding": [{"system": LOCAL_CODE_SYSTEM, "code": scale.local_code(what), "display": display}],
            "text": display}


def _survey(identity: _Identity, a: Assessment, kind: str, code: dict, key: Any) -> dict[str, Any]:
    """What every Observation of a score shares: id, category, code, subject, time."""
    return {
        "resourceType": "Observation",
        "id": identity.url(kind, key).removeprefix("urn:uuid:"),
        "status": "final",
        "category": [{"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "survey"}]}],
        "code": code,
        "subject": {"reference": identity.url("Patient", "")},
        "effectiveDateTime": identity.when(a.when),
    }


def _observation(identity: _Identity, a: Assessment, deidentify: bool, procedure_urls: dict, key: Any) -> dict:
    scale = SCALES[a.scale]
    resource = _survey(identity, a, "Observation",
                       _code(scale, "total", scale.loinc_total, f"{scale.name} total score"), key)
    resource["valueInteger"] = int(a.total)
    if a.items is not None:
        loinc_items = dict(scale.loinc_items)
        resource["component"] = [
            {"code": _code(scale, f"item{n}", loinc_items.get(n), f"{scale.name} item {n}"),
             "valueInteger": int(score)}
            for n, score in enumerate(a.items, start=1)
        ]
    else:
        resource["note"] = [{"text": "total only: item scores were not recorded"}]
    if a.infusion_id is not None and a.infusion_id in procedure_urls:
        resource["partOf"] = [{"reference": procedure_urls[a.infusion_id]}]
    if not deidentify:
        if a.rater:
            resource["performer"] = [{"display": a.rater}]
        if a.notes:
            resource.setdefault("note", []).append({"text": a.notes})
    return resource


def _panel(identity: _Identity, a: Assessment, total_url: str, key: Any) -> dict:
    """The scale's LOINC panel (PHQ-9: 44249-1) grouping an itemized score's Observation.

    A LOINC panel is an Observation without a value whose `hasMember` points
    at the scored Observation (total 44261-6, items as components).
    """
    scale = SCALES[a.scale]
    resource = _survey(identity, a, "ObservationPanel",
                       _code(scale, "panel", scale.loinc_panel, f"{scale.name} panel"), key)
    resource["hasMember"] = [{"reference": total_url}]
    return resource


def build_bundle(database: sqlite_utils.Database, *, deidentify: bool = False) -> dict:
    """The whole clinic as a FHIR R4 collection Bundle (a JSON-ready dict).

    De-identified, patients are ordered by pseudonym and each record's id
    comes from its patient's pseudonym and its place in that patient's own
    timeline, so neither the order of the entries nor any id carries the
    clinic's patient ids or the order in which records were stored.
    """
    secret = pseudonym_secret(database) if deidentify else None
    data = load_clinic(database)
    by_patient: dict[str, PatientData] = data.by_patient()
    identities = [(_Identity(str(row["patient_id"]), secret), row) for row in data.patients.to_dict("records")]
    if deidentify:
        identities.sort(key=lambda pair: pair[0].label)
    entries = []
    for identity, row in identities:
        entries.append({"fullUrl": identity.url("Patient", ""), "resource": _patient(identity, row, deidentify)})
        record = by_patient.get(identity.pid)
        if record is not None:
            entries.extend(_record_entries(identity, record, deidentify))
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": datetime.now().astimezone().isoformat(timespec="seconds"),
        "entry": entries,
    }


def _record_entries(identity: _Identity, record: PatientData, deidentify: bool) -> list[dict]:
    """One patient's Procedures and Observations, in time order when de-identified."""
    infusions, assessments = list(record.infusions), list(record.assessments)
    if deidentify:
        infusions.sort(key=lambda inf: inf.when.ikey)
        assessments.sort(key=lambda a: (a.when.akey, a.scale))
    entries = []
    procedure_urls = {}
    for n, inf in enumerate(infusions, start=1):
        key = n if deidentify else inf.id
        resource = _procedure(identity, inf, deidentify, key)
        procedure_urls[inf.id] = identity.url("Procedure", key)
        entries.append({"fullUrl": procedure_urls[inf.id], "resource": resource})
    for n, a in enumerate(assessments, start=1):
        key = n if deidentify else a.id
        total_url = identity.url("Observation", key)
        entries.append({"fullUrl": total_url,
                        "resource": _observation(identity, a, deidentify, procedure_urls, key)})
        if SCALES[a.scale].loinc_panel and a.items is not None:
            entries.append({"fullUrl": identity.url("ObservationPanel", key),
                            "resource": _panel(identity, a, total_url, key)})
    return entries


def export_fhir(database: sqlite_utils.Database, target: str | Path, *, deidentify: bool = False) -> dict:
    """Write the bundle to `target` (JSON); returns counts per resource type."""
    target = new_file(target, "the FHIR bundle")  # checked before the work of building it
    bundle = build_bundle(database, deidentify=deidentify)
    write_atomic(target, json.dumps(bundle, indent=1, ensure_ascii=False))
    counts: dict[str, int] = {}
    for entry in bundle["entry"]:
        kind = entry["resource"]["resourceType"]
        counts[kind] = counts.get(kind, 0) + 1
    return counts
