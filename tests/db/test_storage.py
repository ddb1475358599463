"""Storage on real SQLite files: set-up, current-row reads, corrections, retractions, audit, guards."""

from __future__ import annotations

import sqlite3
from datetime import date

import pytest

import db
from outcomes.records import ASSESSMENT_COLUMNS, COURSE_COLUMNS, INFUSION_COLUMNS, PATIENT_COLUMNS
from outcomes.status import analyse_patient
from outcomes.timepoints import parse_timepoint
from outcomes.validation import check_assessment, check_infusion, check_patient

TODAY = date(2026, 3, 1)
WHO = "Dr Test"


@pytest.fixture
def database(tmp_path):
    """A fresh database in a new folder, with one patient P001."""
    handle = db.connect(tmp_path / "data" / "clinic.db")
    db.add_patient(
        handle,
        check_patient(
            {"patient_id": "P001", "name": "Alice Example", "weight_kg": "70"}, TODAY
        ).values,
        WHO,
    )
    yield handle
    handle.close()


def infusion(database, when, dose="0.5", course=None):
    values = check_infusion(
        {"patient_id": "P001", "date": when, "dose_mg_per_kg": dose}, None, TODAY
    ).values
    return db.add_infusion(database, values, WHO, course=course)


def phq9(database, when, total, **extra):
    values = check_assessment(
        {"patient_id": "P001", "date": when, "scale": "phq9", "total": str(total)}, TODAY
    ).values
    return db.add_assessment(database, values, WHO, **extra)


def test_new_database_is_owner_only_wal_with_foreign_keys_and_timeout(tmp_path):
    """A new file is 0600 in a new 0700 folder; the connection has WAL, foreign keys and a busy timeout."""
    path = tmp_path / "deep" / "er" / "clinic.db"
    handle = db.connect(path)
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert oct(path.parent.stat().st_mode & 0o777) == "0o700"
    assert oct(path.parent.parent.stat().st_mode & 0o777) == "0o700"
    conn = handle.conn
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000
    handle.close()


def test_default_path_follows_the_environment(monkeypatch, tmp_path):
    """$OUTCOMES_DB names the database; without it the platform data folder is used."""
    monkeypatch.setenv("OUTCOMES_DB", str(tmp_path / "x.db"))
    assert db.default_path() == tmp_path / "x.db"
    monkeypatch.delenv("OUTCOMES_DB")
    assert db.default_path().name == "outcomes.db" and "ketamine-outcomes" in str(db.default_path())


def test_a_file_that_is_not_a_database_is_refused(tmp_path):
    """Opening a text file as the database raises a clear StorageError and leaves it alone."""
    path = tmp_path / "notes.db"
    path.write_text("shopping list\n" * 20)
    with pytest.raises(db.StorageError, match="not an SQLite database"):
        db.connect(path)
    assert path.read_text().startswith("shopping list")


def test_frames_have_exactly_the_record_columns(database):
    """load_clinic hands back frames with exactly the *_COLUMNS of outcomes.records."""
    infusion(database, "2026-01-06T10:00")
    phq9(database, "2026-01-05", 20)
    db.start_course(database, "P001", parse_timepoint("2026-02-01"), WHO)
    data = db.load_clinic(database)
    assert tuple(data.patients.columns) == PATIENT_COLUMNS
    assert tuple(data.courses.columns) == COURSE_COLUMNS
    assert tuple(data.infusions.columns) == INFUSION_COLUMNS
    assert tuple(data.assessments.columns) == ASSESSMENT_COLUMNS
    assert data.infusions["given_at"].tolist() == ["2026-01-06T10:00"]
    assert data.assessments["taken_at"].tolist() == ["2026-01-05"]


def test_courses_number_from_one_and_start_course_opens_the_next(database):
    """The first infusion is course 1; after start_course the next infusion is course 2."""
    infusion(database, "2026-01-06")
    assert (
        db.start_course(database, "P001", parse_timepoint("2026-02-10"), WHO, note="relapse") == 2
    )
    infusion(database, "2026-02-11")
    frame = db.load_clinic(database).infusions
    assert frame["course"].tolist() == [1, 2]


