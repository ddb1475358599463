"""Issue 22 through the real command line: CSV files imported with `outcomes import`, then
`outcomes status` (text and JSON) read back, every figure worked by hand.

PHQ-9 throughout; a baseline of 20 makes a response a score of 10 or less.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from outcomes_cli.cli import cli


def invoke(db_path: Path, *args: str):
    return CliRunner().invoke(cli, ["--db", str(db_path), *map(str, args)])


def load(db_path: Path, folder: Path, patients: str, infusions: str, assessments: str) -> None:
    for kind, text in (
        ("patients", patients),
        ("infusions", infusions),
        ("assessments", assessments),
    ):
        path = folder / f"{kind}.csv"
        path.write_text(text.strip() + "\n", encoding="utf-8")
        result = invoke(db_path, "import", kind, path)
        assert result.exit_code == 0, result.output


def status_json(db_path: Path, pid: str, *extra: str) -> dict:
    result = invoke(db_path, "status", pid, "--json", *extra)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def status_text(db_path: Path, pid: str, *extra: str) -> str:
    """The status card as printed, each run of spaces (the labels' padding) read as one."""
    result = invoke(db_path, "status", pid, *extra)
    assert result.exit_code == 0, result.output
    return re.sub(r" +", " ", result.output)


#: The issue's minimal case: six infusions at 10:00 from 29 Aug; day 0 = 9 Sep 2026.
MINIMAL_DAYS = ("08-29", "08-31", "09-02", "09-05", "09-07", "09-09")
#: A January induction (day 0 = 16 Jan 2026) for the other patients.
JANUARY = ("01-05", "01-07", "01-09", "01-12", "01-14", "01-16")


def infusions(pid: str, days, year: int = 2026, time: str = "T10:00") -> list[str]:
    return [f"{pid},{year}-{d}{time},0.5" for d in days]


@pytest.fixture(scope="module")
def clinic(tmp_path_factory) -> Path:
    """M: the minimal case. DIP: a dip at session 6 that returns (9 on day 4). LOST: the same
    dip confirmed (13 on day 4). NOSCORE: responded at session 3, nothing after day 0.
    FOLLOW: a responder whose latest score is 49 days after session 6. MADRS: a MADRS patient
    (no reliable-change parameters)."""
    folder = tmp_path_factory.mktemp("clin22")
    path = folder / "clinic.db"
    rows = ["patient_id,date,dose_mg_per_kg"]
    rows += infusions("M", MINIMAL_DAYS)
    for pid in ("DIP", "LOST", "NOSCORE", "FOLLOW", "MADRS"):
        rows += infusions(pid, JANUARY)
    scores = [
        "patient_id,date,scale,total",
        "M,2026-08-27,phq9,20",
        "M,2026-09-01,phq9,15",
        "M,2026-09-10,phq9,12",
        "M,2026-09-14,phq9,9",
        "M,2026-09-28,phq9,9",
        "DIP,2026-01-04,phq9,20",
        "DIP,2026-01-08,phq9,10",
        "DIP,2026-01-15,phq9,14",
        "DIP,2026-01-20,phq9,9",
        "LOST,2026-01-04,phq9,20",
        "LOST,2026-01-08,phq9,10",
        "LOST,2026-01-15,phq9,14",
        "LOST,2026-01-20,phq9,13",
        "NOSCORE,2026-01-04,phq9,20",
        "NOSCORE,2026-01-10,phq9,8",
        "FOLLOW,2026-01-04,phq9,20",
        "FOLLOW,2026-01-17,phq9,8",
        "FOLLOW,2026-03-06,phq9,9",
        "MADRS,2026-01-04,madrs,30",
        "MADRS,2026-01-17,madrs,14",
    ]
    load(
        path,
        folder,
        "patient_id\nM\nDIP\nLOST\nNOSCORE\nFOLLOW\nMADRS",
        "\n".join(rows),
        "\n".join(scores),
    )
    return path


def test_no_relapse_before_the_first_response(clinic):
    """12 on 10 Sep (40%, day 1) comes before the first response (9 on 14 Sep, day 5 in the
    window): no relapse; relief holds to 28 Sep, 19 days after 9 Sep, censored."""
    doc = status_json(clinic, "M")
    assert doc["six_session_verdict"] == "responder"
    assert doc["first_response"] == {
        "session": 6,
        "date": "2026-09-14",
        "days_from_first_infusion": 16,
    }
    assert doc["relapse"] is None
    assert (doc["relief_days"], doc["relief_censored"], doc["relief_ended_by"]) == (
        19,
        True,
        "ongoing",
    )
    assert doc["response_at_end_of_induction"] is False  # 15 on 1 Sep was the last before day 0
    text = status_text(clinic, "M")
    assert (
        "Relief: at least 19 days after the last induction infusion (2026-09-09): "
        "still holding at the latest score (2026-09-28)" in text
    )


def test_a_dip_that_returns_is_not_a_loss(clinic):
    """10 (s2), 14 on 15 Jan (s5, a dip), 9 on 20 Jan (day 4 in the window): relief 4 days,
    censored, never "Relief 0"; the response at the end of the induction was not held."""
    doc = status_json(clinic, "DIP")
    assert (doc["relief_days"], doc["relief_censored"], doc["relief_ended_by"]) == (
        4,
        True,
        "ongoing",
    )
    assert doc["response_at_end_of_induction"] is False
    text = status_text(clinic, "DIP")
    assert "Relief: at least 4 days after the last induction infusion (2026-01-16)" in text
    assert "lost" not in text


def test_a_confirmed_loss_during_the_induction_is_said_in_words(clinic):
    """The same dip confirmed by 13 on 20 Jan: relief 0, lost during the induction; the status
    line says what happened and when, never a bare 0."""
    doc = status_json(clinic, "LOST")
    assert (doc["relief_days"], doc["relief_censored"], doc["relief_ended_by"]) == (
        0,
        False,
        "lost_during_induction",
    )
    assert doc["response_at_end_of_induction"] is False
    text = status_text(clinic, "LOST")
    assert (
        "Relief: no relief after the induction: the response reached at session 2 was lost "
        "by the last induction infusion (score 14 on 2026-01-15, confirmed by 13 on 2026-01-20)"
    ) in text


def test_no_score_since_the_last_induction_infusion_names_no_wrong_date(clinic):
    """8 on 10 Jan (s3), nothing after day 0 (16 Jan): the relief line names day 0 and says
    there is no score since; it never calls 16 Jan "the latest score"."""
    text = status_text(clinic, "NOSCORE")
    assert "Latest score: 8 (mild) on 2026-01-10" in text
    assert (
        "Relief: not measured yet: no score since the last induction infusion (2026-01-16)" in text
    )
    assert "at the latest score" not in text
    doc = status_json(clinic, "NOSCORE")
    assert (doc["relief_days"], doc["relief_censored"]) == (0, True)
    assert doc["response_at_end_of_induction"] is True


def test_a_follow_up_is_named_as_one(clinic):
    """9 on 6 Mar, 49 days after session 6 (16 Jan): "follow-up, day 49 after the last
    induction infusion", not "session 6"; a score in the verdict window stays "session 6"."""
    text = status_text(clinic, "FOLLOW")
    assert (
        "Latest score: 9 (mild) on 2026-03-06, follow-up, day 49 after the last induction "
        "infusion, 55% below the starting score" in text
    )
    assert "at follow-up, day 49 after the last induction infusion" in text  # the status line
    assert "Latest score: 9 (mild) on 2026-01-20, session 6," in status_text(clinic, "DIP")


def test_reliable_change_is_a_category_or_null_with_its_reason(clinic):
    """MADRS without SD and r: reliable_change null, the reason beside it; PHQ-9 20 -> 9 is
    'improved' (11 points, at least 6), with the rule as its reason."""
    madrs = status_json(clinic, "MADRS", "--scale", "madrs")
    assert madrs["reliable_change"] is None
    assert madrs["reliable_change_reason"] == (
        "no reliable-change parameters for madrs: set rc_sd_madrs and rc_r_madrs"
    )
    assert "Reliable change: not assessed: no reliable-change parameters for madrs" in status_text(
        clinic, "MADRS", "--scale", "madrs"
    )
    nothing = status_json(clinic, "MADRS")  # on PHQ-9 it has no score at all
    assert nothing["reliable_change"] is None
    assert nothing["reliable_change_reason"] == (
        "no score after the first session to compare with the baseline yet"
    )
    phq = status_json(clinic, "FOLLOW")
    assert phq["reliable_change"] == "improved"
    assert phq["reliable_change_reason"] == (
        "a change of 6 points or more is reliable (NHS Talking Therapies)"
    )


def test_trend_and_reliable_change_read_once(clinic):
    """FOLLOW: 8 then 9 (1 point higher, under the 6-point threshold): about the same; against
    the start, 11 points better: a reliable improvement."""
    text = status_text(clinic, "FOLLOW")
    assert (
        "Trend: about the same as the score before: 8 then 9, 1 point higher; "
        "the threshold is 6 points (reliable change)" in text
    )
    assert (
        "Reliable change: reliable improvement: better by 11 points since the starting score; "
        "a change of 6 points or more is reliable (NHS Talking Therapies)" in text
    )


def test_an_import_of_one_record_says_one(tmp_path):
    """ "Imported 1 patient", never "1 patients"; 2 are plural."""
    path = tmp_path / "c.db"
    one = tmp_path / "one.csv"
    one.write_text("patient_id\nA1\n", encoding="utf-8")
    result = invoke(path, "import", "patients", one)
    assert result.exit_code == 0 and "Imported 1 patient from one.csv." in result.output
    two = tmp_path / "two.csv"
    two.write_text("patient_id\nA2\nA3\n", encoding="utf-8")
    assert "Imported 2 patients from two.csv." in invoke(path, "import", "patients", two).output


@pytest.mark.parametrize("dose", ["5e-1", "0x1", "1_0", "inf", "nan", "٠.٥", "0.5.1", "+-0.5"])
def test_a_dose_that_is_not_plain_decimal_digits_is_refused(tmp_path, dose):
    """A ketamine dose of 5e-1 (and other spellings Python would read) is refused, naming the
    row and the field; nothing is written."""
    path = tmp_path / "c.db"
    patients = tmp_path / "p.csv"
    patients.write_text("patient_id\nA1\n", encoding="utf-8")
    assert invoke(path, "import", "patients", patients).exit_code == 0
    bad = tmp_path / "i.csv"
    bad.write_text(f"patient_id,date,dose_mg_per_kg\nA1,2026-01-05,{dose}\n", encoding="utf-8")
    result = invoke(path, "import", "infusions", bad)
    assert result.exit_code != 0
    assert "dose_mg_per_kg" in result.output and "is not a number (mg/kg)" in result.output
    doc = status_json(path, "A1")
    assert doc["sessions_completed"] == 0


def test_a_dose_with_a_sign_and_one_point_is_read(tmp_path):
    """+0.5 and .5 are plain decimals (a sign and one point): accepted as 0.5."""
    path = tmp_path / "c.db"
    patients = tmp_path / "p.csv"
    patients.write_text("patient_id\nA1\n", encoding="utf-8")
    assert invoke(path, "import", "patients", patients).exit_code == 0
    good = tmp_path / "i.csv"
    good.write_text(
        "patient_id,date,dose_mg_per_kg\nA1,2026-01-05,+0.5\nA1,2026-01-07,.5\n", encoding="utf-8"
    )
    result = invoke(path, "import", "infusions", good)
    assert result.exit_code == 0, result.output
    assert status_json(path, "A1")["sessions_completed"] == 2


@pytest.mark.parametrize(
    "key, value",
    [
        ("verdict_window_days", "7e0"),
        ("rc_sd_madrs", "5e-1"),
        ("followup_schedule_days", "7,14,3e1"),
        ("bp_hold_systolic", "1_60"),
    ],
)
def test_a_setting_that_is_not_plain_decimal_digits_is_refused(tmp_path, key, value):
    """Settings read numbers by the same rule: 7e0, 5e-1, 3e1 and 1_60 are refused."""
    path = tmp_path / "c.db"
    patients = tmp_path / "p.csv"
    patients.write_text("patient_id\nA1\n", encoding="utf-8")
    assert invoke(path, "import", "patients", patients).exit_code == 0
    before = invoke(path, "settings", key).output
    result = invoke(path, "settings", key, value)
    assert result.exit_code != 0 and "is not" in result.output
    assert invoke(path, "settings", key).output == before
