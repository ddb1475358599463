"""The terminal app of ketamine-outcomes (Textual), built through `tui.make_app`.

- `app`: the clinician's app (`OutcomesApp`), which owns the database
  connection and runs the clinic-wide analysis in a thread worker;
- `screens/`: the patient list, one patient's detail, the forms, and the
  history, follow-up, settings and help screens;
- `widgets`: the alert banner, table and modals the screens share;
- `text`: list rows, timeline rows and status lines as the app shows them;
- `chart`: the terminal score chart;
- `messages`: what workers post back to the UI thread;
- `commands`: command-palette providers;
- `patient_mode`: the read-only app locked to one patient.

Every number comes from `outcomes/`, every read and write goes through `db/`.
"""
