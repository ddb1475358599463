"""Batch reporting (reports.batch.run_report) on real SQLite files: files, values, safety, speed knobs."""

from __future__ import annotations

import csv
import io
import json
import os
import threading
from datetime import date
from pathlib import Path

import pypdf
import pytest
from PIL import Image

import db
from db.seed import write_clinic
from outcomes.cohort import summarise
from outcomes.session_safety import session_safety
from outcomes.status import analyse_clinic
from outcomes.validation import check_assessment, check_infusion, check_patient
from outcomes_cli.demo import make_demo
from reports.batch import ReportError, render_clinic
from reports.cohort_report import CSV_COLUMNS, patient_row
from reports.names import patient_stem
from tests.reports.from_file import report_file

TODAY = date(2026, 3, 1)
WHO = "Dr Test"
HOSTILE_IDS = ("../x", "a/b", "/etc/passwd", "..", "C:\\temp\\y", "Zoë ü 李")


def _add(database, pid: str, infusion_days: tuple[str, ...], scores: tuple[tuple[str, int], ...]):
    checked = check_patient({"patient_id": pid, "name": f"Test {len(pid)}"}, TODAY)
    assert checked.ok, checked.problems
    db.add_patient(database, checked.values, WHO)
    for day in infusion_days:
        inf = check_infusion({"patient_id": pid, "date": day, "dose_mg_per_kg": 0.5}, None, TODAY)
        assert inf.ok, inf.problems
        db.add_infusion(database, inf.values, WHO)
    for day, total in scores:
        a = check_assessment(
            {"patient_id": pid, "date": day, "scale": "phq9", "total": total}, TODAY
        )
        assert a.ok, a.problems
        db.add_assessment(database, a.values, WHO)


@pytest.fixture(scope="module")
def clinic_db(tmp_path_factory) -> Path:
    """Eight demo patients plus patients whose ids try to escape the output folder."""
    path = tmp_path_factory.mktemp("clinic") / "clinic.db"
    database = db.connect(path)
    write_clinic(database, make_demo(8, 1, TODAY), WHO, TODAY)
    days = ("2026-01-05", "2026-01-07", "2026-01-09", "2026-01-12", "2026-01-14", "2026-01-16")
    for pid in HOSTILE_IDS:
        _add(database, pid, days, (("2026-01-04", 20), ("2026-01-08", 9), ("2026-01-20", 8)))
    database.conn.close()
    return path


@pytest.fixture(scope="module")
def first_run(clinic_db, tmp_path_factory):
    """One full report run (jobs=1) shared by the read-only tests."""
    out = tmp_path_factory.mktemp("run") / "out"
    err = io.StringIO()
    result = report_file(clinic_db, out, as_of=TODAY, stderr=err)
    return out, result, err.getvalue()


def domain_statuses(path: Path):
    statuses, settings, _ = domain_results(path)
    return statuses, settings


def domain_results(path: Path):
    """Statuses, settings and every patient's CADSS records, read as the report reads them."""
    database = db.connect(path)
    try:
        data, settings = db.load_clinic(database), db.load_settings(database)
    finally:
        database.conn.close()
    cadss = {pid: p.of_scale("cadss") for pid, p in data.by_patient().items()}
    return analyse_clinic(data, "phq9", settings, TODAY), settings, cadss


def test_every_patient_gets_a_pdf_and_png_and_the_cohort_its_files(first_run, clinic_db):
    """Each patient has a PDF of 2 pages or more (other scales) and a PNG; the cohort has its PDF, PNGs, CSV and JSON."""
    out, result, _ = first_run
    statuses, _ = domain_statuses(clinic_db)
    assert result.failures == []
    for s in statuses:
        stem = patient_stem(s.patient_id)
        pdf = out / "patients" / f"{stem}.pdf"
        reader = pypdf.PdfReader(pdf)
        pages = len(reader.pages)
        assert pages >= 2 and f"page {pages} of {pages}" in reader.pages[-1].extract_text()
        if s.patient_id.isascii():  # (the CJK test id is drawn with boxes: DejaVu has no CJK)
            assert f"({s.patient_id})" in reader.pages[0].extract_text()
        assert Image.open(out / "patients" / f"{stem}.png").size[0] > 500
    cohort = out / "cohort"
    assert sorted(p.name for p in cohort.iterdir()) == [
        "cohort_report.pdf",
        "dissociation.png",
        "dose_and_early_improvement.png",
        "patients.csv",
        "relief_curve.png",
        "responders_by_session.png",
        "summary.json",
        "trajectories.png",
        "waterfall.png",
    ]
    for name in (
        "relief_curve.png",
        "responders_by_session.png",
        "trajectories.png",
        "waterfall.png",
        "dissociation.png",
        "dose_and_early_improvement.png",
    ):
        assert Image.open(cohort / name).size == (1169, 827)  # A4 landscape at 100 dpi
    assert len(result.files) == 2 * len(statuses) + 9
    assert all(p.is_file() for p in result.files)


