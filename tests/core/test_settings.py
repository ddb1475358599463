"""Clinic settings (every one the spec names, its default, parsing) and timepoint parsing."""

from dataclasses import fields
from datetime import date, time

import pytest

from outcomes.settings import (
    NOT_SETTINGS,
    SETTING_SPECS,
    SPECS_BY_KEY,
    SettingError,
    Settings,
    format_value,
    parse_value,
    settings_from_text,
)
from outcomes.timepoints import TimeFormatError, Timepoint, parse_timepoint

# The spec's defaults, written out: (setting, default).
SPEC_DEFAULTS = [
    ("primary_scale", "phq9"),
    ("induction_sessions", 6),
    ("baseline_window_days", 30),
    ("verdict_window_days", 7),
    ("incomplete_after_days", 21),
    ("relapse_confirmations", 1),
    ("booster_ends_relief", True),
    ("madrs_remission_cut", 10),
    ("bdi2_remission_cut", 13),
    ("qids_sr16_suicide_alert_min", 1),
    ("madrs_suicide_alert_min", 4),
    ("hamd17_suicide_alert_min", 2),
    ("bdi2_suicide_alert_min", 1),
    ("bp_hold_systolic", 160),
    ("bp_hold_diastolic", 100),
    ("rc_sd_madrs", None),
    ("rc_r_madrs", None),
]


@pytest.mark.parametrize("key, default", SPEC_DEFAULTS)
def test_every_spec_setting_has_its_default(key, default):
    """Settings() carries the default clinical-spec.md gives for each named setting."""
    assert getattr(Settings(), key) == default


def test_every_settings_field_is_described_once():
    """SETTING_SPECS describes exactly the fields of Settings, each with a source."""
    assert [s.key for s in SETTING_SPECS] == [
        f.name for f in fields(Settings) if f.name not in NOT_SETTINGS
    ]
    assert all(s.source and s.description for s in SETTING_SPECS)
    assert Settings().crisis_text  # the patient-mode text has a default


@pytest.mark.parametrize(
    "key, text, value",
    [
        ("induction_sessions", " 8 ", 8),
        ("booster_ends_relief", "false", False),
        ("booster_ends_relief", "Yes", True),
        ("relapse_confirmations", "2", 2),
        ("primary_scale", "madrs", "madrs"),
        ("rc_sd_madrs", "7.5", 7.5),
        ("rc_r_madrs", "unset", None),
        ("followup_schedule_days", "7, 1;30", (1, 7, 30)),
        ("crisis_text", "Call the clinic", "Call the clinic"),
    ],
)
def test_setting_text_is_parsed(key, text, value):
    """Text typed by a clinician becomes a typed value."""
    assert parse_value(key, text) == value


@pytest.mark.parametrize(
    "key, text, words",
    [
        ("induction_sessions", "six", "'six' is not a whole number from 1 to 20"),
        ("induction_sessions", "0", "0 is out of range; allowed a whole number from 1 to 20"),
        ("relapse_confirmations", "3", "3 is out of range"),
        ("booster_ends_relief", "maybe", "is not true or false"),
        ("primary_scale", "cadss", "choose one of phq9, gad7, madrs, hamd17, qids_sr16, bdi2"),
        ("rc_r_madrs", "1", "out of range"),
        ("rc_sd_madrs", "nan", "is not a number"),
        ("followup_schedule_days", "1,x", "comma-separated list of whole days"),
        ("crisis_text", "  ", "may not be empty"),
        (
            "no_such_setting",
            "1",
            "unknown setting 'no_such_setting'; known settings: primary_scale",
        ),
    ],
)
def test_bad_setting_is_refused_with_a_clear_message(key, text, words):
    """The SettingError message names the setting, the value and what is allowed."""
    with pytest.raises(SettingError) as refused:
        parse_value(key, text)
    assert words in str(refused.value)
    if key in SPECS_BY_KEY:
        assert str(refused.value).startswith(f"setting {key}")


@pytest.mark.parametrize("spec", SETTING_SPECS, ids=lambda s: s.key)
def test_format_value_reads_back_through_parse_value(spec):
    """Every default survives format_value -> parse_value unchanged (how db stores it)."""
    value = getattr(Settings(), spec.key)
    assert parse_value(spec.key, format_value(value)) == value


def test_settings_from_stored_text_overrides_defaults_and_ignores_unknown_keys():
    """Stored text values replace defaults; a key from a newer release is ignored."""
    settings = settings_from_text({"madrs_remission_cut": "12", "future_key": "x"})
    assert settings.madrs_remission_cut == 12
    assert settings.bdi2_remission_cut == 13


def test_suicide_alert_threshold_per_scale():
    """PHQ-9 always alerts at 1; 0 switches a scale's alert off; GAD-7 has no item."""
    settings = Settings(madrs_suicide_alert_min=0)
    assert settings.suicide_alert_min("phq9") == 1
    assert settings.suicide_alert_min("madrs") is None
    assert settings.suicide_alert_min("hamd17") == 2
    assert settings.suicide_alert_min("gad7") is None


# --- timepoints ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2026-01-05", Timepoint(date(2026, 1, 5))),
        ("2026-01-05T09:30", Timepoint(date(2026, 1, 5), time(9, 30))),
        ("2026-01-05 09:30:15", Timepoint(date(2026, 1, 5), time(9, 30, 15))),
    ],
)
def test_iso_dates_and_date_times_are_read(text, expected):
    """YYYY-MM-DD and ISO date-times (T or space) are accepted."""
    assert parse_timepoint(text) == expected


@pytest.mark.parametrize(
    "text, words",
    [
        ("", "missing"),
        ("2026-02-30", "not a real calendar date"),
        ("05/01/2026", "ambiguous"),
        ("2026-01-05T09:30+01:00", "time zone"),
        ("2026-01-05T09:30:00.5Z", "time zone"),
        ("next tuesday", "is not a date"),
    ],
)
def test_unreadable_dates_are_refused_with_the_reason(text, words):
    """Each refusal says why and shows the accepted form."""
    with pytest.raises(TimeFormatError, match=words):
        parse_timepoint(text)


def test_stored_form_drops_zero_seconds():
    """iso() is YYYY-MM-DD, YYYY-MM-DDTHH:MM, or with seconds when they are not 0."""
    assert parse_timepoint("2026-01-05").iso() == "2026-01-05"
    assert parse_timepoint("2026-01-05 09:30:00").iso() == "2026-01-05T09:30"
    assert parse_timepoint("2026-01-05T09:30:15").iso() == "2026-01-05T09:30:15"


def test_timepoints_sort_date_only_before_times_of_the_same_day():
    """A date-only timepoint orders before 00:00 of its day, after the day before."""
    day_only = parse_timepoint("2026-01-05")
    assert parse_timepoint("2026-01-04T23:59") < day_only < parse_timepoint("2026-01-05T00:00")
    assert sorted([parse_timepoint("2026-01-05T08:00"), day_only])[0] == day_only


def test_settings_hash_once_yet_equal_settings_hash_alike():
    """Settings remember their hash (rule caches ask it per patient); equal ones hash alike, a
    changed one does not, and a copy sent to another process leaves the remembered hash behind
    (a string's hash differs between interpreters)."""
    import pickle
    from dataclasses import replace

    settings = Settings()
    assert hash(settings) == hash(Settings()) and settings == Settings()
    assert hash(replace(settings, recovery_minutes=45)) != hash(settings)
    sent = pickle.loads(pickle.dumps(settings))
    assert "_hash" not in sent.__dict__ and sent == settings
    assert "_hash" not in repr(settings)
