"""Check-in storage and export: migration 0007, the patient's email, audit rows, FHIR QuestionnaireResponse."""

from __future__ import annotations

import csv
import json
import sqlite3
from datetime import datetime

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

import db
from db import checkins
from outcomes import checkin as words
from outcomes.self_report import checked_answers, questions
from outcomes.validation import check_patient
from tests.web.checkin_clinic import build, days_ago, issue, stored


@pytest.fixture
def clinic(tmp_path):
    path = tmp_path / "clinic.db"
    build(path)
    return path


def send(path, link, values, scales=("phq9",)):
    database = db.connect(path)
    try:
        qs = questions(scales)
        checked = checked_answers(link.link.patient_id, qs, values, datetime.now())
        return checkins.submit_checkin(database, link.link.id, [c.values for c in checked])
    finally:
        database.conn.close()


def test_only_digests_of_the_secrets_are_stored(clinic):
    """The token has >= 128 random bits and is URL-safe; neither it nor the code is in the file."""
    link = issue(clinic)
    assert len(link.token) == 43 and words.token_shape_ok(link.token)
    assert len(link.code) == words.CODE_LENGTH
    wal = clinic.with_name(clinic.name + "-wal")
    raw = clinic.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
    assert link.token.encode() not in raw and link.code.encode() not in raw
    assert words.secret_digest(link.token).encode() in raw


def test_issue_use_expiry_and_revoke_are_audited(clinic):
    used, revoked = issue(clinic), issue(clinic, "P002")
    issue(clinic, start=days_ago(10))
    send(clinic, used, [0] * 9)
    database = db.connect(clinic)
    checkins.revoke_link(database, revoked.link.id, "Dr Test", "wrong address")
    assert checkins.expire_links(database) == 1
    assert checkins.expire_links(database) == 0  # once
    events = [
        (who, json.loads(new)["event"], reason)
        for who, new, reason in stored(
            clinic,
            "SELECT who, new_value, reason FROM audit WHERE table_name = 'checkin_links' ORDER BY id",
        )
    ]
    assert [e[1] for e in events] == ["issue", "issue", "issue", "use", "revoke", "expire"]
    assert events[3][0] == words.WEB_WHO and events[4][2] == "wrong address"
    audit = db.patient_audit(database, "P001")
    assert "checkin_links" in set(audit["table_name"])


def test_a_link_cannot_be_spent_twice_or_reopened(clinic):
    link = issue(clinic)
    send(clinic, link, [1] * 9)
    with pytest.raises(db.StorageError, match="spent"):
        send(clinic, link, [2] * 9)
    # Another tool: refused (it has no audited write path).
    conn = sqlite3.connect(clinic)
    with pytest.raises(sqlite3.DatabaseError):
        conn.execute("UPDATE checkin_links SET spent_at = NULL")
    with pytest.raises(sqlite3.DatabaseError):
        conn.execute("DELETE FROM checkin_links")
    conn.close()
    # Even the program's own write path cannot reopen a spent link.
    database = db.connect(clinic)
    with pytest.raises(sqlite3.IntegrityError, match="never reopened"):
        with db.write_transaction(database):
            database.conn.execute("UPDATE checkin_links SET spent_at = NULL")
    assert stored(clinic, "SELECT spent_at IS NOT NULL FROM checkin_links") == [(1,)]


def test_a_checkin_holds_only_its_own_patients_scores(clinic):
    link = issue(clinic)
    database = db.connect(clinic)
    other = checked_answers("P002", questions(["phq9"]), [1] * 9, datetime.now())
    with pytest.raises(db.StorageError, match="own patient"):
        checkins.submit_checkin(database, link.link.id, [c.values for c in other])
    gad = checked_answers("P001", questions(["gad7"]), [1] * 7, datetime.now())
    with pytest.raises(db.StorageError, match="own patient"):
        checkins.submit_checkin(database, link.link.id, [c.values for c in gad])
    assert stored(clinic, "SELECT count(*) FROM assessments") == [(0,)]


@pytest.mark.parametrize(
    "email, ok",
    [
        ("anna@example.org", True),
        (" anna.b+clinic@mail.example.co.uk ", True),
        ("anna@example", False),
        ("anna example@example.org", False),
        ("@example.org", False),
        ("anna@@example.org", False),
        ("anna@example.org\n", True),  # surrounding white space is trimmed
        ("anna@exa\x00mple.org", False),
        ("a" * 250 + "@example.org", False),
    ],
)
def test_patient_email_is_validated(email, ok):
    checked = check_patient({"patient_id": "P9", "email": email})
    assert checked.ok is ok, checked.problems
    if not ok:
        assert checked.problems[0].field == "email"


def test_email_is_exported_and_imported_like_the_other_patient_fields(clinic, tmp_path):
    database = db.connect(clinic)
    db.export_csv(database, tmp_path / "out")
    rows = list(csv.DictReader((tmp_path / "out" / "patients.csv").open()))
    assert [r["email"] for r in rows] == ["anna@example.org", "ben@example.org"]
    fresh = db.connect(tmp_path / "fresh.db")
    db.import_file(
        fresh, tmp_path / "out" / "patients.csv", "patients", "Dr Test", today=datetime.now().date()
    )
    assert db.get_patient(fresh, "P002")["email"] == "ben@example.org"


