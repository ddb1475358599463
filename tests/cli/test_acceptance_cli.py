"""Acceptance audit: the real `outcomes` command against interface.md and clinical-spec.md.

Every expected number below was worked out by hand from the two documents,
on small CSV files written here, imported through the `outcomes` command (run
in this process by click's `CliRunner`) into fresh SQLite files.
"""

from __future__ import annotations

import json
import subprocess
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from outcomes_cli.cli import cli

#: Set for each command (None unsets): the clinician of every change, and no $OUTCOMES_DB.
ENV = {"OUTCOMES_USER": "Acceptance Tester", "OUTCOMES_DB": None}


def run(db, *args, env=None) -> subprocess.CompletedProcess:
    """`outcomes --db DB ARGS`, run in this process through click's `CliRunner`.

    The command line is parsed and run as the console script runs it (exit
    status, stdout and stderr apart); only starting a new Python is saved.
    `tests/cli/test_end_to_end.py` runs the real console script in processes
    of its own. An exception that escapes the command fails the test here
    instead of passing as exit status 1.
    """
    argv = [*(["--db", str(db)] if db is not None else []), *map(str, args)]
    result = CliRunner().invoke(cli, argv, env=env or ENV, prog_name="outcomes")
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return subprocess.CompletedProcess(argv, result.exit_code, result.stdout, result.stderr)


def run_many(db, argv_list) -> list[subprocess.CompletedProcess]:
    """Several `outcomes` commands on one database, in order."""
    return [run(db, *args) for args in argv_list]


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text.strip() + "\n", encoding="utf-8")
    return path


def load(db, folder: Path, patients: str, infusions: str, assessments: str) -> None:
    """Import the three CSV texts in order; each import must succeed."""
    for kind, text in (
        ("patients", patients),
        ("infusions", infusions),
        ("assessments", assessments),
    ):
        done = run(db, "import", kind, write(folder, f"{kind}.csv", text))
        assert done.returncode == 0, done.stderr


def status(db, pid, *extra):
    done = run(db, "status", pid, "--json", *extra)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def statuses(db, pids, *extra):
    """status --json of several patients, run in parallel."""
    done = run_many(db, [("status", p, "--json", *extra) for p in pids])
    for d in done:
        assert d.returncode == 0, d.stderr
    return {p: json.loads(d.stdout) for p, d in zip(pids, done, strict=False)}


def cohort(db, out: Path, *extra):
    done = run(db, "report", "--out", out, "--cohort-only", "--json", *extra)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


# --------------------------------------------------------------------------------------------
# The standard induction used by the hand-worked cases: 6 infusions, day 0 of relief = 2026-01-16.
INDUCTION = ("2026-01-05", "2026-01-07", "2026-01-09", "2026-01-12", "2026-01-14", "2026-01-16")


def infusion_rows(pid, days=INDUCTION):
    return "\n".join(f"{pid},{d},0.5" for d in days)


RECENT = [(date.today() - timedelta(days=n)).isoformat() for n in (6, 4, 3)]

COHORT_PATIENTS = "patient_id\nR1\nR2\nR3\nN1\nN2\nI1\nP1\nB0"
COHORT_INFUSIONS = "\n".join(
    [
        "patient_id,date,dose_mg_per_kg",
        infusion_rows("R1"),
        infusion_rows("R2"),
        "R2,2026-01-30,0.5",
        infusion_rows("R3"),
        infusion_rows("N1"),
        infusion_rows("N2"),
        infusion_rows("I1", INDUCTION[:3]),
        infusion_rows("P1", RECENT[:2]),
        infusion_rows("B0"),
    ]
)
COHORT_ASSESSMENTS = f"""
patient_id,date,scale,items,total
R1,2026-01-05,phq9,,20
R1,2026-01-06,phq9,,18
R1,2026-01-08,phq9,,10
R1,2026-01-23,phq9,,8
R1,2026-02-05,phq9,,12
R1,2026-02-15,phq9,,9
R1,2026-02-25,phq9,,14
R1,2026-03-07,phq9,,15
R2,2026-01-01,phq9,,24
R2,2026-01-06,phq9,,20
R2,2026-01-10,phq9,,16
R2,2026-01-13,phq9,,12
R2,2026-01-20,phq9,,10
R2,2026-02-03,phq9,,8
R3,2026-01-05,phq9,,15
R3,2026-01-06,phq9,,3
R3,2026-01-17,phq9,,4
R3,2026-01-26,phq9,,5
R3,2026-02-15,phq9,,6
N1,2026-01-05,phq9,,20
N1,2026-01-06,phq9,,18
N1,2026-01-17,phq9,,16
N1,2026-01-30,phq9,,15
N2,2026-01-05,phq9,,20
N2,2026-01-20,phq9,,14
N2,2026-01-24,phq9,,13
I1,2026-01-05,phq9,,20
I1,2026-01-08,phq9,,18
P1,{RECENT[0]},phq9,,20
P1,{RECENT[2]},phq9,,16
B0,2026-01-05,phq9,,0
B0,2026-01-06,phq9,,0
"""


