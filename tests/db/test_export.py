"""CSV and FHIR export: CSV re-imports with identical results; FHIR validates and de-identifies."""

from __future__ import annotations

import itertools
import json
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from fhir.resources.R4B.bundle import Bundle

import db
from outcomes.cohort import summarise
from outcomes.scales import LOCAL_CODE_SYSTEM, LOINC_SYSTEM
from outcomes.status import analyse_clinic
from outcomes_cli.cli import cli
from outcomes_cli.demo import make_demo

TODAY = date.today()
from tests.clinic import traced_statements


def invoke(db_path: Path, *args: str):
    result = CliRunner().invoke(cli, ["--db", str(db_path), *args])
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory) -> Path:
    """A demo clinic of 40 patients (seed 5), with a correction and a retraction on top."""
    path = tmp_path_factory.mktemp("export") / "clinic.db"
    database = db.connect(path)
    db.write_clinic(database, make_demo(40, 5, TODAY), "Dr Test", TODAY)
    frame = db.load_clinic(database).assessments
    first, second = frame["assessment_id"].iloc[0], frame["assessment_id"].iloc[1]
    row = frame.iloc[0]
    from outcomes.validation import check_assessment

    values = check_assessment(
        {
            "patient_id": row.patient_id,
            "date": row.taken_at,
            "scale": row.scale,
            "total": str(int(row.total)),
        },
        TODAY,
    ).values
    db.correct_assessment(
        database, int(first), values, "typed from the paper form again", "Dr Test"
    )
    db.retract(database, "assessment", int(second), "entered for the wrong patient", "Dr Test")
    database.close()
    return path


def statuses(path: Path, scale: str):
    database = db.connect(path)
    data, settings = db.load_clinic(database), db.load_settings(database)
    database.close()
    result = analyse_clinic(data, scale, settings, TODAY)
    return [s.as_json() for s in result], summarise(
        result, scale, settings.induction_sessions
    ).as_json()


def test_csv_export_reimports_with_identical_statuses_and_cohort(demo_db, tmp_path):
    """Exported CSV imported into an empty database gives the same statuses and cohort summary."""
    out = tmp_path / "csv"
    invoke(demo_db, "export", "csv", str(out))
    assert sorted(p.name for p in out.iterdir()) == [
        "assessments.csv",
        "infusions.csv",
        "patients.csv",
        "vitals.csv",
    ]
    copy = tmp_path / "copy.db"
    for kind in ("patients", "infusions", "assessments", "vitals"):
        if len((out / f"{kind}.csv").read_text().splitlines()) > 1:  # a clinic without readings
            invoke(copy, "import", kind, str(out / f"{kind}.csv"), "--confirm-unusual-doses")
    for scale in ("phq9", "madrs", "gad7"):
        before, cohort_before = statuses(demo_db, scale)
        after, cohort_after = statuses(copy, scale)

        def strip(items):  # record ids differ between databases; alert keys name them
            for s in items:
                for a in s["alerts"]:
                    a.pop("key")
            return items

        assert strip(after) == strip(before)
        assert cohort_after == cohort_before
    header = (out / "infusions.csv").read_text().splitlines()[0]
    assert "course" in header.split(",")


def test_corrected_and_retracted_records_export_as_current_values_only(demo_db, tmp_path):
    """The export holds the corrected version and leaves the retracted record out."""
    out = tmp_path / "csv"
    invoke(demo_db, "export", "csv", str(out))
    database = db.connect(demo_db)
    current = db.record_counts(database)["assessments"]
    stored = database.conn.execute("SELECT count(*) FROM assessments").fetchone()[0]
    database.close()
    lines = (out / "assessments.csv").read_text().splitlines()
    assert len(lines) - 1 == current == stored - 2


def bundle_of(path: Path, folder: Path, *flags: str) -> tuple[dict, Bundle]:
    target = folder / f"bundle{'-'.join(flags)}.json"
    invoke(path, "export", "fhir", str(target), *flags)
    data = json.loads(target.read_text())
    return data, Bundle.model_validate(data)


