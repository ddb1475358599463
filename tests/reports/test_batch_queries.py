"""A whole-clinic report reads the clinic in a fixed number of queries, acknowledged alerts or not."""

from __future__ import annotations

from datetime import date

import pytest

import db
from db.seed import write_clinic
from outcomes.status import analyse_clinic
from outcomes_cli.demo import make_demo
from tests.reports.from_file import report_file

TODAY = date(2026, 3, 1)
from tests.clinic import traced_statements


@pytest.fixture(scope="module")
def acknowledged_clinic(tmp_path_factory):
    """A demo clinic of 1,000 patients in which 40 alerts of different patients were acknowledged."""
    path = tmp_path_factory.mktemp("queries") / "clinic.db"
    database = db.connect(path)
    write_clinic(database, make_demo(1000, 4, TODAY), "Dr Test", TODAY)
    statuses = analyse_clinic(db.load_clinic(database), "phq9", db.load_settings(database), TODAY)
    alerts = [(s.patient_id, s.open_alerts[0].key) for s in statuses if s.open_alerts][:40]
    assert len(alerts) == 40
    for pid, key in alerts:
        db.acknowledge_alert(database, pid, key, "Dr Test", "seen")
    database.close()
    return path, alerts


def per_patient(selects: list[str]) -> list[str]:
    return [s for s in selects if "patient_id = ?" in s or "patient_id=?" in s]


def test_a_cohort_report_of_1000_patients_with_acknowledged_alerts_takes_a_handful_of_queries(
    acknowledged_clinic, tmp_path, monkeypatch
):
    """`run_report --cohort-only` over 1,000 patients with 40 acknowledged alerts: fewer than 30 queries (the
    clinic is read a chunk of patients at a time), none for one patient."""
    path, _ = acknowledged_clinic
    statements = traced_statements(monkeypatch)
    result = report_file(path, tmp_path / "out", cohort_only=True, as_of=TODAY, progress=False)
    assert result.ok, result.failures
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert 3 <= len(selects) < 30, len(selects)
    assert per_patient(selects) == []


def test_every_patients_report_reads_the_acknowledgements_in_one_query(
    acknowledged_clinic, tmp_path, monkeypatch
):
    """The per-patient reports of 1,000 patients (drawing left out) read the clinic and its acknowledgements in
    fewer than 30 queries, and each acknowledgement reaches the patient it belongs to."""
    path, alerts = acknowledged_clinic
    statements = traced_statements(monkeypatch)
    import reports.batch

    drawn = []
    monkeypatch.setattr(
        reports.batch, "_render_patients", lambda items, *args, **kwargs: drawn.extend(items) or []
    )
    report_file(path, tmp_path / "out", as_of=TODAY, progress=False)
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert 3 <= len(selects) < 30, len(selects)
    assert per_patient(selects) == []
    seen = {
        item.status.patient_id: item.acknowledgements for item in drawn if item.acknowledgements
    }
    assert {pid for pid, _ in alerts} == set(seen)
    assert all(any(a.alert_key == key for a in seen[pid]) for pid, key in alerts)
