"""The cohort's session safety figures (clinical-spec section 11), hand-worked on a three-patient
clinic: `summary.json`, `report --json` and the PDF's safety page say the same numbers.

The clinic (default settings: saturation below 90, rate 8-30, MOAA/S at or below 2, pressure
160/100, ketamine recovery 30 min, esketamine 120 min):

- P1, ketamine, 6 Jan 09:00-09:40: saturation 88 and MOAA/S 2 at 09:20, ready to leave at 10:00
  (20 min after the end: early; 60 min after the start). 8 Jan 09:00-09:40: rate 31 at 09:10,
  ready at 10:30 (90 min).
- P2, esketamine 56 mg, 6 Jan 10:00: 165/95 at 10:00, MOAA/S 4 at 10:40, ready at 11:30 (90 min:
  early) and not accompanied after sedation. 9 Jan 10:00: ready at 12:10 (130 min), accompanied.
- P3, ketamine, 7 Jan 09:00: nothing recorded beyond the dose (given, not monitored).

So: sessions ketamine 3, esketamine 2; monitored 2 and 2; one session each with low saturation,
rate out of range, deep sedation, pressure at hold and left unaccompanied, two early discharges;
median minutes to discharge ketamine (60 + 90) / 2 = 75, esketamine (90 + 130) / 2 = 110.
"""

from __future__ import annotations

import io
import json

import pypdf
import pytest

import db
from outcomes.readings import check_reading
from outcomes.sessions import (
    DEEP_SEDATION,
    EARLY_DISCHARGE,
    LOW_SPO2,
    RESP_RATE,
    SESSION_ALERT_NAMES,
    SESSION_BP,
    UNACCOMPANIED,
)
from outcomes.validation import check_infusion
from tests.clinic import TODAY, WHO, add_patient, add_phq9
from tests.reports.from_file import report_file


def session(database, pid: str, when: str, **extra) -> None:
    dose = (
        {"dose_mg": 56, "route": "intranasal"}
        if extra.get("drug") == "esketamine"
        else {"dose_mg_per_kg": 0.5, "route": "iv", "duration_min": 40}
    )
    checked = check_infusion(
        {"patient_id": pid, "date": when, "weight_kg": 70, **dose, **extra}, None, TODAY
    )
    assert checked.ok, checked.problems
    db.add_infusion(database, checked.values, WHO)


def reading(database, pid: str, session_at: str, at: str, **values) -> None:
    checked = check_reading({"patient_id": pid, "session": session_at, "at": at, **values}, TODAY)
    assert checked.ok, checked.problems
    db.add_reading(database, checked.values, WHO)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """The clinic above, reported once: (what `run_report` returned, summary.json, PDF pages' text)."""
    path = tmp_path_factory.mktemp("clinic") / "clinic.db"
    database = db.connect(path)
    for pid in ("P1", "P2", "P3"):
        add_patient(database, pid, f"Patient {pid}")
        add_phq9(database, pid, "2026-01-05", 20)
    session(
        database, "P1", "2026-01-06T09:00", ready_to_leave_at="2026-01-06T10:00", accompanied="yes"
    )
    reading(database, "P1", "2026-01-06T09:00", "2026-01-06T09:00", spo2=97, sedation_moaas=5)
    reading(database, "P1", "2026-01-06T09:00", "2026-01-06T09:20", spo2=88, sedation_moaas=2)
    session(
        database, "P1", "2026-01-08T09:00", ready_to_leave_at="2026-01-08T10:30", accompanied="yes"
    )
    reading(database, "P1", "2026-01-08T09:00", "2026-01-08T09:10", respiratory_rate=31)
    session(
        database,
        "P2",
        "2026-01-06T10:00",
        drug="esketamine",
        ready_to_leave_at="2026-01-06T11:30",
        accompanied="no",
    )
    reading(
        database, "P2", "2026-01-06T10:00", "2026-01-06T10:00", bp_systolic=165, bp_diastolic=95
    )
    reading(database, "P2", "2026-01-06T10:00", "2026-01-06T10:40", sedation_moaas=4)
    session(
        database,
        "P2",
        "2026-01-09T10:00",
        drug="esketamine",
        ready_to_leave_at="2026-01-09T12:10",
        accompanied="yes",
    )
    session(database, "P3", "2026-01-07T09:00")
    database.conn.close()
    out = tmp_path_factory.mktemp("run") / "out"
    result = report_file(path, out, as_of=TODAY, cohort_only=True, stderr=io.StringIO())
    assert result.ok, result.failures
    summary = json.loads((out / "cohort" / "summary.json").read_text())
    pages = [
        page.extract_text() for page in pypdf.PdfReader(out / "cohort" / "cohort_report.pdf").pages
    ]
    return result, summary, pages


