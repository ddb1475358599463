"""Section 11 rules, hand-worked: reading alerts at and either side of each threshold, discharge,
the eight-session esketamine verdict, and a ketamine course followed by an esketamine course."""

from __future__ import annotations

from datetime import date

import pytest

from outcomes import wording
from outcomes.records import Assessment, Infusion, PatientData, Reading
from outcomes.sessions import (
    DEEP_SEDATION,
    EARLY_DISCHARGE,
    LOW_SPO2,
    RESP_RATE,
    SESSION_BP,
    UNACCOMPANIED,
    summarise_session,
)
from outcomes.settings import Settings
from outcomes.status import analyse_patient
from outcomes.timepoints import parse_timepoint as tp

START = "2026-02-02T09:00"


def session(drug="ketamine", **extra):
    dose = {"dose_mg": 56} if drug == "esketamine" else {"dose_mg_per_kg": 0.5}
    return Infusion("P1", tp(START), drug=drug, **dose, **extra)


def reading(at="2026-02-02T09:40", **values):
    return Reading("P1", tp(at), tp(START), **values)


def kinds(inf, readings=(), settings=Settings()):
    return [a.kind for a in summarise_session(inf, readings, settings).alerts]


@pytest.mark.parametrize(
    "values, kind, alerts",
    [
        ({"spo2": 89}, LOW_SPO2, True),
        ({"spo2": 90}, LOW_SPO2, False),
        ({"spo2": 91}, LOW_SPO2, False),
        ({"respiratory_rate": 7}, RESP_RATE, True),
        ({"respiratory_rate": 8}, RESP_RATE, False),
        ({"respiratory_rate": 9}, RESP_RATE, False),
        ({"respiratory_rate": 29}, RESP_RATE, False),
        ({"respiratory_rate": 30}, RESP_RATE, False),
        ({"respiratory_rate": 31}, RESP_RATE, True),
        ({"sedation_moaas": 1}, DEEP_SEDATION, True),
        ({"sedation_moaas": 2}, DEEP_SEDATION, True),
        ({"sedation_moaas": 3}, DEEP_SEDATION, False),
        ({"bp_systolic": 159, "bp_diastolic": 99}, SESSION_BP, False),
        ({"bp_systolic": 160, "bp_diastolic": 80}, SESSION_BP, True),
        ({"bp_systolic": 161, "bp_diastolic": 80}, SESSION_BP, True),
        ({"bp_systolic": 150, "bp_diastolic": 100}, SESSION_BP, True),
    ],
)
def test_each_reading_alert_at_and_either_side_of_its_threshold(values, kind, alerts):
    """Saturation < 90, rate outside 8-30, MOAA/S <= 2, pressure >= 160/100 (defaults of section 11)."""
    assert (kind in kinds(session(), [reading(**values)])) is alerts


def test_one_alert_per_kind_per_session_names_the_worst_reading():
    """Two low saturations make one acknowledgeable alert naming the lowest, its time and minutes."""
    summary = summarise_session(
        session(),
        [reading("2026-02-02T09:40", spo2=88), reading("2026-02-02T09:50", spo2=86)],
        Settings(),
    )
    (alert,) = summary.alerts
    assert alert.key == "low_oxygen_saturation:s:2026-02-02T09:00"
    assert alert.detail.startswith("oxygen saturation 86% at 09:50 (50 min), below 90%")
    assert "2 readings crossed it" in alert.detail and summary.lowest_spo2 == 86


@pytest.mark.parametrize(
    "ready, early",
    [("2026-02-02T10:59", True), ("2026-02-02T11:00", False), ("2026-02-02T11:01", False)],
)
def test_esketamine_two_hour_rule(ready, early):
    """Esketamine at 09:00: ready to leave at 10:59 is an early discharge; at 11:00 or later it is not."""
    inf = session("esketamine", ready_to_leave_at=tp(ready))
    assert (EARLY_DISCHARGE in kinds(inf)) is early


@pytest.mark.parametrize("ready, early", [("2026-02-02T10:09", True), ("2026-02-02T10:10", False)])
def test_ketamine_recovery_counts_from_the_end_of_the_infusion(ready, early):
    """Infusion 09:00 for 40 min ends 09:40; recovery 30 min: ready at 10:09 warns, at 10:10 does not."""
    inf = session(duration_min=40.0, ready_to_leave_at=tp(ready))
    assert (EARLY_DISCHARGE in kinds(inf)) is early