@pytest.fixture(scope="module")
def clinic(tmp_path_factory):
    """The hand-worked cohort of eight patients in one database."""
    folder = tmp_path_factory.mktemp("clinic")
    db = folder / "audit_clinic.db"
    load(db, folder, COHORT_PATIENTS, COHORT_INFUSIONS, COHORT_ASSESSMENTS)
    return db


@pytest.fixture(scope="module")
def clinic_status(clinic):
    """status --json of every patient of the hand-worked cohort."""
    return statuses(clinic, ["R1", "R2", "R3", "N1", "N2", "I1", "P1", "B0"])


# ------------------------------------------------------------------ commands, options, exit codes


def test_every_documented_command_has_help(tmp_path):
    """Every command and option of the interface.md table is offered by the real command."""
    top, imp, exp, rep = run_many(
        tmp_path / "x.db",
        [("--help",), ("import", "--help"), ("export", "--help"), ("report", "--help")],
    )
    for cmd in ("tui", "demo", "import", "export", "status", "report", "settings", "backup"):
        assert f"  {cmd}" in top.stdout, cmd
    assert all(k in imp.stdout for k in ("patients", "infusions", "assessments"))
    assert "csv" in exp.stdout and "fhir" in exp.stdout
    for opt in ("--out", "--patient", "--scale", "--jobs", "--cohort-only", "--json"):
        assert opt in rep.stdout


def test_usage_errors_exit_2(tmp_path):
    """A missing argument, an unknown option or an unknown scale is a usage error (exit 2)."""
    db = tmp_path / "u.db"
    cases = [("status",), ("status", "P1", "--scale", "phq10"), ("report",), ("demo", "--bogus")]
    for args, done in zip(cases, run_many(db, cases), strict=False):
        assert done.returncode == 2, args


def test_outcomes_db_environment_variable(tmp_path):
    """Without --db the command uses $OUTCOMES_DB."""
    db = tmp_path / "env.db"
    env = {**ENV, "OUTCOMES_DB": str(db)}
    done = run(None, "import", "patients", write(tmp_path, "p.csv", "patient_id\nE1"), env=env)
    assert done.returncode == 0, done.stderr
    assert db.exists() and db.stat().st_size > 0


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    """A demo clinic of 4 patients and its CSV export."""
    folder = tmp_path_factory.mktemp("demo")
    db = folder / "audit_demo.db"
    assert run(db, "demo", "--patients", "4", "--seed", "7").returncode == 0
    assert run(db, "export", "csv", folder / "exp").returncode == 0
    return db, folder / "exp"


def test_demo_refuses_non_empty_database_without_force(demo_db):
    """`demo` on a database holding patients is refused (exit 1) and adds nothing; tui --patient UNKNOWN exit 1."""
    db, _ = demo_db
    refused, fifth, tui = run_many(
        db,
        [
            ("demo", "--patients", "3", "--seed", "5"),
            ("status", "P005"),
            ("tui", "--patient", "NOPE"),
        ],
    )
    assert tui.returncode == 1 and "NOPE" in tui.stderr
    assert refused.returncode == 1 and "--force" in refused.stderr
    assert fifth.returncode == 1
    assert run(db, "status", "P004").returncode == 0


def test_export_csv_reimports_identically(demo_db, tmp_path):
    """Exported CSVs re-import into an empty db with identical status and cohort JSON; --force demo adds."""
    src, out = demo_db
    dst = tmp_path / "dst.db"
    header = {
        "patients.csv": "patient_id,name,birth_date,weight_kg,notes,email",
        "assessments.csv": "patient_id,date,scale,items,total,rater,notes",
    }
    for name, cols in header.items():
        assert (out / name).read_text().splitlines()[0] == cols
    icols = (out / "infusions.csv").read_text().splitlines()[0].split(",")
    for col in (
        "patient_id",
        "date",
        "dose_mg_per_kg",
        "route",
        "duration_min",
        "weight_kg",
        "bp_systolic_pre",
        "bp_diastolic_pre",
        "bp_systolic_post",
        "bp_diastolic_post",
        "heart_rate_pre",
        "side_effects",
        "notes",
    ):
        assert col in icols
    for kind in (
        "patients",
        "infusions",
        "assessments",
        "vitals",
    ):  # the demo's sessions have readings
        done = run(dst, "import", kind, out / f"{kind}.csv", "--confirm-unusual-doses")
        assert done.returncode == 0, done.stderr
    pids = [line.split(",")[0] for line in (out / "patients.csv").read_text().splitlines()[1:]]
    assert len(pids) == 4
    assert statuses(src, pids) == statuses(dst, pids)
    assert cohort(src, tmp_path / "r1") == cohort(dst, tmp_path / "r2")
    assert run(dst, "demo", "--patients", "2", "--seed", "9", "--force").returncode == 0


#: The vital-sign codes clinical-spec section 11 lists for session readings.
VITAL_SIGN_LOINC = {"85354-9", "8480-6", "8462-4", "8867-4", "9279-1", "2708-6", "59408-5"}


