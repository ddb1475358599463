"""The cohort report read a chunk of patients at a time is the cohort report of the whole clinic, to the byte.

`run_report --cohort-only` is handed the clinic as `db.report_records` reads it
for that run (`db.clinic_chunks`, read as consumed) and keeps only statuses, CADSS scores and session safety figures between chunks (a
clinic network's records never all in memory). Here a demo clinic with
esketamine courses, session readings and acknowledged alerts is reported in
chunks of 7 patients and, beside it, from the whole clinic read at once
(`render_clinic`): the summary and every file must be identical.
"""

from __future__ import annotations

import io
from datetime import date

import pytest

import db
import db.reads
from db.seed import write_clinic
from outcomes.status import analyse_clinic
from outcomes_cli.demo import make_demo
from reports.batch import render_clinic, run_report

TODAY = date(2026, 3, 1)


@pytest.fixture(scope="module")
def clinic(tmp_path_factory):
    path = tmp_path_factory.mktemp("chunks") / "clinic.db"
    database = db.connect(path)
    write_clinic(database, make_demo(60, 8, TODAY), "Dr Test", TODAY)
    settings = db.load_settings(database)
    statuses = analyse_clinic(db.load_clinic(database), "phq9", settings, TODAY)
    for status in [s for s in statuses if s.open_alerts][:5]:
        db.acknowledge_alert(
            database, status.patient_id, status.open_alerts[0].key, "Dr Test", "seen"
        )
    database.close()
    return path


def files_of(folder) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_cohort_report_in_chunks_is_the_whole_clinics_to_the_byte(clinic, tmp_path, monkeypatch):
    monkeypatch.setattr(db.reads, "CHUNK_PATIENTS", 7)
    chunks_read = []

    def counted(chunks):
        for chunk in chunks:
            chunks_read.append(len(chunk.patients))
            yield chunk

    database = db.connect(clinic)
    records = db.report_records(database, cohort_only=True)
    assert records.data is None and chunks_read == []  # nothing read yet: the chunks come lazily
    records.chunks = counted(records.chunks)
    chunked = run_report(
        records, tmp_path / "chunked", cohort_only=True, as_of=TODAY, stderr=io.StringIO()
    )
    database.close()
    assert chunks_read == [7] * 8 + [4]  # 60 patients, seven at a time

    database = db.connect(clinic)
    data, settings = db.load_clinic(database), db.load_settings(database)
    database.close()
    (tmp_path / "whole").mkdir(mode=0o700)
    whole = render_clinic(data, settings, "phq9", tmp_path / "whole", as_of=TODAY, patients=None)

    assert chunked.ok and whole.ok
    assert chunked.summary == whole.summary
    safety = chunked.summary["safety"]
    assert (
        safety["monitored_sessions"]["esketamine"] > 0
        and sum(safety["sessions_with_alert"].values()) > 0
    )
    assert files_of(tmp_path / "chunked") == files_of(tmp_path / "whole")
    assert len(files_of(tmp_path / "chunked")) >= 4  # the PDF, PNG, CSV and JSON of the cohort
