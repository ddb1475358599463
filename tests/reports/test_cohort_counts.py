"""Every count in the cohort PDF reconciles with the summary JSON (clinical-spec section 6).

A demo clinic is reported once; the PDF's text (read back with pypdf) must
state each figure's denominator, say who is left out and why, and every
number must equal the summary's: the relief curve's count equals its number
at risk on day 0, and each "not counted" list adds up to the clinic's patients.
"""

from __future__ import annotations

import io
import json
import re
from datetime import date

import pypdf
import pytest

import db
from db.seed import write_clinic
from outcomes_cli.demo import make_demo
from tests.reports.from_file import report_file

TODAY = date(2026, 3, 1)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """A 40-patient demo clinic's cohort report: (summary JSON, text of each PDF page)."""
    path = tmp_path_factory.mktemp("clinic") / "clinic.db"
    database = db.connect(path)
    write_clinic(database, make_demo(40, 5, TODAY), "Dr Test", TODAY)
    database.conn.close()
    out = tmp_path_factory.mktemp("run") / "out"
    report_file(path, out, as_of=TODAY, cohort_only=True, stderr=io.StringIO())
    summary = json.loads((out / "cohort" / "summary.json").read_text())
    reader = pypdf.PdfReader(out / "cohort" / "cohort_report.pdf")
    raw = [page.extract_text() for page in reader.pages]
    return summary, [" ".join(text.split()) for text in raw], raw


def summary_table(text: str) -> dict[str, str]:
    """The first page's table, measure -> value (pypdf reads it column by column)."""
    lines = text.splitlines()
    measures = lines[lines.index("measure") + 1 : lines.index("value")]
    values = lines[lines.index("value") + 1 : lines.index("how")]
    assert len(measures) == len(values)
    return dict(zip(measures, values, strict=False))


def _not_counted(sentence: str) -> int:
    """The sum of the counts after "not counted:" in one sentence."""
    tail = sentence.split("not counted:", 1)[1] if "not counted:" in sentence else ""
    return sum(int(n) for n in re.findall(r"(\d+) [a-z]", tail))


def test_summary_page_counts_equal_the_json(report):
    """Patients, baseline and each verdict count on page 1 are the JSON's."""
    summary, _, raw = report
    table = summary_table(raw[0])
    assert table["Patients"] == str(summary["patients"])
    assert table["With a usable baseline"] == str(summary["with_baseline"])
    verdicts = summary["verdicts"]
    for words, key in (
        ("responder", "responder"),
        ("non-responder", "non_responder"),
        ("incomplete", "incomplete"),
        ("in progress", "in_progress"),
        ("no baseline", "no_baseline"),
    ):
        assert table[f"Verdict: {words}"] == str(verdicts[key]), words
    assert sum(verdicts.values()) == summary["patients"]
    assert table["Response within the induction, completers"] == f"{summary['response_rate_6']:.0%}"
    assert (
        table["Response within the induction, all who started"]
        == f"{summary['response_rate_itt']:.0%}"
    )


def test_mixed_drug_figures_name_each_drugs_induction_and_agree(report):
    """The demo mixes ketamine (6 infusions) and esketamine (8 sessions): page 1 names both
    inductions; the responders page marks sessions 7 and 8 as esketamine only, and its last
    bar is page 1's responder count (page 1 and page 2 agree); no row says "all 6 infusions"."""
    summary, pages, _ = report
    assert summary["induction_sessions"] == {"ketamine": 6, "esketamine": 8}
    rule = "6 infusions for ketamine, 8 sessions for esketamine"
    assert f"response within the induction ({rule})" in pages[0]
    assert f"whole induction, no response ({rule})" in pages[0]
    assert "all 6 infusions" not in pages[0] and "6-session" not in pages[0]
    by_session = summary["responders_by_session"]
    assert list(by_session) == [str(k) for k in range(1, 9)]
    assert by_session["8"] == summary["responders"]
    assert f"{summary['responders']} of the {summary['denominators']['completers']}" in pages[0]
    assert "sessions 7 and 8 count esketamine courses only (8 sessions)" in pages[1]
    assert "session 7 (esketamine only)" in pages[1] and "session 8 (esketamine only)" in pages[1]
    for page in (pages[2], pages[3]):  # waterfall, relief curve
        assert rule in page