def vital_sign(resource: dict) -> bool:
    """Whether an Observation is a session reading (vital-signs category) rather than a score."""
    return any(c["coding"][0]["code"] == "vital-signs" for c in resource.get("category", ()))


@pytest.fixture(scope="module")
def plain_bundle(demo_db, tmp_path_factory):
    """The demo clinic's FHIR export, as JSON and as validated R4B models."""
    return bundle_of(demo_db, tmp_path_factory.mktemp("fhir"))


@pytest.fixture(scope="module")
def anon_bundle(demo_db, tmp_path_factory):
    """The demo clinic's de-identified FHIR export, as JSON and as validated R4B models."""
    return bundle_of(demo_db, tmp_path_factory.mktemp("fhir"), "--deidentify")


def test_fhir_bundle_validates_as_r4_collection(demo_db, plain_bundle):
    """The FHIR export is a valid R4 collection Bundle of Patients, Procedures and Observations."""
    data, bundle = plain_bundle
    assert bundle.type == "collection"
    kinds = {e.resource.__resource_type__ for e in bundle.entry}
    assert kinds == {"Patient", "Procedure", "Observation"}
    database = db.connect(demo_db)
    expected = db.record_counts(database)
    database.close()
    # The scores: every entry but the PHQ-9 panels and the session readings (vital signs).
    assert any(
        vital_sign(e["resource"]) for e in data["entry"]
    )  # the demo's sessions have readings
    scored = [
        e
        for e in data["entry"]
        if "hasMember" not in e["resource"] and not vital_sign(e["resource"])
    ]
    counted = {k: sum(1 for e in scored if e["resource"]["resourceType"] == k) for k in kinds}
    assert counted == {
        "Patient": expected["patients"],
        "Procedure": expected["infusions"],
        "Observation": expected["assessments"],
    }
    urls = {e["fullUrl"] for e in scored}
    panels = [e["resource"] for e in data["entry"] if "hasMember" in e["resource"]]
    assert panels and all(p["code"]["coding"][0]["code"] == "44249-1" for p in panels)
    assert all(p["hasMember"][0]["reference"] in urls for p in panels)


def test_fhir_codes_loinc_only_where_the_spec_lists_one(plain_bundle):
    """PHQ-9 and GAD-7 totals carry LOINC 44261-6 / 70274-6; MADRS and CADSS use the local system."""
    data, _ = plain_bundle
    codes = {}
    for entry in data["entry"]:
        r = entry["resource"]
        if r["resourceType"] == "Observation":
            coding = r["code"]["coding"][0]
            codes.setdefault(r["code"]["text"], (coding["system"], coding["code"]))
    assert codes["PHQ-9 total score"] == (LOINC_SYSTEM, "44261-6")
    assert codes["GAD-7 total score"] == (LOINC_SYSTEM, "70274-6")
    assert codes["MADRS total score"] == (LOCAL_CODE_SYSTEM, "madrs-total")
    assert codes["CADSS total score"] == (LOCAL_CODE_SYSTEM, "cadss-total")
    phq9 = next(
        e["resource"]
        for e in data["entry"]
        if e["resource"].get("code", {}).get("text") == "PHQ-9 total score"
        and "component" in e["resource"]
    )
    assert phq9["component"][8]["code"]["coding"][0]["code"] == "44260-8"  # item 9
    assert phq9["component"][0]["code"]["coding"][0]["system"] == LOCAL_CODE_SYSTEM


def _dates_by_patient(data: dict) -> dict[str, list[str]]:
    refs = {}
    for entry in data["entry"]:
        r = entry["resource"]
        if r["resourceType"] != "Patient":
            when = r.get("effectiveDateTime") or r.get("performedDateTime")
            refs.setdefault(r["subject"]["reference"], []).append(when[:10])
    return {k: sorted(v) for k, v in refs.items()}


