"""What a report run is handed: the clinic's settings and records, read by whoever opened the clinic.

`reports/` never opens the database (`shared/docs/architecture.md`): the shell
or the app opens it and reads this through `db.report_records`, then hands it
to `reports.batch.run_report`. Plain data, so a test can build one too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

import pandas as pd

from outcomes.clinic_data import ClinicData
from outcomes.settings import Settings


@dataclass
class ReportRecords:
    """The clinic as one report run needs it.

    Attributes:
        settings: The clinic's settings.
        data: The records of the whole clinic, or of the one patient reported;
            None for a cohort-only run read in chunks.
        chunks: For the cohort-only run: the clinic a chunk of patients at a
            time, in patient-id order, read as it is consumed (so the
            database must stay open until the run returns); None otherwise.
        acknowledgements: The alert acknowledgements of the patients in
            `data` (columns alert_key, who, at, note, patient_id); None when
            there are none or they are not needed.
        rems_medicines: Per patient, per esketamine course, the concomitant medicines its
            latest confirming session confirmed and that session's time (`outcomes.rems`);
            the patient report prints them at course level.
    """

    settings: Settings
    data: ClinicData | None = None
    chunks: Iterable[ClinicData] | None = None
    acknowledgements: pd.DataFrame | None = None
    rems_medicines: dict[str, dict[int, tuple[tuple[str, ...], str]]] | None = None
