"""Audit rows in a clinician's words: what changed, in field labels, local times, who and why.

The audit trail (`db.audit`) stores column names and UTC timestamps; a
clinician reads "Corrected PHQ-9 assessment of 2026-01-05 12:00 by Dr Avery
· total score: 20 → 18 · why: item 3 misread". Pure functions over the rows
`db.history` and `db.patient_audit` return, building Rich `Text` so that
stored text (names, notes, reasons) is shown literally, never as markup.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Mapping

from rich.text import Text

from outcomes.records import Assessment, Infusion
from outcomes.scales import SCALES
from outcomes.terminal_text import terminal_safe

#: Stored column -> the label a clinician knows. A column absent here and
#: from BOOKKEEPING is still shown, under its own name made readable: every
#: audited change reaches the history.
FIELD_LABELS = {
    "taken_at": "date and time",
    "given_at": "date and time",
    "started_at": "start date",
    "scale": "scale",
    "items": "item scores",
    "total": "total score",
    "rater": "rater",
    "notes": "notes",
    "note": "note",
    "name": "name",
    "birth_date": "birth date",
    "weight_kg": "weight (kg)",
    "drug": "drug",
    "dose_mg_per_kg": "dose (mg/kg)",
    "dose_mg": "dose (mg)",
    "route": "route",
    "duration_min": "duration (min)",
    "bp_systolic_pre": "BP systolic before",
    "bp_diastolic_pre": "BP diastolic before",
    "bp_systolic_post": "BP systolic after",
    "bp_diastolic_post": "BP diastolic after",
    "heart_rate_pre": "heart rate before",
    "heart_rate_post": "heart rate after",
    "side_effects": "side effects",
    "ended_at": "ended at",
    "ready_to_leave_at": "ready to leave at",
    "accompanied": "accompanied home",
    "session_at": "session",
    "bp_systolic": "BP systolic",
    "bp_diastolic": "BP diastolic",
    "heart_rate": "heart rate",
    "spo2": "SpO2 (%)",
    "respiratory_rate": "respiratory rate",
    "sedation_moaas": "MOAA/S",
    "email": "email",
    "dose_confirmed": "unusual dose confirmed",
    "course": "course",
    "alert_key": "alert",
    "file": "file",
    "rows_added": "rows added",
    "rows_skipped": "rows skipped (already stored)",
}

#: Columns that are bookkeeping (ids, links, who and when of the row itself,
#: which the entry's headline already says): never listed as changes.
BOOKKEEPING = frozenset(
    {
        "id",
        "patient_id",
        "infusion_id",
        "import_id",
        "total_only",
        "recorded_at",
        "recorded_by",
        "supersedes",
        "change_reason",
        "superseded_at",
        "superseded_by",
        "retracted_at",
        "retracted_by",
        "retract_reason",
        "begun_by_session",
        "token_hash",
        "code_hash",
        "first_id",
        "last_id",
    }
)

#: Clinical moments stored as "2026-01-05T12:00", read as "2026-01-05 12:00".
TIME_FIELDS = ("taken_at", "given_at", "started_at", "ended_at", "ready_to_leave_at", "session_at")

#: Stored action -> the verb of an entry.
ACTION_WORDS = {
    "create": "Recorded",
    "correct": "Corrected",
    "retract": "Retracted",
    "update": "Changed",
    "import": "Imported",
    "acknowledge": "Acknowledged",
    "setting": "Changed setting",
}

#: Stored table -> what one of its records is called.
RECORD_WORDS = {
    "assessments": "assessment",
    "infusions": "infusion",
    "readings": "reading",
    "checkin_links": "check-in link",
    "patients": "patient details",
    "courses": "course",
    "alert_acknowledgements": "safety alert",
    "settings": "setting",
}

EMPTY = "(empty)"


def literal(value: Any) -> str:
    """Stored text made safe for the terminal, line breaks kept: a control character (a
    stray escape in a note) reads as the same visible escape as everywhere else
    (``\\x1b``, `outcomes.terminal_text`), never sent to the terminal."""
    return terminal_safe(str(value), multiline=True)


def local_time(stamp: Any) -> str:
    """A stored UTC moment as this computer's local time, "2026-01-05 14:03"."""
    if not isinstance(stamp, str) or not stamp:
        return "?"
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return stamp
    if moment.tzinfo is not None:
        moment = moment.astimezone()
    return moment.strftime("%Y-%m-%d %H:%M")


def clinical_time(value: Any) -> str:
    """A clinical date or date-time as stored ("2026-01-05T12:00") as read: "2026-01-05 12:00"."""
    return str(value).replace("T", " ")


