"""`outcomes export registry` and `outcomes pool` on three hand-worked clinics (issue 27).

The clinics and every figure worked by hand are in `tests.registry_clinics`.
"""

from __future__ import annotations

import json
import math
import os
import stat
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

import db
from outcomes.cohort import relief_curve
from outcomes.registry import clinic_rows
from outcomes_cli.cli import cli
from tests.clinic import TODAY
from tests.registry_clinics import BIRTH, NAMES, NOTE, PLANS, build_site, site_patient

Z = 1.959963984540054  # the 97.5% normal quantile


def run(*args: str):
    return CliRunner().invoke(cli, [str(a) for a in args])


def export(clinic: Path, folder: Path, *flags: str) -> None:
    result = run("--db", clinic, "export", "registry", folder, *flags)
    assert result.exit_code == 0, result.output


def wilson(k: int, n: int) -> tuple[float, float]:
    """Wilson's score interval written out (an independent check of scipy's)."""
    p = k / n
    centre = (p + Z * Z / (2 * n)) / (1 + Z * Z / n)
    half = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n)) / (1 + Z * Z / n)
    return centre - half, centre + half


@pytest.fixture(scope="module")
def network(tmp_path_factory) -> dict:
    """The three clinics, each exported with rows and with counts only, and the pooled reports."""
    root = tmp_path_factory.mktemp("network")
    clinics = {site: build_site(root / f"{site}.db", site) for site in PLANS}
    for site, path in clinics.items():
        export(path, root / f"rows-{site}")
        export(path, root / f"counts-{site}", "--counts-only")
    rows = run("pool", *(root / f"rows-{s}" for s in PLANS), "--out", root / "out-rows", "--json")
    assert rows.exit_code == 0, rows.output
    counts = run("pool", *(root / f"counts-{s}" for s in PLANS), "--out", root / "out-counts")
    assert counts.exit_code == 0, counts.output
    return {
        "root": root,
        "clinics": clinics,
        "rows": json.loads(rows.output),
        "counts": json.loads((root / "out-counts" / "pooled.json").read_text()),
    }


def group(pooled: dict) -> dict:
    (only,) = pooled["groups"]
    assert (only["drug"], only["scale"]) == ("ketamine", "phq9")
    return only


def test_every_pooled_rate_matches_the_hand_count(network):
    """Completers 10, responders 6, remitted 2, all who started 11; per site as worked by hand."""
    g = group(network["rows"])
    pooled = g["pooled"]
    assert (pooled["completers"], pooled["responders"], pooled["remitted"]) == (10, 6, 2)
    assert pooled["all_who_started"] == 11
    assert pooled["response_rate"] == 0.6 and pooled["remission_rate"] == 0.2
    assert pooled["response_ci"] == pytest.approx([0.3127, 0.8318], abs=1e-4)
    assert pooled["response_ci"] == pytest.approx(list(wilson(6, 10)), abs=1e-4)
    assert pooled["remission_ci"] == pytest.approx([0.0567, 0.5098], abs=1e-4)
    hand = {"site-A": (3, 2, 1, 3), "site-B": (3, 2, 0, 4), "site-C": (4, 2, 1, 4)}
    for site, (completers, responders, remitted, started) in hand.items():
        got = g["sites"][site]
        assert (got["completers"], got["responders"], got["remitted"]) == (
            completers,
            responders,
            remitted,
        )
        assert got["all_who_started"] == started
        assert got["response_ci"] == pytest.approx(list(wilson(responders, completers)), abs=1e-4)


def test_chi_square_across_sites_matches_the_hand_computation(network):
    """Observed [2,1], [2,1], [2,2]; expected 1.8/1.2, 1.8/1.2, 2.4/1.6: X2 = 0.2778, 2 df."""
    test = group(network["rows"])["response_differs_by_site"]
    assert test["statistic"] == pytest.approx(0.277778, abs=1e-6)
    assert test["degrees_of_freedom"] == 2
    assert test["p_value"] == pytest.approx(math.exp(-0.277778 / 2), abs=1e-6)  # chi2 sf, 2 df


