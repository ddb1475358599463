"""What `db/` hands the core for a clinic, and how it becomes one `PatientData` per patient.

`db/` reads the current records as pandas frames (`ClinicData`); the core
turns them into the plain records of `outcomes.records`, grouped by patient,
once (`patients_from_frames`), and every rule then works on those. A clinic's
session readings stay columns until something asks for a patient's
(`outcomes.reading_table`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from outcomes.reading_table import ReadingTable
from outcomes.records import (
    PatientData,
    assessments_from_frame,
    gc_paused,
    group_by_patient,
    infusions_from_frame,
    patient_name,
    readings_from_frame,
)

if TYPE_CHECKING:  # frames come from `db/`, which loads pandas
    import pandas as pd


@dataclass
class ClinicData:
    """What `db/` reads for the core: current records only, as frames.

    Superseded and retracted rows are already left out. `acknowledged` holds
    the keys of alerts a clinician has acknowledged.
    """

    patients: pd.DataFrame
    courses: pd.DataFrame
    infusions: pd.DataFrame
    assessments: pd.DataFrame
    acknowledged: frozenset[str] = frozenset()
    readings: pd.DataFrame | None = None

    def by_patient(self) -> dict[str, "PatientData"]:
        return patients_from_frames(
            self.infusions, self.assessments, self.courses, self.patients, self.readings
        )

    def names(self) -> dict[str, str]:
        """Patient id -> name, for the patients that have one (blank names left out)."""
        frame = self.patients
        if frame is None or frame.empty or "name" not in frame:
            return {}
        return {
            str(pid): name
            for pid, value in zip(frame["patient_id"], frame["name"], strict=True)
            if (name := patient_name(value)) is not None
        }


def patients_from_frames(
    infusions: pd.DataFrame | None,
    assessments: pd.DataFrame | None,
    courses: pd.DataFrame | None = None,
    patients: pd.DataFrame | None = None,
    readings: pd.DataFrame | None = None,
) -> dict[str, PatientData]:
    """Frames from `db/` to per-patient records (the usual entry point)."""
    ids = [] if patients is None or patients.empty else [str(p) for p in patients["patient_id"]]
    with gc_paused():
        table = ReadingTable.of(readings)
        return group_by_patient(
            infusions_from_frame(infusions),
            assessments_from_frame(assessments),
            courses,
            ids,
            readings_from_frame(readings)
            if table is None
            else {pid: table.readings_of(pid) for pid in table.runs},
        )
