"""The entry point the design card names: `make_app(...)` builds the terminal app.

The app itself lives in the `outcomes_app` package beside this module: the
clinician's app (`outcomes_app.app`), its screens, widgets and wording, and
the read-only patient mode (`outcomes_app.patient_mode`). The `outcomes`
command and the tests build it through this one factory.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from textual.app import App


def make_app(
    db_path: str | Path,
    patient: str | None = None,
    *,
    today: date | None = None,
    clinician: str | None = None,
    scale: str | None = None,
    chart_dir: str | Path | None = None,
    self_report: bool = False,
    kiosk: bool = False,
) -> App:
    """The app for the CLI and the tests: clinician mode, or patient mode for one patient.

    Args:
        db_path: The SQLite file.
        patient: A patient id for the read-only patient mode.
        today: A fixed "today" (tests, snapshots); the real date when None.
        clinician: The clinician's name for the audit trail; asked at start when None.
        scale: The list's scale; the clinic's primary scale when None.
        chart_dir: Patient mode: the folder saved charts go to (a default when None).
        self_report: Patient mode: the patient first fills in the clinic's
            self-report questionnaires and sends them, once.
        kiosk: Patient mode as a kiosk, closed only with the staff code (also when the
            setting `kiosk_always` is on).

    Raises:
        PatientModeError: a kiosk (asked for, or `kiosk_always`) and no staff code is set.
    """
    if patient is not None:
        from outcomes_app.patient_mode import (
            KioskApp,
            PatientApp,
            PatientModeError,
            kiosk_settings,
        )

        settings = kiosk_settings(db_path)
        options = dict(today=today, chart_dir=chart_dir, self_report=self_report)
        if kiosk or settings.kiosk_always:
            if settings.kiosk_staff_code is None:  # it could never be closed
                from outcomes.kiosk import NO_CODE_SET

                raise PatientModeError(NO_CODE_SET)
            return KioskApp(
                db_path,
                patient,
                staff_code=settings.kiosk_staff_code,
                idle_minutes=settings.kiosk_idle_minutes,
                **options,
            )
        return PatientApp(db_path, patient, **options)
    from outcomes_app.app import OutcomesApp

    return OutcomesApp(db_path, today=today, clinician=clinician, scale=scale)
