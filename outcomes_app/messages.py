"""Messages of the apps: what workers post back to the UI thread, and what screens post up.

The screens are handed the clinic (`outcomes_app.clinic.Clinic`) and never
call the app: they post `OpenPatient`, `RowChanged`, `ReloadClinic` or
`SettingsChanged`, which bubble from the screen to `OutcomesApp`, and the
self-report screen posts `SelfReportAnswered` to `PatientApp`. A screen that
closes right after (a form that saved) posts to the app itself, so the
message outlives it.
"""

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


# ----- what screens post up ------------------------------------------------


class OpenPatient(Message):
    """Show this patient's screen (from the list, the follow-ups, the command palette)."""

    def __init__(self, patient_id: str) -> None:
        super().__init__()
        self.patient_id = patient_id


class RowChanged(Message):
    """This patient's records changed: their list row is computed again (no clinic-wide reload)."""

    def __init__(self, patient_id: str) -> None:
        super().__init__()
        self.patient_id = patient_id


class ReloadClinic(Message):
    """Read and analyse every patient again, on `scale` when one is chosen."""

    def __init__(self, scale: str | None = None) -> None:
        super().__init__()
        self.scale = scale


class SettingsChanged(Message):
    """A clinic setting was saved (and the clinic's settings read again): every status depends on them."""


class SelfReportAnswered(Message):
    """The patient sent their self-report answers (patient mode stores them, once)."""

    def __init__(self, questions: list, answers: list[int | None]) -> None:
        super().__init__()
        self.questions = questions
        self.answers = answers


class SelfReportLeft(Message):
    """The patient left the questions without sending (patient mode closes; a kiosk stays)."""


# ----- what a screen's own worker posts to it ------------------------------


class ReportWritten(Message):
    """A patient's report was written (`files`), or could not be (`error` says why)."""

    def __init__(self, patient_id: str, files: list, error: str | None = None) -> None:
        super().__init__()
        self.patient_id = patient_id
        self.files = files
        self.error = error
