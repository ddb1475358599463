"""Reliable change (clinical-spec section 7) and safety alerts (section 8), by hand."""

import math
from datetime import date

import pytest

from outcomes.records import Assessment, Infusion, group_by_patient
from outcomes.reliable_change import reliable_change
from outcomes.safety import record_alerts, safety_item_unknown, suicidality_alert
from outcomes.scales import get_scale
from outcomes.settings import Settings
from outcomes.status import analyse_patient
from outcomes.timepoints import parse_timepoint


def scored(scale_id, item_number, value, when="2026-01-06", assessment_id=None):
    """An assessment of `scale_id` with every item 0 except `item_number`."""
    items = [0] * get_scale(scale_id).n_items
    items[item_number - 1] = value
    return Assessment(
        "P1",
        parse_timepoint(when),
        scale_id,
        get_scale(scale_id).total(items),
        tuple(items),
        id=assessment_id,
    )


# --- reliable change ------------------------------------------------------------


@pytest.mark.parametrize(
    "scale_id, baseline, score, category",
    [
        ("phq9", 20, 14, "improved"),  # a drop of 6 points is reliable
        ("phq9", 20, 15, "unchanged"),  # 5 is not
        ("phq9", 12, 4, "recovered"),  # reliable and now at or below the cut of 4
        ("phq9", 10, 4, "recovered"),  # exactly 6 points down to the cut
        ("phq9", 10, 16, "deteriorated"),  # 6 points worse
        ("phq9", 10, 15, "unchanged"),
        ("gad7", 12, 8, "improved"),  # 4 points for GAD-7
        ("gad7", 12, 9, "unchanged"),
        ("gad7", 8, 4, "recovered"),
        ("gad7", 5, 9, "deteriorated"),
    ],
)
def test_fixed_reliable_change_thresholds(scale_id, baseline, score, category):
    """NHS Talking Therapies: PHQ-9 changes by 6 points, GAD-7 by 4, are reliable."""
    assert reliable_change(scale_id, baseline, score, Settings()).category == category


# MADRS with SD 6 and r 0.75: S_diff = 6 x sqrt(2) x sqrt(0.25) = 4.243, so a
# change is reliable when |change| / 4.243 > 1.96, i.e. from 9 points (RC 2.12);
# 8 points give RC 1.89.
MADRS_RC = Settings(rc_sd_madrs=6.0, rc_r_madrs=0.75)


@pytest.mark.parametrize(
    "baseline, score, category, rc",
    [
        (30, 21, "improved", 2.12),
        (30, 22, "unchanged", 1.89),
        (30, 10, "recovered", 4.71),
        (20, 29, "deteriorated", 2.12),
    ],
)
def test_madrs_reliable_change_index_from_sd_and_r(baseline, score, category, rc):
    """RC = |change| / (SD x sqrt(2) x sqrt(1 - r)); reliable above 1.96."""
    assert math.isclose(6 * math.sqrt(2) * math.sqrt(0.25), 4.2426, abs_tol=1e-4)
    result = reliable_change("madrs", baseline, score, MADRS_RC)
    assert result.category == category
    assert f"RC = {rc:.2f}" in result.detail


def test_without_sd_and_r_there_is_no_reliable_change():
    """MADRS without rc_sd_madrs/rc_r_madrs: the program says so instead of inventing them."""
    result = reliable_change("madrs", 30, 5, Settings())
    assert result.category == "no reliable-change parameters"
    assert "rc_sd_madrs" in result.detail


def test_reliable_deterioration_raises_an_alert():
    """PHQ-9 from 10 to 17 (7 points worse): category deteriorated and an alert."""
    patient = group_by_patient(
        [Infusion("P1", parse_timepoint("2026-01-05"))],
        [
            Assessment("P1", parse_timepoint("2026-01-04"), "phq9", 10),
            Assessment("P1", parse_timepoint("2026-01-08"), "phq9", 17, id=7),
        ],
    )["P1"]
    status = analyse_patient(patient, "phq9", Settings(), date(2026, 1, 9))
    assert status.reliable.category == "deteriorated"
    [alert] = status.alerts
    assert alert.kind == "reliable_deterioration"
    assert alert.key == "reliable_deterioration:a:2026-01-08:phq9"
    assert status.as_json()["reliable_change"] == "deteriorated"


# --- suicidality items --------------------------------------------------------------


@pytest.mark.parametrize(
    "scale_id, item, below, at",
    [
        ("phq9", 9, 0, 1),
        ("qids_sr16", 12, 0, 1),
        ("madrs", 10, 3, 4),
        ("hamd17", 3, 1, 2),
        ("bdi2", 9, 0, 1),
    ],
)
def test_suicidality_item_alerts_at_its_threshold_not_below(scale_id, item, below, at):
    """PHQ-9 9 >= 1, QIDS 12 >= 1, MADRS 10 >= 4, HAM-D 3 >= 2, BDI-II 9 >= 1 alert."""
    assert suicidality_alert(scored(scale_id, item, below), Settings()) is None
    alert = suicidality_alert(scored(scale_id, item, at), Settings())
    assert alert.kind == "suicidality_item"
    assert alert.detail == f"{get_scale(scale_id).name} item {item} = {at}"


def test_alert_detail_reads_like_the_interface_example():
    """A MADRS item 10 of 4 reads 'MADRS item 10 = 4'."""
    alert = suicidality_alert(scored("madrs", 10, 4), Settings())
    assert alert.as_json()["detail"] == "MADRS item 10 = 4"
    assert alert.as_json()["date"] == "2026-01-06"


