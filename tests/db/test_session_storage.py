"""Sessions in storage: drug and course, readings written, imported and exported all or nothing.

A course has one drug, kept in `courses.drug` (clinical-spec section 11), hand-worked: the drug
recorded when a course begins is what every read uses; a session of another drug in a named course
is refused (import: with line, column, the course's drug and what is allowed; the app's writes alike);
a correction that would give a course two drugs is refused, one of a course's only session moves the
course's drug with it."""

from __future__ import annotations

from datetime import date

import pytest

import db
from outcomes.course import courses_of
from outcomes.readings import check_reading
from outcomes.timepoints import parse_timepoint
from outcomes.validation import check_infusion, check_patient

TODAY = date(2026, 3, 1)
WHO = "Dr Test"


@pytest.fixture
def database(tmp_path):
    handle = db.connect(tmp_path / "clinic.db")
    db.add_patient(
        handle, check_patient({"patient_id": "P1", "weight_kg": "70"}, TODAY).values, WHO
    )
    yield handle
    handle.close()


def add(database, when, **extra):
    checked = check_infusion({"patient_id": "P1", "date": when, **extra}, None, TODAY)
    assert checked.ok, checked.problems
    return db.add_infusion(database, checked.values, WHO)


def test_a_different_drug_starts_a_new_course(database):
    """Ketamine twice, then esketamine: the esketamine session opens course 2, the next joins it."""
    add(database, "2026-01-06T09:00", dose_mg_per_kg="0.5")
    add(database, "2026-01-08T09:00", dose_mg_per_kg="0.5")
    add(database, "2026-02-02T09:00", drug="esketamine", dose_mg="56")
    add(database, "2026-02-05T09:00", drug="esketamine", dose_mg="84")
    frame = db.load_clinic(database).infusions
    assert frame[["course", "drug"]].values.tolist() == [
        [1, "ketamine"],
        [1, "ketamine"],
        [2, "esketamine"],
        [2, "esketamine"],
    ]


def test_reading_for_a_missing_session_is_refused_naming_patient_and_time(database):
    """A reading whose session is not recorded is refused with the patient and the session time."""
    values = check_reading(
        {"patient_id": "P1", "session": "2026-02-02T09:00", "at": "2026-02-02T09:30", "spo2": "95"},
        TODAY,
    ).values
    with pytest.raises(db.NotFound, match=r"no session of patient 'P1' at 2026-02-02T09:00"):
        db.add_reading(database, values, WHO)
    add(database, "2026-02-02T09:00", dose_mg_per_kg="0.5")
    db.add_reading(database, values, WHO)
    assert db.load_clinic(database).readings["spo2"].tolist() == [95]


def test_vitals_file_is_all_or_nothing_and_round_trips(database, tmp_path):
    """One bad row refuses the whole vitals file; a good file imports, exports and re-imports as skipped."""
    add(database, "2026-02-02T09:00", dose_mg_per_kg="0.5")
    header = "patient_id,session,at,bp_systolic,bp_diastolic,spo2,sedation_moaas\n"
    bad = tmp_path / "vitals.csv"
    bad.write_text(
        header + "P1,2026-02-02T09:00,2026-02-02T09:10,130,80,97,5\n"
        "P1,2026-02-03T09:00,2026-02-03T09:10,130,80,97,5\n"
    )
    with pytest.raises(
        db.ImportRefused, match=r"line 3, column session: there is no session of patient 'P1'"
    ):
        db.import_file(database, bad, "vitals", WHO, today=TODAY)
    assert db.record_counts(database)["readings"] == 0
    bad.write_text(
        header + "P1,2026-02-02T09:00,2026-02-02T09:10,130,80,97,5\n"
        "P1,2026-02-02T09:00,2026-02-02T09:50,150,95,89,2\n"
    )
    assert db.import_file(database, bad, "vitals", WHO, today=TODAY).added == 2
    out = db.export_csv(database, tmp_path / "out")
    vitals = [p for p in out if p.name == "vitals.csv"][0]
    assert (
        vitals.read_text().splitlines()[2] == "P1,2026-02-02T09:00,2026-02-02T09:50,150,95,,89,,2,"
    )
    assert db.import_file(database, vitals, "vitals", WHO, today=TODAY).skipped == 2


