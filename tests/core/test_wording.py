"""Every wording function over every kind of patient: the sentences agree with the numbers.

One table of hand-made PHQ-9 patients (baseline on 4 Jan 2026, six infusions
from 5 to 16 Jan, so day 0 is 16 Jan; 10 or less is a response from 20), and
every sentence `outcomes.wording` makes about each, checked against the
numbers: a change is worded by its direction (never "-N% below"), "better" or
"improving" never stands beside a latest score higher than the one before, the
relief wording matches how relief ended, and counts agree in number.
"""

import re
from datetime import date

import pytest

from outcomes import wording
from outcomes.followup import next_followup
from outcomes.records import Assessment, Infusion, group_by_patient
from outcomes.settings import Settings
from outcomes.status import analyse_patient
from outcomes.timepoints import parse_timepoint

INDUCTION = ("2026-01-05", "2026-01-07", "2026-01-09", "2026-01-12", "2026-01-14", "2026-01-16")
TODAY = date(2026, 3, 1)
NO_BOOSTER_END = Settings(booster_ends_relief=False)

#: name: (scores after the baseline of 20, boosters, settings, what the words must say)
PATIENTS = {
    "improved": (
        [("2026-01-08", 14), ("2026-01-17", 8)],
        (),
        Settings(),
        {
            "status": "60% below the starting score of 20",
            "trend": "better than the score before: 14 then 8",
        },
    ),
    "worsened": (
        [("2026-01-08", 22), ("2026-01-17", 26)],
        (),
        Settings(),
        {
            "status": "30% above the starting score of 20",
            "trend": "about the same as the score before: 22 then 26",
        },
    ),
    "level": (
        [("2026-01-08", 20), ("2026-01-17", 20)],
        (),
        Settings(),
        {
            "status": "the same as the starting score of 20",
            "trend": "about the same as the score before: 20 then 20",
        },
    ),
    "relapsed": (
        [("2026-01-08", 5), ("2026-01-30", 23), ("2026-02-10", 22)],
        (),
        Settings(),
        {
            "relief": "14 days after the last induction infusion (2026-01-16), ended by loss of response",
            "trend": "about the same as the score before: 23 then 22",
        },
    ),
    "lost_in_induction": (
        [("2026-01-08", 10), ("2026-01-15", 14), ("2026-01-20", 13)],
        (),
        Settings(),
        {
            "relief": "no relief after the induction: the response reached at session 2 was "
            "lost by the last induction infusion (score 14 on 2026-01-15, confirmed by 13 on "
            "2026-01-20)"
        },
    ),
    "remitted": (
        [("2026-01-08", 9), ("2026-01-17", 3)],
        (),
        Settings(),
        {"status": "remission: PHQ-9 3 (minimal) at session 6, 85% below"},
    ),
    "ongoing": (
        [("2026-01-08", 9), ("2026-01-17", 8)],
        (),
        Settings(),
        {
            "relief": "at least 1 day after the last induction infusion (2026-01-16): still holding at the latest score"
        },
    ),
    "booster_ends": (
        [("2026-01-08", 9), ("2026-01-20", 8)],
        ("2026-02-05",),
        Settings(),
        {
            "relief": "20 days after the last induction infusion (2026-01-16), ended by a booster on 2026-02-05"
        },
    ),
    "booster_censors": (
        [("2026-01-08", 9), ("2026-01-20", 8)],
        ("2026-02-05",),
        NO_BOOSTER_END,
        {
            "relief": "at least 20 days after the last induction infusion (2026-01-16): still holding "
            "when a booster was given on 2026-02-05"
        },
    ),
}
NO_BASELINE = "no_baseline"

