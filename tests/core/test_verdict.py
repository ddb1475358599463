"""The six-session verdict (clinical-spec section 4): each of the five values, by hand.

The induction is six infusions on Mon 5, Wed 7, Fri 9, Mon 12, Wed 14 and Fri
16 January 2026 (days 0, 2, 4, 7, 9, 11); the PHQ-9 baseline is 20 on 4 Jan,
so a response is a score of 10 or less.
"""

from datetime import date

import pytest

from outcomes import wording
from outcomes.records import Assessment, Infusion, group_by_patient
from outcomes.settings import Settings
from outcomes.status import analyse_patient
from outcomes.timepoints import parse_timepoint
from outcomes.verdict import VERDICTS

INDUCTION = ("2026-01-05", "2026-01-07", "2026-01-09", "2026-01-12", "2026-01-14", "2026-01-16")


def analyse(scores, infusions=INDUCTION, as_of="2026-02-15", settings=Settings()):
    patient = group_by_patient(
        [Infusion("P1", parse_timepoint(d)) for d in infusions],
        [Assessment("P1", parse_timepoint(d), "phq9", t) for d, t in [("2026-01-04", 20), *scores]],
    )["P1"]
    return analyse_patient(patient, "phq9", settings, date.fromisoformat(as_of))


def test_the_five_verdict_values():
    """The verdict is one of responder, non_responder, incomplete, in_progress, no_baseline."""
    assert VERDICTS == ("responder", "non_responder", "incomplete", "in_progress", "no_baseline")


def test_responder_reports_first_response_session_and_days():
    """16 on 8 Jan (session 2), 10 on 10 Jan (session 3, day 5): responder from session 3."""
    status = analyse([("2026-01-08", 16), ("2026-01-10", 10), ("2026-01-13", 8)])
    assert status.verdict.value == "responder"
    assert (status.first_response.session, status.first_response.days_from_first_infusion) == (3, 5)
    assert status.first_response.when.when.iso() == "2026-01-10"
    assert "session 3, day 5" in wording.verdict_reason(status.verdict)


def test_date_only_score_on_infusion_day_counts_for_the_session_before():
    """A response dated 9 Jan (infusion 3's day, no time) is pre-dose: session 2, day 4."""
    status = analyse([("2026-01-09", 9)])
    assert (status.first_response.session, status.first_response.days_from_first_infusion) == (2, 4)


def test_response_reached_before_the_sixth_infusion_is_already_a_responder():
    """Response after infusion 1 of 2 given so far: responder, though the induction goes on."""
    status = analyse([("2026-01-06", 9)], infusions=INDUCTION[:2], as_of="2026-01-08")
    assert status.verdict.value == "responder"
    assert status.first_response.session == 1


def test_non_responder_after_the_verdict_window():
    """Six infusions, best 12 (40%), and today is past 16 + 7 Jan: non_responder."""
    status = analyse([("2026-01-10", 14), ("2026-01-17", 12)], as_of="2026-01-24")
    assert status.verdict.value == "non_responder"
    assert status.best_improvement == 40.0


def test_in_progress_while_the_verdict_window_is_open():
    """Same scores but today is 23 Jan (day 7 after infusion 6): still in_progress."""
    status = analyse([("2026-01-10", 14), ("2026-01-17", 12)], as_of="2026-01-23")
    assert status.verdict.value == "in_progress"


@pytest.mark.parametrize(
    "when, verdict", [("2026-01-23", "responder"), ("2026-01-24", "non_responder")]
)
def test_verdict_window_day_7_counts_day_8_does_not(when, verdict):
    """A response 7 days after infusion 6 (23 Jan) counts; 8 days after (24 Jan) does not."""
    status = analyse([("2026-01-17", 14), (when, 9)], as_of="2026-02-01")
    assert status.verdict.value == verdict
    assert status.points[-1].in_verdict_window is (verdict == "responder")


def test_verdict_window_is_a_setting():
    """With verdict_window_days = 10 the 8-day-later response counts."""
    status = analyse([("2026-01-24", 9)], settings=Settings(verdict_window_days=10))
    assert status.verdict.value == "responder"
    assert status.first_response.session == 6