def test_deidentified_fhir_drops_identifiers_and_keeps_intervals(
    demo_db, plain_bundle, anon_bundle
):
    """--deidentify removes names, birth dates and notes, pseudonymises ids and shifts dates intact."""
    plain, _ = plain_bundle
    anon, _ = anon_bundle
    text = json.dumps(anon)
    database = db.connect(demo_db)
    patients = db.load_clinic(database).patients
    database.close()
    for name in patients["name"].dropna():
        assert name not in text
    for pid in patients["patient_id"]:
        assert f'"{pid}"' not in text
    assert "birthDate" not in text and '"note"' not in text.replace(
        '"note": [{"text": "total only', ""
    )
    assert '"performer"' not in text
    # Same number of records per patient, every date moved, every interval kept.
    plain_dates = sorted(_dates_by_patient(plain).values(), key=len)
    anon_dates = sorted(_dates_by_patient(anon).values(), key=len)
    assert [len(d) for d in plain_dates] == [len(d) for d in anon_dates]

    def gaps(days):
        parsed = [date.fromisoformat(d) for d in days]
        return [(b - a).days for a, b in itertools.pairwise(parsed)]

    assert sorted(map(gaps, _dates_by_patient(plain).values())) == sorted(
        map(gaps, _dates_by_patient(anon).values())
    )
    assert set(_dates_by_patient(plain)).isdisjoint(_dates_by_patient(anon))


def test_pseudonyms_are_stable_between_exports(demo_db, anon_bundle, tmp_path):
    """Two de-identified exports of one database give every patient the same pseudonym and shift."""
    first, _ = anon_bundle
    second_path = tmp_path / "again.json"
    invoke(demo_db, "export", "fhir", str(second_path), "--deidentify")
    second = json.loads(second_path.read_text())
    ids = lambda b: [
        e["resource"]["identifier"][0]["value"]
        for e in b["entry"]  # noqa: E731
        if e["resource"]["resourceType"] == "Patient"
    ]
    assert ids(first) == ids(second) and all(i.startswith("anon-") for i in ids(first))
    assert _dates_by_patient(first) == _dates_by_patient(second)


@pytest.fixture(scope="module")
def ndjson_files(demo_db, tmp_path_factory) -> dict[str, list[dict]]:
    """The demo clinic's FHIR Bulk Data export, one list of resources per file."""
    out = tmp_path_factory.mktemp("bulk") / "ndjson"
    result = invoke(demo_db, "export", "ndjson", str(out))
    assert "Patient" in result.output
    assert sorted(p.name for p in out.iterdir()) == [
        "Observation.ndjson",
        "Patient.ndjson",
        "Procedure.ndjson",
    ]
    assert {oct(p.stat().st_mode & 0o777) for p in out.iterdir()} == {"0o600"}
    return {
        p.stem: [json.loads(line) for line in p.read_text().splitlines()] for p in out.iterdir()
    }


def test_ndjson_export_validates_every_resource_and_resolves_every_reference(demo_db, ndjson_files):
    """Each line of each Bulk Data file is one valid R4 resource of that file's type; references
    are relative (`Type/id`) and point at a resource in the files."""
    from fhir.resources.R4B import get_fhir_model_class

    ids = set()
    for kind, resources in ndjson_files.items():
        model = get_fhir_model_class(kind)
        for resource in resources:
            assert resource["resourceType"] == kind
            model.model_validate(resource)
            ids.add(f"{kind}/{resource['id']}")
    database = db.connect(demo_db)
    expected = db.record_counts(database)
    database.close()
    observations = ndjson_files["Observation"]
    assert len(ndjson_files["Patient"]) == expected["patients"]
    assert len(ndjson_files["Procedure"]) == expected["infusions"]
    assert (
        sum("hasMember" not in o and not vital_sign(o) for o in observations)
        == expected["assessments"]
    )
    references = [r["subject"]["reference"] for r in ndjson_files["Procedure"] + observations]
    references += [
        m["reference"] for o in observations for m in o.get("hasMember", []) + o.get("partOf", [])
    ]
    assert any(o.get("partOf") for o in observations) and any(
        o.get("hasMember") for o in observations
    )
    assert all(ref in ids for ref in references)


