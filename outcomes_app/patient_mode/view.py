"""What patient mode knows: one patient's records and the clinic settings, read once, read-only."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import db
from outcomes.records import PatientData, patient_name
from outcomes.scales import OUTCOME_SCALE_IDS
from outcomes.settings import Settings
from outcomes_app.patient_mode.words import RECORDS_BUSY, RECORDS_UNREADABLE, for_staff


class PatientModeError(Exception):
    """Patient mode cannot start; the message says why in plain words."""


@dataclass(frozen=True)
class PatientView:
    """What patient mode knows: one patient's records and the clinic settings."""

    patient_id: str
    name: str | None
    data: PatientData
    settings: Settings
    acknowledged: frozenset[str]

    @property
    def scales(self) -> tuple[str, ...]:
        """The outcome scales this patient has scores on, in the registry's order."""
        taken = {a.scale for a in self.data.assessments}
        return tuple(s for s in OUTCOME_SCALE_IDS if s in taken)

    @property
    def default_scale(self) -> str:
        """The clinic's primary scale when the patient has scores on it."""
        scales = self.scales
        primary = self.settings.primary_scale
        return primary if primary in scales or not scales else scales[0]


def unopened_words(exc: Exception) -> str:
    """Why patient mode cannot show the records: the patient's sentence, then the reason for staff
    (another program's lock is "in use by another program", not how to close a database)."""
    lead = RECORDS_BUSY if isinstance(exc, db.LockWaitTooLong) else RECORDS_UNREADABLE
    return f"{lead}\n{for_staff(exc)}"


def kiosk_settings(db_path: str | Path) -> Settings:
    """The clinic settings, read once, read-only, to know whether patient mode is a kiosk.

    The defaults when they cannot be read: patient mode then says why on its screen.
    """
    path = Path(db_path).expanduser()
    if not path.is_file():
        return Settings()
    try:
        database = db.connect(path, read_only=True)
    except db.StorageError:
        return Settings()
    try:
        return db.load_settings(database)
    finally:
        database.conn.close()


def load_patient(db_path: str | Path, patient_id: str) -> PatientView:
    """Read one patient's records and the settings, then close the database.

    Raises:
        PatientModeError: no database file there, or no such patient.
    """
    path = Path(db_path).expanduser()
    if not path.is_file():
        raise PatientModeError(f"There is no clinic database at {path}.")
    # Read-only at the SQLite level (mode=ro): no migration, no file created,
    # and SQLite itself refuses any write, whatever the code below does.
    try:
        database = db.connect(path, read_only=True)
    except db.StorageError as exc:
        raise PatientModeError(unopened_words(exc)) from exc
    try:
        mine = db.load_patient(database, patient_id)
        settings = db.load_settings(database)
    finally:
        database.conn.close()
    if mine.info is None:
        raise PatientModeError(
            f"There is no patient with the id {patient_id!r} in this clinic's records."
        )
    return PatientView(
        patient_id,
        patient_name(mine.info.get("name")),
        mine.data,
        settings,
        frozenset(mine.clinic.acknowledged),
    )
