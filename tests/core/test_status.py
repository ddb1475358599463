"""One patient's status as the CLI prints it, frames from db/ to records, and follow-ups."""

import gc
from datetime import date

import pandas as pd
import pytest

from outcomes.clinic_data import ClinicData, patients_from_frames
from outcomes.followup import next_followup
from outcomes.records import (
    ASSESSMENT_COLUMNS,
    INFUSION_COLUMNS,
    Assessment,
    Infusion,
    group_by_patient,
    items_to_text,
)
from outcomes.settings import Settings
from outcomes.status import analyse_clinic, analyse_patient
from outcomes.timepoints import TimeFormatError, parse_timepoint
from outcomes.wording import status_sentence

INDUCTION = ("2026-01-05", "2026-01-07", "2026-01-09", "2026-01-12", "2026-01-14", "2026-01-16")


def patient_with(scores, infusions=INDUCTION):
    return group_by_patient(
        [Infusion("P1", parse_timepoint(d)) for d in infusions],
        [Assessment("P1", parse_timepoint(d), "phq9", t) for d, t in scores],
    )["P1"]


# --- status --json ----------------------------------------------------------------

INTERFACE_KEYS = {
    "patient_id",
    "scale",
    "baseline",
    "sessions_completed",
    "latest",
    "status",
    "first_response",
    "six_session_verdict",
    "relapse",
    "relief_days",
    "relief_censored",
    "alerts",
}


def test_status_json_carries_every_interface_key():
    """as_json() holds at least the keys of interface.md's example, with their sub-keys."""
    patient = patient_with([("2026-01-04", 20), ("2026-01-09", 9), ("2026-01-30", 14)])
    doc = analyse_patient(patient, "phq9", Settings(), date(2026, 3, 1)).as_json()
    assert INTERFACE_KEYS <= set(doc)
    assert doc["baseline"] == {"date": "2026-01-04", "score": 20}
    assert doc["sessions_completed"] == 6
    assert {"date", "score", "percent_change"} <= set(doc["latest"])
    assert doc["latest"]["percent_change"] == 30.0  # (20 - 14) / 20
    assert doc["first_response"] == {
        "session": 2,
        "date": "2026-01-09",
        "days_from_first_infusion": 4,
    }
    assert doc["six_session_verdict"] == "responder"
    assert doc["relapse"] == {"date": "2026-01-30", "days_after_last_infusion": 14}
    assert (doc["relief_days"], doc["relief_censored"]) == (14, False)
    assert doc["status"] == "partial_response"


def test_status_json_text_is_unchanged_by_the_category_enums():
    """Categories and verdicts are StrEnums; the JSON document reads exactly as plain strings did."""
    import json

    from outcomes.response import STATUSES, ResponseStatus
    from outcomes.verdict import VERDICTS, VerdictValue

    assert [str(s) for s in STATUSES] == [
        "remission",
        "response",
        "partial_response",
        "non_response",
        "no_baseline",
    ]
    assert [str(v) for v in VERDICTS] == [
        "responder",
        "non_responder",
        "incomplete",
        "in_progress",
        "no_baseline",
    ]
    assert ResponseStatus.NO_BASELINE == VerdictValue.NO_BASELINE == "no_baseline"
    patient = patient_with([("2026-01-04", 20), ("2026-01-09", 9), ("2026-01-30", 14)])
    doc = analyse_patient(patient, "phq9", Settings(), date(2026, 3, 1)).as_json()
    text = json.dumps(doc)
    assert '"six_session_verdict": "responder"' in text and '"status": "partial_response"' in text
    assert json.loads(text) == json.loads(json.dumps(doc, default=str))


def test_status_json_uses_null_for_unknowns():
    """A patient with nothing after the baseline has null latest, status and first_response."""
    doc = analyse_patient(
        patient_with([("2026-01-04", 20)], INDUCTION[:1]), "phq9", Settings(), date(2026, 1, 6)
    ).as_json()
    assert doc["latest"] is None and doc["status"] is None and doc["first_response"] is None
    assert doc["relapse"] is None and doc["relief_days"] is None and doc["alerts"] == []


