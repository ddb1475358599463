"""The self-report rules: which scales, the questions as shown, the stored form, item 9."""

from __future__ import annotations

from datetime import datetime

import pytest

from outcomes import self_report
from outcomes.settings import SettingError, Settings, parse_value


def test_default_self_report_scales_are_phq9_then_gad7():
    """The default asks PHQ-9 then GAD-7: 16 questions with the instruments' own wording."""
    qs = self_report.questions(Settings().self_report_scales)
    assert [q.scale_id for q in qs] == ["phq9"] * 9 + ["gad7"] * 7
    assert qs[0].stem.startswith("Over the last 2 weeks, how often have you been bothered")
    assert qs[0].options == (
        "Not at all",
        "Several days",
        "More than half the days",
        "Nearly every day",
    )
    assert qs[8].title == "PHQ-9: question 9 of 9"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("phq9,gad7", ("phq9", "gad7")),
        ("GAD-7", ("gad7",)),
        ("gad7, phq9, gad7", ("gad7", "phq9")),
    ],
)
def test_setting_accepts_self_report_scales_in_order(text, expected):
    """Ids as typed (case, dashes, repeats), kept in the order given."""
    assert parse_value("self_report_scales", text) == expected


@pytest.mark.parametrize("text", ["", "bdi2", "phq9,madrs", "cadss"])
def test_setting_refuses_scales_a_patient_may_not_fill_in(text):
    """BDI-II wording is copyrighted, MADRS and CADSS are clinician-rated: refused with the allowed ids."""
    with pytest.raises(SettingError, match="phq9, gad7"):
        parse_value("self_report_scales", text)


def test_questions_refuse_a_clinician_scale():
    with pytest.raises(ValueError, match="cannot be filled in by a patient"):
        self_report.questions(["madrs"])


def test_item_9_at_one_is_positive_and_gad7_has_no_safety_item():
    """PHQ-9 item 9 >= 1 always alerts; GAD-7 answers never do."""
    qs = self_report.questions(["phq9", "gad7"])
    answers = [3] * 8 + [0] + [3] * 7
    assert not self_report.positive_safety_item(qs, answers, Settings())
    answers[8] = 1
    assert self_report.positive_safety_item(qs, answers, Settings())
    assert not self_report.positive_safety_item(qs, [None] * 16, Settings())


def test_checked_answers_are_dated_now_rated_self_and_checked_like_any_score():
    """One checked assessment per scale, to the minute, rater self; a missing answer is refused, not prorated."""
    qs = self_report.questions(["phq9", "gad7"])
    now = datetime(2026, 2, 10, 14, 37, 52)
    checked = self_report.checked_answers("P9", qs, [1] * 16, now)
    assert [c.ok for c in checked] == [True, True]
    phq9 = checked[0].values
    assert (phq9["scale"], phq9["total"], phq9["rater"]) == ("phq9", 9, "self")
    assert phq9["date"].iso() == "2026-02-10T14:37"
    missing = self_report.checked_answers("P9", qs, [1] * 15 + [None], now)
    assert missing[0].ok and not missing[1].ok
