"""Patient mode: one patient reviews their own progress, read-only.

`outcomes tui --patient ID [--charts DIR]` runs `PatientApp`, for
example on a clinic tablet or a waiting-room terminal. The app is locked to
one patient:

- it reads only that patient's rows (`db.load_clinic(..., patient_id=...)`)
  and the clinic settings, once, through a read-only connection
  (`db.connect(..., read_only=True)`: SQLite's ``mode=ro``, so SQLite itself
  refuses any write), and then closes the database; nothing in
  the app holds a connection, so no key can reach another patient or write;
- it has no patient list, no search and no input that takes a patient id; the
  command palette offers only patient-safe commands (theme, save chart, scale,
  help, quit); leaving patient mode means quitting;
- every sentence is plain language built from `outcomes/` results (the
  functions of `outcomes.wording`), and a positive suicidality item
  shows the clinic's crisis-resource text instead of the clinical alert.

The one file it writes is the chart PNG the patient asks for, into a folder
they can take home (`~/ketamine-outcomes-charts/` unless told otherwise).

With `--self-report` (``self_report=True``) the patient first answers the
clinic's self-report questionnaires (`outcomes_app.self_report`). The one
database write reachable then is `send_self_report`: that patient's new
scores, once, through a connection opened for that write and closed after it
(`db.add_self_report`). While the questions are open the chart keys and their
palette commands are off; after sending, patient mode is read-only as above.

As a kiosk (`--kiosk`, or the setting `kiosk_always`) it is `KioskApp`
(`kiosk`): closed only with the staff code, deaf to ctrl+c/z/\\ as signals,
back at its start screen after the idle time.

The package: `app` (`PatientApp`, the screen and its keys), `view` (reading
the one patient, `load_patient`), `words` (the help page, the glossary,
paths as the patient reads them) and `files` (the chart PNG and the
take-home page). The shell (`outcomes handout`) and `tui.make_app` use the
names below.
"""

from outcomes_app.patient_mode.app import PatientApp
from outcomes_app.patient_mode.files import save_chart_png, save_handout
from outcomes_app.patient_mode.kiosk import KioskApp
from outcomes_app.patient_mode.view import (
    PatientModeError,
    PatientView,
    kiosk_settings,
    load_patient,
)

__all__ = [
    "KioskApp",
    "PatientApp",
    "PatientModeError",
    "PatientView",
    "kiosk_settings",
    "load_patient",
    "save_chart_png",
    "save_handout",
]
