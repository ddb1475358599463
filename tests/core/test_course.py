"""Courses, sessions and the baseline (clinical-spec section 2), worked by hand.

Unless a test says otherwise the first infusion is on Monday 2026-01-05 and
the scale is PHQ-9 (remission cut 4).
"""

from datetime import date

import pandas as pd

from outcomes import wording
from outcomes.course import courses_of
from outcomes.records import Assessment, Infusion, group_by_patient
from outcomes.settings import Settings
from outcomes.status import analyse_patient
from outcomes.timepoints import parse_timepoint

AS_OF = date(2026, 1, 20)


def inf(when, course=1):
    return Infusion("P1", parse_timepoint(when), course)


def phq9(when, total):
    return Assessment("P1", parse_timepoint(when), "phq9", total)


def analyse(infusions, assessments, settings=Settings(), as_of=AS_OF, **kw):
    patient = group_by_patient(infusions, assessments)["P1"]
    return analyse_patient(patient, "phq9", settings, as_of, **kw)


def sessions(status):
    return [(p.assessment.when.iso(), p.session) for p in status.points]


def test_date_only_assessment_on_infusion_day_counts_as_baseline():
    """A score dated 2026-01-05 (no time) on the day of a 10:00 first infusion is the baseline."""
    status = analyse([inf("2026-01-05T10:00")], [phq9("2026-01-05", 20)])
    assert status.baseline.total == 20
    assert sessions(status) == [("2026-01-05", 0)]


def test_date_only_assessment_on_date_only_infusion_day_counts_as_baseline():
    """Both date-only on the same day: the score is taken as pre-dose, so it is the baseline."""
    status = analyse([inf("2026-01-05")], [phq9("2026-01-05", 20)])
    assert status.baseline.total == 20


def test_timed_assessment_after_timed_infusion_same_day_belongs_to_session_1():
    """Infusion 09:00, score 11:00 the same day: session 1, (20 - 8) / 20 = 60% better."""
    status = analyse(
        [inf("2026-01-05T09:00")], [phq9("2026-01-04", 20), phq9("2026-01-05T11:00", 8)]
    )
    assert sessions(status) == [("2026-01-04", 0), ("2026-01-05T11:00", 1)]
    assert status.latest.improvement == 60.0


def test_timed_assessment_before_timed_infusion_same_day_is_the_baseline():
    """Score at 08:00, infusion at 09:00: the 08:00 score is the (later, so chosen) baseline."""
    status = analyse(
        [inf("2026-01-05T09:00")], [phq9("2026-01-04", 22), phq9("2026-01-05T08:00", 20)]
    )
    assert status.baseline.total == 20


def test_timed_assessment_on_day_of_date_only_infusion_counts_as_before_it():
    """Infusion without a time: even a 15:00 score that day is read as pre-dose (baseline)."""
    status = analyse([inf("2026-01-05")], [phq9("2026-01-05T15:00", 20)])
    assert status.baseline.total == 20
    assert status.latest is None


def test_baseline_30_days_before_counts_31_does_not():
    """First infusion 2026-01-31: a score on 2026-01-01 (30 days) is a baseline, 2025-12-31 is not."""
    in_window = analyse([inf("2026-01-31")], [phq9("2026-01-01", 18)], as_of=date(2026, 2, 1))
    assert in_window.baseline.total == 18
    too_old = analyse([inf("2026-01-31")], [phq9("2025-12-31", 18)], as_of=date(2026, 2, 1))
    assert too_old.baseline is None
    assert too_old.status == "no_baseline"
    assert too_old.verdict.value == "no_baseline"


def test_baseline_window_is_a_setting():
    """With baseline_window_days = 45 the 31-day-old score becomes the baseline."""
    status = analyse(
        [inf("2026-01-31")],
        [phq9("2025-12-31", 18)],
        settings=Settings(baseline_window_days=45),
        as_of=date(2026, 2, 1),
    )
    assert status.baseline.total == 18


def test_baseline_is_the_last_score_before_the_first_infusion():
    """Scores of 24 (Jan 1) and 20 (Jan 3) before the first infusion: the baseline is 20."""
    status = analyse([inf("2026-01-05")], [phq9("2026-01-01", 24), phq9("2026-01-03", 20)])
    assert status.baseline.total == 20
    assert sessions(status) == [("2026-01-03", 0)]  # the older score is not part of the course


