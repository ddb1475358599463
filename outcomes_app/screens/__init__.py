"""The clinician app's screens: the list, one patient, the forms and the record screens."""