def test_fhir_bundle_types_and_loinc(demo_db, tmp_path):
    """FHIR export is a collection Bundle of Patient/Procedure/Observation; LOINC only for spec codes."""
    db, _ = demo_db
    out = tmp_path / "b.json"
    assert run(db, "export", "fhir", out).returncode == 0
    bundle = json.loads(out.read_text())
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "collection"
    kinds = {e["resource"]["resourceType"] for e in bundle["entry"]}
    assert kinds == {"Patient", "Procedure", "Observation"}
    allowed = {"44249-1", "44261-6", "44260-8", "70274-6"}
    seen = set()
    for e in bundle["entry"]:
        res = e["resource"]
        if res["resourceType"] != "Observation":
            continue
        codings = list(res["code"]["coding"])
        for comp in res.get("component", []):
            codings += comp["code"]["coding"]
        loinc = {c["code"] for c in codings if "loinc" in c["system"]}
        seen |= loinc
        if any(c["coding"][0]["code"] == "vital-signs" for c in res.get("category", ())):
            assert loinc <= VITAL_SIGN_LOINC  # a session reading (the demo's sessions have them)
            continue
        assert loinc <= allowed
        text = json.dumps(res["code"]).lower()
        if "phq" not in text and "gad" not in text:
            assert not loinc, res["code"]
    assert {"44261-6", "44260-8"} <= seen


def test_fhir_uses_phq9_panel_code(demo_db, tmp_path):
    """The PHQ-9 panel LOINC 44249-1 named by the spec appears in the FHIR export of PHQ-9 scores."""
    db, _ = demo_db
    out = tmp_path / "panel.json"
    assert run(db, "export", "fhir", out).returncode == 0
    assert '"44261-6"' in out.read_text()
    assert '"44249-1"' in out.read_text()


def test_fhir_deidentify_drops_names(demo_db, tmp_path):
    """--deidentify leaves no names, patient ids or birth dates in the bundle."""
    db, exp = demo_db
    out = tmp_path / "d.json"
    assert run(db, "export", "fhir", out, "--deidentify").returncode == 0
    text = out.read_text()
    for row in (exp / "patients.csv").read_text().splitlines()[1:]:
        pid, name, birth = row.split(",")[:3]
        assert (
            f'"{pid}"' not in text
            and name.split()[0] not in text
            and (not birth or birth not in text)
        )


def test_settings_list_read_change_validate(tmp_path):
    """`settings` lists, reads, changes a setting, and refuses a bad value (exit 1) without change.

    A missing database is refused, not created (issue 10): the clinic is made by an import first.
    """
    db = tmp_path / "s.db"
    missing = run(db, "settings", "relapse_confirmations", "2")
    assert missing.returncode == 1 and f"there is no clinic database at {db}" in missing.stderr
    assert not db.exists()
    load(
        db,
        tmp_path,
        "patient_id\nA1",
        "patient_id,date,dose_mg_per_kg\nA1,2026-01-05,0.5",
        "patient_id,date,scale,total\nA1,2026-01-05,phq9,20",
    )
    listing = run(db, "settings")
    assert listing.returncode == 0
    for key in (
        "primary_scale",
        "induction_sessions",
        "baseline_window_days",
        "verdict_window_days",
        "incomplete_after_days",
        "relapse_confirmations",
        "booster_ends_relief",
    ):
        assert key in listing.stdout
    bad, unknown = run_many(
        db, [("settings", "relapse_confirmations", "3"), ("settings", "no_such_key", "1")]
    )
    assert bad.returncode == 1 and unknown.returncode == 1 and "relapse_confirmations" in bad.stderr
    assert run(db, "settings", "relapse_confirmations").stdout.strip() == "1"
    changed = run(db, "settings", "relapse_confirmations", "2")
    assert changed.returncode == 0 and "2" in changed.stdout


# ------------------------------------------------------------------ CSV formats and refusals


def test_assessment_csv_refusals_list_every_bad_row(tmp_path):
    """One bad row refuses the file; every bad row is named with its line and column; nothing written."""
    db = tmp_path / "c.db"
    load(
        db,
        tmp_path,
        "patient_id\nA1",
        "patient_id,date,dose_mg_per_kg\nA1,2026-01-05,0.5",
        "patient_id,date,scale,total\nA1,2026-01-05,phq9,20",
    )
    bad = write(
        tmp_path,
        "bad.csv",
        """
patient_id,date,scale,items,total
A1,2026-01-06,phq9,1 1 1 1 1 1 1 1 1,9
A1,2026-01-07,phq9,1 1 1 1 1 1 1 1 1,10
A1,05/02/2026,phq9,,10
A1,2026-01-09,phq9,1 1 1,
A1,2026-01-10,phq9,,28
A1,2026-01-11,phq9,,
A1,2026-01-12,phq10,,5
""",
    )
    done = run(db, "import", "assessments", bad)
    assert done.returncode == 1
    for line, col in ((3, "total"), (4, "date"), (5, "items"), (6, "total"), (8, "scale")):
        assert f"line {line}, column {col}" in done.stderr, (line, col, done.stderr)
    assert "line 7" in done.stderr and "line 2" not in done.stderr
    assert status(db, "A1")["latest"] is None  # the good row 2 was not written either