#: Esketamine: eight intranasal sessions, twice weekly from 5 to 29 Jan (day 0 is 29 Jan).
ESK_INDUCTION = (
    "2026-01-05",
    "2026-01-08",
    "2026-01-12",
    "2026-01-15",
    "2026-01-19",
    "2026-01-22",
    "2026-01-26",
    "2026-01-29",
)
#: name: (scores after the baseline of 20, sessions given, boosters, what the words must say)
ESKETAMINE_PATIENTS = {
    "esk_ongoing": (
        [("2026-01-09", 9), ("2026-01-30", 8)],
        8,
        (),
        {
            "verdict": "response (>= 50% below baseline) at session 2, day 4 after the first session",
            "relief": "at least 1 day after the last induction session (2026-01-29): still holding",
            "progress": "session 8 of 8",
            "title": "Eight-session verdict",
        },
    ),
    "esk_non_responder": (
        [("2026-01-09", 18), ("2026-02-02", 17)],
        8,
        (),
        {
            "verdict": "all 8 induction sessions given and no response (>= 50% below baseline) "
            "by 7 days after session 8",
            "relief": "not measured: relief is measured for responders only",
        },
    ),
    "esk_stopped_short": (
        [("2026-01-09", 18)],
        5,
        (),
        {
            "verdict": "5 of 8 induction sessions, the last 41 days ago (more than 21",
            "progress": "session 5 of 8",
        },
    ),
    "esk_booster": (
        [("2026-01-09", 9), ("2026-02-03", 8)],
        8,
        ("2026-02-12",),
        {
            "relief": "14 days after the last induction session (2026-01-29), ended by a booster",
            "progress": "session 8 of 8 + 1 booster",
        },
    ),
    "esk_relapsed": (
        [("2026-01-09", 5), ("2026-02-10", 23), ("2026-02-12", 22)],
        8,
        (),
        {
            "relief": "12 days after the last induction session (2026-01-29), ended by loss of response"
        },
    ),
}


def status_of(name):
    drug = "ketamine"
    if name == NO_BASELINE:
        scores, sessions, settings = [("2026-01-17", 8)], INDUCTION, Settings()
    elif name in ESKETAMINE_PATIENTS:
        scores, given, boosters, _ = ESKETAMINE_PATIENTS[name]
        scores, sessions, settings, drug = (
            [("2026-01-04", 20), *scores],
            ESK_INDUCTION[:given] + boosters,
            Settings(),
            "esketamine",
        )
    else:
        scores, boosters, settings, _ = PATIENTS[name]
        scores, sessions = [("2026-01-04", 20), *scores], INDUCTION + boosters
    extra = {"drug": drug, "dose_mg": 56, "route": "intranasal"} if drug == "esketamine" else {}
    infusions = [Infusion("P1", parse_timepoint(d), **extra) for d in sessions]
    patient = group_by_patient(
        infusions, [Assessment("P1", parse_timepoint(d), "phq9", t) for d, t in scores]
    )["P1"]
    return analyse_patient(patient, "phq9", settings, TODAY)


def every_sentence(status):
    """Every sentence the wording module makes about one status."""
    texts = [
        wording.status_sentence(status),
        wording.progress_words(status),
        wording.verdict_reason(status.verdict),
        wording.verdict_title(status),
        wording.progress_short(status),
        wording.relief_words(status),
        wording.headline(status, "phq9"),
        *wording.milestone_lines(status),
        *wording.session_lines(status, next_followup(status, TODAY), TODAY),
    ]
    optional = [
        wording.best_words(status),
        wording.trend_words(status.trend),
        wording.milestone_words(status.first_response, wording.noun_of(status)),
        wording.reliable_words(status.reliable) if status.reliable else None,
        wording.latest_line(status),
        wording.patient_relief_line(status),
    ]
    return texts + [t for t in optional if t]


ALL = [*PATIENTS, NO_BASELINE, *ESKETAMINE_PATIENTS]


@pytest.mark.parametrize("name", ALL)
def test_no_negative_percentage_and_no_wrong_plural(name):
    """Never "-N% below/above", "1 days", "1 points", "1 boosters" or "(s)"."""
    for text in every_sentence(status_of(name)):
        assert not re.search(r"-\d+(\.\d+)?%", text), text
        assert not re.search(r"\b1 (days|points|boosters|infusions|records)\b", text), text
        assert "(s)" not in text, text


@pytest.mark.parametrize("name", ALL)
def test_direction_words_agree_with_the_numbers(name):
    """A latest score above the start reads "above"/"higher", never "below"/"lower"; trend likewise."""
    status = status_of(name)
    latest = status.latest
    sentences = every_sentence(status)
    if status.baseline is not None and latest is not None:
        change = round(latest.improvement)
        sentence = wording.status_sentence(status)
        if change < 0:
            assert (
                "above the starting score" in sentence
                and "higher than before" in wording.headline(status, "phq9")
            )
            assert "lower than where you started" not in (wording.latest_line(status) or "")
        elif change > 0:
            assert (
                "below the starting score" in sentence
                and "lower than before" in wording.headline(status, "phq9")
            )
    trend = status.trend
    if trend is not None and trend.latest > trend.previous:
        assert not any(
            re.search(r"\b(better|improving)\b", t) for t in [wording.trend_words(trend)]
        )
    if (
        status.reliable is not None
        and status.reliable.change is not None
        and status.reliable.change < 0
    ):
        assert "worse by" in wording.reliable_words(status.reliable)
    assert sentences  # every patient gets words


