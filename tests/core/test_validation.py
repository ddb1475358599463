"""Validation of assessments, infusions and patients (clinical-spec sections 1 and 8)."""

from datetime import date

import pytest

from outcomes.settings import Settings
from outcomes.timepoints import Timepoint
from outcomes.validation import check_assessment, check_infusion, check_patient

TODAY = date(2026, 3, 1)


def assessment(**fields):
    row = {"patient_id": "P1", "date": "2026-01-05", "scale": "phq9"}
    row.update(fields)
    return check_assessment(row, TODAY)


def infusion(**fields):
    row = {"patient_id": "P1", "date": "2026-01-05", "dose_mg_per_kg": "0.5"}
    row.update(fields)
    return check_infusion(row, Settings(), TODAY)


# --- assessments --------------------------------------------------------------


def test_items_give_the_total():
    """PHQ-9 items 3 2 2 1 1 1 0 0 0 add up to 10; the record is accepted."""
    checked = assessment(items="3 2 2 1 1 1 0 0 0")
    assert checked.ok and checked.problems == []
    assert checked.values["items"] == (3, 2, 2, 1, 1, 1, 0, 0, 0)
    assert checked.values["total"] == 10
    assert checked.values["date"] == Timepoint(date(2026, 1, 5))


def test_total_only_record_is_accepted_without_items():
    """A total without items (a paper record) is accepted; items stay None (total-only)."""
    checked = assessment(total="17")
    assert checked.ok
    assert checked.values["items"] is None
    assert checked.values["total"] == 17


def test_items_and_total_that_agree_are_accepted():
    """Items adding up to 10 with a typed total of 10 pass."""
    assert assessment(items="3 2 2 1 1 1 0 0 0", total="10").ok


def test_total_that_disagrees_with_the_items_is_refused():
    """Items add up to 10 but 12 was typed: refused, the message gives both numbers."""
    checked = assessment(items="3 2 2 1 1 1 0 0 0", total="12")
    assert not checked.ok
    [problem] = checked.errors
    assert problem.field == "total"
    assert "12" in problem.message and "10" in problem.message


def test_neither_items_nor_total_is_refused():
    """An assessment needs item scores or a total."""
    checked = assessment()
    assert [p.field for p in checked.errors] == ["items"]
    assert "item scores or a total" in checked.errors[0].message


def test_hamd_item_4_scored_3_is_refused_naming_item_and_range():
    """HAM-D item 4 (insomnia early) only goes to 2: 3 is refused with 'item 4' and '0-2'."""
    items = "2 1 0 3 1 1 2 1 1 2 1 1 1 0 1 0 0"
    checked = assessment(scale="hamd17", items=items)
    assert not checked.ok
    [problem] = checked.errors
    assert "HAM-D 17 item 4" in problem.message
    assert "= 3" in problem.message
    assert "allowed 0-2" in problem.message


def test_hamd_item_3_scored_4_is_accepted():
    """HAM-D item 3 (suicide) is a 0-4 item: 4 is allowed."""
    checked = assessment(scale="hamd17", items="2 1 4 2 1 1 2 1 1 2 1 1 1 0 1 0 0")
    assert checked.ok
    assert checked.values["total"] == 21


def test_every_wrong_item_is_reported_not_just_the_first():
    """Two bad PHQ-9 items give two problems, each naming its item."""
    checked = assessment(items="4 0 0 0 0 0 0 0 x")
    messages = [p.message for p in checked.errors]
    assert len(messages) == 2
    assert "PHQ-9 item 1" in messages[0] and "allowed 0-3" in messages[0]
    assert "PHQ-9 item 9" in messages[1] and "'x'" in messages[1]


@pytest.mark.parametrize("items, given", [("1 1 1 1 1 1 1 1", 8), ("1 1 1 1 1 1 1 1 1 1", 10)])
def test_wrong_number_of_items_is_refused(items, given):
    """PHQ-9 needs exactly 9 item scores; 8 or 10 are refused, saying how many were given."""
    checked = assessment(items=items)
    [problem] = checked.errors
    assert f"has 9 items but {given} were given" in problem.message