def test_item_and_total_forms_and_datetimes(tmp_path):
    """Items alone, total alone, both agreeing, and ISO date-times (with seconds) are accepted."""
    db = tmp_path / "d.db"
    load(
        db,
        tmp_path,
        "patient_id\nA1",
        "patient_id,date,dose_mg_per_kg\nA1,2026-01-05T09:00,0.5",
        """
patient_id,date,scale,items,total
A1,2026-01-05T08:00:00,phq9,3 3 3 3 2 2 2 2 0,20
A1,2026-01-06,phq9,1 1 1 1 1 1 1 1 0,
A1,2026-01-07T10:30,phq9,,6
""",
    )
    s = status(db, "A1")
    assert s["baseline"] == {"date": "2026-01-05", "score": 20}
    assert s["latest"]["score"] == 6 and s["latest"]["date"] == "2026-01-07"


def test_infusion_csv_refusals(tmp_path):
    """Bad side effect words, routes and doses are each refused by line and column."""
    db = tmp_path / "i.db"
    run(db, "import", "patients", write(tmp_path, "p.csv", "patient_id\nA1"))
    bad = write(
        tmp_path,
        "bi.csv",
        """
patient_id,date,dose_mg_per_kg,route,side_effects
A1,2026-01-05,0.5,iv,nausea;dizziness
A1,2026-01-06,0.5,iv,nausea;itching
A1,2026-01-07,0.5,nasal,
A1,2026-01-08,0,iv,
A1,2026-01-09,2.5,iv,
""",
    )
    done = run(db, "import", "infusions", bad)
    assert done.returncode == 1
    for line, col in (
        (3, "side_effects"),
        (4, "route"),
        (5, "dose_mg_per_kg"),
        (6, "dose_mg_per_kg"),
    ):
        assert f"line {line}, column {col}" in done.stderr, (line, col, done.stderr)
    ok = write(
        tmp_path,
        "ok.csv",
        "patient_id,date,dose_mg_per_kg,route,side_effects\n"
        "A1,2026-01-05,0.5,iv,nausea;dizziness;elevated_bp\nA1,2026-01-07,0.5,intranasal,",
    )
    assert run(db, "import", "infusions", ok).returncode == 0


def test_hamd17_item_ranges(tmp_path):
    """HAM-D 17: items 1-3,7-11,15 allow 0-4, items 4-6,12-14,16-17 allow 0-2."""
    db = tmp_path / "h.db"
    run(db, "import", "patients", write(tmp_path, "p.csv", "patient_id\nH1"))
    good = "4 4 4 2 2 2 4 4 4 4 4 2 2 2 4 2 2"  # the maximum of every item: total 52
    assert (
        run(
            db,
            "import",
            "assessments",
            write(
                tmp_path,
                "g.csv",
                f"patient_id,date,scale,items,total\nH1,2026-01-05,hamd17,{good},52",
            ),
        ).returncode
        == 0
    )
    rows = ["patient_id,date,scale,items"]
    for n, item in enumerate((4, 5, 6, 12, 13, 14, 16, 17)):
        items = ["0"] * 17
        items[item - 1] = "3"
        rows.append(f"H1,2026-02-{n + 1:02d},hamd17,{' '.join(items)}")
    done = run(db, "import", "assessments", write(tmp_path, "b.csv", "\n".join(rows)))
    assert done.returncode == 1
    for item in (4, 5, 6, 12, 13, 14, 16, 17):
        assert f"item {item} " in done.stderr, item


def test_qids_total_from_items(tmp_path):
    """QIDS-SR16 total = max(1-4) + 5 + max(6-9) + 10..14 + max(15-16), not the plain sum."""
    db = tmp_path / "q.db"
    items = "3 1 0 2 2 1 3 0 0 1 0 0 1 1 0 2"  # 3 + 2 + 3 + (1+0+0+1+1) + 2 = 13; plain sum 17
    load(
        db,
        tmp_path,
        "patient_id\nQ1",
        "patient_id,date,dose_mg_per_kg\nQ1,2026-01-05,0.5",
        f"patient_id,date,scale,items\nQ1,2026-01-05,qids_sr16,{items}",
    )
    assert status(db, "Q1", "--scale", "qids_sr16")["baseline"]["score"] == 13
    done = run(
        db,
        "import",
        "assessments",
        write(
            tmp_path,
            "b.csv",
            f"patient_id,date,scale,items,total\nQ1,2026-01-06,qids_sr16,{items},17",
        ),
    )
    assert done.returncode == 1 and "column total" in done.stderr


def zeros(n, pos, value):
    """n item scores, all 0 except item `pos` = value."""
    return " ".join(str(value) if i == pos else "0" for i in range(1, n + 1))


