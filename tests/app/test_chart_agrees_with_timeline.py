"""The patient screen's chart never contradicts its timeline: a score the timeline lists is
drawn, or the chart says which score it leaves out and why."""

from __future__ import annotations

import db
from outcomes_app.chart import ScoreChart
from tests.app.driving import clinician_app, open_patient, screen_text, timeline_rows
from tests.clinic import add_infusion, add_patient, add_phq9


def chart_words(app) -> str:
    chart = app.screen.query_one(ScoreChart)
    return chart.plot_text() + "\n" + chart.legend().plain


async def test_a_score_too_early_to_be_the_baseline_is_named_with_the_reason(clinic_db):
    """PHQ-9 16 taken 61 days before the first infusion: the timeline lists it; the chart
    names it and the rule (baseline_window_days) instead of "No scores on this scale yet"."""
    database = db.connect(clinic_db)
    add_patient(database, "P009", "Early Score")
    add_phq9(database, "P009", "2025-11-20", 16)
    add_infusion(database, "P009", "2026-01-20T09:00")
    database.conn.close()
    async with clinician_app(clinic_db) as pilot:
        await open_patient(pilot, "P009")
        app = pilot.app
        assert any("PHQ-9 16" in " ".join(r) for r in timeline_rows(app))
        words = chart_words(app)
        assert "No scores on this scale yet" not in words
        assert "No scores on this scale yet" not in screen_text(app)
        assert "PHQ-9 16 on 2025-11-20: 61 days before the first infusion" in words
        assert "baseline_window_days" in words


async def test_an_older_score_beside_a_later_baseline_is_named_to_clinician_and_patient(
    clinic_db,
):
    """Two scores before the first infusion: the later is the baseline and drawn; the older is
    named as before the baseline, and the patient's chart says it in plain words."""
    database = db.connect(clinic_db)
    add_patient(database, "P009", "Two Scores")
    add_phq9(database, "P009", "2025-12-20", 19)
    add_phq9(database, "P009", "2025-12-28", 18)
    add_infusion(database, "P009", "2026-01-02T09:00")
    add_phq9(database, "P009", "2026-01-03", 12)
    database.conn.close()
    async with clinician_app(clinic_db) as pilot:
        await open_patient(pilot, "P009")
        words = chart_words(pilot.app)
        assert "PHQ-9 19 on 2025-12-20: before the baseline" in words
        patient_chart = ScoreChart(pilot.app.screen.query_one(ScoreChart).status, simple=True)
        assert (
            "Your PHQ-9 19 on 2025-12-20 from before your treatment course began is not on "
            "this chart." in patient_chart.legend().plain
        )


async def test_a_second_course_names_the_first_courses_scores(clinic_db):
    """P001 starts a second course: its chart is of course 2 and says how many scores of
    other courses the timeline lists that it does not draw."""
    from outcomes.timepoints import parse_timepoint

    database = db.connect(clinic_db)
    db.start_course(database, "P001", parse_timepoint("2026-02-08"), "Dr Avery", "second course")
    add_phq9(database, "P001", "2026-02-09", 15)
    add_infusion(database, "P001", "2026-02-10T09:00")
    database.conn.close()
    async with clinician_app(clinic_db) as pilot:
        await open_patient(pilot, "P001")
        words = chart_words(pilot.app)
        assert "8 PHQ-9 scores of other courses" in words, words
