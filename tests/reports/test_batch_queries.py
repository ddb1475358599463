"""A whole-clinic report reads the clinic in a fixed number of queries, acknowledged alerts or not."""

from __future__ import annotations

from datetime import date

import pytest

import db
from db.seed import write_clinic
from outcomes_cli.demo import make_demo
from outcomes.status import analyse_clinic
from reports.batch import run_report

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


def test_a_report_of_1000_patients_with_acknowledged_alerts_takes_a_handful_of_queries(
        acknowledged_clinic, tmp_path, monkeypatch):
    """`run_report` over 1,000 patients with 40 acknowledged alerts: fewer than 30 queries, no query per patient,
    and the acknowledgements reach the patients they belong to."""
    path, alerts = acknowledged_clinic
    statements = traced_statements(monkeypatch)
    import reports.batch

    seen = {}
    render = reports.batch.render_clinic

    def watching(*args, **kwargs):
        seen.update(kwargs["acknowledgements"])
        return render(*args, **kwargs)

    monkeypatch.setattr(reports.batch, "render_clinic", watching)
    result = run_report(path, tmp_path / "out", cohort_only=True, as_of=TODAY, progress=False)
    assert result.ok, result.failures
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert 3 <= len(selects) < 30, len(selects)
    assert not any("alert_acknowledgements WHERE patient_id" in s for s in selects)
    assert {pid for pid, _ in alerts} == set(seen)
    assert all(any(a.alert_key == key for a in seen[pid]) for pid, key in alerts)