def test_association_figures_count_every_patient_once_and_name_who_is_left_out(report):
    """Dose bands + dose unknown = the completers; for sessions 1 and 2 of early improvement,
    improved + not improved + already responded + without a score = the completers, every
    left-out patient named once with the reason, and the already-responded ones are exactly
    the patients whose first response came by that session."""
    summary, _, _ = report
    assoc = summary["associations"]
    completers = assoc["completers"]
    assert completers == summary["denominators"]["completers"]
    dose = assoc["response_by_dose"]
    assert sum(b["n"] for b in dose["bands"]) + dose["dose_unknown"] == completers
    assert len(dose["dose_unknown_patients"]) == dose["dose_unknown"]
    for k in ("1", "2"):
        early = assoc["early_improvement"][k]
        already = early["left_out_already_responded"]
        no_score = early["left_out_no_score"]
        assert already["count"] == len(already["patients"])
        assert no_score["count"] == len(no_score["patients"])
        assert not set(already["patients"]) & set(no_score["patients"])
        total = early["improved"]["n"] + early["not_improved"]["n"]
        assert total + already["count"] + no_score["count"] == completers
        assert already["count"] == summary["responders_by_session"][k]


def test_rate_denominators_are_stated_and_reconcile(report):
    """Completers and all-who-started: stated with the JSON's numbers, the left-out adding up to the clinic."""
    summary, pages, _ = report
    d, n = summary["denominators"], summary["patients"]
    completers = re.search(r"Completers \(the headline rates\): (.*?)\.", pages[0]).group(1)
    assert completers.startswith(f"{d['completers']} of {n} patients")
    assert d["completers"] + _not_counted(completers) == n
    started = re.search(
        r"All who started \(rates and responders by session\): (.*?)\.", pages[0]
    ).group(1)
    assert started.startswith(f"{d['all_who_started']} of {n} patients")
    assert d["all_who_started"] + _not_counted(started) == n
    responders = summary["responders"]
    assert f"{responders} of the {d['completers']} completers" in pages[0]
    assert f"{responders} of the {d['all_who_started']} who started" in pages[0]
    assert round(responders / d["completers"], 4) == summary["response_rate_6"]
    assert round(responders / d["all_who_started"], 4) == summary["response_rate_itt"]


def test_responders_by_session_chart_uses_the_stated_denominator(report):
    """Every bar reads "(k of N)" with the JSON's cumulative k and N = all who started; both denominators said."""
    summary, pages, _ = report
    d = summary["denominators"]
    chart = pages[1]
    for k, count in summary["responders_by_session"].items():
        assert f"({count} of {d['all_who_started']})" in chart, k
    assert f"as % of all who started: {d['all_who_started']} of" in chart
    assert f"completers only: {d['completers']} of" in chart


def test_relief_curve_count_equals_its_number_at_risk_on_day_0(report):
    """The relief page's responder count is the number at risk at day 0 and the JSON's responders whose induction is over."""
    summary, pages, raw = report
    d = summary["denominators"]
    relief = pages[3]
    assert f"among {d['relief_responders']} responder" in relief
    # pypdf gives the x-axis ticks as one line of numbers, then the numbers at risk under them.
    rows = [line.split() for line in raw[3].splitlines() if re.fullmatch(r"[\d ]+", line.strip())]
    ticks, at_risk = rows[0], rows[1]
    assert ticks[0] == "0" and len(ticks) == len(at_risk)
    assert int(at_risk[0]) == d["relief_responders"]
    assert d["relief_responders"] + d["responders_in_induction"] == summary["responders"]
    assert f"the curve starts from {d['relief_responders']} at risk on day 0" in pages[0]


def test_waterfall_count_matches_with_baseline_or_says_why_not(report):
    """The waterfall's bars plus those it names as left out are the clinic's patients."""
    summary, pages, _ = report
    d = summary["denominators"]
    waterfall = re.search(r"One bar per patient, best first: (.*?)\. Above", pages[2]).group(1)
    assert waterfall.startswith(f"{d['waterfall']} patients with a baseline")
    assert d["waterfall"] + _not_counted(waterfall) == summary["patients"]
    if d["waterfall"] < summary["with_baseline"]:
        gap = summary["with_baseline"] - d["waterfall"]
        assert f"{gap} with a baseline but no score within the induction yet" in waterfall


def test_trajectories_count_reconciles(report):
    """The trajectories page says how many lines and who is left out, adding up to the clinic."""
    summary, pages, _ = report
    lines = re.search(
        r"latest score: (\d+) patients? with a baseline and a later score(.*?)\. Solid", pages[4]
    )
    assert int(lines.group(1)) + _not_counted(lines.group(2)) == summary["patients"]