def test_a_bad_email_in_a_patients_csv_refuses_the_file(tmp_path):
    path = tmp_path / "patients.csv"
    path.write_text("patient_id,name,email\nP1,Ann,ann@example.org\nP2,Bo,not-an-address\n")
    database = db.connect(tmp_path / "c.db")
    with pytest.raises(db.ImportRefused, match="email"):
        db.import_file(database, path, "patients", "Dr Test", today=datetime.now().date())
    assert db.patient_count(database) == 0


def test_fhir_exports_a_checkin_as_a_questionnaire_response(clinic, tmp_path):
    """PHQ-9 (44249-1) and GAD-7 (69737-5) responses, valid R4, each the source of its Observation."""
    link = issue(clinic, scales=("phq9", "gad7"))
    send(clinic, link, [1, 2, 0, 0, 1, 0, 0, 0, 1] + [2] * 7, scales=("phq9", "gad7"))
    database = db.connect(clinic)
    bundle = db.build_bundle(database)
    Bundle.model_validate(bundle)
    responses = [
        e for e in bundle["entry"] if e["resource"]["resourceType"] == "QuestionnaireResponse"
    ]
    assert sorted(r["resource"]["questionnaire"] for r in responses) == [
        "http://loinc.org/q/44249-1",
        "http://loinc.org/q/69737-5",
    ]
    phq = next(
        r["resource"] for r in responses if r["resource"]["questionnaire"].endswith("44249-1")
    )
    QuestionnaireResponse.model_validate(phq)
    assert phq["status"] == "completed"
    assert [i["answer"][0].get("valueCoding", {}).get("code") for i in phq["item"][:9]] == list(
        "120010001"
    )
    assert phq["item"][-1]["answer"][0]["valueInteger"] == 5
    observations = [e["resource"] for e in bundle["entry"] if "derivedFrom" in e["resource"]]
    assert {o["derivedFrom"][0]["reference"] for o in observations} == {
        r["fullUrl"] for r in responses
    }
    patient = next(
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient"
    )
    assert patient["telecom"] == [{"system": "email", "value": "anna@example.org"}]
    counts = db.export_ndjson(database, tmp_path / "bulk")
    assert counts["QuestionnaireResponse"] == 2
    lines = (tmp_path / "bulk" / "QuestionnaireResponse.ndjson").read_text().splitlines()
    assert all(json.loads(x)["subject"]["reference"].startswith("Patient/") for x in lines)


def test_deidentified_export_has_no_email(clinic, tmp_path):
    link = issue(clinic)
    send(clinic, link, [1] * 9)
    database = db.connect(clinic)
    text = json.dumps(db.build_bundle(database, deidentify=True))
    assert "example.org" not in text and "Anna" not in text and "P001" not in text
    assert "QuestionnaireResponse" in text
    db.export_ndjson(database, tmp_path / "anon", deidentify=True)
    for path in (tmp_path / "anon").iterdir():
        assert "example.org" not in path.read_text()


def test_a_database_of_the_previous_release_upgrades_and_keeps_its_patients(tmp_path):
    """Built with migrations up to 0005, then opened: email is empty, links can be issued."""
    path = tmp_path / "old.db"
    handle = db.connect(path, migrate=False)
    db.apply_migrations(handle, stop_before="0007_checkin_links_and_email")
    checked = check_patient({"patient_id": "P1", "name": "Old Patient"})
    handle.conn.execute(
        "INSERT INTO patients (patient_id, created_at, created_by) VALUES ('P1', 'x', 'y')"
    )
    handle.conn.execute(
        "INSERT INTO patient_details (patient_id, name, recorded_at, recorded_by) VALUES (?, ?, 'x', 'y')",
        (checked.values["patient_id"], checked.values["name"]),
    )
    handle.conn.commit()
    handle.conn.close()
    database = db.connect(path)
    assert db.get_patient(database, "P1")["name"] == "Old Patient"
    assert db.get_patient(database, "P1")["email"] is None
    issued = checkins.issue_link(database, "P1", ["phq9"], "Dr Test", days=4)
    assert checkins.find_link(database, token=issued.token).patient_id == "P1"


def test_editing_other_details_keeps_the_email(clinic):
    """A change that does not mention the email (an older form or file) never erases it."""
    database = db.connect(clinic)
    checked = check_patient({"patient_id": "P001", "name": "Anna Example", "weight_kg": "60"})
    assert "email" not in checked.values
    db.update_patient(database, "P001", checked.values, "weighed", "Dr Test")
    assert db.get_patient(database, "P001")["email"] == "anna@example.org"
    cleared = check_patient({"patient_id": "P001", "email": ""}).values
    db.update_patient(database, "P001", cleared, "patient asked", "Dr Test")
    assert db.get_patient(database, "P001")["email"] is None