def test_pooled_relief_curve_median_and_site_medians_match_the_hand_count(network):
    """S = 5/6 at day 7, 5/12 at 14, 5/24 at 21; median 14. Sites: A flat at 0.5 from 14 to the
    last follow-up 21 (R's midpoint 17.5), B (7+14)/2 = 10.5, C 21."""
    relief = group(network["rows"])["relief"]
    curve = relief["curve"]
    assert curve["days"] == [0.0, 7.0, 14.0, 21.0]
    assert curve["survival"] == pytest.approx([1, 5 / 6, 5 / 12, 5 / 24], abs=1e-12)
    assert relief["median_relief_days"] == 14.0
    assert (relief["responders"], relief["relief_ended"]) == (6, 4)
    sites = group(network["rows"])["site_relief"]
    assert sites["site-A"]["median_relief_days"] == 17.5
    assert sites["site-B"]["median_relief_days"] == 10.5
    assert sites["site-C"]["median_relief_days"] == 21.0


def test_logrank_across_sites_matches_the_hand_computation(network):
    """O - E at days 7, 14, 21: A -5/6, B 7/6, C -1/3; the variance summed by hand; 2 df."""
    test = group(network["rows"])["relief_differs_by_site"]
    o_minus_e = np.array([-5 / 6, 7 / 6])
    v = np.array([[2 / 9 + 1 / 3 + 1 / 4, -1 / 9 - 1 / 6], [-1 / 9 - 1 / 6, 2 / 9 + 1 / 4]])
    statistic = float(o_minus_e @ np.linalg.solve(v, o_minus_e))
    assert statistic == pytest.approx(2.916, abs=1e-3)
    assert test["statistic"] == pytest.approx(statistic, abs=1e-6)
    assert test["degrees_of_freedom"] == 2
    assert test["p_value"] == pytest.approx(math.exp(-statistic / 2), abs=1e-6)


def test_pooled_curve_is_the_curve_of_all_courses_analysed_together(network):
    """The core's estimator over every course of the three clinics, read straight from their
    databases, gives the pooled curve (rows and counts-only alike) to 1e-12."""
    durations, events = [], []
    for path in network["clinics"].values():
        database = db.connect(path)
        try:
            settings = db.load_settings(database)
            patients = db.load_clinic(database).by_patient()
        finally:
            database.conn.close()
        for row in clinic_rows(patients, "phq9", settings, TODAY, site_id="x", secret=b"k"):
            if row["verdict"] == "responder" and row["relief_days"] is not None:
                durations.append(row["relief_days"])
                events.append(row["relief_event"])
    direct = relief_curve(durations, events)
    for pooled in (network["rows"], network["counts"]):
        curve = group(pooled)["relief"]["curve"]
        np.testing.assert_allclose(curve["days"], direct.times, rtol=0, atol=1e-12)
        np.testing.assert_allclose(curve["survival"], direct.survival, rtol=0, atol=1e-12)
        np.testing.assert_allclose(curve["low"], direct.low, rtol=0, atol=1e-12)
        np.testing.assert_allclose(curve["high"], direct.high, rtol=0, atol=1e-12)
        assert group(pooled)["relief"]["median_relief_ci"] == list(direct.median_ci)


def test_counts_only_pools_to_the_same_figures_as_rows(network):
    """Every figure of the pooled JSON is the same from count tables as from per-course rows."""
    rows, counts = network["rows"], network["counts"]
    assert rows["groups"] == counts["groups"]
    assert [s["kind"] for s in counts["sites"]] == ["counts"] * 3


def test_small_cells_are_suppressed_in_a_counts_only_export(tmp_path):
    """With the default threshold (5) every verdict cell of clinic B (1-2 courses) is left out."""
    clinic = build_site(tmp_path / "B.db", "B", min_cell=5)
    export(clinic, tmp_path / "counts")
    export(clinic, tmp_path / "counts", "--counts-only")  # replaces the rows export
    assert sorted(os.listdir(tmp_path / "counts")) == [
        "manifest.json",
        "relief_table.parquet",
        "verdict_counts.parquet",
    ]
    cells = pq.read_table(tmp_path / "counts" / "verdict_counts.parquet").to_pylist()
    assert cells and all(c["courses"] is None for c in cells)
    relief = pq.read_table(tmp_path / "counts" / "relief_table.parquet").to_pylist()
    assert [(c["day"], c["at_risk"], c["events"], c["censored"]) for c in relief] == [
        (7, 2, 1, 0),
        (14, 1, 1, 0),
    ]


