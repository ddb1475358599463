"""The one-page session record PDF (`outcomes report --session PATIENT DATE`), read back as the nurse reads it.

An esketamine session with readings at 0, 40, 90 and 130 minutes, written by
the real command line and read back with pypdf: the REMS patient monitoring
form's fields in the form's order with the hand-worked values, the readings
table, and a ninth session named as the booster it is.
"""

from __future__ import annotations

import stat
from pathlib import Path

import pypdf
import pytest
from click.testing import CliRunner

import db
from db.rems import save_form
from outcomes.rems import check_rems
from outcomes.timepoints import parse_timepoint
from outcomes.wording import NOT_RECORDED_IN_SESSION as NOT_RECORDED
from outcomes_cli.cli import cli
from reports import session_record as record_module
from reports.style import new_figure
from tests.clinic import add_patient, add_phq9
from tests.reports.test_safety_summary import reading, session

DAY = "2026-01-{:02d}"


@pytest.fixture(scope="module")
def clinic(tmp_path_factory):
    """P1: nine esketamine sessions twice weekly; the first with a full set of readings and a discharge."""
    path = tmp_path_factory.mktemp("clinic") / "clinic.db"
    database = db.connect(path)
    add_patient(database, "P1", "Ann Lee [twin A]")
    add_phq9(database, "P1", "2026-01-05", 20)
    days = [6, 9, 13, 16, 20, 23, 27, 30]
    session(
        database,
        "P1",
        "2026-01-06T10:00",
        drug="esketamine",
        bp_systolic_pre=128,
        bp_diastolic_pre=82,
        ready_to_leave_at="2026-01-06T12:15",
        accompanied="yes",
        side_effects="nausea",
    )
    for minute, values in (
        (0, dict(bp_systolic=128, bp_diastolic=82, spo2=97, sedation_moaas=5)),
        (40, dict(bp_systolic=151, bp_diastolic=94, spo2=95, sedation_moaas=4)),
        (90, dict(bp_systolic=138, bp_diastolic=86, spo2=96, sedation_moaas=5)),
        (130, dict(bp_systolic=126, bp_diastolic=80, spo2=98, sedation_moaas=5)),
    ):
        at = f"2026-01-06T{10 + minute // 60:02d}:{minute % 60:02d}"
        reading(database, "P1", "2026-01-06T10:00", at, **values)
    form = {
        "rems_enrolled": "yes",
        "first_treatment": "yes",
        "concomitant_medicines": "opioids",
        "device_lots": "LOT-4417; LOT-4418",
        "sedation_observed": "yes",
        "sedation_resolved": "yes",
        "dissociation_observed": "no",
        "respiratory_depression_observed": "no",
        "serious_adverse_event": "no",
    }
    checked = check_rems(form, "esketamine", 56)
    assert checked.ok, checked.problems
    save_form(database, "P1", "2026-01-06T10:00", checked.values, "Nurse Ray")
    for day in days[1:]:
        session(database, "P1", f"{DAY.format(day)}T10:00", drug="esketamine")
    session(database, "P1", "2026-02-03T10:00", drug="esketamine")  # the ninth: a booster
    database.conn.close()
    return path


def session_record(clinic: Path, out: Path, when: str) -> list[str]:
    done = CliRunner().invoke(
        cli, ["--db", str(clinic), "report", "--session", "P1", when, "--out", str(out)]
    )
    assert done.exit_code == 0, done.output
    (pdf,) = out.glob("*.pdf")
    assert stat.S_IMODE(pdf.stat().st_mode) == 0o600  # patient data: owner-only
    pages = pypdf.PdfReader(pdf).pages
    assert len(pages) == 1
    return pages[0].extract_text().splitlines()


