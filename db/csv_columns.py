"""The CSV files' columns (interface.md), on their own so that the command line's help
can name them without loading the import machinery (pandas and the checks)."""

KINDS = ("patients", "infusions", "assessments")

COLUMNS = {
    "patients": ("patient_id", "name", "birth_date", "weight_kg", "notes"),
    "infusions": (
        "patient_id", "date", "course", "dose_mg_per_kg", "route", "duration_min", "weight_kg",
        "bp_systolic_pre", "bp_diastolic_pre", "bp_systolic_post", "bp_diastolic_post",
        "heart_rate_pre", "heart_rate_post", "side_effects", "notes",
    ),
    "assessments": ("patient_id", "date", "scale", "items", "total", "rater", "notes"),
}
REQUIRED = {
    "patients": ("patient_id",),
    "infusions": ("patient_id", "date", "dose_mg_per_kg"),
    "assessments": ("patient_id", "date", "scale"),
}