def test_infusion_7_closes_the_verdict_window():
    """A booster on 20 Jan: a response on 21 Jan (5 days after infusion 6) is session 7, too late."""
    status = analyse(
        [("2026-01-17", 14), ("2026-01-21", 9)],
        infusions=INDUCTION + ("2026-01-20",),
        as_of="2026-01-22",
    )
    assert status.points[-1].session == 7
    assert status.verdict.value == "non_responder"


def test_assessment_after_the_window_decides_non_responder():
    """A score 9 days after infusion 6 with no response ends the wait, whatever today is."""
    status = analyse([("2026-01-25", 14)], as_of="2026-01-25")
    assert status.verdict.value == "non_responder"


@pytest.mark.parametrize(
    "as_of, verdict", [("2026-01-30", "in_progress"), ("2026-01-31", "incomplete")]
)
def test_incomplete_when_the_last_infusion_is_more_than_21_days_old(as_of, verdict):
    """Three infusions, the last on 9 Jan: 21 days later still in_progress, 22 days later incomplete."""
    status = analyse([("2026-01-10", 16)], infusions=INDUCTION[:3], as_of=as_of)
    assert status.verdict.value == verdict


def test_in_progress_during_the_induction():
    """Four infusions so far, 40% better, last infusion 3 days ago: in_progress, 'session 4 of 6'."""
    status = analyse([("2026-01-13", 12)], infusions=INDUCTION[:4], as_of="2026-01-15")
    assert status.verdict.value == "in_progress"
    assert status.progress == "session 4 of 6"


def test_no_baseline_verdict():
    """No score before the first infusion: no_baseline, whatever happens after."""
    patient = group_by_patient(
        [Infusion("P1", parse_timepoint(d)) for d in INDUCTION],
        [Assessment("P1", parse_timepoint("2026-01-10"), "phq9", 5)],
    )["P1"]
    status = analyse_patient(patient, "phq9", Settings(), date(2026, 2, 1))
    assert status.verdict.value == "no_baseline"
    assert "baseline_window_days" in wording.verdict_reason(status.verdict)


def test_induction_length_is_a_setting():
    """With induction_sessions = 4 the fourth infusion ends the induction and the rest are boosters."""
    status = analyse(
        [("2026-01-13", 12)], settings=Settings(induction_sessions=4), as_of="2026-01-20"
    )
    assert status.verdict.value == "non_responder"  # infusion 5 (14 Jan) closed the window
    assert status.progress == "session 4 of 4 + 2 boosters"


def test_best_improvement_counts_only_the_verdict_window():
    """Best within the induction is 40%; a later 60% (after a booster) is not part of it."""
    status = analyse(
        [("2026-01-17", 12), ("2026-01-22", 8)],
        infusions=INDUCTION + ("2026-01-20",),
        as_of="2026-01-23",
    )
    assert status.best_improvement == 40.0
    assert status.latest.improvement == 60.0


def test_non_responder_without_any_score_says_nothing_was_measured():
    """Six infusions, window over, no score after the baseline: non_responder, and the reason says why."""
    status = analyse([], as_of="2026-02-01")
    assert status.verdict.value == "non_responder"
    assert "no score was recorded" in wording.verdict_reason(status.verdict)


def test_what_closed_the_window_of_a_non_responder_is_said():
    """14 on 17 Jan (30%): by 15 Feb the window (to 23 Jan) has passed; on 20 Jan a booster on
    19 Jan closed it early; on 20 Jan an assessment dated 24 Jan (after the window, as of a
    date before it was taken, as a back-dated "today" can give) closes it too (section 4)."""
    passed = analyse([("2026-01-17", 14)])
    assert passed.verdict.value == "non_responder" and passed.verdict.closed_by == "window_passed"
    assert wording.verdict_reason(passed.verdict) == (
        "all 6 induction infusions given and no response (>= 50% below baseline) "
        "by 7 days after infusion 6"
    )
    booster = analyse([("2026-01-17", 14)], INDUCTION + ("2026-01-19",), as_of="2026-01-20")
    assert booster.verdict.closed_by == "later_session"
    assert wording.verdict_reason(booster.verdict).endswith(
        "(closed early by a session given after the induction)"
    )
    later = analyse([("2026-01-17", 14), ("2026-01-24", 15)], as_of="2026-01-20")
    assert later.verdict.value == "non_responder"
    assert wording.verdict_reason(later.verdict).endswith(
        "(closed early by an assessment dated after the verdict window)"
    )