def test_a_clinic_exported_twice_updates_rather_than_duplicates(tmp_path):
    """The same course keeps its id; the second export replaces the first; a new course is added."""
    clinic = build_site(tmp_path / "A.db", "A")
    export(clinic, tmp_path / "reg")
    first = pq.read_table(tmp_path / "reg" / "courses.parquet").to_pylist()
    database = db.connect(clinic)
    try:
        from tests.registry_clinics import add_course, add_named_patient

        add_named_patient(database, "MRN-A-A9-Q", "Late Arrival")
        add_course(database, "MRN-A-A9-Q", PLANS["A"]["A3"])
    finally:
        database.conn.close()
    export(clinic, tmp_path / "reg")
    second = pq.read_table(tmp_path / "reg" / "courses.parquet").to_pylist()
    assert len(second) == len(first) + 1
    by_key = {r["course_key"]: r for r in second}
    assert all(by_key[r["course_key"]] == r for r in first)
    result = run("pool", tmp_path / "reg", "--out", tmp_path / "out", "--json")
    assert result.exit_code == 0, result.output
    assert group(json.loads(result.output))["pooled"]["completers"] == 4


def test_mismatched_settings_are_refused_naming_the_file_and_nothing_is_written(tmp_path):
    clinic_a = build_site(tmp_path / "A.db", "A")
    clinic_c = build_site(tmp_path / "C.db", "C", relapse_confirmations="2")
    export(clinic_a, tmp_path / "a")
    export(clinic_c, tmp_path / "c")
    result = run("pool", tmp_path / "a", tmp_path / "c", "--out", tmp_path / "out")
    assert result.exit_code == 1
    assert str(tmp_path / "c" / "manifest.json") in result.output
    assert "relapse_confirmations = 2 there, 1 in" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_a_site_twice_another_version_or_a_changed_file_is_refused(tmp_path):
    clinic = build_site(tmp_path / "A.db", "A")
    export(clinic, tmp_path / "a")
    export(clinic, tmp_path / "a2")
    twice = run("pool", tmp_path / "a", tmp_path / "a2", "--out", tmp_path / "out")
    assert twice.exit_code == 1 and "site 'site-A' is in both" in twice.output
    manifest = tmp_path / "a2" / "manifest.json"
    document = json.loads(manifest.read_text())
    document.update(program_version="9.4.0", site_id="site-Z")
    manifest.write_text(json.dumps(document))
    version = run("pool", tmp_path / "a", tmp_path / "a2", "--out", tmp_path / "out")
    assert version.exit_code == 1 and "version 9.4.0" in version.output
    with open(tmp_path / "a" / "courses.parquet", "ab") as handle:
        handle.write(b"x")
    changed = run("pool", tmp_path / "a", "--out", tmp_path / "out")
    assert changed.exit_code == 1 and "does not match the checksum" in changed.output
    assert not (tmp_path / "out").exists()


def test_export_without_a_site_id_or_into_a_foreign_folder_is_refused(tmp_path):
    path = tmp_path / "plain.db"
    assert run("--db", path, "demo", "--patients", "3").exit_code == 0
    result = run("--db", path, "export", "registry", tmp_path / "reg")
    assert result.exit_code == 1 and "registry_site_id" in result.output
    assert not (tmp_path / "reg").exists()
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "thesis.docx").write_text("mine")
    assert run("--db", path, "settings", "registry_site_id", "north").exit_code == 0
    busy = run("--db", path, "export", "registry", tmp_path / "busy")
    assert busy.exit_code == 1 and "thesis.docx" in busy.output
    assert os.listdir(tmp_path / "busy") == ["thesis.docx"]


def _every_value(folder: Path) -> list[str]:
    values = [(folder / "manifest.json").read_text()]
    for name in os.listdir(folder):
        if name.endswith(".parquet"):
            for row in pq.read_table(folder / name).to_pylist():
                values.extend(str(v) for v in row.values())
    return values


def test_an_export_holds_no_name_birth_date_note_or_patient_id(network, tmp_path):
    """Every value of every file of every export (rows, counts, de-identified) is scanned."""
    clinic = network["clinics"]["A"]
    export(clinic, tmp_path / "deid", "--deidentify")
    folders = [network["root"] / f"{kind}-{s}" for kind in ("rows", "counts") for s in PLANS]
    forbidden = [*NAMES.values(), BIRTH, NOTE, "Quince"]
    forbidden += [site_patient(s, p) for s in PLANS for p in PLANS[s]]
    for folder in [*folders, tmp_path / "deid"]:
        values = _every_value(folder)
        assert len(values) > 10
        for value in values:
            for word in forbidden:
                assert word not in value, (folder, word)
    deid = pq.read_table(tmp_path / "deid" / "courses.parquet").to_pylist()
    assert {r["age_band"] for r in deid} == {"45-64"} and {r["baseline_score"] for r in deid} == {
        None
    }
    rows = pq.read_table(network["root"] / "rows-A" / "courses.parquet").to_pylist()
    assert {r["age_band"] for r in rows} == {"45-54"}  # born 1971-03-14, treated January 2026