def test_cohort_json_and_csv_equal_the_domain_results(first_run, clinic_db):
    """summary.json is the domain's CohortSummary; each CSV row is that patient's status."""
    out, result, _ = first_run
    statuses, settings, cadss = domain_results(clinic_db)
    database = db.connect(clinic_db)
    safety = session_safety(db.load_clinic(database).by_patient().values(), settings)
    database.conn.close()
    expected = summarise(
        statuses, "phq9", settings.induction_sessions, cadss, safety=safety
    ).as_json()
    assert expected["safety"]["monitored_sessions"]["ketamine"] > 0
    assert json.loads((out / "cohort" / "summary.json").read_text()) == expected
    assert result.summary == expected
    with open(out / "cohort" / "patients.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["patient_id"] for r in rows] == sorted(s.patient_id for s in statuses)
    assert list(rows[0]) == list(CSV_COLUMNS)
    by_id = {r["patient_id"]: r for r in rows}
    for s in statuses:
        row, want = by_id[s.patient_id], s.as_json()
        assert row["six_session_verdict"] == want["six_session_verdict"]
        assert row["status"] == (want["status"] or "")
        assert row["best_improvement"] == (
            "" if want["best_improvement"] is None else str(want["best_improvement"])
        )
        assert row["relief_days"] == (
            "" if want["relief_days"] is None else str(want["relief_days"])
        )
        assert row == {
            k: ("" if v is None else str(v).lower() if isinstance(v, bool) else str(v))
            for k, v in patient_row(s, TODAY).items()
        }


def test_cohort_pdf_has_summary_figures_and_data_quality(first_run, clinic_db):
    """The cohort PDF: summary table, four figure pages, the session safety page (the demo's sessions
    have readings), the clinic beside published cohorts, and a data-quality page naming the
    problems."""
    out, _, _ = first_run
    statuses, _ = domain_statuses(clinic_db)
    pages = [p.extract_text() for p in pypdf.PdfReader(out / "cohort" / "cohort_report.pdf").pages]
    assert len(pages) == 10
    assert "Response within the induction, completers" in pages[0]
    assert "Relief still holding at day 90" in pages[0]
    assert "Responders by session" in pages[1]
    assert "Best improvement within the induction" in pages[2]
    assert "How long relief lasts" in pages[3] and "Number at risk" in pages[3]
    assert "Every trajectory" in pages[4]
    assert "Dose, early improvement and response in this clinic" in pages[5]
    assert "Dissociation, dose rises and response in this clinic" in pages[6]
    assert "Session safety" in pages[7]
    assert "Beside published real-world cohorts" in pages[8] and "McInnes" in pages[8]
    pages = pages[:8] + pages[9:]
    no_baseline = [s.patient_id for s in statuses if s.verdict.value == "no_baseline"]
    assert no_baseline and f"Courses without a usable baseline ({len(no_baseline)})" in pages[8]
    assert all(pid in pages[8] for pid in no_baseline)
    assert "Total-only records" in pages[8]


def test_hostile_ids_stay_inside_the_output_folder(first_run, tmp_path):
    """Ids like ../x, a/b and /etc/passwd become plain file names directly inside --out."""
    out, result, _ = first_run
    root = out.resolve()
    for path in result.files:
        assert path.resolve().parent in (root / "patients", root / "cohort")
    names = {p.name for p in (out / "patients").iterdir()}
    for pid in HOSTILE_IDS:
        stem = patient_stem(pid)
        assert f"{stem}.pdf" in names and f"{stem}.png" in names
        assert "/" not in stem and "\\" not in stem and stem.isascii() and not stem.startswith(".")
    assert not (out / "x.pdf").exists() and not (out.parent / "x").exists()
    assert sorted(p.name for p in out.parent.iterdir()) == ["out"]  # nothing beside it


def test_a_symlink_planted_in_out_is_not_followed(clinic_db, tmp_path):
    """An existing out/patients that links elsewhere is refused before any file is written."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "patients").symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(ReportError, match="is a symbolic link .*never written through a link"):
        report_file(clinic_db, tmp_path / "out", patient="P001", as_of=TODAY, stderr=io.StringIO())
    assert list(elsewhere.iterdir()) == []


def test_rerun_on_unchanged_data_gives_byte_identical_files(first_run, clinic_db, tmp_path):
    """A second run (into another folder, with 2 processes) writes the same bytes in every file."""
    out, result, _ = first_run
    again = report_file(clinic_db, tmp_path / "again", as_of=TODAY, jobs=2, stderr=io.StringIO())
    first = {p.relative_to(out): p.read_bytes() for p in result.files}
    second = {p.relative_to(tmp_path / "again"): p.read_bytes() for p in again.files}
    assert (
        sorted(map(str, first.keys() - second.keys())) == []
        and sorted(map(str, second.keys() - first.keys())) == []
    ), again.failures
    assert first.keys() == second.keys()
    assert [k for k in first if first[k] != second[k]] == []


def test_one_patients_bad_data_does_not_stop_the_batch(clinic_db, tmp_path):
    """A patient whose rows cannot be read is reported; every other patient's files are written."""
    database = db.connect(clinic_db)
    data, settings = db.load_clinic(database), db.load_settings(database)
    database.conn.close()
    bad = data.assessments["patient_id"] == "P003"
    data.assessments.loc[bad.idxmax(), "taken_at"] = "not a date"
    err = io.StringIO()
    result = render_clinic(
        data, settings, "phq9", tmp_path, as_of=TODAY, stderr=err, patients=["P001", "P003", "../x"]
    )  # fewer drawings: a faster test
    assert [pid for pid, _ in result.failures] == ["P003"]
    assert "records could not be read" in result.failures[0][1]
    assert (
        "1 patient(s) could not be reported" not in err.getvalue()
    )  # render_clinic prints nothing
    written = {p.name for p in (tmp_path / "patients").iterdir()}
    assert f"{patient_stem('P003')}.pdf" not in written
    assert f"{patient_stem('P001')}.pdf" in written and f"{patient_stem('../x')}.pdf" in written
    quality = pypdf.PdfReader(tmp_path / "cohort" / "cohort_report.pdf").pages[-1].extract_text()
    assert "Patients that could not be analysed (1)" in quality and "P003" in quality


def test_a_patient_whose_drawing_fails_is_reported_and_the_rest_written(tmp_path):
    """A failure inside a worker process is caught per patient; the other reports are written."""
    from reports.batch import _render_patients
    from tests.reports.test_patient import report_input

    good, broken = report_input("P1"), report_input("P2")
    broken.cadss = [object()]  # not an assessment: drawing this patient raises
    results = sorted(
        _render_patients([good, broken, report_input("P3")], tmp_path, 2, False, io.StringIO())
    )
    assert [(pid, len(files), error is None) for pid, files, error in results] == [
        ("P1", 2, True),
        ("P2", 0, False),
        ("P3", 2, True),
    ]
    assert "report could not be drawn: AttributeError" in results[1][2]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        f"{patient_stem(p)}.{ext}" for p in ("P1", "P3") for ext in ("pdf", "png")
    )