def test_rems_fields_in_the_forms_order_with_the_hand_worked_values(clinic, tmp_path):
    lines = session_record(clinic, tmp_path / "first", "2026-01-06T10:00")
    text = "\n".join(lines)
    assert "Ann Lee [twin A]" in text  # stored text literally
    assert "session 1 of 8 (esketamine)" in text
    fields = [
        ("1. Patient enrolled in the Spravato REMS", "yes"),
        ("2. First treatment with Spravato", "yes"),
        ("3. Date of treatment session", "2026-01-06"),
        ("4a. Takes benzodiazepines", "no"),
        ("4b. Takes opioids", "yes"),
        ("4c. Takes sedative hypnotics", "no"),
        ("4d. Takes psychostimulants", "no"),
        ("4e. Takes MAOIs", "no"),
        ("5. Dose administered", "56 mg (2 devices of 28 mg)"),
        ("6. Device lot number(s)", "LOT-4417; LOT-4418"),
        ("7. Blood pressure before dosing", "128/82"),
        ("8. Blood pressure about 40 minutes after dosing", "151/94"),
        ("9. Blood pressure before discharge", "126/80"),
        ("10. Total minutes, first device to end of monitoring", "135 min"),
        ("11. Pulse oximetry", "4 checks: 97% at 10:00, 95% at 10:40, 96% at 11:30, 98%"),
        ("12. Sedation", "observed: yes; resolved by discharge: yes"),
        ("13. Dissociation", "observed: no"),
        ("14. Respiratory depression", "observed: no (recorded: lowest SpO2 95%"),
        ("15. Time the patient was ready to leave", "12:15 (135 min after dosing)"),
        ("16. Serious adverse event", "no"),
        ("Form to the REMS", "overdue: the deadline was 2026-01-13"),
    ]
    where = [text.index(label) for label, _ in fields]
    assert where == sorted(where), "the REMS fields are in the form's order"
    for label, value in fields:
        (line,) = [line for line in lines if line.startswith(label)]
        assert value in line[len(label) :], (label, line)
    assert "lacks" not in text  # every required field is there
    assert "Lowest saturation 95%" in lines and "Highest pressure 151/94 mmHg" in lines
    readings = text[text.index("Readings (4)") :]
    times = ["10:00", "10:40", "11:30", "12:10"]
    assert [readings.index(t) for t in times] == sorted(readings.index(t) for t in times)
    assert text.count(NOT_RECORDED) == 1  # no respiratory rate was taken: its panel says so


def test_every_chart_panel_spans_the_sessions_minutes_also_one_with_no_readings(
    clinic, tmp_path, monkeypatch
):
    """The four panels share the minutes of the session's readings (0 to 130); the respiratory-rate panel,
    with no reading to plot, says so instead of drawing an axis of 0 to 1 minute."""
    figures = []
    monkeypatch.setattr(
        record_module, "new_figure", lambda size: figures.append(new_figure(size)) or figures[-1]
    )
    database = db.connect(clinic)
    patient = db.load_clinic(database, patient_id="P1").by_patient()["P1"]
    item = record_module.session_record_input(
        patient, parse_timepoint("2026-01-06T10:00"), db.load_settings(database)
    )
    database.conn.close()
    record_module.write_session_record(item, tmp_path)
    panels = [ax for ax in figures[0].axes if ax.get_xlabel() == "minutes since start"]
    assert [ax.get_title() for ax in panels] == [
        "Blood pressure (mmHg)",
        "Oxygen saturation (%)",
        "Respiratory rate (/min)",
        "Sedation (MOAA/S)",
    ]
    spans = {ax.get_xlim() for ax in panels}
    assert len(spans) == 1
    ((low, high),) = spans
    assert low < 0 and 130 < high < 145
    said = {ax.get_title(): [t.get_text() for t in ax.texts] for ax in panels}
    assert said["Respiratory rate (/min)"] == [NOT_RECORDED]
    assert said["Blood pressure (mmHg)"] == said["Sedation (MOAA/S)"] == []
    # Whole-number ticks with no offset ("9.6" read as 96%), and every alert line in view
    # with room beyond it for a reading that crossed.
    figures[0].canvas.draw()
    for ax in panels:
        ticks = [t.get_text().replace("\u2212", "-") for t in ax.get_yticklabels()]
        assert all(t.lstrip("-").isdigit() for t in ticks if t), (ax.get_title(), ticks)
        assert ax.yaxis.get_offset_text().get_text() == ""
    spo2 = panels[1]
    assert spo2.get_ylim()[0] <= 88 and spo2.get_ylim()[1] >= 98


def test_a_ninth_esketamine_session_is_named_a_booster(clinic, tmp_path):
    text = "\n".join(session_record(clinic, tmp_path / "ninth", "2026-02-03T10:00"))
    assert "booster 1 (session 9) (esketamine)" in text
    assert "of 8" not in text