def decoded(value: Any) -> Any:
    """An audit value (JSON text, None or a pandas NaN) as a Python value."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    try:
        return json.loads(value)
    except (TypeError, ValueError):
        return value


def present(text: Any) -> bool:
    """True for a real reason or note (not None, NaN or blank)."""
    return isinstance(text, str) and bool(text.strip())


def value_words(key: str, value: Any) -> str:
    """One stored value as a clinician reads it."""
    if value is None or value == "":
        return EMPTY
    if key in TIME_FIELDS:
        return clinical_time(value)
    if key == "scale":
        return SCALES[value].name if value in SCALES else str(value)
    if key == "side_effects":
        return ", ".join(part.replace("_", " ") for part in str(value).split(";") if part) or "none"
    if key in ("dose_confirmed", "accompanied"):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def record_words(table: str, values: Mapping[str, Any] | None) -> str:
    """What a record is, from its stored values: "PHQ-9 assessment of 2026-01-05 12:00"."""
    values = values or {}
    kind = RECORD_WORDS.get(table, table)
    if table == "assessments" and values.get("scale"):
        return f"{value_words('scale', values['scale'])} assessment of {clinical_time(values.get('taken_at'))}"
    if table == "infusions" and values.get("given_at"):
        noun = "session" if values.get("drug") == "esketamine" else "infusion"
        return f"{noun} of {clinical_time(values['given_at'])}"
    if table == "readings" and values.get("taken_at"):
        return f"reading of {clinical_time(values['taken_at'])}"
    if table == "courses" and values.get("course") is not None:
        return f"course {values['course']}"
    return kind


def describe_record(record: Assessment | Infusion) -> str:
    """A record on screen in words (dialog titles): "PHQ-9 assessment of 2026-01-05 12:00"."""
    if isinstance(record, Assessment):
        return record_words("assessments", {"scale": record.scale, "taken_at": record.when.iso()})
    return record_words("infusions", {"given_at": record.when.iso()})


def label_of(key: str) -> str:
    """A column's label: the one a clinician knows, else its name made readable."""
    return FIELD_LABELS.get(key) or key.replace("_", " ")


def shown_fields(*rows: Mapping[str, Any]) -> list[str]:
    """The columns of `rows` worth showing: labelled ones in label order, then any other."""
    present_keys = {k for row in rows for k in row} - BOOKKEEPING
    known = [k for k in FIELD_LABELS if k in present_keys]
    return known + sorted(present_keys - set(FIELD_LABELS))


def changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """Each field whose value differs: "total score: 20 → 18", "ready to leave at: (empty) → …"."""
    lines = []
    for key in shown_fields(old, new):
        before, after = old.get(key), new.get(key)
        if before != after:
            lines.append(f"{label_of(key)}: {value_words(key, before)} → {value_words(key, after)}")
    return lines


def contents(values: Mapping[str, Any]) -> list[str]:
    """Each field that holds a value: "total score: 20"."""
    return [
        f"{label_of(key)}: {value_words(key, values[key])}"
        for key in shown_fields(values)
        if values.get(key) not in (None, "")
    ]


def entry_lines(row: Mapping[str, Any]) -> tuple[str, list[str]]:
    """One audit row as a headline ("Corrected PHQ-9 assessment of …") and its detail lines."""
    table, action = str(row.get("table_name")), str(row.get("action"))
    old, new = decoded(row.get("old_value")), decoded(row.get("new_value"))
    verb = ACTION_WORDS.get(action, action)
    if table == "settings":
        return f"{verb} {row.get('record_id')}", [
            f"{value_words('', old)} → {value_words('', new)}"
        ]
    if action == "import":
        kind = {
            "patients": "patients",
            "infusions": "infusions",
            "assessments": "assessments",
            "readings": "session readings",
        }.get(table, table)
        return f"{verb} {kind} from a file", [
            " · ".join(contents(new if isinstance(new, dict) else {}))
        ]
    old = old if isinstance(old, dict) else {}
    new = new if isinstance(new, dict) else {}
    head = f"{verb} {record_words(table, new or old)}"
    if action in ("correct", "update"):
        detail = changes(old, new) or ["no field changed"]
    elif action == "retract":
        detail = ["it no longer counts; the record is kept"]
    else:
        # The date and scale are in the headline already.
        shown = {
            k: v for k, v in new.items() if k not in ("taken_at", "given_at", "scale", "course")
        }
        detail = [" · ".join(contents(shown))] if contents(shown) else []
    return head, detail


def history_text(row: Mapping[str, Any]) -> Text:
    """One audit row on screen: local time, what, who, each change and why; stored text literal."""
    head, detail = entry_lines(row)
    text = Text.assemble(
        (local_time(row.get("at")), "bold"),
        "  ",
        (literal(head), "bold"),
        f"  by {literal(row.get('who'))}",
    )
    for line in detail:
        text.append(f"\n  {literal(line)}")
    if present(row.get("reason")):
        text.append("\n  why: ", style="bold")
        text.append(literal(row["reason"]))
    return text


def history_block(rows) -> Text:
    """Several audit rows, a blank line between them."""
    return Text("\n\n").join(history_text(row) for row in rows)