def test_correction_supersedes_and_reads_return_the_new_version(database):
    """A corrected assessment reads back with its new total; the old row stays stored, superseded."""
    first = phq9(database, "2026-01-05", 20)
    values = check_assessment(
        {"patient_id": "P001", "date": "2026-01-05", "scale": "phq9", "total": "18"}, TODAY
    ).values
    new = db.correct_assessment(database, first, values, "misread the form", WHO)
    frame = db.load_clinic(database).assessments
    assert frame["assessment_id"].tolist() == [new] and frame["total"].tolist() == [18]
    old = database.conn.execute(
        "SELECT total, superseded_by FROM assessments WHERE id = ?", (first,)
    ).fetchone()
    assert old == (20, new)
    history = db.history(database, "assessment", new)
    assert history["action"].tolist() == ["create", "correct"]
    assert history["reason"].tolist()[-1] == "misread the form"
    assert (
        '"total": 20' in history["old_value"].tolist()[-1]
        and '"total": 18' in history["new_value"].tolist()[-1]
    )
    with pytest.raises(db.StorageError, match="already corrected"):
        db.correct_assessment(database, first, values, "again", WHO)


def test_second_assessment_of_a_scale_at_the_same_time_is_refused(database):
    """PHQ-9 20 on 5 Jan, then PHQ-9 18 on 5 Jan: refused as the importer refuses it, nothing written."""
    phq9(database, "2026-01-05", 20)
    before = database.conn.execute("SELECT count(*) FROM audit").fetchone()
    with pytest.raises(db.StorageError) as refused:
        phq9(database, "2026-01-05", 18)
    assert str(refused.value) == (
        "a PHQ-9 of P001 at 2026-01-05 is already recorded; correct the stored record instead"
    )
    assert db.load_clinic(database).assessments["total"].tolist() == [20]
    assert database.conn.execute("SELECT count(*) FROM audit").fetchone() == before
    # Another scale at the same time, or the same scale another day, is a record of its own.
    values = check_assessment(
        {"patient_id": "P001", "date": "2026-01-05", "scale": "gad7", "total": "9"}, TODAY
    ).values
    db.add_assessment(database, values, WHO)
    phq9(database, "2026-01-06", 18)


def test_retraction_needs_a_reason_and_hides_the_record(database):
    """A retracted infusion is out of every read, kept in the table, and audited with its reason."""
    inf = infusion(database, "2026-01-06")
    with pytest.raises(db.StorageError, match="reason"):
        db.retract(database, "infusion", inf, "  ", WHO)
    db.retract(database, "infusion", inf, "wrong patient", WHO)
    assert db.load_clinic(database).infusions.empty
    assert database.conn.execute("SELECT retract_reason FROM infusions").fetchone() == (
        "wrong patient",
    )
    assert db.history(database, "infusion", inf)["action"].tolist() == ["create", "retract"]


def test_clinical_values_cannot_be_changed_or_deleted_in_place(database):
    """Triggers refuse an UPDATE of a clinical value and any DELETE, even through raw SQL."""
    a = phq9(database, "2026-01-05", 20)
    with pytest.raises(sqlite3.IntegrityError, match="never changed in place"):
        database.conn.execute("UPDATE assessments SET total = 3 WHERE id = ?", (a,))
    with pytest.raises(sqlite3.IntegrityError, match="never deleted"):
        database.conn.execute("DELETE FROM assessments WHERE id = ?", (a,))
    with pytest.raises(sqlite3.IntegrityError, match="never changed"):
        database.conn.execute("DELETE FROM audit")


