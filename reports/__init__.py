"""Reports: the domain's results drawn as matplotlib figures and written as files.

`reports.batch.run_report` is the entry point `outcomes report` calls: one
PDF and one PNG progress chart per patient (`patient_report`, drawn by
`patient_chart`), and the clinic's cohort report (`cohort_report`, drawn by
`cohort_figures`) as PDF, PNG, CSV and JSON. Only matplotlib's
object-oriented API with the Agg canvas is used (never pyplot's global
state), so reports can be drawn in worker processes and in tests alike.
Every number comes from `outcomes/`; nothing here decides a clinical rule.
"""
