"""A web check-in in FHIR: a `QuestionnaireResponse` beside the score's Observation.

A patient's own answers sent from a check-in link (`db.checkins`) are, to a
receiving system, a completed questionnaire: the response names the form by
its LOINC panel (PHQ-9 44249-1, GAD-7 69737-5, `Scale.loinc_form`), holds
each item's text and the answer chosen (score and wording), was authored
and sourced by the patient, and is what the score's Observation is
`derivedFrom`. Which scores came from a check-in is read from the audit
trail (the reason `outcomes.checkin.AUDIT_REASON` on their creation).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from outcomes import checkin
from outcomes.records import Assessment
from outcomes.scales import SCALES

if TYPE_CHECKING:  # annotations only: loaded where a connection is made (db.connection)
    import sqlite_utils


def checkin_assessment_ids(database: sqlite_utils.Database) -> frozenset[int]:
    """Ids of the assessments a patient sent from a web check-in."""
    rows = database.conn.execute(
        "SELECT record_id FROM audit WHERE table_name = 'assessments' AND action = 'create'"
        " AND reason = ?",
        (checkin.AUDIT_REASON,),
    )
    return frozenset(int(r[0]) for r in rows if r[0] is not None and str(r[0]).isdigit())


def has_form(a: Assessment) -> bool:
    return a.items is not None and SCALES[a.scale].loinc_form is not None


def questionnaire_response(identity, a: Assessment) -> dict[str, Any]:
    """The response of one check-in scale (`identity`: the patient, as `db.fhir` names them)."""
    scale = SCALES[a.scale]
    items = []
    for n, score in enumerate(a.items or (), start=1):
        answer: dict[str, Any] = {"valueInteger": int(score)}
        if scale.option_labels and 0 <= score < len(scale.option_labels):
            answer = {
                "valueCoding": {
                    "system": f"urn:ketamine-outcomes:answer:{scale.id}",
                    "code": str(int(score)),
                    "display": scale.option_labels[score],
                }
            }
        items.append({"linkId": str(n), "text": scale.item_label(n), "answer": [answer]})
    items.append(
        {
            "linkId": "total",
            "text": f"{scale.name} total score",
            "answer": [{"valueInteger": int(a.total)}],
        }
    )
    key = identity.key(a)
    return {
        "resourceType": "QuestionnaireResponse",
        "id": identity.id("QuestionnaireResponse", key),
        "questionnaire": f"http://loinc.org/q/{scale.loinc_form}",
        "status": "completed",
        "subject": identity.subject,
        "authored": identity.when(a.when),
        "author": identity.subject,
        "source": identity.subject,
        "item": items,
    }


def derived_from(identity, a: Assessment) -> list[dict[str, str]]:
    """The Observation's link to the response it was scored from."""
    ref = identity.ref("QuestionnaireResponse", identity.key(a), "QuestionnaireResponse")
    return [{"reference": ref}]