def test_baseline_of_zero_means_no_baseline():
    """A baseline of 0 leaves nothing to improve on: status and verdict are no_baseline."""
    status = analyse([inf("2026-01-05")], [phq9("2026-01-04", 0), phq9("2026-01-06", 0)])
    assert status.baseline is None
    assert status.zero_baseline.total == 0
    assert status.status == "no_baseline"
    assert status.verdict.value == "no_baseline"
    assert "is 0" in wording.verdict_reason(status.verdict)
    assert status.latest.improvement is None


def test_assessment_belongs_to_the_session_of_the_infusion_before_it():
    """Infusions on 5, 7, 9 Jan; date-only scores on 6, 7 and 8 Jan are sessions 1, 1 and 2."""
    status = analyse(
        [inf("2026-01-05"), inf("2026-01-07"), inf("2026-01-09")],
        [
            phq9("2026-01-04", 20),
            phq9("2026-01-06", 18),
            phq9("2026-01-07", 16),
            phq9("2026-01-08", 14),
        ],
    )
    # The 7 Jan score is date-only on the day of infusion 2: pre-dose, so still session 1.
    assert sessions(status) == [
        ("2026-01-04", 0),
        ("2026-01-06", 1),
        ("2026-01-07", 1),
        ("2026-01-08", 2),
    ]
    assert [p.day for p in status.points] == [-1, 1, 2, 3]


def test_infusions_after_the_induction_are_boosters():
    """Eight infusions in one course: 6 induction + 2 boosters."""
    days = [
        "2026-01-05",
        "2026-01-06",
        "2026-01-07",
        "2026-01-08",
        "2026-01-09",
        "2026-01-10",
        "2026-01-15",
        "2026-01-19",
    ]
    status = analyse([inf(d) for d in days], [phq9("2026-01-04", 20)])
    assert status.sessions_completed == 8
    assert status.boosters == 2
    assert status.progress == "session 6 of 6 + 2 boosters"
    course = status.course
    assert course.number_of(course.infusions[6]) == 7
    assert course.is_booster(course.infusions[6], 6) and not course.is_booster(
        course.infusions[5], 6
    )


def test_assessment_belongs_to_the_course_until_the_next_course_starts():
    """Course 1 on 5 Jan, course 2 on 1 Mar: a 20 Feb score is course 1's; course 2 is analysed by default."""
    infusions = [inf("2026-01-05"), inf("2026-03-01", course=2), inf("2026-03-03", course=2)]
    scores = [
        phq9("2026-01-04", 20),
        phq9("2026-01-06", 10),
        phq9("2026-02-20", 18),
        phq9("2026-03-02", 9),
    ]
    latest = analyse(infusions, scores, as_of=date(2026, 3, 4))
    assert latest.course.number == 2 and latest.course_count == 2
    # Course 2's baseline: the last score on or before 1 Mar within 30 days, 18 on 20 Feb.
    assert latest.baseline.total == 18
    assert sessions(latest) == [("2026-02-20", 0), ("2026-03-02", 1)]
    first = analyse(infusions, scores, as_of=date(2026, 3, 4), course_number=1)
    assert sessions(first) == [("2026-01-04", 0), ("2026-01-06", 1), ("2026-02-20", 1)]


def test_explicitly_started_course_without_infusions():
    """A course started by a clinician before its first infusion has no sessions yet."""
    starts = pd.DataFrame({"patient_id": ["P1"], "course": [2], "started_at": ["2026-03-01"]})
    patient = group_by_patient([inf("2026-01-05")], [phq9("2026-02-27", 15)], starts)["P1"]
    [first, second] = courses_of(patient)
    assert (first.number, second.number) == (1, 2)
    assert second.infusions == ()
    status = analyse_patient(patient, "phq9", Settings(), date(2026, 3, 2))
    assert status.course.number == 2
    assert status.baseline.total == 15  # the latest score within 30 days, standing in
    assert status.verdict.value == "in_progress"
    assert status.progress == "no infusions yet"


def test_patient_without_any_infusion_shows_the_baseline_only():
    """No course yet: verdict in_progress, the waiting score is shown as a baseline."""
    status = analyse([], [phq9("2026-01-10", 15)])
    assert status.course is None
    assert status.baseline.total == 15
    assert status.verdict.value == "in_progress"
    assert status.status is None


def test_score_timed_at_the_same_minute_as_the_infusion_counts_as_before_it():
    """Score and infusion both at 09:00: the score is not after the infusion, so it is the baseline."""
    status = analyse([inf("2026-01-05T09:00")], [phq9("2026-01-05T09:00", 20)])
    assert status.baseline.total == 20