def test_readings_export_as_vital_sign_observations_linked_to_their_procedure(database):
    """Each measurement is a vital-signs Observation with the spec's LOINC code, partOf the session's
    Procedure; MOAA/S uses the project's code system; the bundle validates as R4."""
    from fhir.resources.R4B.bundle import Bundle

    add(database, "2026-02-02T09:00", drug="esketamine", dose_mg="84")
    values = check_reading(
        {
            "patient_id": "P1",
            "session": "2026-02-02T09:00",
            "at": "2026-02-02T09:40",
            "bp_systolic": "150",
            "bp_diastolic": "95",
            "heart_rate": "80",
            "spo2": "93",
            "respiratory_rate": "12",
            "sedation_moaas": "3",
        },
        TODAY,
    ).values
    db.add_reading(database, values, WHO)
    bundle = db.build_bundle(database)
    Bundle.model_validate(bundle)
    resources = [e["resource"] for e in bundle["entry"]]
    (procedure,) = [r for r in resources if r["resourceType"] == "Procedure"]
    assert procedure["code"]["text"] == "Esketamine intranasal administration, 84 mg"
    vitals = [
        r
        for r in resources
        if r.get("category", [{}])[0].get("coding", [{}])[0].get("code") == "vital-signs"
    ]
    codes = sorted(c["code"] for r in vitals for c in r["code"]["coding"])
    assert codes == ["2708-6", "59408-5", "85354-9", "8867-4", "9279-1", "moaas"]
    bp = next(r for r in vitals if r["code"]["coding"][0]["code"] == "85354-9")
    assert [
        (c["code"]["coding"][0]["code"], c["valueQuantity"]["value"]) for c in bp["component"]
    ] == [("8480-6", 150), ("8462-4", 95)]
    url = next(e["fullUrl"] for e in bundle["entry"] if e["resource"] is procedure)
    assert all(r["partOf"] == [{"reference": url}] for r in vitals)


HEADER = "patient_id,date,drug,dose_mg_per_kg,dose_mg,course\n"


def session_values(when, drug="ketamine"):
    dose = (
        {"drug": "esketamine", "dose_mg": "56"}
        if drug == "esketamine"
        else {"dose_mg_per_kg": "0.5"}
    )
    checked = check_infusion({"patient_id": "P1", "date": when, **dose}, None, TODAY)
    assert checked.ok, checked.problems
    return checked.values


def courses(database):
    return database.conn.execute(
        "SELECT course, drug, begun_by_session FROM courses ORDER BY course"
    ).fetchall()


def test_each_course_records_its_drug_when_it_begins_and_reads_use_it(database):
    """Ketamine twice then esketamine: course rows 1 ketamine and 2 esketamine, begun by sessions; the
    core's course drug is the recorded one (a stored course drug wins over its first session's)."""
    db.add_infusion(database, session_values("2026-01-06T09:00"), WHO)
    db.add_infusion(database, session_values("2026-01-08T09:00"), WHO)
    db.add_infusion(database, session_values("2026-02-02T09:00", "esketamine"), WHO)
    assert courses(database) == [(1, "ketamine", 1), (2, "esketamine", 1)]
    patient = db.load_clinic(database).by_patient()["P1"]
    assert [(c.number, c.drug, c.recorded_drug) for c in courses_of(patient)] == [
        (1, "ketamine", "ketamine"),
        (2, "esketamine", "esketamine"),
    ]
    assert (
        patient.course_starts == ()
    )  # no clinician started these: the timeline shows no extra start


def test_an_import_row_naming_a_course_of_another_drug_is_refused_with_line_and_column(
    database, tmp_path
):
    """Course 1 is ketamine: an esketamine row with course 1 is refused naming the line, the column, the
    course's drug and what is allowed; nothing of the file is written."""
    db.add_infusion(database, session_values("2026-01-06T09:00"), WHO)
    path = tmp_path / "infusions.csv"
    path.write_text(
        HEADER + "P1,2026-01-08T09:00,ketamine,0.5,,1\nP1,2026-01-10T09:00,esketamine,,56,1\n"
    )
    with pytest.raises(db.ImportRefused) as refused:
        db.import_file(database, path, "infusions", WHO, today=TODAY)
    message = str(refused.value)
    assert "infusions.csv line 3, column course: course 1 is a course of ketamine" in message
    assert "leave the course out" in message and "give a course of esketamine" in message
    assert "line 2" not in message  # the good row is not blamed
    assert db.record_counts(database)["infusions"] == 1 and courses(database) == [
        (1, "ketamine", 1)
    ]


