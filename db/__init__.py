"""Storage: the clinic's SQLite file, and the only code that writes SQL.

This module is the whole public surface (docs/internals.md, "Storage"):
open a database with `connect`, read current records as `ClinicData` with
`load_clinic`, write through the functions below (each one transaction with
its audit row), import and export CSV, export FHIR, back up. Callers get
records, DataFrames and plain values, never a cursor.
"""

from db.audit import history
from db.backup import backup
from db.connection import (
    NotFound,
    StorageError,
    connect,
    current_user,
    database_path,
    default_path,
    default_user,
    write_transaction,
)
from db.csv_io import ImportPlan, ImportRefused, export_csv, plan_import
from db.failures import EXPECTED, log_unexpected, refusal_message
from db.fhir import build_bundle
from db.fhir_export import export_fhir, export_ndjson
from db.imports import ImportResult, apply_import, import_csv
from db.migrations import apply_migrations, migration_names
from db.paths import input_file, new_file, output_folder
from db.seed import write_clinic
from db.reads import (
    OnePatient,
    acknowledgements,
    get_patient,
    load_clinic,
    load_patient,
    load_settings,
    patient_ids,
    record_counts,
    stored_settings,
)
from db.writes import (
    acknowledge_alert,
    acknowledge_alerts,
    add_assessment,
    add_infusion,
    add_infusion_with_rating,
    add_patient,
    correct_assessment,
    correct_infusion,
    retract,
    set_setting,
    start_course,
    update_patient,
)

__all__ = [
    "EXPECTED",
    "ImportPlan",
    "ImportRefused",
    "ImportResult",
    "NotFound",
    "OnePatient",
    "StorageError",
    "acknowledge_alert",
    "acknowledge_alerts",
    "acknowledgements",
    "add_assessment",
    "add_infusion",
    "add_infusion_with_rating",
    "add_patient",
    "apply_import",
    "apply_migrations",
    "backup",
    "build_bundle",
    "connect",
    "correct_assessment",
    "correct_infusion",
    "current_user",
    "database_path",
    "default_path",
    "default_user",
    "export_csv",
    "export_fhir",
    "export_ndjson",
    "get_patient",
    "history",
    "import_csv",
    "import_file",
    "input_file",
    "load_clinic",
    "load_patient",
    "load_settings",
    "log_unexpected",
    "migration_names",
    "new_file",
    "output_folder",
    "patient_ids",
    "plan_import",
    "record_counts",
    "refusal_message",
    "retract",
    "set_setting",
    "start_course",
    "stored_settings",
    "update_patient",
    "write_clinic",
    "write_transaction",
]


def import_file(database, path, kind, who, *, today, confirm_unusual_doses=False) -> ImportResult:
    """Check a CSV file and write it all or nothing, with the clinic's own settings."""
    return import_csv(database, path, kind, who, settings=load_settings(database), today=today,
                      confirm_unusual_doses=confirm_unusual_doses)