def test_summary_json_holds_the_hand_worked_safety_figures(report):
    result, summary, _ = report
    assert summary["safety"] == {
        "sessions": {"ketamine": 3, "esketamine": 2},
        "monitored_sessions": {"ketamine": 2, "esketamine": 2},
        "sessions_with_alert": {
            LOW_SPO2: 1,
            RESP_RATE: 1,
            DEEP_SEDATION: 1,
            SESSION_BP: 1,
            EARLY_DISCHARGE: 2,
            UNACCOMPANIED: 1,
        },
        "median_minutes_to_discharge": {"ketamine": 75, "esketamine": 110},
        "discharges_recorded": {"ketamine": 2, "esketamine": 2},
    }
    assert result.summary == summary  # what `report --json` prints is the file


def column(lines: list[str], header: str, rows: int) -> list[str]:
    """A table column of the page (pypdf reads a table column by column): the `rows` lines after its header."""
    start = lines.index(header) + 1
    return lines[start : start + rows]


def test_the_safety_page_prints_the_summary_figures(report):
    _, summary, pages = report
    (page,) = [p for p in pages if p.startswith("Session safety")]
    lines, safety = page.splitlines(), summary["safety"]
    drugs = column(lines, "drug", 2)
    assert drugs == ["ketamine", "esketamine"]
    assert column(lines, "sessions", 2) == [str(safety["sessions"][d]) for d in drugs]
    assert column(lines, "with readings or a discharge recorded", 2) == [
        str(safety["monitored_sessions"][d]) for d in drugs
    ]
    assert (
        column(lines, "median minutes to discharge", 2)
        == [f"{safety['median_minutes_to_discharge'][d]:g} min" for d in drugs]
        == ["75 min", "110 min"]
    )
    assert column(lines, "discharges recorded", 2) == [
        str(safety["discharges_recorded"][d]) for d in drugs
    ]
    assert "Sessions with each kind of alert (of 4 monitored)" in lines
    names = column(lines, "alert", 6)
    counts = lines[lines.index("sessions", lines.index("alert")) + 1 :][:6]
    assert dict(zip(names, map(int, counts), strict=False)) == {
        SESSION_ALERT_NAMES[kind]: n for kind, n in safety["sessions_with_alert"].items()
    }


def test_a_clinic_without_monitored_sessions_has_zeros_and_no_safety_page(tmp_path):
    path = tmp_path / "clinic.db"
    database = db.connect(path)
    add_patient(database, "P1", "Patient P1")
    add_phq9(database, "P1", "2026-01-05", 20)
    session(database, "P1", "2026-01-06T09:00")
    database.conn.close()
    result = report_file(
        path, tmp_path / "out", as_of=TODAY, cohort_only=True, stderr=io.StringIO()
    )
    safety = result.summary["safety"]
    assert safety["sessions"] == {"ketamine": 1, "esketamine": 0}
    assert safety["monitored_sessions"] == {"ketamine": 0, "esketamine": 0}
    assert set(safety["sessions_with_alert"].values()) == {0}
    assert safety["median_minutes_to_discharge"] == {"ketamine": None, "esketamine": None}
    reader = pypdf.PdfReader(tmp_path / "out" / "cohort" / "cohort_report.pdf")
    assert not any("Session safety" in page.extract_text() for page in reader.pages)