def test_two_rows_of_one_new_course_with_two_drugs_are_refused(database, tmp_path):
    """Within one file: course 2 begun by an esketamine row cannot take a ketamine row too."""
    db.add_infusion(database, session_values("2026-01-06T09:00"), WHO)
    path = tmp_path / "infusions.csv"
    path.write_text(
        HEADER + "P1,2026-02-02T09:00,esketamine,,56,2\nP1,2026-02-05T09:00,ketamine,0.5,,2\n"
    )
    with pytest.raises(
        db.ImportRefused, match=r"line 3, column course: course 2 is a course of esketamine"
    ):
        db.import_file(database, path, "infusions", WHO, today=TODAY)
    path.write_text(
        HEADER + "P1,2026-02-02T09:00,esketamine,,56,2\nP1,2026-02-05T09:00,esketamine,,84,\n"
    )
    assert db.import_file(database, path, "infusions", WHO, today=TODAY).added == 2
    assert courses(database) == [(1, "ketamine", 1), (2, "esketamine", 1)]


def test_a_course_started_for_esketamine_takes_no_ketamine_session(database, tmp_path):
    """A clinician started course 2 for esketamine: a ketamine session (app or file) is refused rather
    than left to begin course 3; an esketamine session joins course 2."""
    db.add_infusion(database, session_values("2026-01-06T09:00"), WHO)
    assert (
        db.start_course(database, "P1", parse_timepoint("2026-02-01"), WHO, drug="esketamine") == 2
    )
    with pytest.raises(
        db.StorageError, match="course 2 was started for esketamine and has no session yet"
    ):
        db.add_infusion(database, session_values("2026-02-02T09:00"), WHO)
    path = tmp_path / "infusions.csv"
    path.write_text(HEADER + "P1,2026-02-02T09:00,ketamine,0.5,,\n")
    with pytest.raises(
        db.ImportRefused, match=r"line 2, column drug: course 2 was started for esketamine"
    ):
        db.import_file(database, path, "infusions", WHO, today=TODAY)
    db.add_infusion(database, session_values("2026-02-02T09:00", "esketamine"), WHO)
    assert db.load_clinic(database).infusions["course"].tolist() == [1, 2]
    assert courses(database) == [(1, "ketamine", 1), (2, "esketamine", 0)]


def test_a_correction_cannot_give_a_course_two_drugs_but_moves_a_lone_sessions_course(database):
    """Correcting one of two ketamine sessions to esketamine is refused; correcting course 2's only
    session from esketamine to ketamine changes course 2's drug too, with an audit row."""
    first = db.add_infusion(database, session_values("2026-01-06T09:00"), WHO)
    db.add_infusion(database, session_values("2026-01-08T09:00"), WHO)
    with pytest.raises(db.StorageError, match="course 1 is a course of ketamine"):
        db.correct_infusion(
            database, first, session_values("2026-01-06T09:00", "esketamine"), "wrong drug", WHO
        )
    lone = db.add_infusion(database, session_values("2026-02-02T09:00", "esketamine"), WHO)
    db.correct_infusion(database, lone, session_values("2026-02-02T09:00"), "it was ketamine", WHO)
    assert courses(database) == [(1, "ketamine", 1), (2, "ketamine", 1)]
    (row,) = database.conn.execute(
        "SELECT old_value, new_value FROM audit WHERE table_name = 'courses' AND action = 'update'"
    ).fetchall()
    assert row == ('{"drug": "esketamine"}', '{"drug": "ketamine"}')


def test_a_course_whose_only_session_was_retracted_is_no_course(database):
    """Course 2's one session retracted: the next ketamine session joins course 1 again, as before."""
    db.add_infusion(database, session_values("2026-01-06T09:00"), WHO)
    second = db.add_infusion(database, session_values("2026-02-02T09:00", "esketamine"), WHO)
    db.retract(database, "infusion", second, "recorded for the wrong patient", WHO)
    db.add_infusion(database, session_values("2026-02-04T09:00"), WHO)
    assert db.load_clinic(database).infusions["course"].tolist() == [1, 1]
    patient = db.load_clinic(database).by_patient()["P1"]
    assert [c.number for c in courses_of(patient)] == [1]
