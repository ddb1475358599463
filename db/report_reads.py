"""What a report run reads: the db side of `outcomes report` and the app's report key.

`reports/` is handed data and never opens the database; the shell or the app
opens it and calls `report_records`, which reads what the run needs and no
more: one patient's records, the whole clinic's, or (for the cohort report
alone) a lazy iterator over the clinic a chunk of patients at a time, so a
network of 50,000 patients is reported in the memory of one chunk.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from db.reads import acknowledgements, clinic_chunks, load_clinic, load_settings
from db.rems import course_medicines_of
from outcomes.report_records import ReportRecords

if TYPE_CHECKING:  # annotations only: loaded where a connection is made (db.connection)
    import sqlite_utils


def report_records(
    database: sqlite_utils.Database, *, patient: str | None = None, cohort_only: bool = False
) -> ReportRecords:
    """The settings and records a report run is handed.

    Args:
        patient: Only this patient's records (an unknown id reads none; the
            report refuses it).
        cohort_only: The clinic as chunks (`db.clinic_chunks`), read while the
            report consumes them: keep `database` open until the run returns.
    """
    settings = load_settings(database)
    if cohort_only:
        return ReportRecords(settings, chunks=clinic_chunks(database))
    data = load_clinic(database, patient_id=patient)
    acks = acknowledgements(database, patient) if data.acknowledged else None
    medicines = course_medicines_of(database, patient)
    return ReportRecords(settings, data=data, acknowledgements=acks, rems_medicines=medicines)