@pytest.mark.parametrize(
    "sql",
    [
        "INSERT INTO assessments (patient_id, taken_at, scale, items, total, total_only, recorded_at, recorded_by)"
        " VALUES ('P001', '2026-01-05', 'phq9', NULL, 28, 1, 'now', 'x')",
        "INSERT INTO assessments (patient_id, taken_at, scale, items, total, total_only, recorded_at, recorded_by)"
        " VALUES ('P001', '2026-01-05', 'phq9', '1 1 1', 3, 0, 'now', 'x')",
        "INSERT INTO assessments (patient_id, taken_at, scale, items, total, total_only, recorded_at, recorded_by)"
        " VALUES ('P001', '05/01/2026', 'phq9', NULL, 3, 1, 'now', 'x')",
        "INSERT INTO assessments (patient_id, taken_at, scale, items, total, total_only, recorded_at, recorded_by)"
        " VALUES ('P404', '2026-01-05', 'phq9', NULL, 3, 1, 'now', 'x')",
        "INSERT INTO infusions (patient_id, course, given_at, dose_mg_per_kg, recorded_at, recorded_by)"
        " VALUES ('P001', 1, '2026-01-05', 5.0, 'now', 'x')",
        "INSERT INTO infusions (patient_id, course, given_at, dose_mg_per_kg, recorded_at, recorded_by)"
        " VALUES ('P001', 1, '2026-01-05', 1.5, 'now', 'x')",
        "INSERT INTO infusions (patient_id, course, given_at, dose_mg_per_kg, bp_systolic_pre, recorded_at,"
        " recorded_by) VALUES ('P001', 1, '2026-01-05', 0.5, 999, 'now', 'x')",
    ],
    ids=[
        "total-range",
        "item-count",
        "day-first",
        "unknown-patient",
        "dose-refused",
        "dose-unconfirmed",
        "systolic-range",
    ],
)
def test_check_constraints_guard_behind_validation(database, sql):
    """Out-of-range rows that slip past validation are refused by the schema itself."""
    with pytest.raises(sqlite3.IntegrityError):
        database.conn.execute(sql)


def test_acknowledgement_is_kept_and_marks_the_alert(database):
    """An acknowledged suicidality alert reads back as acknowledged, with who, when and note."""
    values = check_assessment(
        {"patient_id": "P001", "date": "2026-01-05", "scale": "phq9", "items": "2 2 2 2 2 2 2 2 1"},
        TODAY,
    ).values
    db.add_assessment(database, values, WHO)
    infusion(database, "2026-01-06")
    data = db.load_clinic(database)
    status = analyse_patient(data.by_patient()["P001"], "phq9", db.load_settings(database), TODAY)
    key = status.alerts[0].key
    db.acknowledge_alert(database, "P001", key, WHO, "safety plan reviewed")
    data = db.load_clinic(database, patient_id="P001")
    assert key in data.acknowledged
    acks = db.acknowledgements(database, "P001")
    assert acks[["alert_key", "who", "note"]].values.tolist() == [
        [key, WHO, "safety plan reviewed"]
    ]


def test_settings_are_validated_stored_and_audited(database):
    """A valid setting is stored and read back; a bad one raises SettingError and changes nothing."""
    db.set_setting(database, "baseline_window_days", "14", WHO)
    assert db.load_settings(database).baseline_window_days == 14
    from outcomes.settings import SettingError

    with pytest.raises(SettingError):
        db.set_setting(database, "baseline_window_days", "-3", WHO)
    with pytest.raises(SettingError):
        db.set_setting(database, "no_such_setting", "1", WHO)
    assert db.load_settings(database).baseline_window_days == 14
    history = db.history(database, "setting", "baseline_window_days")
    assert history["new_value"].tolist() == ['"14"']


def test_update_patient_keeps_the_old_details(database):
    """A patient's new weight supersedes the old one, which stays stored and audited."""
    db.update_patient(database, "P001", {"weight_kg": 72.5}, "weighed today", WHO)
    assert db.get_patient(database, "P001")["weight_kg"] == 72.5
    versions = database.conn.execute("SELECT weight_kg FROM patient_details ORDER BY id").fetchall()
    assert versions == [(70.0,), (72.5,)]
    assert db.history(database, "patient", "P001")["action"].tolist() == ["create", "update"]


def test_unknown_patient_is_refused_with_a_clear_message(database):
    """Adding an assessment for an unknown patient raises NotFound naming the id."""
    values = check_assessment(
        {"patient_id": "P999", "date": "2026-01-05", "scale": "phq9", "total": "3"}, TODAY
    ).values
    with pytest.raises(db.NotFound, match="P999"):
        db.add_assessment(database, values, WHO)


def test_cadss_taken_at_an_infusion_keeps_the_link(database):
    """A CADSS rating stored with an infusion id reads back linked to that infusion."""
    inf = infusion(database, "2026-01-06T10:00")
    values = check_assessment(
        {"patient_id": "P001", "date": "2026-01-06T10:50", "scale": "cadss", "total": "12"}, TODAY
    ).values
    db.add_assessment(database, values, WHO, infusion_id=inf)
    assert db.load_clinic(database).assessments["infusion_id"].tolist() == [inf]