def test_the_secret_stays_in_the_clinic_and_files_are_owner_only(network):
    database = db.connect(network["clinics"]["A"])
    try:
        (secret,) = database.conn.execute(
            "SELECT value FROM settings WHERE key = 'registry_secret'"
        ).fetchone()
        audit = database.conn.execute("SELECT new_value FROM audit").fetchall()
    finally:
        database.conn.close()
    assert all(secret not in (text or "") for (text,) in audit)
    for folder in (network["root"] / "rows-A", network["root"] / "out-rows"):
        texts = [p.read_text() for p in folder.glob("*.json")] + (
            _every_value(folder) if (folder / "courses.parquet").exists() else []
        )
        assert texts and all(secret not in text for text in texts)
        for name in os.listdir(folder):
            assert stat.S_IMODE(os.stat(folder / name).st_mode) == 0o600, name
        assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700
    settings = run("--db", network["clinics"]["A"], "settings")
    assert secret not in settings.output and "registry_secret" not in settings.output


def test_the_pooled_pdf_has_a_page_per_drug_and_the_published_table(network):
    from pypdf import PdfReader

    reader = PdfReader(network["root"] / "out-rows" / "pooled_report.pdf")
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert len(reader.pages) == 3
    assert "Response and remission: ketamine, judged on PHQ-9" in text
    assert "3 site(s) pooled, 11 courses exported in all" in text
    assert "60.0% (31.3-83.2)" in text
    assert "McInnes et al. 2022" in text and "53.6" in text
    assert (network["root"] / "out-rows" / "relief_ketamine_phq9.png").stat().st_size > 10_000


def _rewrite(folder: Path, change) -> None:
    """Change the rows of an export and make its manifest match (a hostile or foreign file)."""
    import hashlib

    import pyarrow as pa

    path = folder / "courses.parquet"
    table = pq.read_table(path)
    rows = [change(r) for r in table.to_pylist()]
    pq.write_table(pa.Table.from_pylist(rows, schema=table.schema), path)
    manifest = folder / "manifest.json"
    document = json.loads(manifest.read_text())
    document["files"]["courses.parquet"]["sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
    manifest.write_text(json.dumps(document))


def test_hostile_or_foreign_exports_are_refused_cleanly(tmp_path):
    """Unknown drugs (which would name an output file), another site's rows, a broken manifest,
    a missing folder: each refused with its file named, no traceback, nothing written."""
    clinic = build_site(tmp_path / "A.db", "A")
    for name in ("evil", "foreign", "broken"):
        export(clinic, tmp_path / name)
    _rewrite(tmp_path / "evil", lambda r: {**r, "drug": "../../../tmp/x"})
    _rewrite(tmp_path / "foreign", lambda r: {**r, "site_id": "site-Q"})
    (tmp_path / "broken" / "manifest.json").write_text('{"files": {"courses.parquet": "x"}}')
    expected = {
        "evil": "holds drug '../../../tmp/x', which this program does not know",
        "foreign": "holds courses of site 'site-Q', but its manifest is site 'site-A'",
        "broken": "lists 'courses.parquet', which is not a registry file with its checksum",
        "missing": "is not a folder",
    }
    for name, words in expected.items():
        result = run("pool", tmp_path / name, "--out", tmp_path / "out")
        assert result.exit_code == 1, result.output
        assert words in result.output and str(tmp_path / name) in result.output
        assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists() and not Path("/tmp/x_phq9.png").exists()


def test_the_cohort_report_sets_the_clinic_beside_the_published_cohorts(network, tmp_path):
    """Clinic A: 2 responders and 1 remitted of 3 completers, with Wilson's intervals by hand."""
    from pypdf import PdfReader

    result = run("--db", network["clinics"]["A"], "report", "--cohort-only", "--out", tmp_path)
    assert result.exit_code == 0, result.output
    pages = [p.extract_text() for p in PdfReader(tmp_path / "cohort" / "cohort_report.pdf").pages]
    (page,) = [p for p in pages if "Beside published real-world cohorts" in p]
    lines = page.splitlines()  # the table's text comes out a column at a time
    assert lines[lines.index("%") + 1 : lines.index("%") + 3] == ["66.7", "33.3"]
    intervals = [f"{100 * a:.1f}-{100 * b:.1f}" for a, b in (wilson(2, 3), wilson(1, 3))]
    assert lines[lines.index("95% CI") + 1 : lines.index("95% CI") + 3] == intervals
    assert "McInnes et al. 2022" in page and "Oliver et al. 2022" in page
