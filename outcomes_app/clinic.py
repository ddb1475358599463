"""The clinic the clinician app shows: `Clinic`, the one state every screen is handed.

`OutcomesApp` makes one `Clinic` and hands it down to each screen it builds
(a constructor argument). Screens read it: today, the settings, who is at
the keys, the database, the list's rows and follow-ups. They change the
clinic only through the database and then post a message up
(`outcomes_app.messages`: `OpenPatient`, `RowChanged`, `ReloadClinic`,
`SettingsChanged`); the app, which owns the list and the screen stack,
answers it. Nothing here imports Textual's screens or the app, so every
screen can import it without a cycle.
"""

from __future__ import annotations

import threading
from datetime import date
from pathlib import Path
from typing import Any

import db
from outcomes.followup import DUE, OVERDUE, FollowUp, next_followup
from outcomes.records import PatientData
from outcomes.scales import SCALES
from outcomes.settings import Settings
from outcomes.status import PatientStatus, analyse_patient
from outcomes_app.errors import guarded
from outcomes_app.messages import ClinicListed, ClinicLoaded
from outcomes_app.text import PatientRow

#: What the clinician reads when the settings cannot be read (the defaults are used meanwhile).
SETTINGS_UNREADABLE = "settings could not be read, using defaults: {error}"


def followup_due(followup: FollowUp | None) -> bool:
    """Whether a patient's next follow-up is due or overdue (the list's filter, the follow-up screen)."""
    return followup is not None and followup.state in (DUE, OVERDUE)


class Clinic:
    """One SQLite file as the clinician app holds it: settings, today, the clinician, the list.

    Args:
        db_path: The SQLite file.
        today: A fixed "today" (tests, snapshots); the real date when None.
        clinician: The name recorded with every change ("" until asked).
        scale: The list's scale ("" means the clinic's primary scale).
    """

    def __init__(
        self,
        db_path: str | Path,
        *,
        today: date | None = None,
        clinician: str = "",
        scale: str = "",
    ) -> None:
        self.db_path = Path(db_path)
        self._today = today
        self.clinician = clinician
        self.list_scale = scale
        #: The app's own connection (None until the app has opened it).
        self.database: Any = None
        self.settings = Settings()
        self.rows: list[PatientRow] | None = None
        #: Statuses of the patients with an open alert (the others' are not kept: memory).
        self.statuses: dict[str, PatientStatus] = {}
        #: Next follow-up per patient (None until the verdicts are in).
        self.followups: dict[str, FollowUp | None] | None = None
        self.load_seconds: float | None = None
        #: (analysed, total) while the statuses are being computed, else None.
        self.progress: tuple[int, int] | None = None
        #: True while `rows` holds only the first screen of a larger clinic (the rest is being read).
        self.partial_list = False
        #: Set by the patient list's table once it has drawn rows (the worker waits for the first screen).
        self.rows_drawn = threading.Event()
        #: SQLite's data_version when the app last read the clinic.
        self.data_version: int | None = None
        #: (patient, alert key) of every open alert at the last full read (None before it).
        self.open_alerts: set[tuple[str, str]] | None = None
        #: Where the patient screen's `r` writes reports (the clinician may choose another).
        self.report_folder = str(Path.home() / "ketamine-outcomes-reports")

    @property
    def today(self) -> date:
        """Today's date; fixed in tests and snapshots."""
        return self._today or date.today()

    @property
    def scale(self) -> str:
        """The list's scale: the one chosen, else the clinic's primary scale."""
        return self.list_scale if self.list_scale in SCALES else self.settings.primary_scale

    @property
    def computing(self) -> bool:
        """Whether the list still shows first-paint rows (verdicts, relief and alerts to come)."""
        return self.progress is not None

    def progress_words(self) -> str:
        """'computing verdicts… 4,000 of 10,000'."""
        done, total = self.progress or (0, 0)
        return f"computing verdicts… {done:,} of {total:,}"

    def followup_map(self) -> dict[str, FollowUp | None]:
        """Every patient's next follow-up: they come with the verdicts (empty until then)."""
        return {} if self.computing or self.followups is None else self.followups

    def reload_settings(self) -> str | None:
        """Read the clinic settings again; the words of the failure (defaults kept) or None."""
        settings, error = guarded(lambda: db.load_settings(self.database))
        if not error:
            self.settings = settings
        return error

    def analysed_patient(
        self, pid: str, scale_id: str
    ) -> tuple[PatientData, PatientStatus, dict, Any]:
        """One patient's records, status on one scale, details and frames (one patient read only)."""
        mine = db.load_patient(self.database, pid)
        status = analyse_patient(
            mine.data, scale_id, self.settings, self.today, mine.clinic.acknowledged
        )
        return mine.data, status, mine.info or {"patient_id": pid}, mine.clinic

    # ----- what the app's loading worker brings ---------------------------------
    def listed(self, message: ClinicListed) -> bool:
        """The first paint's rows, or the rest of the list; True when these are the first."""
        first = self.rows is None or not self.partial_list  # not the rest of a list already painted
        self.rows, self.statuses, self.followups = message.rows, {}, None
        self.settings, self.list_scale = message.settings, message.scale
        self.partial_list = len(message.rows) < message.total
        if first:
            self.progress = (0, message.total)
        return first

    def loaded(self, message: ClinicLoaded) -> set[tuple[str, str]]:
        """Every patient analysed; the (patient, alert key) pairs that were not open at the last read."""
        statuses = message.statuses
        open_now = {(pid, a.key) for pid, st in statuses.items() for a in st.open_alerts}
        new = set() if self.open_alerts is None else open_now - self.open_alerts
        self.open_alerts = open_now
        self.rows, self.statuses, self.followups = message.rows, statuses, message.followups
        self.settings, self.list_scale = message.settings, message.scale
        self.load_seconds = message.seconds
        self.progress, self.partial_list = None, False
        return new

    def load_failed(self) -> None:
        """The worker could not read the clinic: nothing is being computed any more."""
        self.progress, self.partial_list = None, False

    def row_changed(self, pid: str) -> tuple[PatientRow, int | None] | None:
        """Recompute one patient's list row after a change (no clinic-wide reload).

        Returns the new row and its index in `rows` (None: a new patient,
        appended), or None when there is no list yet or the patient cannot be read.
        """
        if self.rows is None:
            return None
        result, error = guarded(lambda: self.analysed_patient(pid, self.list_scale))
        if error:
            return None
        _, status, info, _ = result
        row = PatientRow.of(status, info.get("name") or "")
        if status.open_alerts:
            self.statuses[pid] = status
        else:
            self.statuses.pop(pid, None)
        if self.followups is not None:
            self.followups[pid] = next_followup(status, self.today)
        for index, old in enumerate(self.rows):
            if old.patient_id == pid:
                self.rows[index] = row
                return row, index
        self.rows.append(row)
        return row, None
