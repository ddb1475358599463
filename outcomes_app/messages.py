"""Messages the clinician app's workers post back to the UI thread."""

from __future__ import annotations

from textual.message import Message

from outcomes.followup import FollowUp
from outcomes.settings import Settings
from outcomes.status import PatientStatus
from outcomes_app.text import (
    PatientRow,
)


class ClinicLoaded(Message):
    """The worker finished analysing the clinic."""

    def __init__(
        self,
        rows: list[PatientRow],
        statuses: dict[str, PatientStatus],
        followups: dict[str, FollowUp | None] | None,
        settings: Settings,
        scale: str,
        seconds: float,
    ) -> None:
        super().__init__()
        self.rows = rows
        self.followups = followups
        self.statuses = statuses
        self.settings = settings
        self.scale = scale
        self.seconds = seconds


class ClinicListed(Message):
    """The first paint's rows (id, name, course, latest score) are read; statuses follow.

    `total` is the number of patients in the clinic: more than `len(rows)` when
    these are only the first screen's (the rest of the list follows).
    """

    def __init__(
        self, rows: list[PatientRow], settings: Settings, scale: str, total: int | None = None
    ) -> None:
        super().__init__()
        self.rows = rows
        self.total = len(rows) if total is None else total
        self.settings = settings
        self.scale = scale


class ClinicProgress(Message):
    """`done` of `total` patients analysed so far."""

    def __init__(self, done: int, total: int) -> None:
        super().__init__()
        self.done = done
        self.total = total


class ClinicLoadFailed(Message):
    """The worker could not read the database; `reason` says why in words."""

    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason


# ---------------------------------------------------------------------------


class ReportWritten(Message):
    """A patient's report was written (`files`), or could not be (`error` says why)."""

    def __init__(self, patient_id: str, files: list, error: str | None = None) -> None:
        super().__init__()
        self.patient_id = patient_id
        self.files = files
        self.error = error
