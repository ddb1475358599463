"""The CSV files' columns (interface.md), on their own so that the command line's help
can name them without loading the import machinery (pandas and the checks)."""

from outcomes.readings import MEASUREMENTS
from outcomes.rems import FIELDS as REMS_FIELDS

KINDS = ("patients", "infusions", "assessments", "vitals")

COLUMNS = {
    "patients": ("patient_id", "name", "birth_date", "weight_kg", "notes", "email"),
    "infusions": (
        "patient_id",
        "date",
        "course",
        "dose_mg_per_kg",
        "route",
        "duration_min",
        "weight_kg",
        "bp_systolic_pre",
        "bp_diastolic_pre",
        "bp_systolic_post",
        "bp_diastolic_post",
        "heart_rate_pre",
        "heart_rate_post",
        "side_effects",
        "notes",
        "drug",
        "dose_mg",
        "ended_at",
        "ready_to_leave_at",
        "accompanied",
        # The REMS patient monitoring form of an esketamine session (issue 26; docs/rems.md).
        *REMS_FIELDS,
        "rems_submitted_on",
        "rems_submitted_by",
    ),
    "assessments": ("patient_id", "date", "scale", "items", "total", "rater", "notes"),
    "vitals": ("patient_id", "session", "at") + MEASUREMENTS + ("notes",),
}
REQUIRED = {
    "patients": ("patient_id",),
    "infusions": ("patient_id", "date"),
    "assessments": ("patient_id", "date", "scale"),
    "vitals": ("patient_id", "session", "at"),
}