def test_status_sentence_names_the_rule():
    """20 then 14 at session 6: 'partial response: PHQ-9 14 (moderate) at session 6, 30% below ...'."""
    status = analyse_patient(
        patient_with([("2026-01-04", 20), ("2026-01-20", 14)]),
        "phq9",
        Settings(),
        date(2026, 1, 21),
    )
    assert status_sentence(status) == (
        "partial response: PHQ-9 14 (moderate) at session 6, 30% below the starting score of 20"
    )


def test_trend_compares_the_last_two_scores_including_the_baseline():
    """20 then 14 is better (6 points, PHQ-9's reliable change); 14 then 11 is about the same."""
    status = analyse_patient(
        patient_with([("2026-01-04", 20), ("2026-01-08", 14)]), "phq9", Settings(), date(2026, 1, 9)
    )
    assert (status.trend.direction, status.trend.previous, status.trend.latest) == (
        "better",
        20,
        14,
    )
    status = analyse_patient(
        patient_with([("2026-01-04", 20), ("2026-01-08", 14), ("2026-01-10", 11)]),
        "phq9",
        Settings(),
        date(2026, 1, 11),
    )
    assert (status.trend.direction, status.trend.previous, status.trend.latest) == (
        "about_the_same",
        14,
        11,
    )


def test_unknown_scale_is_refused():
    """analyse_patient with a scale id that does not exist raises KeyError naming it."""
    with pytest.raises(KeyError, match="phq10"):
        analyse_patient(patient_with([]), "phq10", Settings(), date(2026, 1, 11))


# --- frames (what db/ returns) to records ----------------------------------------


def clinic_frames():
    infusions = pd.DataFrame(
        [
            {
                "infusion_id": 1,
                "patient_id": "P1",
                "course": 1,
                "given_at": "2026-01-05T09:30",
                "dose_mg_per_kg": 0.5,
                "weight_kg": 80.0,
                "bp_systolic_pre": 150,
                "bp_diastolic_pre": None,
                "side_effects": "nausea;dissociation",
            },
            {
                "infusion_id": 2,
                "patient_id": "P1",
                "course": None,
                "given_at": "2026-01-07",
                "dose_mg_per_kg": 0.75,
                "weight_kg": None,
                "bp_systolic_pre": None,
                "bp_diastolic_pre": 80,
                "side_effects": None,
            },
        ]
    ).reindex(columns=list(INFUSION_COLUMNS))
    assessments = pd.DataFrame(
        [
            {
                "assessment_id": 10,
                "patient_id": "P1",
                "taken_at": "2026-01-05",
                "scale": "phq9",
                "items": "3 3 2 2 2 2 2 2 1",
                "total": 19,
            },
            {
                "assessment_id": 11,
                "patient_id": "P1",
                "taken_at": "2026-01-06T10:00:30",
                "scale": "phq9",
                "items": None,
                "total": 8,
            },
        ]
    ).reindex(columns=list(ASSESSMENT_COLUMNS))
    patients = pd.DataFrame({"patient_id": ["P1", "P2"], "name": ["Ann", "Bo"]})
    return infusions, assessments, patients


def test_frames_become_records_with_missing_values_as_none():
    """NULLs (NaN in pandas) read as None, ints stay ints, side effects split on ';'."""
    infusions, assessments, patients = clinic_frames()
    records = patients_from_frames(infusions, assessments, None, patients)
    assert set(records) == {"P1", "P2"}  # P2 has no records yet but is a patient
    first, second = records["P1"].infusions
    assert (first.id, first.course, first.bp_systolic_pre, first.bp_diastolic_pre) == (
        1,
        1,
        150,
        None,
    )
    assert type(first.bp_systolic_pre) is int
    assert first.side_effects == ("nausea", "dissociation")
    assert first.when.iso() == "2026-01-05T09:30"
    assert (second.course, second.weight_kg, second.side_effects) == (1, None, ())
    baseline, later = records["P1"].assessments
    assert baseline.items == (3, 3, 2, 2, 2, 2, 2, 2, 1) and baseline.total == 19
    assert later.total_only and later.total == 8
    assert later.when.iso() == "2026-01-06T10:00:30"
    assert items_to_text(baseline.items) == "3 3 2 2 2 2 2 2 1"


