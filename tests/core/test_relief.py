"""How long relief lasts (clinical-spec section 5): relapse, boosters, censoring, by hand.

Induction: six infusions from Mon 5 to Fri 16 January 2026, so day 0 is 16
Jan. PHQ-9 baseline 20 on 4 Jan; a response is a score of 10 or less, so a
score of 11 or more fails (improvement below 50%). Every patient responds on
17 Jan (day 1) with a score of 8.
"""

from datetime import date

from outcomes.records import Assessment, Infusion, group_by_patient
from outcomes.settings import Settings
from outcomes.status import analyse_patient
from outcomes.timepoints import parse_timepoint

INDUCTION = ("2026-01-05", "2026-01-07", "2026-01-09", "2026-01-12", "2026-01-14", "2026-01-16")


def relief_of(later_scores, boosters=(), settings=Settings(), as_of="2026-04-01", **kw):
    infusions = [Infusion("P1", parse_timepoint(d)) for d in INDUCTION + tuple(boosters)]
    scores = [("2026-01-04", 20), ("2026-01-17", 8), *later_scores]
    patient = group_by_patient(
        infusions, [Assessment("P1", parse_timepoint(d), "phq9", t) for d, t in scores]
    )["P1"]
    status = analyse_patient(patient, "phq9", settings, date.fromisoformat(as_of), **kw)
    assert status.verdict.value == "responder"
    return status


def test_relapse_is_the_first_failing_score():
    """Scores 8 (day 1), 12 (day 7, 40%), 8 (day 14): relapse on day 7 with one confirmation."""
    status = relief_of([("2026-01-23", 12), ("2026-01-30", 8)])
    relief = status.relief
    assert (relief.days, relief.censored, relief.ended_by) == (7, False, "relapse")
    assert relief.relapse_when.iso() == "2026-01-23"
    assert relief.day0.iso() == "2026-01-16"
    assert status.as_json()["relapse"] == {"date": "2026-01-23", "days_after_last_infusion": 7}


def test_single_dip_that_recovers_is_not_a_relapse_with_two_confirmations():
    """Same scores with relapse_confirmations = 2: the dip is not confirmed; censored at day 14."""
    relief = relief_of(
        [("2026-01-23", 12), ("2026-01-30", 8)], settings=Settings(relapse_confirmations=2)
    ).relief
    assert (relief.days, relief.censored, relief.ended_by) == (14, True, "ongoing")


def test_confirmed_relapse_is_dated_at_the_first_failing_score():
    """12 (day 7) then 11 (day 14) with two confirmations: relapse on day 7, not 14."""
    relief = relief_of(
        [("2026-01-23", 12), ("2026-01-30", 11)], settings=Settings(relapse_confirmations=2)
    ).relief
    assert (relief.days, relief.ended_by) == (7, "relapse")
    assert relief.relapse_when.iso() == "2026-01-23"


def test_last_failing_score_awaits_its_confirmation():
    """A failing last score with two confirmations needed is not yet a relapse: censored at it."""
    relief = relief_of([("2026-01-30", 12)], settings=Settings(relapse_confirmations=2)).relief
    assert (relief.days, relief.censored, relief.ended_by) == (14, True, "ongoing")


def test_exactly_50_percent_still_holds_relief():
    """A score of 10 is exactly 50% better than 20: relief holds, censored at the latest score."""
    relief = relief_of([("2026-01-23", 10), ("2026-02-15", 10)]).relief
    assert (relief.days, relief.censored) == (30, True)


def test_relief_censored_at_the_latest_assessment():
    """No failing score by 15 Feb (day 30): relief_days 30, relief_censored true."""
    status = relief_of([("2026-01-23", 7), ("2026-02-15", 9)])
    assert (status.relief.days, status.relief.censored, status.relief.ended_by) == (
        30,
        True,
        "ongoing",
    )
    assert status.as_json()["relapse"] is None
    assert status.as_json()["relief_days"] == 30 and status.as_json()["relief_censored"] is True


def test_booster_before_relapse_ends_relief_by_default():
    """A booster on 26 Jan (day 10) before any failing score: relief ends there, as an event."""
    relief = relief_of([("2026-01-23", 9), ("2026-02-01", 14)], boosters=["2026-01-26"]).relief
    assert (relief.days, relief.censored, relief.ended_by) == (10, False, "booster")


def test_booster_censors_relief_when_booster_ends_relief_is_false():
    """booster_ends_relief = false: the same patient is censored at day 10 instead."""
    relief = relief_of(
        [("2026-01-23", 9)], boosters=["2026-01-26"], settings=Settings(booster_ends_relief=False)
    ).relief
    assert (relief.days, relief.censored, relief.ended_by) == (10, True, "booster")