@pytest.fixture(scope="module")
def alerts_db(tmp_path_factory):
    """Two patients with safety items on every scale; S2's rows come first in the file."""
    folder = tmp_path_factory.mktemp("alerts")
    db = folder / "audit_alerts.db"
    load(
        db,
        folder,
        "patient_id\nS1\nS2\nN9\nZ9",
        "patient_id,date,dose_mg_per_kg\nS1,2026-03-02,0.5\nS2,2026-03-02,0.5\nN9,2026-01-05,0.5\n"
        "Z9,2026-01-05,0.5\nZ9,2026-01-07,0.5",
        f"""
patient_id,date,scale,items,total
S2,2026-03-03,bdi2,{zeros(21, 9, 1)},
S2,2026-03-04,phq9,{zeros(9, 9, 1)},
S2,2026-03-05,qids_sr16,{zeros(16, 12, 1)},
S2,2026-03-06,gad7,3 3 3 3 3 3 3,
S1,2026-03-03,madrs,{zeros(10, 10, 3)},
S1,2026-03-04,madrs,{zeros(10, 10, 4)},
S1,2026-03-05,hamd17,{zeros(17, 3, 1)},
S1,2026-03-06,hamd17,{zeros(17, 3, 2)},
S1,2026-03-07,phq9,{zeros(9, 9, 0)},
N9,2026-01-05,madrs,,30
N9,2026-01-06,madrs,,10
N9,2026-01-05,hamd17,,16
N9,2026-01-06,hamd17,,7
N9,2026-01-05,qids_sr16,,12
N9,2026-01-06,qids_sr16,,5
N9,2026-01-05,bdi2,,30
N9,2026-01-06,bdi2,,13
N9,2026-01-05,gad7,,12
N9,2026-01-06,gad7,,4
Z9,2026-01-05,cadss,,20
Z9,2026-01-06,cadss,,5
""",
    )
    return db


def test_status_refuses_cadss_as_outcome(alerts_db):
    """status --scale cadss gives no response verdict for dissociation (CADSS is a side-effect measure)."""
    done = run(alerts_db, "status", "Z9", "--json", "--scale", "cadss")
    assert done.returncode == 1 or json.loads(done.stdout)["six_session_verdict"] not in (
        "responder",
        "non_responder",
    )


def test_remission_cut_of_every_scale(alerts_db):
    """A score at each scale's remission cut (MADRS 10, HAM-D 7, QIDS 5, BDI-II 13, GAD-7 4) is remission."""
    scales = ("madrs", "hamd17", "qids_sr16", "bdi2", "gad7")
    done = run_many(alerts_db, [("status", "N9", "--json", "--scale", sc) for sc in scales])
    got = {sc: json.loads(d.stdout)["status"] for sc, d in zip(scales, done, strict=False)}
    assert got == dict.fromkeys(scales, "remission")
    assert run(alerts_db, "settings", "madrs_remission_cut", "9").returncode == 0
    assert status(alerts_db, "N9", "--scale", "madrs")["status"] == "response"  # 30 -> 10 = 66.7%


def test_export_roundtrip_keeps_status_identical_when_row_order_differs(alerts_db, tmp_path):
    """status --json is identical after export csv + re-import even when rows were first entered out of order."""
    out, dst = tmp_path / "exp", tmp_path / "dst.db"
    assert run(alerts_db, "export", "csv", out).returncode == 0
    for kind in ("patients", "infusions", "assessments"):
        assert run(dst, "import", kind, out / f"{kind}.csv").returncode == 0
    before, after = status(alerts_db, "S2"), status(dst, "S2")
    assert [a["detail"] for a in before["alerts"]] == [a["detail"] for a in after["alerts"]]
    assert before == after


def test_suicidality_alerts_per_scale_and_threshold(alerts_db):
    """Each scale's safety item alerts at its threshold and not below; a 0 threshold switches one off."""
    s1, s2 = statuses(alerts_db, ["S1", "S2"]).values()
    got1 = sorted((a["date"], a["kind"], a["detail"]) for a in s1["alerts"])
    assert got1 == [
        ("2026-03-04", "suicidality_item", "MADRS item 10 = 4"),
        ("2026-03-06", "suicidality_item", "HAM-D 17 item 3 = 2"),
    ]
    got2 = sorted((a["date"], a["detail"]) for a in s2["alerts"])
    assert got2 == [
        ("2026-03-03", "BDI-II item 9 = 1"),
        ("2026-03-04", "PHQ-9 item 9 = 1"),
        ("2026-03-05", "QIDS-SR16 item 12 = 1"),
    ]
    assert all(a["kind"] == "suicidality_item" for a in s2["alerts"])
    assert run(alerts_db, "settings", "madrs_suicide_alert_min", "0").returncode == 0
    assert [a["date"] for a in status(alerts_db, "S1")["alerts"]] == ["2026-03-06"]


def test_export_with_confirmed_unusual_dose_reimports_once_confirmed_again(tmp_path):
    """An export holding a confirmed unusual dose re-imports only when the dose is confirmed again."""
    src, dst, out = tmp_path / "u.db", tmp_path / "u2.db", tmp_path / "exp"
    run(src, "import", "patients", write(tmp_path, "p.csv", "patient_id\nU1"))
    rows = write(tmp_path, "i.csv", "patient_id,date,dose_mg_per_kg\nU1,2026-01-05,1.5")
    done = run(src, "import", "infusions", rows, "--confirm-unusual-doses")
    assert done.returncode == 0, done.stderr
    assert run(src, "export", "csv", out).returncode == 0
    assert run(dst, "import", "patients", out / "patients.csv").returncode == 0
    plain = run(dst, "import", "infusions", out / "infusions.csv")
    assert plain.returncode == 1 and "--confirm-unusual-doses" in plain.stderr + plain.stdout
    confirmed = run(dst, "import", "infusions", out / "infusions.csv", "--confirm-unusual-doses")
    assert confirmed.returncode == 0, confirmed.stderr