def test_frames_built_by_hand_read_as_the_databases_would():
    """Gaps as NaN, NA or None in any column, numbers in a whole-number column with a gap
    (pandas makes it floats) and numeric patient ids: read as None, ints and text."""
    frame = pd.DataFrame(
        {
            "assessment_id": [1, 2, 3],
            "patient_id": [101, 101, 101],
            "taken_at": ["2026-01-05", "2026-01-06", "2026-01-07"],
            "scale": ["phq9"] * 3,
            "items": [None, None, None],
            "total": [5, 6, 7],
            "rater": [float("nan"), "RN Chen", None],
            "notes": [pd.NA, None, "ok"],
            "infusion_id": [7, float("nan"), 9],
        }
    )
    records = patients_from_frames(None, frame)["101"].assessments
    assert [(a.patient_id, a.rater, a.notes, a.infusion_id) for a in records] == [
        ("101", None, None, 7),
        ("101", "RN Chen", None, None),
        ("101", None, "ok", 9),
    ]
    assert {type(a.infusion_id) for a in records} == {int, type(None)}
    infusions = pd.DataFrame(
        {
            "infusion_id": [1, 2],
            "patient_id": ["P1", "P1"],
            "given_at": ["2026-01-05T09:00", "2026-01-07T09:00"],
            "dose_mg_per_kg": [0.5, float("nan")],
            "bp_systolic_pre": [150.0, float("nan")],
        }
    )
    first, second = patients_from_frames(infusions, None)["P1"].infusions
    assert (first.dose_mg_per_kg, first.bp_systolic_pre) == (0.5, 150)
    assert type(first.bp_systolic_pre) is int and type(first.dose_mg_per_kg) is float
    assert (second.dose_mg_per_kg, second.bp_systolic_pre) == (None, None)


def test_clinic_data_analysed_end_to_end():
    """ClinicData -> analyse_clinic: the 09:30 infusion follows the date-only baseline of 19."""
    infusions, assessments, patients = clinic_frames()
    data = ClinicData(
        patients,
        pd.DataFrame(columns=["patient_id", "course", "started_at", "notes"]),
        infusions,
        assessments,
        frozenset(),
    )
    p1, p2 = analyse_clinic(data, "phq9", Settings(), date(2026, 1, 8))
    assert p1.baseline.total == 19
    assert round(p1.latest.improvement, 1) == 57.9  # (19 - 8) / 19
    assert p1.verdict.value == "responder"
    assert p2.course is None and p2.verdict.value == "in_progress"


def test_missing_total_is_computed_from_stored_items():
    """A stored row with items but no total gets the scale's total (QIDS domains included)."""
    frame = pd.DataFrame(
        [
            {
                "assessment_id": 1,
                "patient_id": "P1",
                "taken_at": "2026-01-05",
                "scale": "qids_sr16",
                "items": "1 3 0 2 2 0 1 2 0 1 1 0 2 1 1 3",
                "total": None,
            }
        ]
    )
    [record] = patients_from_frames(None, frame)["P1"].assessments
    assert record.total == 15


def test_unreadable_stored_date_names_the_text():
    """A malformed stored date raises TimeFormatError quoting it, not a bare ValueError."""
    frame = pd.DataFrame(
        [
            {
                "assessment_id": 1,
                "patient_id": "P1",
                "taken_at": "05/01/2026",
                "scale": "phq9",
                "items": None,
                "total": 5,
            }
        ]
    )
    with pytest.raises(TimeFormatError, match="05/01/2026"):
        patients_from_frames(None, frame)


# --- follow-ups --------------------------------------------------------------------


