"""Writing a whole clinic of rows (the demo of `outcomes_cli.demo`) in one transaction.

The demo rows are checked by `outcomes.validation` like any import, then
written through the ordinary single-record writes, so each record has its
own audit row and CADSS ratings are linked to the infusion they were taken
at. Either the whole cohort is written or nothing is.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Protocol

import sqlite_utils

from db.connection import StorageError, write_transaction
from db.reads import load_settings
from db.writes import add_assessment, add_infusion, add_patient
from outcomes.validation import check_assessment, check_infusion, check_patient


class ClinicRows(Protocol):
    """Rows as a CSV import would read them; an infusion row carries its `course`,
    an assessment row may carry `infusion_index` (the infusion it was taken at)."""

    patients: list[dict[str, Any]]
    infusions: list[dict[str, Any]]
    assessments: list[dict[str, Any]]


def write_clinic(database: sqlite_utils.Database, clinic: ClinicRows, who: str, today: date) -> dict[str, int]:
    """Check and write every row of `clinic`; returns how many of each were added."""
    settings = load_settings(database)
    checked = []
    for kind, rows, check in (
        ("patient", clinic.patients, lambda r: check_patient(r, today)),
        ("infusion", clinic.infusions, lambda r: check_infusion(r, settings, today)),
        ("assessment", clinic.assessments, lambda r: check_assessment(r, today)),
    ):
        for row in rows:
            result = check(row)
            if result.errors:
                raise StorageError(f"demo {kind} row refused: {'; '.join(map(str, result.errors))}")
            checked.append((kind, row, result.values))
    infusion_ids: dict[int, int] = {}
    counts = {"patients": 0, "infusions": 0, "assessments": 0}
    with write_transaction(database):
        infusion_index = 0
        for kind, row, values in checked:
            if kind == "patient":
                add_patient(database, values, who)
                counts["patients"] += 1
            elif kind == "infusion":
                infusion_ids[infusion_index] = add_infusion(database, values, who, course=int(row["course"]))
                infusion_index += 1
                counts["infusions"] += 1
            else:
                link = row.get("infusion_index")
                add_assessment(database, values, who, infusion_ids.get(link) if link is not None else None)
                counts["assessments"] += 1
    return counts