@pytest.mark.parametrize(
    "scale_id, total, ok",
    [
        ("phq9", "27", True),
        ("phq9", "28", False),
        ("phq9", "-1", False),
        ("madrs", "60", True),
        ("madrs", "61", False),
        ("hamd17", "52", True),
        ("hamd17", "53", False),
    ],
)
def test_total_outside_the_scale_range_is_refused(scale_id, total, ok):
    """A total-only record must lie in 0..total_max of its scale."""
    checked = assessment(scale=scale_id, total=total)
    assert checked.ok is ok
    if not ok:
        assert "out of range" in checked.errors[0].message


def test_qids_items_give_the_domain_total():
    """QIDS-SR16 items are scored by domains (see test_core_scales): 15, not 20."""
    checked = assessment(scale="qids_sr16", items="1 3 0 2 2 0 1 2 0 1 1 0 2 1 1 3")
    assert checked.values["total"] == 15


def test_bdi2_lettered_answers_store_their_number():
    """BDI-II item 16 '2a' and item 18 '1b' are stored as 2 and 1."""
    items = ["1"] * 21
    items[15], items[17] = "2a", "1b"
    checked = assessment(scale="bdi2", items=" ".join(items))
    assert checked.ok
    assert checked.values["items"][15] == 2 and checked.values["items"][17] == 1
    assert checked.values["total"] == 22


def test_a_letter_on_an_ordinary_bdi2_item_is_refused():
    """Only items 16 and 18 take letters; '2a' on item 1 is not a whole number."""
    items = ["1"] * 21
    items[0] = "2a"
    assert not assessment(scale="bdi2", items=" ".join(items)).ok


def test_unknown_scale_is_refused_listing_the_scales():
    """scale 'phq-10' is not a scale ('phq-9' names phq9, issue 21); the message lists the allowed ones."""
    checked = assessment(scale="phq-10", total="5")
    assert "phq9, gad7, madrs" in checked.errors[0].message


def test_future_assessment_date_is_refused():
    """An assessment dated after today is a typing slip."""
    checked = assessment(date="2026-03-02", total="5")
    assert [p.field for p in checked.errors] == ["date"]
    assert "future" in checked.errors[0].message


def test_day_first_date_is_refused_as_ambiguous():
    """05/01/2026 could be 5 January or 1 May: refused with the accepted form."""
    checked = assessment(date="05/01/2026", total="5")
    assert "ambiguous" in checked.errors[0].message
    assert "YYYY-MM-DD" in checked.errors[0].message


# --- infusions: dose and blood pressure -----------------------------------------


@pytest.mark.parametrize(
    "dose, kind",
    [
        ("0", "error"),
        ("-0.5", "error"),
        ("2.01", "error"),
        ("5", "error"),
        ("0.05", "confirm"),
        ("1.2", "confirm"),
        ("2.0", "confirm"),
        ("0.1", None),
        ("0.5", None),
        ("1.0", None),
    ],
)
def test_dose_rules(dose, kind):
    """<= 0 or > 2.0 mg/kg refused; outside 0.1-1.0 needs confirmation; 0.1 and 1.0 are usual."""
    checked = infusion(dose_mg_per_kg=dose)
    kinds = [p.kind for p in checked.problems if p.field == "dose_mg_per_kg"]
    assert kinds == ([kind] if kind else [])


def test_refused_dose_message_names_the_limits():
    """The refusal of 2.01 mg/kg says it is an entry error and gives the 2 mg/kg limit."""
    [problem] = infusion(dose_mg_per_kg="2.01").errors
    assert "2.01 mg/kg" in problem.message and "entry error" in problem.message
    assert "at most 2 mg/kg" in problem.message


def test_missing_or_non_numeric_dose_is_refused():
    """The dose is required and must be a number."""
    assert infusion(dose_mg_per_kg="").errors[0].message == "dose in mg/kg is required"
    assert "not a number" in infusion(dose_mg_per_kg="half").errors[0].message