def test_ndjson_holds_the_same_resources_as_the_bundle(plain_bundle, ndjson_files):
    """The Bulk Data files and the Bundle carry the same resources, references aside."""
    data, _ = plain_bundle

    def without_references(resource: dict) -> str:
        text = json.dumps(resource, sort_keys=True)
        for marker in ("urn:uuid:", "Patient/", "Procedure/", "Observation/"):
            text = text.replace(marker, "")
        return text

    bundled = sorted(without_references(e["resource"]) for e in data["entry"])
    bulk = sorted(without_references(r) for resources in ndjson_files.values() for r in resources)
    assert bulk == bundled


def test_deidentified_ndjson_leaves_out_names_and_ids(demo_db, tmp_path):
    """`export ndjson --deidentify` carries no name, birth date or patient id."""
    out = tmp_path / "anon"
    invoke(demo_db, "export", "ndjson", str(out), "--deidentify")
    text = "".join(p.read_text() for p in out.iterdir())
    database = db.connect(demo_db)
    patients = db.load_clinic(database).patients
    database.close()
    assert all(name not in text for name in patients["name"].dropna())
    assert all(f'"{pid}"' not in text for pid in patients["patient_id"])
    assert "birthDate" not in text and "anon-" in text


def test_ndjson_export_refuses_a_folder_holding_its_files(demo_db, tmp_path):
    """An existing Patient.ndjson is never overwritten: the export is refused and writes nothing."""
    out = tmp_path / "taken"
    out.mkdir()
    (out / "Patient.ndjson").write_text("kept\n")
    result = CliRunner().invoke(cli, ["--db", str(demo_db), "export", "ndjson", str(out)])
    assert result.exit_code == 1
    assert "already holds Patient.ndjson" in result.output
    assert sorted(p.name for p in out.iterdir()) == ["Patient.ndjson"]
    assert (out / "Patient.ndjson").read_text() == "kept\n"


def test_streamed_exports_read_the_clinic_in_chunks_not_per_patient(demo_db, tmp_path, monkeypatch):
    """The FHIR and CSV exports read a clinic with a fixed number of queries per chunk of patients."""
    import db.reads

    monkeypatch.setattr(db.reads, "CHUNK_PATIENTS", 16)  # 40 patients: three chunks
    statements = traced_statements(monkeypatch)
    for args in (
        ("fhir", str(tmp_path / "b.json")),
        ("ndjson", str(tmp_path / "nd")),
        ("csv", str(tmp_path / "c")),
    ):
        statements.clear()
        invoke(demo_db, "export", *args)
        reads = [
            s
            for s in statements
            if s.lstrip().upper().startswith("SELECT") and "sqlite_master" not in s
        ]
        assert 3 <= len(reads) < 40, (args, len(reads))


def test_csv_export_failing_part_way_into_a_new_folder_refuses_and_leaves_no_folder(
    demo_db, tmp_path, monkeypatch
):
    """A full disk on the third file: the command refuses in words and the folder it made is gone."""
    import db.csv_io as csv_io

    real = csv_io.export_rows

    def fails_on_assessments(database, kind):
        if kind == "assessments":
            raise OSError(28, "No space left on device")
        return real(database, kind)

    monkeypatch.setattr(csv_io, "export_rows", fails_on_assessments)
    target = tmp_path / "export"
    result = CliRunner().invoke(cli, ["--db", str(demo_db), "export", "csv", str(target)])
    assert result.exit_code != 0
    assert "Traceback" not in result.output and "NameError" not in result.output
    assert "space" in result.output.lower() or "full" in result.output.lower(), result.output
    assert not target.exists()