class _DiesWhenDrawn:
    """Stands where a CADSS record goes; reading it ends the process at once (as `kill -9` would)."""

    def __getattr__(self, name):
        os._exit(9)


def test_a_worker_that_dies_is_reported_and_the_batch_ends(tmp_path):
    """A worker killed mid-patient (out of memory, `kill`): the batch ends with words, never hangs."""
    from reports.batch import WORKER_DIED, _render_patients
    from tests.reports.test_patient import report_input

    dying = report_input("P2")
    dying.cadss = [_DiesWhenDrawn()]
    items = [report_input("P1"), dying, report_input("P3")]
    answer: list = []
    worker = threading.Thread(
        target=lambda: answer.append(_render_patients(items, tmp_path, 2, False, io.StringIO())),
        daemon=True,
    )
    worker.start()
    worker.join(300)  # a guard against the hang this test is about, not a measure of speed
    assert answer, "the batch never ended after its worker died"
    results = {pid: (files, error) for pid, files, error in answer[0]}
    assert sorted(results) == ["P1", "P2", "P3"]
    assert results["P2"] == ([], WORKER_DIED)
    for pid in ("P1", "P3"):  # drawn, or named as not drawn with the same words
        files, error = results[pid]
        assert (len(files), error) == (2, None) or error == WORKER_DIED


