"""The terminal app of ketamine-outcomes (Textual), built through `tui.make_app`.

- `app`: the clinician's app (`OutcomesApp`): the connection, navigation, and
  the answers to what the screens post up (`messages`);
- `clinic`: `Clinic`, the one state (today, settings, clinician, database,
  the list's rows) every screen is handed;
- `loading`: the clinic-wide read and analysis, on a thread worker;
- `screens/`: the patient list, one patient's detail, the session, the
  forms, and the history, follow-up and settings screens;
- `widgets`, `modals`: the banner, tables and dialogs the screens share;
- `markup`, `errors`: stored text as shown; database calls that fail in words;
- `saving`: every write on a worker, waiting visibly for another's lock;
- `text`: list rows, timeline rows and status lines as the app shows them;
- `chart`, `session_chart`: the terminal charts;
- `messages`: what workers post back to the UI thread and screens post up;
- `commands`: command-palette providers;
- `patient_mode/`: the read-only app locked to one patient.

Every number comes from `outcomes/`, every read and write goes through `db/`.
Screens never import the app (an import-linter contract keeps it so).
"""
