"""The cohort report's dose, dissociation and early-improvement pages, read back from the PDF."""

from __future__ import annotations

import json

import pypdf
import pytest

from outcomes.cohort import summarise
from outcomes.settings import Settings
from outcomes.status import analyse_all
from reports.cohort_report import write_cohort_report
from tests.association_clinic import AS_OF, association_clinic


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    patients = association_clinic()
    statuses = analyse_all(patients, "phq9", Settings(), AS_OF)
    summary = summarise(
        statuses, "phq9", 6, {pid: p.of_scale("cadss") for pid, p in patients.items()}
    )
    folder = tmp_path_factory.mktemp("cohort")
    files = write_cohort_report(statuses, summary, folder, as_of=AS_OF, settings=Settings())
    pages = [
        " ".join(p.extract_text().split())
        for p in pypdf.PdfReader(folder / "cohort_report.pdf").pages
    ]
    return folder, files, pages, json.loads((folder / "summary.json").read_text())


def _page(pages, title):
    return next(p for p in pages if title in p)


def test_both_pages_and_their_pngs_are_written(written):
    """Two more PDF pages and two stand-alone PNGs."""
    folder, files, pages, _ = written
    names = {f.name for f in files}
    assert {"dose_and_early_improvement.png", "dissociation.png"} <= names
    assert _page(pages, "Dose, early improvement and response in this clinic")
    assert _page(pages, "Dissociation, dose rises and response in this clinic")


def test_dose_page_states_denominators_and_withholds_small_groups(written):
    """25 with a verdict, 2 left out; the >0.75 band 10 of 16; the two small bands not estimated
    (nor the two small early-improvement groups, 7 and 9 patients)."""
    _, _, pages, summary = written
    page = _page(pages, "Dose, early improvement and response in this clinic")
    assert "25 of the 25 patients whose induction reached a verdict" in page
    assert "2 still without a verdict left out" in page
    assert "62% (10 of 16)" in page
    assert page.count("too few patients to estimate") == 4
    assert "(4 of 7)" in page and "(2 of 2)" in page
    bands = summary["associations"]["response_by_dose"]["bands"]
    assert [(b["responded"], b["n"]) for b in bands] == [(4, 7), (2, 2), (10, 16)]


def test_early_improvement_figures_match_the_summary(written):
    """The 6 who responded at session 1 are left out and named; 4 of 7 (too few to estimate) and
    6 of 12 by session 1; 6 of 9 (too few) and 4 of 10 by session 2."""
    _, _, pages, summary = written
    page = _page(pages, "Dose, early improvement and response in this clinic")
    for text in ("(4 of 7)", "50% (6 of 12)", "(6 of 9)", "40% (4 of 10)"):
        assert text in page
    for k in (1, 2):
        assert (
            f"session {k}: 19 of 25, left out 6 already responded (R1-0, R1-1 and 4 more)"
        ) in page
    assert "(every id in summary.json)" in page
    early = summary["associations"]["early_improvement"]
    assert (early["2"]["not_improved"]["responded"], early["2"]["not_improved"]["n"]) == (4, 10)


def test_dissociation_page_states_rho_median_split_and_dose_rise(written):
    """rho with its interval and n = 25; 12 of 12 above the median of 10, 4 of 13 at or below;
    12 raised, 2 responded before, 4 of 10 after."""
    _, _, pages, summary = written
    page = _page(pages, "Dissociation, dose rises and response in this clinic")
    corr = summary["associations"]["dissociation"]["cadss_first_vs_best_improvement"]
    assert (
        f"Spearman rho {corr['rho']:.2f} (95% CI {corr['ci_low']:.2f} to {corr['ci_high']:.2f}), n = 25"
        in page
    )
    assert "median CADSS at infusion 1 (10)" in page
    assert "100% (12 of 12)" in page and "31% (4 of 13)" in page
    assert "12 patients had their dose raised" in page and "2 had already responded" in page
    assert "40% (4 of 10)" in page
    assert "does not show that dissociation causes improvement" in page