@pytest.mark.parametrize(
    "systolic, diastolic, warns",
    [("159", "99", False), ("160", "90", True), ("150", "100", True), ("170", "105", True)],
)
def test_blood_pressure_at_the_hold_threshold_warns(systolic, diastolic, warns):
    """Pre-infusion pressure at or above 160/100 (either number) warns but is not refused."""
    checked = infusion(bp_systolic_pre=systolic, bp_diastolic_pre=diastolic)
    assert checked.ok
    assert bool(checked.warnings) is warns
    if warns:
        assert "160/100" in checked.warnings[0].message


def test_hold_threshold_follows_the_settings():
    """With the hold set to 150/95, 150/80 warns."""
    settings = Settings(bp_hold_systolic=150, bp_hold_diastolic=95)
    checked = check_infusion(
        {
            "patient_id": "P1",
            "date": "2026-01-05",
            "dose_mg_per_kg": "0.5",
            "bp_systolic_pre": "150",
            "bp_diastolic_pre": "80",
        },
        settings,
        TODAY,
    )
    assert checked.warnings and "150/95" in checked.warnings[0].message


def test_hold_warning_names_the_infusion_or_the_dose_by_drug():
    """Ketamine's pressure is taken before the infusion; esketamine's before dosing (no infusion)."""
    ketamine = infusion(bp_systolic_pre="165", bp_diastolic_pre="90")
    esketamine = check_infusion(
        {
            "patient_id": "P1",
            "date": "2026-01-05",
            "drug": "esketamine",
            "dose_mg": "56",
            "bp_systolic_pre": "165",
            "bp_diastolic_pre": "90",
        },
        Settings(),
        TODAY,
    )
    assert "blood pressure before the infusion 165/90" in ketamine.warnings[0].message
    hold = [w.message for w in esketamine.warnings if "hold" in w.message]
    assert (
        hold
        and hold[0].startswith("blood pressure before dosing 165/90")
        and "infusion" not in hold[0]
    )


def test_infusion_side_effects_from_the_vocabulary():
    """Known side effects are kept; an unknown word is refused with the vocabulary."""
    checked = infusion(side_effects="nausea; Blurred vision;nausea")
    assert checked.ok and checked.values["side_effects"] == "nausea;blurred_vision"
    bad = infusion(side_effects="nausea;itching")
    assert "itching" in bad.errors[0].message and "headache" in bad.errors[0].message


def test_infusion_route_and_course_are_checked():
    """Route must be iv/im/intranasal/oral; an imported course number must be a positive whole number."""
    assert infusion(route="IV", course="2").values["route"] == "iv"
    assert infusion(course="2").values["course"] == 2
    assert infusion().values["course"] is None
    assert "route 'rectal'" in infusion(route="rectal").errors[0].message
    assert infusion(course="0").errors[0].field == "course"


def test_swapped_blood_pressure_is_refused():
    """A diastolic at or above the systolic is almost surely swapped."""
    checked = infusion(bp_systolic_pre="80", bp_diastolic_pre="130")
    assert "swapped" in checked.errors[0].message


# --- patients -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "pid, ok", [("P001", True), ("", False), ("x" * 64, True), ("x" * 65, False)]
)
def test_patient_id_is_1_to_64_characters(pid, ok):
    """interface.md: patient_id is required, 1-64 characters."""
    assert check_patient({"patient_id": pid}, TODAY).ok is ok


def test_patient_birth_date_and_weight_are_checked():
    """A valid birth date is normalized; a weight of 3 kg is refused as implausible."""
    checked = check_patient(
        {"patient_id": "P1", "birth_date": "1980-02-29", "weight_kg": "3"}, TODAY
    )
    assert checked.values["birth_date"] == "1980-02-29"
    assert [p.field for p in checked.errors] == ["weight_kg"]


def test_item_scores_written_as_decimals_are_read_as_whole_numbers():
    """A spreadsheet's '2.0' is the item score 2; '2.5' is refused."""
    assert assessment(items="2.0 1 1 1 1 1 1 1 0").values["total"] == 9
    assert "not a whole number" in assessment(items="2.5 1 1 1 1 1 1 1 0").errors[0].message
