"""Migration 0008 (REMS monitoring forms): a database of the previous release upgrades and keeps every
record byte for byte.

The old file is made as the previous release made it: the schema up to 0007 and
records written through the program's own write path (patients, esketamine and
ketamine sessions, readings, scores, an acknowledgement). After the upgrade
every table it had holds the same rows, and every status, session summary
and exported file reads the same; the new tables are empty and each
esketamine session's form is simply due or overdue.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import date

import db
from db.rems import esketamine_sessions, forms_of, submissions_of
from outcomes.rems import form_list
from outcomes.session_record import summary_lines
from outcomes.sessions import session_summaries
from outcomes.status import analyse_patient
from tests.clinic import add_patient, add_phq9
from tests.reports.test_safety_summary import reading, session

TODAY = date(2026, 3, 1)


def make_release_7_database(path) -> None:
    handle = db.connect(path, migrate=False)
    db.apply_migrations(handle, stop_before="0008_rems_monitoring_forms")
    add_patient(handle, "P1", "Ann Lee")
    add_patient(handle, "P2", "Bo Chen")
    add_phq9(handle, "P1", "2026-01-05", 20)
    add_phq9(handle, "P2", "2026-01-05", 18)
    for day, sedation in ((6, 3), (9, 5), (13, 5)):
        at = f"2026-01-{day:02d}T10:00"
        session(handle, "P1", at, drug="esketamine", ready_to_leave_at=f"2026-01-{day:02d}T12:10")
        reading(handle, "P1", at, at, bp_systolic=130, bp_diastolic=80, spo2=97)
        reading(handle, "P1", at, f"2026-01-{day:02d}T10:40", spo2=88, sedation_moaas=sedation)
    add_phq9(handle, "P1", "2026-01-20", 9)
    session(handle, "P2", "2026-01-07T09:00")
    reading(handle, "P2", "2026-01-07T09:00", "2026-01-07T09:20", bp_systolic=150, bp_diastolic=95)
    add_phq9(handle, "P2", "2026-01-21", 8)
    db.acknowledge_alert(handle, "P1", "low_oxygen_saturation:s:2026-01-06T10:00", "Dr A", "seen")
    handle.close()


def tables(path) -> dict[str, list[tuple]]:
    conn = sqlite3.connect(path)
    try:
        names = [
            n
            for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            if n != "_sqlite_migrations"
        ]
        return {n: conn.execute(f"SELECT * FROM {n} ORDER BY rowid").fetchall() for n in names}
    finally:
        conn.close()


def what_the_program_says(handle) -> dict:
    """Every patient's status (as `status --json` prints it) and every session's summary lines."""
    settings = db.load_settings(handle)
    clinic = db.load_clinic(handle)
    said = {}
    for pid, patient in clinic.by_patient().items():
        status = analyse_patient(patient, "phq9", settings, TODAY, clinic.acknowledged)
        said[f"{pid} status"] = json.dumps(status.as_json(), sort_keys=True)
        for summary in session_summaries(patient.infusions, patient.readings, settings):
            said[f"{pid} {summary.infusion.when.iso()}"] = summary_lines(summary, None, settings)
    return said


def test_a_release_7_database_upgrades_and_keeps_every_record_byte_for_byte(tmp_path):
    path = tmp_path / "release7.db"
    make_release_7_database(path)
    before = tables(path)
    old = db.connect(path, migrate=False)
    said_before = what_the_program_says(old)
    old.close()

    handle = db.connect(path)
    assert db.migration_names()[-1] == "0008_rems_monitoring_forms"
    after = tables(path)
    for name, rows in before.items():
        assert after[name] == rows, name  # same rows, same values, same types, same order
    assert set(after) - set(before) == {"rems_forms", "rems_submissions"}
    assert after["rems_forms"] == after["rems_submissions"] == []
    assert what_the_program_says(handle) == said_before
    assert forms_of(handle, "P1") == {} and submissions_of(handle) == {}
    states = form_list(esketamine_sessions(handle), {}, TODAY, due_only=True)
    assert [(r.patient_id, r.session_at, r.state.state) for r in states] == [
        ("P1", "2026-01-06T10:00", "overdue"),
        ("P1", "2026-01-09T10:00", "overdue"),
        ("P1", "2026-01-13T10:00", "overdue"),
    ]
    handle.close()


def test_the_export_of_an_upgraded_file_keeps_its_columns_and_adds_empty_ones(tmp_path):
    path = tmp_path / "release7.db"
    make_release_7_database(path)
    handle = db.connect(path)
    db.export_csv(handle, tmp_path / "out")
    handle.close()
    header, *rows = (tmp_path / "out" / "infusions.csv").read_text().splitlines()
    columns = header.split(",")
    assert columns[19:21] == ["accompanied", "rems_enrolled"] and columns[-1] == "rems_submitted_by"
    for row in rows:
        assert row.endswith("," * 14), row  # the form's columns, empty