def test_load_clinic_of_ten_thousand_patients_reads_every_record_in_a_few_queries(tmp_path):
    """10,000 patients with 21 records each load whole, in a handful of queries (none per patient).

    How fast is `bench/bench_core.py`'s and `bench/bench_scale.py`'s business
    (ratios against a baseline in the same run), never a timed test.
    """
    handle = db.connect(tmp_path / "big.db")
    conn = handle.conn
    with conn:
        conn.executemany(
            "INSERT INTO patients VALUES (?, 'now', 'x')", [(f"P{p:05d}",) for p in range(10_000)]
        )
        conn.executemany(
            "INSERT INTO patient_details (patient_id, recorded_at, recorded_by) VALUES (?, 'now', 'x')",
            [(f"P{p:05d}",) for p in range(10_000)],
        )
        conn.executemany(
            "INSERT INTO infusions (patient_id, course, given_at, dose_mg_per_kg, recorded_at, recorded_by)"
            " VALUES (?, 1, ?, 0.5, 'now', 'x')",
            [(f"P{p:05d}", f"2026-01-{d + 1:02d}T10:00") for p in range(10_000) for d in range(6)],
        )
        conn.executemany(
            "INSERT INTO assessments (patient_id, taken_at, scale, items, total, total_only, recorded_at,"
            " recorded_by) VALUES (?, ?, 'phq9', '1 1 1 1 1 1 1 1 0', 8, 0, 'now', 'x')",
            [(f"P{p:05d}", f"2026-01-{d + 1:02d}") for p in range(10_000) for d in range(15)],
        )
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    data = db.load_clinic(handle)
    conn.set_trace_callback(None)
    handle.close()
    assert len(data.patients) == 10_000 and len(data.infusions) + len(data.assessments) == 210_000
    reads = [s for s in statements if s.lstrip().upper().startswith(("SELECT", "WITH"))]
    assert 0 < len(reads) < 20, reads


from hypothesis import HealthCheck, given  # noqa: E402
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from outcomes.scales import SCALES  # noqa: E402


@st.composite
def assessments(draw):
    scale = SCALES[draw(st.sampled_from(sorted(SCALES)))]
    items = [draw(st.integers(0, top)) for top in scale.item_max]
    day = draw(st.dates(date(2020, 1, 1), date(2026, 2, 28)))
    timed = draw(st.booleans())
    when = (
        f"{day.isoformat()}T{draw(st.integers(0, 23)):02d}:{draw(st.integers(0, 59)):02d}"
        if timed
        else day.isoformat()
    )
    total_only = draw(st.booleans())
    raw = {
        "patient_id": "P001",
        "date": when,
        "scale": scale.id,
        "items": "" if total_only else " ".join(map(str, items)),
        "total": str(scale.total(items)),
        "rater": draw(st.sampled_from(["", "self", "Dr Ö'Brien, MD"])),
    }
    return raw


@hsettings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(raw=assessments())
def test_any_valid_assessment_reads_back_as_it_was_checked(database, raw):
    """Whatever valid assessment goes in through validation comes back from load_clinic unchanged."""
    checked = check_assessment(raw, TODAY)
    assert checked.ok, checked.problems
    frame = db.load_clinic(database).assessments
    taken = checked.values["date"].iso()
    if ((frame["scale"] == raw["scale"]) & (frame["taken_at"] == taken)).any():
        # Drawn before on this database: a second score then is refused (clinical-spec 9).
        with pytest.raises(db.StorageError, match="already recorded"):
            db.add_assessment(database, checked.values, WHO)
        return
    new_id = db.add_assessment(database, checked.values, WHO)
    frame = db.load_clinic(database).assessments
    row = frame[frame["assessment_id"] == new_id].iloc[0]
    assert row.taken_at == checked.values["date"].iso()
    assert row.total == checked.values["total"]
    expected_items = (
        None if checked.values["items"] is None else " ".join(map(str, checked.values["items"]))
    )
    assert (
        None if row["items"] is None or row["items"] != row["items"] else row["items"]
    ) == expected_items
    assert (row.rater if isinstance(row.rater, str) else None) == checked.values["rater"]