def test_relapse_before_the_booster_is_a_relapse():
    """Failing 13 on 23 Jan (day 7), booster on 26 Jan: relapse at day 7."""
    relief = relief_of([("2026-01-23", 13)], boosters=["2026-01-26"]).relief
    assert (relief.days, relief.ended_by) == (7, "relapse")


def test_confirmation_after_the_booster_does_not_count():
    """With two confirmations, 13 (day 7) then a booster then 12: the booster ends relief at day 10."""
    relief = relief_of(
        [("2026-01-23", 13), ("2026-01-27", 12)],
        boosters=["2026-01-26"],
        settings=Settings(relapse_confirmations=2),
    ).relief
    assert (relief.days, relief.ended_by) == (10, "booster")


def test_new_course_ends_relief_like_a_booster():
    """Course 1 judged on its own: course 2's first infusion on 1 Mar (day 44) ends its relief."""
    infusions = [Infusion("P1", parse_timepoint(d)) for d in INDUCTION]
    infusions.append(Infusion("P1", parse_timepoint("2026-03-01"), course=2))
    scores = [("2026-01-04", 20), ("2026-01-17", 8), ("2026-02-15", 9)]
    patient = group_by_patient(
        infusions, [Assessment("P1", parse_timepoint(d), "phq9", t) for d, t in scores]
    )["P1"]
    status = analyse_patient(patient, "phq9", Settings(), date(2026, 3, 2), course_number=1)
    assert (status.relief.days, status.relief.ended_by, status.relief.censored) == (
        44,
        "booster",
        False,
    )


def test_relief_waits_for_the_end_of_the_induction():
    """A responder after 3 of 6 infusions, the last 3 days ago, has no relief measured yet."""
    patient = group_by_patient(
        [Infusion("P1", parse_timepoint(d)) for d in INDUCTION[:3]],
        [
            Assessment("P1", parse_timepoint(d), "phq9", t)
            for d, t in (("2026-01-04", 20), ("2026-01-10", 8), ("2026-01-11", 14))
        ],
    )["P1"]
    in_induction = analyse_patient(patient, "phq9", Settings(), date(2026, 1, 12))
    assert in_induction.verdict.value == "responder" and in_induction.relief is None
    # Once the course has stopped short (last infusion > 21 days ago), day 0 is infusion 3.
    stopped = analyse_patient(patient, "phq9", Settings(), date(2026, 2, 1))
    assert (stopped.relief.days, stopped.relief.ended_by) == (2, "relapse")


def test_non_responders_have_no_relief():
    """Relief is measured for responders only: 14 of 20 (30%) after the induction has none."""
    patient = group_by_patient(
        [Infusion("P1", parse_timepoint(d)) for d in INDUCTION],
        [
            Assessment("P1", parse_timepoint(d), "phq9", t)
            for d, t in [("2026-01-04", 20), ("2026-01-23", 14)]
        ],
    )["P1"]
    status = analyse_patient(patient, "phq9", Settings(), date(2026, 2, 1))
    assert status.verdict.value == "non_responder"
    assert status.relief is None
    assert status.as_json()["relief_days"] is None


def lost_case(scores, as_of="2026-03-01", given=INDUCTION, baseline_day="2026-01-04"):
    """Baseline 20 on 4 Jan, the January induction (or its first infusions), then `scores`."""
    infusions = [Infusion("P1", parse_timepoint(d)) for d in given]
    rows = [(baseline_day, 20), *scores]
    patient = group_by_patient(
        infusions, [Assessment("P1", parse_timepoint(d), "phq9", t) for d, t in rows]
    )["P1"]
    return analyse_patient(patient, "phq9", Settings(), date.fromisoformat(as_of))


def test_response_lost_during_the_induction_is_zero_days():
    """10 after infusion 2 (response), 14 after infusion 5 (30%), 13 on 20 Jan (day 4, in the
    verdict window, 35%: confirms the loss): relief 0 days, lost, confirmed by the 20 Jan score."""
    status = lost_case([("2026-01-08", 10), ("2026-01-15", 14), ("2026-01-20", 13)])
    assert status.verdict.value == "responder" and status.first_response.session == 2
    assert (status.relief.days, status.relief.censored, status.relief.ended_by) == (
        0,
        False,
        "lost_during_induction",
    )
    assert status.relief.relapse_when.iso() == "2026-01-15"
    assert status.relief.measured_to.iso() == "2026-01-20"
    doc = status.as_json()
    assert doc["response_at_end_of_induction"] is False and doc["relief_days"] == 0