@pytest.mark.parametrize("name", list(PATIENTS))
def test_the_words_each_patient_expects(name):
    """The hand-worked sentence for each kind of patient appears where it belongs."""
    status = status_of(name)
    expected = PATIENTS[name][3]
    got = {
        "status": wording.status_sentence(status),
        "relief": wording.relief_words(status),
        "trend": wording.trend_words(status.trend) or "",
    }
    for key, text in expected.items():
        assert text in got[key], (key, got[key])


def test_relief_wording_matches_how_relief_ended():
    """Censored at a booster never reads "at the latest score"; lost in the induction never "holding"."""
    censored = wording.relief_words(status_of("booster_censors"))
    assert "booster" in censored and "at the latest score" not in censored
    assert "holding" not in wording.relief_words(status_of("lost_in_induction"))
    assert "until you had a booster" in wording.patient_relief_line(status_of("booster_censors"))
    assert "no longer that low" in wording.patient_relief_line(status_of("lost_in_induction"))
    assert "not measured" in wording.relief_words(status_of(NO_BASELINE))


def test_a_worse_patient_is_never_told_it_is_lower():
    """The issue's case: 20 then 26 reads "30% higher", and the latest line says higher, by 30%."""
    status = status_of("worsened")
    assert wording.headline(status, "phq9").endswith("30% higher than before your first infusion.")
    assert (
        wording.latest_line(status) == "Your latest score is higher than where you started, by 30%."
    )


@pytest.mark.parametrize(
    "change, expected",
    [
        (8, "better by 8 points"),
        (1, "better by 1 point"),
        (-2, "worse by 2 points"),
        (-1, "worse by 1 point"),
        (0, "no change in points"),
    ],
)
def test_points_change(change, expected):
    """Reliable change as "better by 8 points" / "worse by 2 points"."""
    assert wording.points_change(change) == expected


@pytest.mark.parametrize(
    "improvement, expected",
    [
        (60, "60% below the starting score"),
        (-60, "60% above the starting score"),
        (-10.4, "10% above the starting score"),
        (0.4, "the same as the starting score"),
        (-0.4, "the same as the starting score"),
    ],
)
def test_percent_change(improvement, expected):
    """Change by its direction; a rounded 0 is "the same as", never "0% above"."""
    assert wording.percent_change(improvement) == expected


def test_reliable_change_words_for_the_issue_cases():
    """20 -> 12 is "reliable improvement: better by 8 points"; 14 -> 16 and the issue's riddle
    "unchanged: better by 5 points" (20 -> 15) say "no reliable change" with the threshold."""
    from outcomes.reliable_change import reliable_change

    assert wording.reliable_words(reliable_change("phq9", 20, 12, Settings())) == (
        "reliable improvement: better by 8 points since the starting score; a change of "
        "6 points or more is reliable (NHS Talking Therapies)"
    )
    assert wording.reliable_words(reliable_change("phq9", 14, 16, Settings())).startswith(
        "no reliable change: worse by 2 points since the starting score"
    )
    assert wording.reliable_words(reliable_change("phq9", 20, 15, Settings())) == (
        "no reliable change: better by 5 points since the starting score; a change of "
        "6 points or more is reliable (NHS Talking Therapies)"
    )
    assert wording.reliable_words(reliable_change("madrs", 30, 10, Settings())) == (
        "not assessed: no reliable-change parameters for madrs: set rc_sd_madrs and rc_r_madrs"
    )


def test_progress_takes_n_from_the_status():
    """With an induction of 4, six infusions read "session 4 of 4 + 2 boosters" and "4/4 +2 boosters"."""
    infusions = [Infusion("P1", parse_timepoint(d)) for d in INDUCTION]
    patient = group_by_patient(
        infusions, [Assessment("P1", parse_timepoint("2026-01-04"), "phq9", 20)]
    )["P1"]
    status = analyse_patient(patient, "phq9", Settings(induction_sessions=4), TODAY)
    assert wording.progress_words(status) == "session 4 of 4 + 2 boosters"
    assert wording.progress_short(status) == "4/4 +2 boosters"