# ------------------------------------------------------------------ status --json


def test_status_json_has_every_documented_key(clinic_status):
    """status --json has every key of the interface.md example, with the documented types."""
    s = clinic_status["R1"]
    for key in (
        "patient_id",
        "scale",
        "baseline",
        "sessions_completed",
        "latest",
        "status",
        "first_response",
        "six_session_verdict",
        "relapse",
        "relief_days",
        "relief_censored",
        "alerts",
    ):
        assert key in s, key
    assert set(s["baseline"]) >= {"date", "score"}
    assert set(s["latest"]) >= {"date", "score", "percent_change"}
    assert set(s["first_response"]) >= {"session", "date", "days_from_first_infusion"}
    assert set(s["relapse"]) >= {"date", "days_after_last_infusion"}
    assert isinstance(s["sessions_completed"], int) and isinstance(s["relief_days"], int)
    assert isinstance(s["relief_censored"], bool) and isinstance(s["alerts"], list)
    assert s["scale"] == "phq9" and s["patient_id"] == "R1"


def test_verdicts_and_statuses_of_the_cohort(clinic_status):
    """Each of the five verdicts, status categories and first response session/days, hand-worked."""
    s = clinic_status
    verdicts = {p: v["six_session_verdict"] for p, v in s.items()}
    assert verdicts == {
        "R1": "responder",
        "R2": "responder",
        "R3": "responder",
        "N1": "non_responder",
        "N2": "non_responder",
        "I1": "incomplete",
        "P1": "in_progress",
        "B0": "no_baseline",
    }
    # R1: 20 -> 10 on 2026-01-08 (after infusion 2 of 2026-01-07) = exactly 50%: response, session 2, day 3.
    assert s["R1"]["first_response"] == {
        **s["R1"]["first_response"],
        "session": 2,
        "date": "2026-01-08",
        "days_from_first_infusion": 3,
    }
    # R2: 24 -> 12 on 2026-01-13 (after infusion 4 of 2026-01-12): session 4, day 8; baseline 4 days early.
    assert s["R2"]["baseline"] == {"date": "2026-01-01", "score": 24}
    assert (
        s["R2"]["first_response"]["session"],
        s["R2"]["first_response"]["days_from_first_infusion"],
    ) == (4, 8)
    # R3: 15 -> 3: remission (<= 4) at session 1, day 1; latest 6 of 15 = 60%: response.
    assert (
        s["R3"]["first_response"]["session"],
        s["R3"]["first_response"]["days_from_first_infusion"],
    ) == (1, 1)
    assert s["R3"]["status"] == "response" and s["R3"]["latest"]["percent_change"] == 60.0
    # N1: latest 15 of 20 = exactly 25%: partial response.
    assert s["N1"]["status"] == "partial_response" and s["N1"]["first_response"] is None
    # N2: 13 of 20 = 35%.
    assert s["N2"]["status"] == "partial_response"
    assert s["I1"]["status"] == "non_response" and s["I1"]["sessions_completed"] == 3
    assert s["B0"]["status"] == "no_baseline"
    assert s["R1"]["sessions_completed"] == 6 and s["R2"]["sessions_completed"] >= 6


def test_relapse_and_booster_relief(clinic_status):
    """R1 relapses 20 days after day 0 (2026-01-16); R2's booster at day 14 ends relief; R3 censored at 30."""
    s = clinic_status
    assert s["R1"]["relapse"]["date"] == "2026-02-05"
    assert s["R1"]["relapse"]["days_after_last_infusion"] == 20
    assert (s["R1"]["relief_days"], s["R1"]["relief_censored"]) == (20, False)
    assert (s["R2"]["relief_days"], s["R2"]["relief_censored"]) == (14, False)
    assert (s["R3"]["relief_days"], s["R3"]["relief_censored"], s["R3"]["relapse"]) == (
        30,
        True,
        None,
    )


# ------------------------------------------------------------------ report --json


def test_cohort_summary_hand_worked(clinic, tmp_path):
    """The cohort JSON has the interface keys and the hand-computed figures (KM median 20)."""
    c = cohort(clinic, tmp_path / "rep")
    assert (c["patients"], c["with_baseline"], c["scale"]) == (8, 7, "phq9")
    assert c["responders_by_session"] == {"1": 1, "2": 2, "3": 2, "4": 3, "5": 3, "6": 3}
    assert c["response_rate_6"] == pytest.approx(3 / 5)
    assert c["response_rate_itt"] == pytest.approx(3 / 6)
    assert c["remission_rate_6"] == pytest.approx(1 / 5)
    # KM over R2 event 14, R1 event 20, R3 censored 30: S = 1, 2/3, 1/3.
    assert c["median_relief_days"] == 20
    r = c["relief_at_days"]
    assert set(r) == {"7", "14", "30", "60", "90"}
    assert (r["7"], r["14"], r["30"]) == pytest.approx((1.0, 2 / 3, 1 / 3), abs=1e-3)
    assert r["60"] is None and r["90"] is None