def test_leaving_alone_after_sedation_warns_but_not_after_a_calm_session():
    """Not accompanied after MOAA/S 4 warns; not accompanied with MOAA/S 5 throughout does not."""
    inf = session(accompanied=False, ready_to_leave_at=tp("2026-02-02T11:00"), duration_min=40.0)
    assert UNACCOMPANIED in kinds(inf, [reading(sedation_moaas=4)])
    assert UNACCOMPANIED not in kinds(inf, [reading(sedation_moaas=5)])


def phq9(day, total):
    return Assessment("P1", tp(day), "phq9", total)


ESK_DAYS = (
    "2026-01-05",
    "2026-01-08",
    "2026-01-12",
    "2026-01-15",
    "2026-01-19",
    "2026-01-22",
    "2026-01-26",
    "2026-01-29",
)


def esketamine_course(days, course=1):
    return tuple(
        Infusion("P1", tp(d + "T09:00"), course=course, drug="esketamine", dose_mg=56) for d in days
    )


def test_eight_session_esketamine_verdict_counts_a_response_at_session_eight():
    """Esketamine, baseline 20: still 15 after sessions 1-7, then 10 after session 8 (50%) is a responder
    at session 8 of 8; a ketamine course would have ended its induction at 6."""
    scores = (
        [phq9("2026-01-04", 20)]
        + [phq9(d + "T12:00", 15) for d in ESK_DAYS[:7]]
        + [phq9(ESK_DAYS[7] + "T12:00", 10)]
    )
    patient = PatientData("P1", infusions=esketamine_course(ESK_DAYS), assessments=tuple(scores))
    status = analyse_patient(patient, "phq9", Settings(), date(2026, 1, 30))
    assert status.verdict.value == "responder" and status.first_response.session == 8
    assert status.progress == "session 8 of 8"
    mid = PatientData(
        "P1", infusions=esketamine_course(ESK_DAYS[:5]), assessments=tuple(scores[:6])
    )
    assert analyse_patient(mid, "phq9", Settings(), date(2026, 1, 20)).progress == "session 5 of 8"


def test_eight_session_esketamine_non_responder_after_the_window():
    """All 8 esketamine sessions, no 50% drop, 8 days after session 8: non-responder, 'all 8'."""
    scores = [phq9("2026-01-04", 20)] + [phq9(d + "T12:00", 15) for d in ESK_DAYS]
    patient = PatientData("P1", infusions=esketamine_course(ESK_DAYS), assessments=tuple(scores))
    status = analyse_patient(patient, "phq9", Settings(), date(2026, 2, 6))
    assert (
        status.verdict.value == "non_responder"
        and "all 8 induction sessions given and no response"
        in wording.verdict_reason(status.verdict)
    )


def test_ketamine_course_then_esketamine_course():
    """Six ketamine infusions (course 1), then esketamine (course 2): the latest course is judged out of 8;
    course 1 still out of 6."""
    ket_days = ("2025-11-03", "2025-11-05", "2025-11-07", "2025-11-10", "2025-11-12", "2025-11-14")
    ketamine = tuple(
        Infusion("P1", tp(d + "T09:00"), course=1, dose_mg_per_kg=0.5) for d in ket_days
    )
    scores = [
        phq9("2025-11-02", 20),
        phq9("2025-11-14T12:00", 16),
        phq9("2026-01-04", 19),
        phq9("2026-01-12T12:00", 12),
    ]
    patient = PatientData(
        "P1",
        infusions=ketamine + esketamine_course(ESK_DAYS[:3], course=2),
        assessments=tuple(scores),
    )
    latest = analyse_patient(patient, "phq9", Settings(), date(2026, 1, 13))
    assert latest.course.drug == "esketamine" and latest.progress == "session 3 of 8"
    assert latest.baseline.total == 19 and latest.verdict.value == "in_progress"
    first = analyse_patient(patient, "phq9", Settings(), date(2026, 1, 13), course_number=1)
    assert first.verdict.value == "non_responder" and first.progress == "session 6 of 6"
