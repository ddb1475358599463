"""The core's registry rows and pooled figures on plain data (issue 27)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from outcomes.cohort import relief_curve
from outcomes.pooling import curve_from_table, export_problem, relief_table, verdict_table
from outcomes.published import PUBLISHED
from outcomes.registry import RULE_SETTINGS, RULES, age_band, course_key, site_id_problem


def _row(site, verdict, remission=False, days=None, event=None):
    return {
        "site_id": site,
        "drug": "ketamine",
        "scale": "phq9",
        "verdict": verdict,
        "remission": remission,
        "relief_days": days,
        "relief_event": event,
    }


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 60), st.booleans()), min_size=1, max_size=40))
def test_the_curve_rebuilt_from_a_relief_table_is_the_curve_of_the_courses(courses):
    """Kaplan-Meier depends on the per-day counts only: the table loses nothing."""
    rows = [_row("s", "responder", days=d, event=e) for d, e in courses]
    direct = relief_curve([d for d, _ in courses], [e for _, e in courses])
    rebuilt = curve_from_table(relief_table(rows))
    for name in ("times", "survival", "low", "high"):
        np.testing.assert_allclose(getattr(rebuilt, name), getattr(direct, name), atol=1e-12)
    assert rebuilt.median == direct.median and rebuilt.median_ci == direct.median_ci


def test_relief_table_counts_at_risk_events_and_censored_per_day():
    rows = [
        _row("s", "responder", days=7, event=True),
        _row("s", "responder", days=7, event=False),
        _row("s", "responder", days=14, event=True),
        _row("s", "non_responder"),
        _row("s", "responder"),  # still in the induction: no relief yet
    ]
    table = [(c["day"], c["at_risk"], c["events"], c["censored"]) for c in relief_table(rows)]
    assert table == [(7, 3, 1, 1), (14, 1, 1, 0)]


def test_verdict_cells_under_the_threshold_are_suppressed_not_dropped():
    rows = [_row("s", "responder")] * 5 + [_row("s", "non_responder")] * 4
    cells = {c["verdict"]: c["courses"] for c in verdict_table(rows, 5)}
    assert cells == {"responder": 5, "non_responder": None}


def test_course_keys_are_stable_and_need_the_secret():
    assert course_key(b"one", "P1", 1) == course_key(b"one", "P1", 1)
    assert course_key(b"one", "P1", 1) != course_key(b"two", "P1", 1)
    assert course_key(b"one", "P1", 1) != course_key(b"one", "P1", 2)
    assert len(course_key(b"one", "P1", 1)) == 32


def test_age_bands_turn_on_the_birthday():
    born = date(1960, 6, 15)
    assert age_band(born, date(2025, 6, 14)) == "55-64"
    assert age_band(born, date(2025, 6, 15)) == "65 and over"
    assert age_band(born, date(2025, 6, 14), coarse=True) == "45-64"
    assert age_band(None, date(2025, 1, 1)) is None


def test_site_ids_are_refused_unless_plain():
    assert site_id_problem(None) and site_id_problem("")
    assert site_id_problem("clinic a") and site_id_problem("../x")
    assert site_id_problem("north-3") is None


def test_exports_pool_only_under_the_same_format_version_rules_and_settings():
    from outcomes import __version__
    from outcomes.registry import REGISTRY_FORMAT

    settings = {k: "1" for k in RULE_SETTINGS}
    good = {
        "registry_format": REGISTRY_FORMAT,
        "program_version": __version__,
        "rules": list(RULES),
        "clinical_settings": settings,
    }
    assert export_problem("b", good, "a", good) is None
    other = {**good, "clinical_settings": {**settings, "verdict_window_days": "14"}}
    problem = export_problem("b/manifest.json", other, "a/manifest.json", good)
    assert "b/manifest.json" in problem and "verdict_window_days = 14 there, 1 in a" in problem
    assert "format 99" in export_problem("b", {**good, "registry_format": 99}, "a", good)
    assert "version 0.9.1" in export_problem("b", {**good, "program_version": "0.9.1"}, "a", good)


@pytest.mark.parametrize("figure", PUBLISHED, ids=lambda f: f"{f.study} {f.measure}")
def test_every_published_figure_is_in_its_abstract_quote(figure):
    """The percentage and n come from the quoted sentence of the abstract (n from the abstract)."""
    assert f"{figure.percent:g}%" in figure.quote
    assert figure.citation and figure.definition and figure.differs
