"""The REMS monitoring form of an esketamine session in the FHIR exports (issue 26).

The form's answers ride on the session's Procedure as one complex extension
(`<EXTENSION_BASE>/rems-monitoring-form`, a sub-extension per field: yes/no
answers as booleans, the medicine classes and lot numbers as text, the
submission's date and who), and a serious adverse event is also a
`complication` of the Procedure. De-identified: the event's description and
who submitted are dropped (free text and a name) and the submission's date is
shifted with the patient's other dates.
"""

from __future__ import annotations

from typing import Any

from outcomes.rems import YES_NO_FIELDS, RemsForm, Submission, concomitant_text


def rems_extension(
    base: str, identity, form: RemsForm | None, submission: Submission | None, deidentify: bool
) -> dict[str, Any] | None:
    """The Procedure's REMS extension, or None when nothing of the form is recorded."""
    parts: list[dict[str, Any]] = []
    if form is not None:
        for name in YES_NO_FIELDS:
            answer = getattr(form, name)
            if answer is not None:
                parts.append({"url": name, "valueBoolean": answer})
        if form.concomitant_medicines is not None:
            text = concomitant_text(form.concomitant_medicines)
            parts.append({"url": "concomitant_medicines", "valueString": text})
        if form.device_lots:
            parts.append({"url": "device_lots", "valueString": ";".join(form.device_lots)})
    if submission is not None:
        parts.append(
            {"url": "submitted_on", "valueDate": identity.day(submission.submitted_on).isoformat()}
        )
        if not deidentify:
            parts.append({"url": "submitted_by", "valueString": submission.submitted_by})
    if not parts:
        return None
    return {"url": f"{base}/rems-monitoring-form", "extension": parts}


def adverse_event(form: RemsForm | None, deidentify: bool) -> dict[str, Any] | None:
    """A serious adverse event as a Procedure complication (its words only when identified)."""
    if form is None or not form.serious_adverse_event:
        return None
    text = "serious adverse event"
    if form.serious_adverse_event_text and not deidentify:
        text += f": {form.serious_adverse_event_text}"
    return {"text": text}