def test_spawned_workers_write_the_same_files_as_the_main_process(tmp_path, monkeypatch):
    """Where fork is not used (macOS, Windows) spawned workers get the records and draw the same bytes."""
    import reports.batch as batch
    from tests.reports.test_patient import report_input

    items = [report_input("P1"), report_input("P2")]
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    serial = batch._render_patients(items, tmp_path / "one", 1, False, io.StringIO())
    monkeypatch.setattr(batch, "START_METHOD", "spawn")
    spawned = batch._render_patients(items, tmp_path / "two", 2, False, io.StringIO())
    assert [error for _, _, error in spawned] == [None, None]
    for _, files, _ in serial:
        for path in files:
            assert (tmp_path / "two" / path.name).read_bytes() == path.read_bytes()


def test_patient_option_writes_only_that_patient(clinic_db, tmp_path):
    """--patient writes that patient's PDF and PNG and no cohort report."""
    result = report_file(clinic_db, tmp_path, patient="a/b", as_of=TODAY, stderr=io.StringIO())
    stem = patient_stem("a/b")
    assert [p.name for p in result.files] == [f"{stem}.pdf", f"{stem}.png"]
    assert result.summary is None and not (tmp_path / "cohort").exists()


def test_cohort_only_writes_no_patient_files(clinic_db, tmp_path):
    """--cohort-only writes the cohort files and no patient folder."""
    result = report_file(clinic_db, tmp_path, cohort_only=True, as_of=TODAY, stderr=io.StringIO())
    assert len(result.files) == 9 and not (tmp_path / "patients").exists()
    assert result.summary["patients"] == 8 + len(HOSTILE_IDS)


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"patient": "NOPE"}, "no patient with id 'NOPE'"),
        ({"scale": "xyz"}, "unknown scale 'xyz'; choose one of"),
        ({"scale": "cadss"}, "not treatment response"),
        ({"jobs": 0}, "--jobs 0"),
        ({"patient": "P001", "cohort_only": True}, "cannot be combined"),
    ],
)
def test_refusals_name_the_problem_and_write_nothing(clinic_db, tmp_path, kwargs, words):
    """An unknown patient or scale, or a bad option, is refused in words and nothing is written."""
    with pytest.raises(ReportError, match=words.replace("(", r"\(")):
        report_file(clinic_db, tmp_path / "out", as_of=TODAY, stderr=io.StringIO(), **kwargs)
    assert not (tmp_path / "out").exists()


def test_a_file_as_out_is_refused(clinic_db, tmp_path):
    """--out naming a file is refused (a missing database is the shell's to refuse: reports never open it)."""
    (tmp_path / "afile").write_text("x")
    with pytest.raises(ReportError, match="is a file"):
        report_file(clinic_db, tmp_path / "afile", cohort_only=True, stderr=io.StringIO())


def test_progress_bar_only_when_asked_or_on_a_terminal_and_summary_line_always(clinic_db, tmp_path):
    """No bar on a non-terminal stderr by default, a bar when forced; the summary line always."""
    quiet, loud = io.StringIO(), io.StringIO()
    report_file(clinic_db, tmp_path / "a", patient="P001", as_of=TODAY, stderr=quiet)
    report_file(clinic_db, tmp_path / "b", patient="P001", as_of=TODAY, stderr=loud, progress=True)
    assert "patient reports [" not in quiet.getvalue()
    assert "patient reports [##############################] 1/1" in loud.getvalue()
    for text in (quiet.getvalue(), loud.getvalue()):
        assert text.strip().splitlines()[-1].startswith("report: 2 files written to ")


def test_report_files_and_folders_are_owner_only(first_run):
    """Report files hold patient data: owner-only (0600) whatever the umask, folders 0700, no temp files left."""
    out, result, _ = first_run
    assert {p.stat().st_mode & 0o777 for p in result.files} == {0o600}
    assert {p.stat().st_mode & 0o777 for p in (out / "patients", out / "cohort")} == {0o700}
    assert not [p for p in out.rglob(".tmp-*")]


def test_a_failing_cohort_report_is_reported_and_patient_files_still_written(clinic_db, tmp_path):
    """When the cohort folder cannot be written the patients' reports are still made and the failure named."""
    from reports.batch import COHORT_FAILURE

    database = db.connect(clinic_db)
    data, settings = db.load_clinic(database, patient_id="P001"), db.load_settings(database)
    database.conn.close()
    (tmp_path / "cohort").write_text("a file where the cohort folder should go")
    result = render_clinic(data, settings, "phq9", tmp_path, as_of=TODAY)
    assert [pid for pid, _ in result.failures] == [COHORT_FAILURE]
    assert result.summary is not None  # the figures were computed, only the files failed
    assert sorted(p.name for p in result.files) == [
        f"{patient_stem('P001')}.pdf",
        f"{patient_stem('P001')}.png",
    ]