@pytest.mark.parametrize("name", list(ESKETAMINE_PATIENTS))
def test_an_esketamine_course_has_sessions_never_infusions(name):
    """Every sentence about an esketamine course says "session" (of 8), never "infusion" or "of 6"."""
    status = status_of(name)
    assert status.induction_size == 8
    expected = ESKETAMINE_PATIENTS[name][3]
    got = {
        "verdict": wording.verdict_reason(status.verdict),
        "relief": wording.relief_words(status),
        "progress": wording.progress_words(status),
        "title": wording.verdict_title(status),
    }
    for key, text in expected.items():
        assert text in got[key], (key, got[key])
    for text in every_sentence(status):
        assert "infusion" not in text and not re.search(r"\bof 6\b(?! points)", text), text
    patient_words = " ".join(
        [
            wording.headline(status, "phq9"),
            *wording.session_lines(status, next_followup(status, TODAY), TODAY),
            *wording.milestone_lines(status),
            wording.patient_relief_line(status) or "",
        ]
    )
    assert "nasal spray session" in patient_words


@pytest.mark.parametrize(
    "name, reason",
    [
        (
            "improved",
            "response (>= 50% below baseline) at session 6, day 12 after the first infusion",
        ),
        (
            "worsened",
            "all 6 induction infusions given and no response (>= 50% below baseline) "
            "by 7 days after infusion 6",
        ),
        (
            NO_BASELINE,
            "no usable baseline: no score on or before the first infusion within 30 days (baseline_window_days)",
        ),
    ],
)
def test_a_ketamine_verdict_keeps_its_infusions(name, reason):
    """The ketamine reasons read as before the drug was a parameter: infusions, of 6."""
    status = status_of(name)
    assert wording.verdict_reason(status.verdict).startswith(reason)
    assert wording.verdict_title(status) == "Six-session verdict"


@pytest.mark.parametrize(
    ("k", "induction", "words"),
    [
        (3, 8, "session 3 of 8"),
        (8, 8, "session 8 of 8"),
        (9, 8, "booster 1 (session 9)"),
        (6, 6, "session 6 of 6"),
        (8, 6, "booster 2 (session 8)"),
    ],
)
def test_a_session_past_the_induction_is_a_booster_never_session_9_of_8(k, induction, words):
    """Session screens and session records name a booster as one, not "session 9 of 8"."""
    assert wording.session_place(k, induction) == words


def test_no_score_since_day_0_is_said_so_to_clinician_and_patient():
    """Responded at session 3 (8 on 10 Jan), nothing after day 0 (16 Jan): the relief line names
    day 0 and says no score came since; the patient is never told "0 days so far"."""
    patient = group_by_patient(
        [Infusion("P1", parse_timepoint(d)) for d in INDUCTION],
        [
            Assessment("P1", parse_timepoint(d), "phq9", t)
            for d, t in [("2026-01-04", 20), ("2026-01-10", 8)]
        ],
    )["P1"]
    status = analyse_patient(patient, "phq9", Settings(), date(2026, 3, 1))
    assert wording.relief_words(status) == (
        "not measured yet: no score since the last induction infusion (2026-01-16); "
        "relief is counted from it once a score comes"
    )
    assert wording.patient_relief_line(status) == (
        "There is no score since your last of the first 6 infusions yet, so how long the "
        "improvement lasts is not known yet."
    )


def test_list_counts_group_thousands_and_say_when_they_count_a_filtered_list():
    """The same grouping whatever the size, "1 patient" alone, and "of these" under a filter."""
    from outcomes.wording import list_counts, shown_of

    assert shown_of(10000, 10000, "patient") == "10,000 patients"
    assert shown_of(1, 1, "patient") == "1 patient"
    assert shown_of(624, 10000, "patient") == "624 of 10,000 patients"
    assert list_counts(624, 10000, "PHQ-9", 301, 1209) == (
        "624 of 10,000 patients · scale PHQ-9 · of these, 301 with open alerts · "
        "1,209 with a follow-up due"
    )
    assert list_counts(10000, 10000, "PHQ-9", 4894, "?") == (
        "10,000 patients · scale PHQ-9 · 4,894 with open alerts · ? with a follow-up due"
    )


def test_a_response_threshold_is_told_as_a_score_the_scale_can_reach():
    """A baseline of 19: response is 9.5 or lower by the rule, so the patient reads "to 9 or
    lower" and no sentence about this patient shows a half score."""
    infusions = [Infusion("P1", parse_timepoint(d)) for d in INDUCTION]
    scores = [("2026-01-04", 19), ("2026-01-08", 14)]
    patient = group_by_patient(
        infusions, [Assessment("P1", parse_timepoint(d), "phq9", t) for d, t in scores]
    )["P1"]
    status = analyse_patient(patient, "phq9", Settings(), TODAY)
    lines = wording.milestone_lines(status)
    assert "(here: to 9 or lower)" in lines[0]
    assert not re.search(r"\b\d+\.5\b", " ".join(every_sentence(status)))
