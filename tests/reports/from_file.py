"""A report from a clinic's file, read as the shell reads it, for the tests of `reports.batch`.

`reports/` is handed data and never opens the database: like `outcomes
report`, this opens the file, reads what the run needs (`db.report_records`)
and hands it to `run_report`, closing the file before any worker starts.
"""

from __future__ import annotations

from pathlib import Path

import db
from reports.batch import ReportResult, run_report


def report_file(
    path: Path, out: Path, *, patient: str | None = None, cohort_only: bool = False, **options
) -> ReportResult:
    """`run_report` on the clinic at `path` (options as `run_report`'s)."""
    database = db.connect(path)
    try:
        records = db.report_records(database, patient=patient, cohort_only=cohort_only)
        if not cohort_only:
            database.close()  # everything is read: the workers start with no connection open
        return run_report(records, out, patient=patient, cohort_only=cohort_only, **options)
    finally:
        database.close()