@pytest.mark.parametrize(
    "setting, scale_id, item, value",
    [
        ("madrs_suicide_alert_min", "madrs", 10, 6),
        ("qids_sr16_suicide_alert_min", "qids_sr16", 12, 3),
        ("hamd17_suicide_alert_min", "hamd17", 3, 4),
        ("bdi2_suicide_alert_min", "bdi2", 9, 3),
    ],
)
def test_suicidality_alert_can_be_switched_off_by_setting(setting, scale_id, item, value):
    """A threshold of 0 switches the scale's alert off, even at the item's maximum."""
    assert suicidality_alert(scored(scale_id, item, value), Settings(**{setting: 0})) is None


def test_suicidality_threshold_can_be_raised():
    """With hamd17_suicide_alert_min = 3, HAM-D item 3 = 2 no longer alerts, 3 does."""
    settings = Settings(hamd17_suicide_alert_min=3)
    assert suicidality_alert(scored("hamd17", 3, 2), settings) is None
    assert suicidality_alert(scored("hamd17", 3, 3), settings) is not None


def test_gad7_and_cadss_have_no_suicidality_item():
    """Neither scale has a safety item, so nothing alerts."""
    assert suicidality_alert(scored("gad7", 7, 3), Settings()) is None
    assert suicidality_alert(scored("cadss", 1, 4), Settings()) is None


def test_total_only_record_cannot_be_checked_for_suicidality():
    """A PHQ-9 total without items raises no alert but is counted as unchecked."""
    patient = group_by_patient(
        [Infusion("P1", parse_timepoint("2026-01-05"))],
        [
            Assessment("P1", parse_timepoint("2026-01-04"), "phq9", 20),
            scored("phq9", 9, 1, when="2026-01-06"),
        ],
    )["P1"]
    status = analyse_patient(patient, "phq9", Settings(), date(2026, 1, 9))
    assert status.total_only_count == 1
    assert status.safety_unchecked == 1
    assert [a.kind for a in status.alerts] == ["suicidality_item"]


def test_acknowledged_alert_is_marked_and_leaves_the_open_list():
    """Two alerts, one acknowledged by key: it stays listed, marked, and is no longer open."""
    patient = group_by_patient(
        [Infusion("P1", parse_timepoint("2026-01-05"))],
        [
            Assessment("P1", parse_timepoint("2026-01-04"), "phq9", 20),
            scored("phq9", 9, 2, when="2026-01-06", assessment_id=1),
            scored("phq9", 9, 1, when="2026-01-08", assessment_id=2),
        ],
    )["P1"]
    status = analyse_patient(
        patient,
        "phq9",
        Settings(),
        date(2026, 1, 9),
        acknowledged={"suicidality_item:a:2026-01-06:phq9"},
    )
    assert [(a.key, a.acknowledged) for a in status.alerts] == [
        ("suicidality_item:a:2026-01-06:phq9", True),
        ("suicidality_item:a:2026-01-08:phq9", False),
    ]
    assert [a.key for a in status.open_alerts] == ["suicidality_item:a:2026-01-08:phq9"]


def test_alerts_of_other_scales_show_on_the_patient():
    """A MADRS item 10 = 5 alerts on the patient even when the status is judged on PHQ-9."""
    patient = group_by_patient(
        [Infusion("P1", parse_timepoint("2026-01-05"))],
        [Assessment("P1", parse_timepoint("2026-01-04"), "phq9", 20), scored("madrs", 10, 5)],
    )["P1"]
    status = analyse_patient(patient, "phq9", Settings(), date(2026, 1, 9))
    assert [a.detail for a in status.alerts] == ["MADRS item 10 = 5"]


# --- infusion alerts -------------------------------------------------------------


def test_unusual_dose_and_blood_pressure_at_hold_are_kept_as_alerts():
    """A confirmed 1.2 mg/kg dose and a 165/95 pressure are remembered on the patient."""
    infusion = Infusion(
        "P1",
        parse_timepoint("2026-01-05T09:00"),
        dose_mg_per_kg=1.2,
        id=3,
        weight_kg=80.0,
        bp_systolic_pre=165,
        bp_diastolic_pre=95,
    )
    alerts = record_alerts([], [infusion], Settings())
    by_kind = {a.kind: a for a in alerts}
    assert set(by_kind) == {"dose_outside_usual_range", "blood_pressure_at_hold_threshold"}
    assert "1.2 mg/kg" in by_kind["dose_outside_usual_range"].detail
    assert "165/95" in by_kind["blood_pressure_at_hold_threshold"].detail
    assert by_kind["dose_outside_usual_range"].key == "dose_outside_usual_range:i:2026-01-05T09:00"
    assert infusion.total_mg == 96.0  # 1.2 mg/kg x 80 kg


def test_usual_dose_and_pressure_raise_nothing():
    """0.5 mg/kg at 159/99 is unremarkable."""
    infusion = Infusion(
        "P1",
        parse_timepoint("2026-01-05"),
        dose_mg_per_kg=0.5,
        bp_systolic_pre=159,
        bp_diastolic_pre=99,
    )
    assert record_alerts([], [infusion], Settings()) == []


def test_total_only_record_says_its_safety_item_is_unknown():
    """A total-only PHQ-9 cannot be checked; a total-only GAD-7 has no item to check."""
    phq9 = Assessment("P1", parse_timepoint("2026-01-06"), "phq9", 12)
    gad7 = Assessment("P1", parse_timepoint("2026-01-06"), "gad7", 12)
    assert phq9.total_only and safety_item_unknown(phq9)
    assert gad7.total_only and not safety_item_unknown(gad7)
    assert suicidality_alert(phq9, Settings()) is None