def test_settings_change_relapse_and_booster_rules(tmp_path, clinic, clinic_status):
    """On a backup: relapse_confirmations 2 moves R1's relapse to day 40; booster_ends_relief false censors R2."""
    db = tmp_path / "rc.db"
    assert run(clinic, "backup", db).returncode == 0
    assert run(clinic, "backup", db).returncode == 1  # never overwrites
    assert status(db, "R1") == clinic_status["R1"]
    assert run(db, "settings", "relapse_confirmations", "2").returncode == 0
    assert run(db, "settings", "booster_ends_relief", "false").returncode == 0
    s = statuses(db, ["R1", "R2"])
    # 2026-02-05 fails but 2026-02-15 holds; 2026-02-25 fails and 2026-03-07 confirms: day 40.
    assert s["R1"]["relapse"]["date"] == "2026-02-25" and s["R1"]["relief_days"] == 40
    assert (s["R2"]["relief_days"], s["R2"]["relief_censored"]) == (14, True)
    c = cohort(db, tmp_path / "rep")
    # KM: R2 censored 14, R3 censored 30, R1 event 40 -> S(40) = 0 after 1 at risk... at 40 only R1 at risk.
    assert c["median_relief_days"] == 40
    assert c["relief_at_days"]["30"] == pytest.approx(1.0, abs=1e-3)


# ------------------------------------------------------------------ timing rules

TIMING_PATIENTS = "patient_id\nT1\nT2\nT3\nT4\nX1\nW30\nW31\nV7\nV8\nC21\nC22\nRM\nLB\nRC2\nY1\nY2"


def days_ago(today: date, *days: int) -> list[str]:
    return [(today - timedelta(days=n)).isoformat() for n in days]


def timing_infusions(old: list[str]) -> str:
    """infusions.csv of the timing patients; `old` holds the dates 40, 21 and 22 days ago."""
    return "\n".join(
        ["patient_id,date,dose_mg_per_kg"]
        + [f"{p},2026-01-{d:02d}T09:00,0.5" for p in ("T1", "T2", "T3") for d in (5, 7, 9)]
        + [
            "T4,2026-01-05,0.5",
            "T4,2026-01-07,0.5",
            "T4,2026-01-09,0.5",
            "X1,2026-01-05T09:00,0.5",
            "W30,2026-03-02,0.5",
            "W31,2026-03-02,0.5",
            infusion_rows("V7"),
            infusion_rows("V8"),
            f"C21,{old[0]},0.5",
            f"C21,{old[1]},0.5",
            f"C22,{old[0]},0.5",
            f"C22,{old[2]},0.5",
            infusion_rows("RM"),
            infusion_rows("LB"),
            infusion_rows("RC2"),
            "Y1,2026-01-05,0.5",
            "Y2,2026-01-05,0.5",
        ]
    )


def timing_assessments(old: list[str]) -> str:
    return f"""
patient_id,date,scale,total
T1,2026-01-05,phq9,20
T1,2026-01-07,phq9,10
T2,2026-01-05,phq9,20
T2,2026-01-07T10:00,phq9,10
T3,2026-01-05T08:00,phq9,20
T3,2026-01-07T08:00,phq9,10
T4,2026-01-05,phq9,20
T4,2026-01-07T15:00,phq9,10
X1,2026-01-05T12:00,phq9,10
W30,2026-01-31,phq9,20
W30,2026-03-03,phq9,15
W31,2026-01-30,phq9,20
W31,2026-03-03,phq9,15
V7,2026-01-05,phq9,20
V7,2026-01-23,phq9,10
V8,2026-01-05,phq9,20
V8,2026-01-24,phq9,10
C21,{old[0]},phq9,20
C22,{old[0]},phq9,20
RM,2026-01-05,phq9,10
RM,2026-01-06,phq9,4
RM,2026-01-20,phq9,3
LB,2026-01-05,phq9,4
LB,2026-01-06,phq9,3
LB,2026-01-20,phq9,1
RC2,2026-01-05,phq9,20
RC2,2026-01-06,phq9,8
RC2,2026-01-20,phq9,8
RC2,2026-01-30,phq9,12
Y1,2026-01-05,phq9,10
Y1,2026-01-06,phq9,16
Y2,2026-01-05,madrs,30
Y2,2026-01-06,madrs,40
"""


@pytest.fixture(scope="module")
def timing(tmp_path_factory):
    """status --json of every patient of the timing-rules database."""
    folder = tmp_path_factory.mktemp("timing")
    # C21 and C22 sit 21 and 22 days before today: a run that crosses
    # midnight between writing them and reading their statuses starts again.
    while True:
        today = date.today()
        old = days_ago(today, 40, 21, 22)
        db = folder / f"audit_timing_{today.isoformat()}.db"
        load(db, folder, TIMING_PATIENTS, timing_infusions(old), timing_assessments(old))
        got = timing_statuses(db)
        if date.today() == today:
            return got


def timing_statuses(db) -> dict:
    got = statuses(
        db,
        [
            "T1",
            "T2",
            "T3",
            "T4",
            "X1",
            "W30",
            "W31",
            "V7",
            "V8",
            "C21",
            "C22",
            "RM",
            "LB",
            "RC2",
            "Y1",
        ],
    )
    got["Y2 unset"] = status(db, "Y2", "--scale", "madrs")
    for key, value in (("relapse_confirmations", "2"), ("rc_sd_madrs", "7"), ("rc_r_madrs", "0.8")):
        assert run(db, "settings", key, value).returncode == 0
    got["RC2 with 2 confirmations"] = status(db, "RC2")
    got["Y2"] = status(db, "Y2", "--scale", "madrs")
    return got


