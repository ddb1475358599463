"""ketamine-outcomes: the domain core.

Every clinical rule of `clinical-spec.md` lives in this package, once:
scales and scoring (`scales`), validation (`validation`), courses and the
baseline (`course`), response (`response`), the six-session verdict
(`verdict`), relief (`relief`), reliable change (`reliable_change`), safety
alerts (`safety`), one patient's status (`status`), clinic figures
(`cohort`) and follow-ups (`followup`). It imports no SQL, files, terminal or
charting code; the command line lives in `outcomes_cli`, the terminal app in `outcomes_app`.
"""

__version__ = "0.1.0"
