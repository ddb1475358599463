"""Storage: the clinic's SQLite file, and the only code that writes SQL.

This module is the whole public surface (docs/internals.md, "Storage"):
open a database with `connect`, read current records as `ClinicData` with
`load_clinic`, write through the functions below (each one transaction with
its audit row), import and export CSV, export FHIR, back up. Callers get
records, DataFrames and plain values, never a cursor.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from db.imports import ImportResult

#: Where each public name lives. Modules load on first use (PEP 562), so a command that
#: only needs `connect` never pays for pandas or the import and export code (a quick `outcomes
#: --help` and `outcomes status`).
_HOMES = {
    "acknowledge_alert": "db.writes",
    "acknowledge_alerts": "db.writes",
    "acknowledgements": "db.reads",
    "add_assessment": "db.writes",
    "add_infusion": "db.writes",
    "add_infusion_with_rating": "db.writes",
    "add_patient": "db.writes",
    "add_self_report": "db.writes",
    "add_reading": "db.writes",
    "apply_import": "db.imports",
    "apply_migrations": "db.migrations",
    "backup": "db.backups",
    "build_bundle": "db.fhir",
    "check_reachable": "db.connection",
    "clinic_chunks": "db.reads",
    "connect": "db.connection",
    "connect_to_read": "db.connection",
    "correct_assessment": "db.writes",
    "correct_infusion": "db.writes",
    "orphaned_readings": "db.session_readings",
    "current_user": "db.connection",
    "decrypt": "db.encrypting",
    "encrypt": "db.encrypting",
    "is_encrypted": "db.cipher",
    "KEY_ENV_VAR": "db.cipher",
    "KeyProblem": "db.cipher",
    "read_key_file": "db.cipher",
    "check_new_key": "db.cipher",
    "rekey": "db.encrypting",
    "use_key": "db.cipher",
    "data_version": "db.connection",
    "file_replaced": "db.file_identity",
    "identity_of": "db.file_identity",
    "replaced_message": "db.file_identity",
    "replaced_notice": "db.file_identity",
    "database_path": "db.connection",
    "default_path": "db.connection",
    "default_user": "db.connection",
    "ENV_VAR": "db.connection",
    "EXPECTED": "db.failures",
    "export_csv": "db.csv_io",
    "export_fhir": "db.fhir_export",
    "export_ndjson": "db.fhir_export",
    "get_patient": "db.reads",
    "history": "db.audit",
    "patient_audit": "db.audit",
    "import_csv": "db.imports",
    "ImportPlan": "db.csv_io",
    "ImportRefused": "db.csv_io",
    "ImportResult": "db.imports",
    "input_file": "db.paths",
    "list_rows": "db.reads",
    "patient_count": "db.reads",
    "load_clinic": "db.reads",
    "load_patient": "db.reads",
    "load_settings": "db.reads",
    "LockWaitTooLong": "db.lock_wait",
    "reporting_lock_waits": "db.lock_wait",
    "log_unexpected": "db.failures",
    "loose_permissions": "db.files",
    "migration_names": "db.migrations",
    "new_file": "db.paths",
    "NotFound": "db.errors",
    "OnePatient": "db.reads",
    "output_folder": "db.paths",
    "patient_ids": "db.reads",
    "plan_import": "db.csv_io",
    "record_counts": "db.reads",
    "refusal_message": "db.failures",
    "report_records": "db.report_reads",
    "retract": "db.writes",
    "set_setting": "db.writes",
    "start_course": "db.writes",
    "StorageError": "db.errors",
    "stored_settings": "db.reads",
    "update_patient": "db.writes",
    "write_clinic": "db.seed",
    "write_transaction": "db.connection",
}

__all__ = [
    "ENV_VAR",
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
    "add_self_report",
    "add_reading",
    "apply_import",
    "apply_migrations",
    "backup",
    "build_bundle",
    "check_reachable",
    "connect",
    "connect_to_read",
    "correct_assessment",
    "correct_infusion",
    "orphaned_readings",
    "current_user",
    "check_new_key",
    "data_version",
    "file_replaced",
    "identity_of",
    "decrypt",
    "encrypt",
    "is_encrypted",
    "KEY_ENV_VAR",
    "KeyProblem",
    "read_key_file",
    "rekey",
    "use_key",
    "database_path",
    "default_path",
    "default_user",
    "export_csv",
    "export_fhir",
    "export_ndjson",
    "get_patient",
    "history",
    "patient_audit",
    "import_csv",
    "import_file",
    "input_file",
    "clinic_chunks",
    "list_rows",
    "patient_count",
    "load_clinic",
    "load_patient",
    "load_settings",
    "LockWaitTooLong",
    "reporting_lock_waits",
    "log_unexpected",
    "loose_permissions",
    "migration_names",
    "new_file",
    "output_folder",
    "patient_ids",
    "plan_import",
    "record_counts",
    "refusal_message",
    "replaced_message",
    "replaced_notice",
    "report_records",
    "retract",
    "set_setting",
    "start_course",
    "stored_settings",
    "update_patient",
    "write_clinic",
    "write_transaction",
]


def __getattr__(name: str):
    try:
        module = importlib.import_module(_HOMES[name])
    except KeyError:
        raise AttributeError(f"module 'db' has no attribute {name!r}") from None
    value = getattr(module, name)
    globals()[name] = value  # once loaded, a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_HOMES))


def import_file(database, path, kind, who, *, today, confirm_unusual_doses=False) -> ImportResult:
    """Check a CSV file and write it all or nothing, with the clinic's own settings."""
    from db.imports import import_csv
    from db.reads import load_settings

    return import_csv(
        database,
        path,
        kind,
        who,
        settings=load_settings(database),
        today=today,
        confirm_unusual_doses=confirm_unusual_doses,
    )