def test_session_attribution_date_only_and_timed(timing):
    """Date-only on an infusion day is pre-dose; a timed score is placed exactly against a timed infusion."""
    s = timing
    assert s["T1"]["first_response"]["session"] == 1  # date-only on infusion-2 day: before it
    assert s["T2"]["first_response"]["session"] == 2  # 10:00 after the 09:00 infusion
    assert s["T3"]["first_response"]["session"] == 1  # 08:00 before the 09:00 infusion
    assert (
        s["T4"]["first_response"]["session"] == 1
    )  # README: timed score, date-only infusion -> before
    assert all(s[p]["baseline"]["score"] == 20 for p in ("T1", "T2", "T3", "T4"))
    assert s["T3"]["baseline"]["date"] == "2026-01-05"


def test_timed_score_after_first_infusion_is_not_baseline(timing):
    """A score timed after the first infusion on the same day is session 1, not the baseline."""
    s = timing["X1"]
    assert s["baseline"] is None or s["baseline"].get("score") is None
    assert s["six_session_verdict"] == "no_baseline" and s["status"] == "no_baseline"


def test_baseline_window_30_vs_31_days(timing):
    """A baseline 30 days before the first infusion counts; 31 days before does not."""
    assert (
        timing["W30"]["baseline"]["score"] == 20
        and timing["W30"]["latest"]["percent_change"] == 25.0
    )
    assert timing["W30"]["status"] == "partial_response"
    assert (
        timing["W31"]["six_session_verdict"] == "no_baseline"
        and timing["W31"]["status"] == "no_baseline"
    )


def test_verdict_window_7_vs_8_days(timing):
    """A response 7 days after infusion 6 makes a responder; one 8 days after does not."""
    assert timing["V7"]["six_session_verdict"] == "responder"
    assert timing["V7"]["first_response"]["days_from_first_infusion"] == 18
    assert timing["V8"]["six_session_verdict"] == "non_responder"
    assert timing["V8"]["status"] == "response"


def test_incomplete_from_day_22(timing):
    """A course short of 6 infusions is in_progress 21 days after its last infusion and incomplete at 22."""
    assert timing["C21"]["six_session_verdict"] == "in_progress"
    assert timing["C22"]["six_session_verdict"] == "incomplete"
    assert timing["C21"]["status"] is None  # no score after the first infusion yet


def test_remission_precedence_and_low_baseline(timing):
    """Remission outranks response; a baseline at the cut (4) never counts as remission."""
    rm, lb = timing["RM"], timing["LB"]
    assert rm["status"] == "remission" and rm["first_remission"]["session"] == 1
    assert lb["status"] == "response" and lb["first_remission"] is None
    # LB: 4 -> 3 is 25% (session 1), 4 -> 1 on 2026-01-20 (4 days after infusion 6) is 75%: session 6.
    assert lb["six_session_verdict"] == "responder" and lb["first_response"]["session"] == 6


def test_relapse_confirmations_two_censors_unconfirmed_failure(timing):
    """One failing score relapses at day 14 with 1 confirmation; with 2 it is censored there instead."""
    one, two = timing["RC2"], timing["RC2 with 2 confirmations"]
    assert one["relapse"] == {
        **one["relapse"],
        "date": "2026-01-30",
        "days_after_last_infusion": 14,
    }
    assert (one["relief_days"], one["relief_censored"]) == (14, False)
    assert two["relapse"] is None and (two["relief_days"], two["relief_censored"]) == (14, True)


def test_default_database_is_created_owner_only(tmp_path):
    """Without --db or $OUTCOMES_DB the file goes to the user data folder, folder 0700 and file 0600."""
    env = {**ENV, "XDG_DATA_HOME": str(tmp_path / "xdg")}
    done = run(None, "import", "patients", write(tmp_path, "p.csv", "patient_id\nD1"), env=env)
    assert done.returncode == 0, done.stderr
    folder = tmp_path / "xdg" / "ketamine-outcomes"
    assert (folder.stat().st_mode & 0o777, (folder / "outcomes.db").stat().st_mode & 0o777) == (
        0o700,
        0o600,
    )


def test_reliable_change_and_deterioration_alert(timing):
    """PHQ-9 +6 points is reliable deterioration with an alert; MADRS needs SD and r (7, 0.8: RC 10/4.43 = 2.26)."""
    y1 = timing["Y1"]
    assert y1["reliable_change"] == "deteriorated"
    assert [a["kind"] for a in y1["alerts"]] == ["reliable_deterioration"]
    assert timing["Y2 unset"]["reliable_change"] is None  # a category or null (issue 22)
    assert timing["Y2 unset"]["reliable_change_reason"] == (
        "no reliable-change parameters for madrs: set rc_sd_madrs and rc_r_madrs"
    )
    assert timing["Y2 unset"]["alerts"] == []
    assert timing["Y2"]["reliable_change"] == "deteriorated"
    assert "2.26" in timing["Y2"]["alerts"][0]["detail"]
