"""FHIR R4 export: a `Bundle` (type ``collection``) of Patient, Procedure and Observation.

A score a patient sent from a web check-in also gets its QuestionnaireResponse
(`db.fhir_checkin`); a patient's email is a `telecom` of the Patient.

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

import functools
import hashlib
import hmac
import math
import secrets
import uuid
from datetime import date, datetime, timedelta
from datetime import time as time_of_day
from typing import TYPE_CHECKING, Any, Iterator

from db.connection import write_transaction
from db.fhir_checkin import (
    checkin_assessment_ids,
    derived_from,
    has_form,
    questionnaire_response,
)
from db.fhir_rems import adverse_event, rems_extension
from db.fhir_vitals import reading_resources
from db.reads import chunks_of, clinic_chunks, meta_value, patient_ids
from db.rems import rems_of_patients
from outcomes.clinic_data import ClinicData
from outcomes.drugs import ESKETAMINE
from outcomes.records import Assessment, Infusion, PatientData
from outcomes.scales import LOCAL_CODE_SYSTEM, LOINC_SYSTEM, SCALES
from outcomes.timepoints import Timepoint

if TYPE_CHECKING:  # annotations only: loaded where a connection is made (db.connection)
    import sqlite_utils

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
                database.conn.execute(
                    "INSERT INTO meta (key, value) VALUES (?, ?)", (_SECRET_KEY, value)
                )
    return bytes.fromhex(value)


class _Identity:
    """How one patient appears in the bundle: id, pseudonym and date shift."""

    def __init__(self, pid: str, secret: bytes | None, relative: bool = False):
        self.pid = pid
        self.relative = relative
        if secret is None:
            self.label, self.shift, self.salt = pid, 0, None
        else:
            digest = hmac.new(secret, pid.encode(), hashlib.sha256).digest()
            self.label = "anon-" + digest[:8].hex()
            # Resource ids of a de-identified patient hash this secret salt with what the record
            # is (its real time), never its row id: nobody without the secret can work back to
            # row ids (the order records were stored in) or real dates.
            self.salt = digest[12:28].hex()
            # Never 0, so that no de-identified date equals the real one.
            self.shift = 1 + int.from_bytes(digest[8:12], "big") % MAX_SHIFT_DAYS
            self.shift = -self.shift

    def day(self, d: date) -> date:
        return d + timedelta(days=self.shift)

    def when(self, tp: Timepoint) -> str:
        day = self.day(tp.day)
        if tp.at is None:
            return day.isoformat()
        return _local_iso(day, tp.at)

    def url(self, kind: str, key: Any) -> str:
        return "urn:uuid:" + self.id(kind, key)

    def id(self, kind: str, key: Any) -> str:
        if self.salt is None:
            return _uuid5(f"{kind}:{self.label}:{key}")
        return _uuid5(f"{kind}:{self.label}:{self.salt}:{key}")

    def key(self, record: Infusion | Assessment) -> Any:
        """What names a record in resource ids: its row id, or when de-identified its content
        (a scale and its real time: one current score of a scale per time, one session per time)."""
        if self.salt is None:
            return record.id
        return f"{getattr(record, 'scale', 'session')}@{record.when.iso()}"

    def ref(self, kind: str, key: Any, resource_type: str) -> str:
        """A reference to another resource: its bundle fullUrl, or `Type/id` in Bulk Data files
        (where no Bundle resolves a urn:uuid)."""
        if self.relative:
            return f"{resource_type}/{self.id(kind, key)}"
        return self.url(kind, key)

    @functools.cached_property
    def subject(self) -> dict[str, str]:
        """The reference every resource of this patient carries (computed once per patient)."""
        return {"reference": self.ref("Patient", "", "Patient")}


_NAMESPACE_SHA1 = hashlib.sha1(_NAMESPACE.bytes)


def _uuid5(name: str) -> str:
    """`str(uuid.uuid5(_NAMESPACE, name))`, without building UUID objects (several times faster;
    the export makes one per resource)."""
    digest = _NAMESPACE_SHA1.copy()
    digest.update(name.encode())
    raw = bytearray(digest.digest()[:16])
    raw[6] = (raw[6] & 0x0F) | 0x50  # version 5
    raw[8] = (raw[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


@functools.lru_cache(maxsize=65536)
def _local_iso(day: date, at: time_of_day) -> str:
    """A clinic-local time with the offset of this computer's zone on that date (cached: a clinic
    repeats its days and times, and the zone lookup is the slow part)."""
    return datetime.combine(day, at).astimezone().isoformat(timespec="seconds")


def _clean(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return value


def _patient(identity: _Identity, row: dict, deidentify: bool) -> dict:
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "id": identity.id("Patient", ""),
        "identifier": [{"system": PATIENT_ID_SYSTEM, "value": identity.label}],
    }
    if not deidentify:
        if _clean(row.get("name")):
            resource["name"] = [{"text": row["name"]}]
        if _clean(row.get("birth_date")):
            resource["birthDate"] = row["birth_date"]
        if _clean(row.get("email")):
            resource["telecom"] = [{"system": "email", "value": row["email"]}]
    return resource


def _procedure_text(inf: Infusion) -> str:
    if inf.drug == ESKETAMINE:
        return f"Esketamine {inf.route or ''} administration, {inf.dose_mg:g} mg".replace("  ", " ")
    dose = (
        f"{inf.dose_mg_per_kg:g} mg/kg" if inf.dose_mg_per_kg is not None else "dose not recorded"
    )
    return f"Ketamine {inf.route or ''} infusion, {dose}".replace("  ", " ")


def _procedure(identity: _Identity, inf: Infusion, deidentify: bool, rems=None) -> dict:
    resource: dict[str, Any] = {
        "resourceType": "Procedure",
        "id": identity.id("Procedure", identity.key(inf)),
        "status": "completed",
        "code": {"text": _procedure_text(inf)},
        "subject": identity.subject,
        "performedDateTime": identity.when(inf.when),
        "extension": [{"url": f"{EXTENSION_BASE}/course", "valueInteger": int(inf.course)}],
    }
    if inf.dose_mg_per_kg is not None:
        resource["extension"].append(
            {
                "url": f"{EXTENSION_BASE}/dose-mg-per-kg",
                "valueQuantity": {
                    "value": inf.dose_mg_per_kg,
                    "unit": "mg/kg",
                    "system": "http://unitsofmeasure.org",
                    "code": "mg/kg",
                },
            }
        )
    if inf.side_effects:
        resource["complication"] = [
            {"text": effect.replace("_", " ")} for effect in inf.side_effects
        ]
    if inf.notes and not deidentify:
        resource["note"] = [{"text": inf.notes}]
    if rems is not None:  # an esketamine session's REMS form (issue 26, db.fhir_rems)
        form, submission = rems
        extension = rems_extension(EXTENSION_BASE, identity, form, submission, deidentify)
        if extension is not None:
            resource["extension"].append(extension)
        event = adverse_event(form, deidentify)
        if event is not None:
            resource.setdefault("complication", []).append(event)
    return resource


def _code(scale, what: str, loinc: str | None, display: str) -> dict:
    if loinc:
        return {
            "coding": [{"system": LOINC_SYSTEM, "code": loinc, "display": display}],
            "text": display,
        }
    return {
        "coding": [
            {"system": LOCAL_CODE_SYSTEM, "code": scale.local_code(what), "display": display}
        ],
        "text": display,
    }


@functools.lru_cache(maxsize=None)
def _codes(scale_id: str) -> tuple[dict, dict, tuple[dict, ...]]:
    """A scale's total, panel and per-item codes, made once and shared between resources
    (never changed after they are made; the export builds millions of them otherwise)."""
    scale = SCALES[scale_id]
    loinc_items = dict(scale.loinc_items)
    items = tuple(
        _code(scale, f"item{n}", loinc_items.get(n), f"{scale.name} item {n}")
        for n in range(1, scale.n_items + 1)
    )
    return (
        _code(scale, "total", scale.loinc_total, f"{scale.name} total score"),
        _code(scale, "panel", scale.loinc_panel, f"{scale.name} panel"),
        items,
    )


def _survey(identity: _Identity, a: Assessment, kind: str, code: dict) -> dict[str, Any]:
    """What every Observation of a score shares: id, category, code, subject, time."""
    return {
        "resourceType": "Observation",
        "id": identity.id(kind, identity.key(a)),
        "status": "final",
        "category": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                        "code": "survey",
                    }
                ]
            }
        ],
        "code": code,
        "subject": identity.subject,
        "effectiveDateTime": identity.when(a.when),
    }


def _observation(
    identity: _Identity, a: Assessment, deidentify: bool, infusions: dict[int, Infusion]
) -> dict:
    total_code, _panel_code, item_codes = _codes(a.scale)
    resource = _survey(identity, a, "Observation", total_code)
    resource["valueInteger"] = int(a.total)
    if a.items is not None:
        resource["component"] = [
            {"code": code, "valueInteger": int(score)}
            for code, score in zip(item_codes, a.items, strict=False)
        ]
    else:
        resource["note"] = [{"text": "total only: item scores were not recorded"}]
    if a.infusion_id is not None and a.infusion_id in infusions:
        procedure = identity.key(infusions[a.infusion_id])
        resource["partOf"] = [{"reference": identity.ref("Procedure", procedure, "Procedure")}]
    if not deidentify:
        if a.rater:
            resource["performer"] = [{"display": a.rater}]
        if a.notes:
            resource.setdefault("note", []).append({"text": a.notes})
    return resource


def _panel(identity: _Identity, a: Assessment) -> dict:
    """The scale's LOINC panel (PHQ-9: 44249-1) grouping an itemized score's Observation.

    A LOINC panel is an Observation without a value whose `hasMember` points
    at the scored Observation (total 44261-6, items as components).
    """
    resource = _survey(identity, a, "ObservationPanel", _codes(a.scale)[1])
    resource["hasMember"] = [
        {"reference": identity.ref("Observation", identity.key(a), "Observation")}
    ]
    return resource


def clinic_resources(
    database: sqlite_utils.Database, *, deidentify: bool = False, relative: bool = False
) -> Iterator[tuple[str, dict]]:
    """Every resource of the clinic as (fullUrl, resource), read a chunk of patients at a time.

    A patient's Procedures and Observations follow their Patient; memory is
    that of one chunk of patients however large the clinic. `relative`
    makes references `Type/id` (FHIR Bulk Data) instead of fullUrls.
    """
    secret = pseudonym_secret(database) if deidentify else None
    checkins = checkin_assessment_ids(database)
    for chunk in _chunks(database, secret):
        by_patient: dict[str, PatientData] = chunk.by_patient()
        rems = rems_of_patients(database, by_patient)
        for row in chunk.patients.to_dict("records"):
            identity = _Identity(str(row["patient_id"]), secret, relative)
            yield identity.url("Patient", ""), _patient(identity, row, deidentify)
            record = by_patient.get(identity.pid)
            if record is not None:
                yield from _records(identity, record, deidentify, checkins, rems)


def _chunks(database: sqlite_utils.Database, secret: bytes | None) -> Iterator[ClinicData]:
    """Chunks of patients in id order; de-identified, in pseudonym order (so that sequential
    ids cannot be read back from the order of the entries)."""
    if secret is None:
        yield from clinic_chunks(database)
        return
    ids = sorted(patient_ids(database), key=lambda pid: _Identity(pid, secret).label)
    for block, chunk in chunks_of(database, ids):
        order = {pid: i for i, pid in enumerate(block)}
        chunk.patients = chunk.patients.sort_values(
            "patient_id", key=lambda column: column.map(order), kind="stable"
        )
        yield chunk


def _records(
    identity: _Identity,
    record: PatientData,
    deidentify: bool,
    checkins: frozenset[int] = frozenset(),
    rems: tuple[dict, dict] = ({}, {}),
) -> Iterator[tuple[str, dict]]:
    """One patient's Procedures (infusions) then Observations (scores, and PHQ-9 panels), and the
    QuestionnaireResponse of each score sent from a web check-in (`checkins`: their ids)."""
    infusions = {}
    for inf in record.infusions:
        infusions[inf.id] = inf
        key = (inf.patient_id, inf.when.iso())
        form = (rems[0].get(key), rems[1].get(key)) if inf.drug == ESKETAMINE else None
        yield (
            identity.url("Procedure", identity.key(inf)),
            _procedure(identity, inf, deidentify, form),
        )
    for a in record.assessments:
        observation = _observation(identity, a, deidentify, infusions)
        if a.id in checkins and has_form(a):
            yield (
                identity.url("QuestionnaireResponse", identity.key(a)),
                questionnaire_response(identity, a),
            )
            observation["derivedFrom"] = derived_from(identity, a)
        yield identity.url("Observation", identity.key(a)), observation
        if SCALES[a.scale].loinc_panel and a.items is not None:
            yield identity.url("ObservationPanel", identity.key(a)), _panel(identity, a)
    # Readings are vital-sign Observations, each part of its session's Procedure (section 11).
    sessions = {
        inf.when: {"reference": identity.ref("Procedure", identity.key(inf), "Procedure")}
        for inf in record.infusions
    }
    for r in record.readings:
        yield from reading_resources(identity, r, sessions.get(r.session), notes=not deidentify)


def build_bundle(database: sqlite_utils.Database, *, deidentify: bool = False) -> dict:
    """The whole clinic as one FHIR R4 collection Bundle dict (in memory: for small clinics and tests;
    `db.export_fhir` streams the same resources to a file instead)."""
    return {
        **bundle_header(),
        "entry": [
            {"fullUrl": url, "resource": resource}
            for url, resource in clinic_resources(database, deidentify=deidentify)
        ],
    }


def bundle_header() -> dict[str, str]:
    """The Bundle's own fields, before its entries."""
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": datetime.now().astimezone().isoformat(timespec="seconds"),
    }
