"""Sessions in storage: drug and course, readings written, imported and exported all or nothing."""

from __future__ import annotations

from datetime import date

import pytest

import db
from outcomes.readings import check_reading
from outcomes.validation import check_infusion, check_patient

TODAY = date(2026, 3, 1)
WHO = "Dr Test"


@pytest.fixture
def database(tmp_path):
    handle = db.connect(tmp_path / "clinic.db")
    db.add_patient(handle, check_patient({"patient_id": "P1", "weight_kg": "70"}, TODAY).values, WHO)
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
        [1, "ketamine"], [1, "ketamine"], [2, "esketamine"], [2, "esketamine"]]


def test_reading_for_a_missing_session_is_refused_naming_patient_and_time(database):
    """A reading whose session is not recorded is refused with the patient and the session time."""
    values = check_reading({"patient_id": "P1", "session": "2026-02-02T09:00", "at": "2026-02-02T09:30",
                            "spo2": "95"}, TODAY).values
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
    bad.write_text(header + "P1,2026-02-02T09:00,2026-02-02T09:10,130,80,97,5\n"
                   "P1,2026-02-03T09:00,2026-02-03T09:10,130,80,97,5\n")
    with pytest.raises(db.ImportRefused, match=r"line 3, column session: there is no session of patient 'P1'"):
        db.import_file(database, bad, "vitals", WHO, today=TODAY)
    assert db.record_counts(database)["readings"] == 0
    bad.write_text(header + "P1,2026-02-02T09:00,2026-02-02T09:10,130,80,97,5\n"
                   "P1,2026-02-02T09:00,2026-02-02T09:50,150,95,89,2\n")
    assert db.import_file(database, bad, "vitals", WHO, today=TODAY).added == 2
    out = db.export_csv(database, tmp_path / "out")
    vitals = [p for p in out if p.name == "vitals.csv"][0]
    assert vitals.read_text().splitlines()[2] == "P1,2026-02-02T09:00,2026-02-02T09:50,150,95,,89,,2,"
    assert db.import_file(database, vitals, "vitals", WHO, today=TODAY).skipped == 2


def test_readings_export_as_vital_sign_observations_linked_to_their_procedure(database):
    """Each measurement is a vital-signs Observation with the spec's LOINC code, partOf the session's
    Procedure; MOAA/S uses the project's code system; the bundle validates as R4."""
    from fhir.resources.R4B.bundle import Bundle

    add(database, "2026-02-02T09:00", drug="esketamine", dose_mg="84")
    values = check_reading({"patient_id": "P1", "session": "2026-02-02T09:00", "at": "2026-02-02T09:40",
                            "bp_systolic": "150", "bp_diastolic": "95", "heart_rate": "80", "spo2": "93",
                            "respiratory_rate": "12", "sedation_moaas": "3"}, TODAY).values
    db.add_reading(database, values, WHO)
    bundle = db.build_bundle(database)
    Bundle.model_validate(bundle)
    resources = [e["resource"] for e in bundle["entry"]]
    (procedure,) = [r for r in resources if r["resourceType"] == "Procedure"]
    assert procedure["code"]["text"] == "Esketamine intranasal administration, 84 mg"
    vitals = [r for r in resources if r.get("category", [{}])[0].get("coding", [{}])[0].get("code") == "vital-signs"]
    codes = sorted(c["code"] for r in vitals for c in r["code"]["coding"])
    assert codes == ["2708-6", "59408-5", "85354-9", "8867-4", "9279-1", "moaas"]
    bp = next(r for r in vitals if r["code"]["coding"][0]["code"] == "85354-9")
    assert [(c["code"]["coding"][0]["code"], c["valueQuantity"]["value"]) for c in bp["component"]] == [
        ("8480-6", 150), ("8462-4", 95)]
    url = next(e["fullUrl"] for e in bundle["entry"] if e["resource"] is procedure)
    assert all(r["partOf"] == [{"reference": url}] for r in vitals)
