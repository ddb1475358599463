"""Section 11 entry rules: drugs and doses, the session's end, and readings' ranges and window."""

from __future__ import annotations

from datetime import date

import pytest

from outcomes.readings import READING_RANGES, check_reading
from outcomes.settings import Settings
from outcomes.validation import check_infusion

TODAY = date(2026, 3, 1)


def infusion(**extra):
    return check_infusion(
        {"patient_id": "P1", "date": "2026-02-02T09:00", **extra}, Settings(), TODAY
    )


def messages(checked, kind="error"):
    return [str(p) for p in checked.problems if p.kind == kind]


@pytest.mark.parametrize(
    "dose, ok",
    [
        ("28", True),
        ("56", True),
        ("84", True),
        ("27", False),
        ("29", False),
        ("0", False),
        ("112", False),
        ("56.5", False),
    ],
)
def test_esketamine_dose_is_one_of_28_56_84_mg(dose, ok):
    """Only whole devices of the label: 28, 56 or 84 mg; anything else is refused naming them."""
    checked = infusion(drug="esketamine", dose_mg=dose)
    assert checked.ok is ok
    if not ok:
        assert "must be 28, 56, 84 mg" in " ".join(messages(checked))
    else:
        assert checked.values["route"] == "intranasal" and checked.values["dose_mg_per_kg"] is None


def test_esketamine_in_mg_per_kg_or_by_another_route_is_refused():
    """Esketamine is intranasal and dosed in mg: mg/kg and IV are entry errors."""
    text = " ".join(messages(infusion(drug="esketamine", dose_mg_per_kg="0.5", route="iv")))
    assert (
        "not mg/kg" in text
        and "intranasal, not 'iv'" in text
        and "esketamine dose is required" in text
    )


def test_ketamine_is_the_default_and_refuses_a_dose_in_mg():
    """No drug column means ketamine (every record before section 11); a dose in mg is for esketamine."""
    assert infusion(dose_mg_per_kg="0.5").values["drug"] == "ketamine"
    assert "a dose in mg is for esketamine" in " ".join(
        messages(infusion(dose_mg_per_kg="0.5", dose_mg="56"))
    )


@pytest.mark.parametrize(
    "bp, warns", [(("140", "90"), False), (("141", "90"), True), (("140", "91"), True)]
)
def test_esketamine_pressure_above_140_90_warns_before_saving(bp, warns):
    """The label's caution is *above* 140/90 (setting esketamine_bp_caution): at it, no warning."""
    checked = infusion(
        drug="esketamine", dose_mg="56", bp_systolic_pre=bp[0], bp_diastolic_pre=bp[1]
    )
    assert checked.ok and bool(messages(checked, "warning")) is warns


def test_session_end_must_follow_the_start_and_agree_with_the_duration():
    """End and ready-to-leave come after the start; a duration contradicting the end time is refused."""
    good = infusion(
        dose_mg_per_kg="0.5",
        ended_at="2026-02-02T09:40",
        duration_min="40",
        ready_to_leave_at="2026-02-02T10:15",
        accompanied="Yes",
    )
    assert good.ok and good.values["accompanied"] is True
    text = " ".join(
        messages(
            infusion(
                dose_mg_per_kg="0.5",
                ended_at="2026-02-02T09:40",
                duration_min="60",
                ready_to_leave_at="2026-02-02T09:30",
                accompanied="maybe",
            )
        )
    )
    assert "does not match the end time" in text and "before the infusion ended" in text
    assert "'maybe' is not yes or no" in text


@pytest.mark.parametrize("field", list(READING_RANGES))
def test_each_reading_is_refused_just_outside_its_range(field):
    """Each measurement's bounds are accepted and one beyond either bound is refused with the range."""
    low, high = READING_RANGES[field]
    base = {"patient_id": "P1", "session": "2026-02-02T09:00", "at": "2026-02-02T09:30"}
    for value, ok in ((low, True), (high, True), (low - 1, False), (high + 1, False)):
        if field == "bp_diastolic" and value >= 0:
            extra = {"bp_systolic": 260}
        elif field == "bp_systolic":
            extra = {"bp_diastolic": 20 if value > 20 else None}
        else:
            extra = {}
        checked = check_reading({**base, field: str(value), **extra}, TODAY)
        assert checked.ok is ok, (field, value, checked.problems)
        if not ok:
            assert f"{low}-{high}" in " ".join(messages(checked))


@pytest.mark.parametrize(
    "at, ok",
    [
        ("2026-02-02T09:00", True),
        ("2026-02-02T08:59", False),
        ("2026-02-02T15:00", True),
        ("2026-02-02T15:01", False),
    ],
)
def test_reading_window_is_start_to_six_hours_after(at, ok):
    """A reading at the start or exactly 6 hours after is kept; a minute outside either end is refused."""
    checked = check_reading(
        {"patient_id": "P1", "session": "2026-02-02T09:00", "at": at, "spo2": "97"}, TODAY
    )
    assert checked.ok is ok


def test_reading_without_a_measurement_or_time_of_day_is_refused():
    """A reading needs a time of day and at least one measurement."""
    checked = check_reading(
        {"patient_id": "P1", "session": "2026-02-02T09:00", "at": "2026-02-02"}, TODAY
    )
    text = " ".join(messages(checked))
    assert "needs a time of day" in text and "at least one measurement" in text


@pytest.mark.parametrize(
    "cells",
    [
        {
            "bp_systolic": "120",
            "bp_diastolic": "80",
            "heart_rate": "70",
            "spo2": "97",
            "respiratory_rate": "14",
            "sedation_moaas": "5",
        },
        {"spo2": "97"},
        {"bp_systolic": "260", "bp_diastolic": "20"},
        {"bp_systolic": "120", "bp_diastolic": "120"},
        {"spo2": "101"},
        {"spo2": " 97"},
        {"spo2": "9７"},
        {"spo2": "97.0"},
        {},
        {"sedation_moaas": "0"},
    ],
)
@pytest.mark.parametrize(
    "at",
    [
        "2026-02-02T09:00",
        "2026-02-02T15:00",
        "2026-02-02T15:01",
        "2026-02-02",
        "2026-02-02T8:59",
        "2027-01-01T10:00",
    ],
)
def test_fast_path_of_a_vitals_import_agrees_with_the_careful_check(cells, at):
    """The bulk-import fast path accepts exactly the rows `check_reading` accepts, with the same values."""
    from outcomes.readings import MEASUREMENTS, clean_reading_row

    raw = {
        "patient_id": "P1",
        "session": "2026-02-02T09:00",
        "at": at,
        "notes": " n ",
        **{m: cells.get(m, "") for m in MEASUREMENTS},
    }
    fast = clean_reading_row(raw, TODAY)
    careful = check_reading(raw, TODAY)
    if fast is not None:
        v = careful.values
        assert careful.ok and not careful.problems
        assert fast == ("P1", v["at"].iso(), v["session"].iso(), *(v[m] for m in MEASUREMENTS), "n")
