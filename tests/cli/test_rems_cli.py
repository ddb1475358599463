"""The Spravato REMS monitoring forms through the real command line (issue 26), worked by hand.

A clinic is built from CSV files with `outcomes import`: P1 has an
esketamine session with every field of the form (enrolment, first
treatment, concomitant medicines, lot numbers, effects observed and resolved,
no serious adverse event) and its readings; P2 a session with none of the
form's fields; P3 a ketamine session. The deadline is the session's date + 7
calendar days, due through that day and overdue from the next (docs/rems.md).
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from datetime import date
from pathlib import Path

import pypdf
import pytest
from click.testing import CliRunner

from outcomes_cli.cli import cli

PATIENTS = """patient_id,name,birth_date,weight_kg
P1,Ann Lee,1980-02-01,70
P2,Bo Chen,1975-05-05,80
P3,Cy Diaz,1990-09-09,60
"""
FORM_COLUMNS = (
    "rems_enrolled,first_treatment,concomitant_medicines,device_lots,sedation_observed,"
    "sedation_resolved,dissociation_observed,dissociation_resolved,respiratory_depression_observed,"
    "respiratory_depression_resolved,serious_adverse_event,serious_adverse_event_text"
)
SESSIONS = f"""patient_id,date,drug,dose_mg,dose_mg_per_kg,route,ready_to_leave_at,accompanied,{FORM_COLUMNS}
P1,2026-01-28T10:00,esketamine,84,,intranasal,2026-01-28T12:10,yes,yes,no,benzodiazepines; MAOIs,LOT-A1;LOT-A2,yes,yes,yes,yes,no,,no,
P2,2026-03-07T23:30,esketamine,56,,intranasal,,,,,,,,,,,,,,
P3,2026-01-28T09:00,ketamine,,0.5,iv,,,,,,,,,,,,,,
"""
VITALS = """patient_id,session,at,bp_systolic,bp_diastolic,heart_rate,spo2,respiratory_rate,sedation_moaas
P1,2026-01-28T10:00,2026-01-28T10:00,130,84,72,98,14,5
P1,2026-01-28T10:00,2026-01-28T10:40,148,92,80,96,13,3
P1,2026-01-28T10:00,2026-01-28T12:05,128,80,70,97,14,5
"""


def run(path: Path, *args: str, env: dict | None = None):
    done = CliRunner(env={"OUTCOMES_USER": "Nurse Ray", **(env or {})}).invoke(
        cli, ["--db", str(path), *args]
    )
    return done


@pytest.fixture
def clinic(tmp_path) -> Path:
    path = tmp_path / "clinic.db"
    for name, text in (("patients", PATIENTS), ("infusions", SESSIONS), ("vitals", VITALS)):
        (tmp_path / f"{name}.csv").write_text(text)
        done = run(path, "import", name, str(tmp_path / f"{name}.csv"))
        assert done.exit_code == 0, done.output
    return path


def forms(path: Path, *args: str) -> dict:
    done = run(path, "rems", *args, "--json")
    assert done.exit_code == 0, done.output
    return json.loads(done.stdout)


def test_the_deadline_crosses_a_month_end_on_the_calendar(clinic):
    """28 January + 7 days = 4 February: due that whole day, overdue on the 5th."""
    on_deadline = forms(clinic, "--due", "--as-of", "2026-02-04")
    (p1,) = [f for f in on_deadline["forms"] if f["patient_id"] == "P1"]
    assert p1 == {
        "patient_id": "P1",
        "session": "2026-01-28T10:00",
        "course": 1,
        "deadline": "2026-02-04",
        "state": "due",
        "days_left": 0,
        "submitted": None,
    }
    assert on_deadline["as_of"] == "2026-02-04" and on_deadline["deadline_days"] == 7
    late = forms(clinic, "--due", "--as-of", "2026-02-05")
    assert [(f["patient_id"], f["state"], f["days_left"]) for f in late["forms"]] == [
        ("P1", "overdue", -1)
    ]  # P2's session (7 March) is after that day: not listed; P3 is ketamine: no form
    text = run(clinic, "rems", "--due", "--as-of", "2026-02-05").stdout
    assert "1 overdue, 0 due" in text
    assert "P1  session 2026-01-28 10:00  overdue: the deadline was 2026-02-04 (1 day ago)" in text


@pytest.mark.parametrize(
    ("zone", "session", "deadline"),
    [
        ("America/New_York", "2026-03-07T23:30", "2026-03-14"),  # clocks go forward on 8 March
        ("Europe/Berlin", "2025-10-25T23:30", "2025-11-01"),  # clocks go back on 26 October
    ],
)
def test_a_clock_change_in_the_week_moves_no_deadline(tmp_path, zone, session, deadline):
    """Seven calendar days in clinic time, not 168 hours: 168 hours after 23:30 on the eve of
    the spring change is 00:30 on the 15th, yet the form is due through the 14th. Run as a
    process of its own with the clinic's time zone, as on the clinic's machine."""
    path = tmp_path / "clinic.db"
    (tmp_path / "p.csv").write_text("patient_id\nP9\n")
    (tmp_path / "s.csv").write_text(f"patient_id,date,drug,dose_mg\nP9,{session},esketamine,56\n")
    env = {**os.environ, "TZ": zone, "OUTCOMES_USER": "Nurse Ray"}
    env.pop("OUTCOMES_DB", None)

    def outcomes(*args):
        done = subprocess.run(
            [sys.executable, "-m", "outcomes", "--db", str(path), *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    outcomes("import", "patients", str(tmp_path / "p.csv"))
    outcomes("import", "infusions", str(tmp_path / "s.csv"))
    on_deadline = json.loads(outcomes("rems", "--json", "--as-of", deadline))["forms"][0]
    assert (on_deadline["deadline"], on_deadline["state"], on_deadline["days_left"]) == (
        deadline,
        "due",
        0,
    )
    day_after = f"{deadline[:8]}{int(deadline[8:]) + 1:02d}"
    after = json.loads(outcomes("rems", "--json", "--as-of", day_after))["forms"][0]
    assert after["state"] == "overdue"


def test_marking_a_form_submitted_is_audited_and_done_once(clinic):
    done = run(clinic, "rems", "submitted", "P1", "2026-01-28", "--on", "2026-02-02")
    assert done.exit_code == 0, done.output
    assert "submitted on 2026-02-02 by Nurse Ray" in done.stdout
    listed = forms(clinic, "--as-of", "2026-02-10")
    (p1,) = [f for f in listed["forms"] if f["patient_id"] == "P1"]
    assert p1["state"] == "submitted"
    assert p1["submitted"] == {"date": "2026-02-02", "by": "Nurse Ray"}
    assert "P1" not in [f["patient_id"] for f in forms(clinic, "--due")["forms"]]
    conn = sqlite3.connect(clinic)
    (row,) = conn.execute(
        "SELECT who, action, new_value FROM audit WHERE table_name = 'rems_submissions'"
    ).fetchall()
    conn.close()
    assert row[0] == "Nurse Ray" and row[1] == "create"
    assert json.loads(row[2])["submitted_on"] == "2026-02-02"
    again = run(clinic, "rems", "submitted", "P1", "2026-01-28T10:00")
    assert again.exit_code == 1
    assert "already marked submitted on 2026-02-02 by Nurse Ray; nothing was saved" in again.output


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("P3", "2026-01-28"), "gives ketamine, not esketamine: it has no REMS monitoring form"),
        (("P1", "2026-01-28", "--on", "2026-01-27"), "is before the session (2026-01-28)"),
        (("P1", "2026-01-28", "--on", "2999-01-01"), "is after today"),
        (("P1", "2026-01-29"), "has no session at 2026-01-29; none that day"),
        (("P1", "2026-01-28", "--on", "soon"), "--on 'soon' is not a date (YYYY-MM-DD)"),
        (("P7", "2026-01-28"), "patient 'P7' is not known"),
    ],
)
def test_a_submission_that_cannot_be_is_refused_with_words(clinic, args, words):
    done = run(clinic, "rems", "submitted", *args)
    assert done.exit_code == 1
    assert words in done.output and "Traceback" not in done.output
    conn = sqlite3.connect(clinic)
    assert conn.execute("SELECT count(*) FROM rems_submissions").fetchone() == (0,)
    conn.close()


def record_text(clinic: Path, out: Path, patient: str, when: str) -> tuple[str, str]:
    done = run(clinic, "report", "--session", patient, when, "--out", str(out))
    assert done.exit_code == 0, done.output
    (pdf,) = out.glob("*.pdf")
    pages = pypdf.PdfReader(pdf).pages
    assert len(pages) == 1
    return done.stderr, pages[0].extract_text()


def test_a_session_with_every_field_prints_them_in_the_forms_order(clinic, tmp_path):
    warned, text = record_text(clinic, tmp_path / "p1", "P1", "2026-01-28")
    assert warned == ""  # nothing is missing
    expected = [
        ("1. Patient enrolled in the Spravato REMS", "yes"),
        ("2. First treatment with Spravato", "no"),
        ("4a. Takes benzodiazepines", "yes"),
        ("4e. Takes MAOIs", "yes"),
        ("5. Dose administered", "84 mg (3 devices of 28 mg)"),
        ("6. Device lot number(s)", "LOT-A1; LOT-A2"),
        ("7. Blood pressure before dosing", "130/84 mmHg at 10:00"),
        ("8. Blood pressure about 40 minutes after dosing", "148/92 mmHg at 10:40"),
        ("9. Blood pressure before discharge", "128/80 mmHg at 12:05"),
        ("10. Total minutes, first device to end of monitoring", "130 min"),
        ("11. Pulse oximetry", "3 checks"),
        ("12. Sedation", "observed: yes; resolved by discharge: yes"),
        ("13. Dissociation", "observed: yes; resolved by discharge: yes"),
        ("14. Respiratory depression", "observed: no"),
        ("15. Time the patient was ready to leave", "12:10 (130 min after dosing)"),
        ("16. Serious adverse event", "no"),
    ]
    at = [text.index(f"{label} {value}") for label, value in expected]
    assert at == sorted(at)
    assert "manufacturer" not in text  # no serious adverse event: no reporting duty printed


def test_missing_fields_are_named_before_the_record_is_written(clinic, tmp_path):
    warned, text = record_text(clinic, tmp_path / "p2", "P2", "2026-03-07")
    assert warned.startswith("warning: The REMS form lacks 14 required fields: ")
    for words in (
        "patient enrolled in the REMS (yes/no)",
        "device lot number(s)",
        "blood pressure before dosing",
        "pulse oximetry (no saturation reading)",
        "sedation observed (yes/no)",
        "serious adverse event (yes/no)",
    ):
        assert words in warned, words
    assert "The REMS form lacks 14 required fields" in " ".join(text.split())


def test_a_serious_adverse_event_names_the_duty_to_report_and_never_claims_it(tmp_path):
    path = tmp_path / "clinic.db"
    (tmp_path / "p.csv").write_text("patient_id\nP5\n")
    (tmp_path / "s.csv").write_text(
        "patient_id,date,drug,dose_mg,serious_adverse_event,serious_adverse_event_text\n"
        'P5,2026-02-02T10:00,esketamine,56,yes,"Syncope at 30 min, transferred to ED"\n'
    )
    assert run(path, "import", "patients", str(tmp_path / "p.csv")).exit_code == 0
    assert run(path, "import", "infusions", str(tmp_path / "s.csv")).exit_code == 0
    _, text = record_text(path, tmp_path / "out", "P5", "2026-02-02")
    flat = " ".join(text.split())
    assert "16. Serious adverse event yes, described below" in flat
    assert "What happened: Syncope at 30 min, transferred to ED" in flat
    assert "must also be reported to the manufacturer (Janssen) and to the FDA (MedWatch)" in flat
    assert "this record does not report it" in flat
    assert "was reported" not in flat.replace("whether it was reported", "")


def test_malformed_form_columns_are_refused_with_line_and_column(clinic, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "patient_id,date,drug,dose_mg,dose_mg_per_kg,rems_enrolled,device_lots,"
        "dissociation_observed,dissociation_resolved,rems_submitted_on,rems_submitted_by\n"
        "P1,2026-02-02T10:00,esketamine,28,,perhaps,A1;A2,no,yes,,\n"
        "P3,2026-02-02T10:00,ketamine,,0.5,yes,,,,,\n"
        'P2,2026-03-10T10:00,esketamine,56,,yes,"lot 7",,,2026-03-09,Dr A\n'
    )
    done = run(clinic, "import", "infusions", str(bad))
    assert done.exit_code == 1
    for where, words in (
        ("bad.csv line 2, column rems_enrolled", "'perhaps' is not yes or no"),
        ("bad.csv line 2, column device_lots", "2 device lot numbers for 28 mg, which is 1 device"),
        (
            "bad.csv line 2, column dissociation_resolved",
            "answered only when dissociation was observed",
        ),
        (
            "bad.csv line 3, column rems_enrolled",
            "are for esketamine sessions; this session gives ketamine",
        ),
        ("bad.csv line 4, column device_lots", "'lot 7' is not a lot number"),
        ("bad.csv line 4, column rems_submitted_on", "is before the session (2026-03-10)"),
    ):
        assert f"{where}: " in done.output and words in done.output, (where, done.output)
    conn = sqlite3.connect(clinic)
    assert conn.execute("SELECT count(*) FROM infusions").fetchone() == (3,)  # nothing written
    conn.close()


def test_the_form_and_its_submission_survive_an_export_and_reimport(clinic, tmp_path):
    assert run(clinic, "rems", "submitted", "P1", "2026-01-28", "--on", "2026-02-01").exit_code == 0
    first, second = tmp_path / "one", tmp_path / "two"
    assert run(clinic, "export", "csv", str(first)).exit_code == 0
    header, p1 = (first / "infusions.csv").read_text().splitlines()[:2]
    assert header.endswith(f"{FORM_COLUMNS},rems_submitted_on,rems_submitted_by")
    assert p1.endswith(
        "yes,no,benzodiazepines;maois,LOT-A1;LOT-A2,yes,yes,yes,yes,no,,no,,2026-02-01,Nurse Ray"
    )
    copy = tmp_path / "copy.db"
    for name in ("patients", "infusions", "vitals"):
        assert run(copy, "import", name, str(first / f"{name}.csv")).exit_code == 0
    assert run(copy, "export", "csv", str(second)).exit_code == 0
    for name in ("patients", "infusions", "vitals", "assessments"):
        assert (first / f"{name}.csv").read_bytes() == (second / f"{name}.csv").read_bytes(), name
    again = run(copy, "import", "infusions", str(first / "infusions.csv"))
    assert again.exit_code == 0 and "3 rows skipped" in again.output


def procedures(path: Path, *flags: str) -> dict[str, dict]:
    """The Procedures of `export fhir` (validated as an R4 Bundle), by their performed date."""
    from fhir.resources.R4B.bundle import Bundle

    target = path.parent / f"bundle{''.join(flags)}.json"
    done = run(path, "export", "fhir", str(target), *flags)
    assert done.exit_code == 0, done.output
    data = json.loads(target.read_text())
    Bundle.model_validate(data)
    return {
        e["resource"]["performedDateTime"][:16]: e["resource"]
        for e in data["entry"]
        if e["resource"]["resourceType"] == "Procedure"
    }


def rems_parts(procedure: dict) -> dict:
    (form,) = [x for x in procedure["extension"] if x["url"].endswith("/rems-monitoring-form")]
    return {
        p["url"]: next(v for k, v in p.items() if k.startswith("value")) for p in form["extension"]
    }


def test_the_fhir_export_carries_the_form_on_the_sessions_procedure(clinic, tmp_path):
    assert run(clinic, "rems", "submitted", "P1", "2026-01-28", "--on", "2026-02-01").exit_code == 0
    by_time = procedures(clinic)
    parts = rems_parts(by_time["2026-01-28T10:00"])
    assert parts == {
        "rems_enrolled": True,
        "first_treatment": False,
        "sedation_observed": True,
        "sedation_resolved": True,
        "dissociation_observed": True,
        "dissociation_resolved": True,
        "respiratory_depression_observed": False,
        "serious_adverse_event": False,
        "concomitant_medicines": "benzodiazepines;maois",
        "device_lots": "LOT-A1;LOT-A2",
        "submitted_on": "2026-02-01",
        "submitted_by": "Nurse Ray",
    }
    ketamine = by_time["2026-01-28T09:00"]
    assert not [x for x in ketamine["extension"] if "rems" in x["url"]]


def test_a_deidentified_export_drops_the_event_text_and_who_and_shifts_the_date(tmp_path):
    path = tmp_path / "clinic.db"
    (tmp_path / "p.csv").write_text("patient_id\nP5\n")
    (tmp_path / "s.csv").write_text(
        "patient_id,date,drug,dose_mg,serious_adverse_event,serious_adverse_event_text,"
        "rems_submitted_on,rems_submitted_by\n"
        "P5,2026-02-02T10:00,esketamine,56,yes,Syncope in the chair,2026-02-04,Nurse Ray\n"
    )
    assert run(path, "import", "patients", str(tmp_path / "p.csv")).exit_code == 0
    assert run(path, "import", "infusions", str(tmp_path / "s.csv")).exit_code == 0
    (named,) = procedures(path).values()
    assert {"text": "serious adverse event: Syncope in the chair"} in named["complication"]
    (hidden,) = procedures(path, "--deidentify").values()
    text = json.dumps(hidden)
    assert "Syncope" not in text and "Nurse Ray" not in text
    assert {"text": "serious adverse event"} in hidden["complication"]
    parts = rems_parts(hidden)
    shift = date.fromisoformat(hidden["performedDateTime"][:10]) - date(2026, 2, 2)
    assert shift.days != 0
    assert parts["submitted_on"] == (date(2026, 2, 4) + shift).isoformat()


def test_a_crowded_record_keeps_every_field_on_its_one_page(tmp_path):
    """A 1000-character event, 22 readings and five alerts: still one page with all 16 fields;
    the readings' chart gives way (said in words) rather than being drawn over the text."""
    path = tmp_path / "clinic.db"
    event = ("Syncope at 30 minutes with brief loss of consciousness, " * 20)[:1000]
    (tmp_path / "p.csv").write_text("patient_id\nW1\n")
    (tmp_path / "s.csv").write_text(
        f"patient_id,date,drug,dose_mg,ready_to_leave_at,accompanied,side_effects,{FORM_COLUMNS}\n"
        "W1,2026-11-02T09:00,esketamine,84,2026-11-02T13:30,no,dissociation;nausea,yes,yes,"
        f'opioids,L1;L2;L3,yes,no,yes,no,yes,no,yes,"{event}"\n'
    )
    rows = ["patient_id,session,at,bp_systolic,bp_diastolic,spo2,respiratory_rate,sedation_moaas"]
    for i in range(22):
        at = f"2026-11-02T{9 + i * 12 // 60:02d}:{i * 12 % 60:02d}"
        rows.append(
            f"W1,2026-11-02T09:00,{at},{160 + i % 3},{95 + i % 2},{88 + i % 10},{7 + i % 5},2"
        )
    (tmp_path / "v.csv").write_text("\n".join(rows) + "\n")
    for kind, name in (("patients", "p"), ("infusions", "s"), ("vitals", "v")):
        assert run(path, "import", kind, str(tmp_path / f"{name}.csv")).exit_code == 0
    _, text = record_text(path, tmp_path / "out", "W1", "2026-11-02")
    flat = " ".join(text.split())
    labels = ["1. Patient enrolled", "2. First treatment", "3. Date of treatment session"]
    labels += [f"4{c}. Takes" for c in "abcde"] + [f"{n}. " for n in range(5, 17)]
    at = [flat.index(label) for label in labels]
    assert at == sorted(at)
    assert event[:200] in flat and "must also be reported to the manufacturer" in flat
    assert "The readings' chart is left out" in flat