@pytest.mark.parametrize(
    "scores, as_of, day, state",
    [
        ([], "2026-01-17", 1, "due"),  # day 1 is 17 Jan
        ([], "2026-01-20", 1, "due"),  # 3 days late: still due
        ([], "2026-01-21", 1, "overdue"),  # 4 days late
        ([("2026-01-17", 9)], "2026-01-20", 7, "upcoming"),  # day 1 done; day 7 on 23 Jan
        ([("2026-01-19", 9)], "2026-01-20", 7, "upcoming"),  # day 3 falls in day 1's slot (0-3)
        (
            [("2026-01-20", 9)],
            "2026-01-21",
            14,
            "upcoming",
        ),  # day 4 fills day 7's slot: day 1 passed over
        ([("2026-01-23", 9)], "2026-02-05", 14, "overdue"),  # day 14 (30 Jan) 6 days late
    ],
)
def test_next_followup(scores, as_of, day, state):
    """Follow-ups count from infusion 6 (16 Jan) on days 1, 7, 14, 30, 60, 90; slots meet halfway."""
    patient = patient_with([("2026-01-04", 20), ("2026-01-16", 12), *scores])
    when = date.fromisoformat(as_of)
    followup = next_followup(analyse_patient(patient, "phq9", Settings(), when), when)
    assert (followup.day, followup.state) == (day, state)


def test_followup_is_filled_by_any_outcome_scale_but_not_cadss():
    """Judged on PHQ-9, a GAD-7 on 23 Jan fills day 7; a CADSS on 17 Jan does not fill day 1."""
    patient = group_by_patient(
        [Infusion("P1", parse_timepoint(d)) for d in INDUCTION],
        [
            Assessment("P1", parse_timepoint(d), scale, t)
            for d, scale, t in (
                ("2026-01-04", "phq9", 20),
                ("2026-01-16", "phq9", 12),
                ("2026-01-17", "cadss", 10),
                ("2026-01-23", "gad7", 8),
            )
        ],
    )["P1"]
    today = date(2026, 1, 24)
    for scale in ("phq9", "gad7"):
        followup = next_followup(analyse_patient(patient, scale, Settings(), today), today)
        assert (followup.day, followup.state) == (14, "upcoming"), scale
    only_cadss = group_by_patient(
        [Infusion("P1", parse_timepoint(d)) for d in INDUCTION],
        [
            Assessment("P1", parse_timepoint(d), scale, t)
            for d, scale, t in (("2026-01-04", "phq9", 20), ("2026-01-17", "cadss", 10))
        ],
    )["P1"]
    followup = next_followup(analyse_patient(only_cadss, "phq9", Settings(), today), today)
    assert (followup.day, followup.state) == (1, "overdue")


def test_no_followup_before_the_induction_ends_or_after_the_schedule():
    """During the induction nothing is due; with every slot filled nothing is left."""
    during = analyse_patient(
        patient_with([("2026-01-04", 20)], INDUCTION[:3]), "phq9", Settings(), date(2026, 1, 10)
    )
    assert next_followup(during, date(2026, 1, 10)) is None
    done = [
        ("2026-01-17", 9),
        ("2026-01-23", 9),
        ("2026-01-30", 9),
        ("2026-02-15", 9),
        ("2026-03-17", 9),
        ("2026-04-16", 9),
    ]
    after = analyse_patient(
        patient_with([("2026-01-04", 20), *done]), "phq9", Settings(), date(2026, 4, 20)
    )
    assert next_followup(after, date(2026, 4, 20)) is None


def test_bulk_reading_leaves_the_garbage_collector_as_it_was():
    """patients_from_frames pauses the cyclic collector and restores its previous state."""
    infusions, assessments, patients = clinic_frames()
    assert gc.isenabled()
    patients_from_frames(infusions, assessments, None, patients)
    assert gc.isenabled()
    gc.disable()
    try:
        patients_from_frames(infusions, assessments, None, patients)
        assert not gc.isenabled()
    finally:
        gc.enable()
