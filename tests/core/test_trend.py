"""The trend (clinical-spec section 9), by hand.

PHQ-9 and GAD-7 judge by their reliable-change thresholds (6 and 4 points);
other scales without reliable-change parameters by 20% of the earlier score.
"""

import pytest

from outcomes.settings import Settings
from outcomes.trend import BETTER, SAME, WORSE, trend_of
from outcomes.wording import trend_words

CASES = [
    # scale, previous, latest, direction, why
    ("phq9", 22, 16, BETTER, "6 points lower: PHQ-9's reliable change"),
    ("phq9", 22, 17, SAME, "5 points lower: under 6"),
    ("phq9", 5, 23, WORSE, "18 points higher"),
    ("phq9", 23, 22, SAME, "the issue's relapse: 23 then 22 is not 'improving'"),
    ("gad7", 10, 14, WORSE, "4 points higher: GAD-7's reliable change"),
    ("gad7", 10, 13, SAME, "3 points: under 4"),
    ("madrs", 30, 24, BETTER, "6 = 20% of 30"),
    ("madrs", 30, 25, SAME, "5 < 6 = 20% of 30"),
    ("madrs", 30, 36, WORSE, "6 higher = 20% of 30"),
    ("madrs", 10, 12, WORSE, "2 = 20% of 10, exactly"),
    ("madrs", 10, 10, SAME, "no change"),
    ("madrs", 0, 3, WORSE, "any rise from 0"),
]


@pytest.mark.parametrize("scale, previous, latest, direction, why", CASES)
def test_trend_direction(scale, previous, latest, direction, why):
    """Better / worse / about the same by the threshold the spec names."""
    assert trend_of(scale, previous, latest, Settings()).direction == direction, why


def test_trend_uses_reliable_change_parameters_when_the_clinic_set_them():
    """MADRS with SD 6 and r 0.9: S_diff = 6 x sqrt(2) x sqrt(0.1) = 2.68, reliable above 5.26 points."""
    settings = Settings(rc_sd_madrs=6.0, rc_r_madrs=0.9)
    assert trend_of("madrs", 30, 25, settings).direction == SAME  # RC 1.86
    assert trend_of("madrs", 30, 24, settings).direction == BETTER  # RC 2.24


def test_trend_words_show_both_scores_and_the_rule():
    """The issue's riddle "about the same (11 then 7; a reliable change counts)" reads once: the
    two scores, the change in points, and what it takes to count (PHQ-9: 6 points)."""
    assert trend_words(trend_of("phq9", 11, 7, Settings())) == (
        "about the same as the score before: 11 then 7, 4 points lower; the threshold is "
        "6 points (reliable change)"
    )
    assert trend_words(trend_of("phq9", 5, 23, Settings())) == (
        "worse than the score before: 5 then 23, 18 points higher; the threshold is "
        "6 points (reliable change)"
    )
    assert trend_words(trend_of("madrs", 30, 28, Settings())) == (
        "about the same as the score before: 30 then 28, 2 points lower; the threshold is "
        "6 points (20% of the earlier score)"
    )
    assert trend_words(trend_of("madrs", 11, 8, Settings())).startswith(
        "better than the score before: 11 then 8, 3 points lower; the threshold is 3 points"
    )  # 20% of 11 is 2.2: 3 whole points
    madrs_rc = Settings(rc_sd_madrs=6.0, rc_r_madrs=0.9)
    assert trend_words(trend_of("madrs", 30, 30, madrs_rc)) == (
        "about the same as the score before: 30 then 30, no change; the threshold is a "
        "reliable change (RC above 1.96)"
    )