def test_a_reimport_records_submissions_of_sessions_already_stored(clinic, tmp_path):
    """docs/rems.md, after the upgrade: the export's rows with the two submission columns filled
    in, imported again, mark those forms submitted; nothing else changes."""
    out = tmp_path / "out"
    assert run(clinic, "export", "csv", str(out)).exit_code == 0
    lines = (out / "infusions.csv").read_text().splitlines()
    filled = [lines[0]] + [
        line[: -len(",")] + "2026-03-20,Dr Old" if line.startswith("P2,") else line
        for line in lines[1:]
    ]
    (out / "infusions.csv").write_text("\n".join(filled) + "\n")
    done = run(clinic, "import", "infusions", str(out / "infusions.csv"))
    assert done.exit_code == 0, done.output
    assert (
        "3 rows skipped because identical records are already stored; 1 REMS form or submission recorded"
        in done.output
    )
    listed = forms(clinic, "--as-of", "2026-03-25")["forms"]
    assert [(f["patient_id"], f["state"], f["submitted"]) for f in listed] == [
        ("P1", "overdue", None),
        ("P2", "submitted", {"date": "2026-03-20", "by": "Dr Old"}),
    ]


def test_an_imported_ready_to_leave_time_later_than_now_is_refused(tmp_path):
    from datetime import datetime, timedelta

    now = datetime.now().replace(second=0, microsecond=0)
    start, ready = now - timedelta(hours=1), now + timedelta(hours=1, minutes=5)
    if start.date() != now.date() or ready.date() != now.date():
        pytest.skip("the session and its discharge must both fall on today")
    path = tmp_path / "clinic.db"
    (tmp_path / "p.csv").write_text("patient_id\nP8\n")
    (tmp_path / "s.csv").write_text(
        "patient_id,date,drug,dose_mg,ready_to_leave_at\n"
        f"P8,{start:%Y-%m-%dT%H:%M},esketamine,56,{ready:%Y-%m-%dT%H:%M}\n"
    )
    assert run(path, "import", "patients", str(tmp_path / "p.csv")).exit_code == 0
    done = run(path, "import", "infusions", str(tmp_path / "s.csv"))
    assert done.exit_code == 1
    assert "s.csv line 2, column ready_to_leave_at: ready to leave" in done.output
    assert "is later than now" in done.output