def test_dip_at_the_last_session_that_returns_is_not_a_loss():
    """10 after infusion 2, 14 after infusion 5 (a dip), 9 on 20 Jan (day 4, in the window,
    55%): the dip is not confirmed; relief holds from day 0 to 20 Jan, 4 days, censored."""
    status = lost_case([("2026-01-08", 10), ("2026-01-15", 14), ("2026-01-20", 9)])
    relief = status.relief
    assert (relief.days, relief.censored, relief.ended_by) == (4, True, "ongoing")
    assert relief.measured_to.iso() == "2026-01-20"
    assert status.as_json()["response_at_end_of_induction"] is False


def test_dip_that_returns_then_relapses_counts_from_day_0():
    """Dip, 9 on 20 Jan (back to response), 12 on 30 Jan (40%): relapse at day 14."""
    status = lost_case(
        [("2026-01-08", 10), ("2026-01-15", 14), ("2026-01-20", 9), ("2026-01-30", 12)]
    )
    assert (status.relief.days, status.relief.ended_by) == (14, "relapse")
    assert status.as_json()["relapse"] == {"date": "2026-01-30", "days_after_last_infusion": 14}


def test_dip_with_no_score_in_the_window_is_a_loss():
    """10 after infusion 2, 14 after infusion 5, nothing until 2 Feb (day 17, past the 7-day
    window): nothing confirms a return, so the loss stands (relief 0, no confirming score)."""
    status = lost_case([("2026-01-08", 10), ("2026-01-15", 14), ("2026-02-02", 9)])
    assert (status.relief.days, status.relief.ended_by) == (0, "lost_during_induction")
    assert status.relief.measured_to is None


def test_no_relapse_before_the_first_response():
    """The issue's minimal case: baseline 20 on 27 Aug; infusions at 10:00 on 29 and 31 Aug,
    2, 5, 7 and 9 Sep (day 0 = 9 Sep); 15 on 1 Sep, 12 on 10 Sep (40%, before any response),
    9 on 14 Sep (55%: the first response, day 5 in the window), 9 on 28 Sep. The 12 is not a
    relapse: relief holds to 28 Sep, 19 days, censored; the response was reached only after
    day 0, so response_at_end_of_induction is false."""
    days = ("08-29", "08-31", "09-02", "09-05", "09-07", "09-09")
    status = lost_case(
        [("2026-09-01", 15), ("2026-09-10", 12), ("2026-09-14", 9), ("2026-09-28", 9)],
        as_of="2026-10-15",
        given=tuple(f"2026-{d}T10:00" for d in days),
        baseline_day="2026-08-27",
    )
    doc = status.as_json()
    assert doc["first_response"]["date"] == "2026-09-14"
    assert doc["relapse"] is None
    assert (doc["relief_days"], doc["relief_censored"], doc["relief_ended_by"]) == (
        19,
        True,
        "ongoing",
    )
    assert doc["response_at_end_of_induction"] is False


def test_score_on_the_last_infusion_day_counts_before_it():
    """A date-only 12 on 16 Jan (the day of infusion 6) is before it: the response of 8 Jan was lost."""
    status = lost_case([("2026-01-08", 10), ("2026-01-16", 12)])
    assert status.relief.ended_by == "lost_during_induction"


def test_response_held_to_the_end_of_the_induction_is_measured_as_usual():
    """10 after infusion 2, 9 after infusion 5, 14 on 30 Jan: relapse at day 14, response held at day 0."""
    status = lost_case([("2026-01-08", 10), ("2026-01-15", 9), ("2026-01-30", 14)])
    assert (status.relief.days, status.relief.ended_by) == (14, "relapse")
    assert status.as_json()["response_at_end_of_induction"] is True


def test_first_response_after_day_0_is_measured_as_usual():
    """No response before infusion 6; 10 on 17 Jan (day 1, verdict window): relief from day 0.
    The latest score on or before day 0 (15) is no response: response_at_end_of_induction is
    false (section 5: a response reached only in the verdict window after day 0)."""
    status = lost_case([("2026-01-08", 15), ("2026-01-17", 10), ("2026-02-01", 9)])
    assert (status.relief.days, status.relief.ended_by) == (16, "ongoing")
    assert status.as_json()["response_at_end_of_induction"] is False


def test_response_at_end_of_induction_is_null_without_relief():
    """A non-responder and a responder still in the induction: null."""
    assert lost_case([("2026-01-17", 15)]).as_json()["response_at_end_of_induction"] is None
    status = lost_case([("2026-01-08", 10)], as_of="2026-01-10", given=INDUCTION[:3])
    assert status.verdict.value == "responder" and status.relief is None
    assert status.as_json()["response_at_end_of_induction"] is None
