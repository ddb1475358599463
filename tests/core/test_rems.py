"""The REMS form's rules (`outcomes.rems`): the checks, the clinic's today, the deadline's state."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from outcomes.rems import (
    DUE,
    OVERDUE,
    SUBMITTED,
    RemsForm,
    Submission,
    check_rems,
    clinic_today,
    course_medicines,
    deadline,
    form_state,
)
from outcomes.validation import check_infusion


def test_the_clinics_today_is_the_local_date_of_the_instant():
    """03:30 UTC on 15 March 2026 is still the 14th in New York (EDT, UTC-4, since the 8th):
    a form whose deadline is the 14th is due there, not overdue."""
    instant = datetime(2026, 3, 15, 3, 30, tzinfo=timezone.utc)
    new_york = clinic_today(instant, ZoneInfo("America/New_York"))
    assert new_york == date(2026, 3, 14)
    assert clinic_today(instant, ZoneInfo("Europe/Berlin")) == date(2026, 3, 15)
    assert form_state(date(2026, 3, 7), None, new_york).state == DUE
    assert form_state(date(2026, 3, 7), None, date(2026, 3, 15)).state == OVERDUE


@pytest.mark.parametrize(
    ("session", "last"),
    [
        (date(2026, 1, 28), date(2026, 2, 4)),  # month end
        (date(2028, 2, 24), date(2028, 3, 2)),  # leap February
        (date(2025, 12, 27), date(2026, 1, 3)),  # year end
    ],
)
def test_the_deadline_is_seven_calendar_days(session, last):
    assert deadline(session) == last
    assert form_state(session, None, last).days_left == 0
    assert form_state(session, None, last + timedelta(days=1)).state == OVERDUE


def test_a_submitted_form_stays_submitted_however_late():
    sub = Submission("P1", "2026-01-28T10:00", date(2026, 2, 20), "Nurse Ray")
    state = form_state(date(2026, 1, 28), sub, date(2026, 3, 1))
    assert state.state == SUBMITTED and state.submission == sub


def test_a_complete_form_is_accepted_and_normalised():
    checked = check_rems(
        {
            "rems_enrolled": "Yes",
            "first_treatment": "n",
            "concomitant_medicines": "Opioids, benzodiazepines",
            "device_lots": " LOT-1 ; 22/B.3 ",
            "sedation_observed": "yes",
            "sedation_resolved": "yes",
            "serious_adverse_event": "no",
        },
        "esketamine",
        84,
    )
    assert checked.ok and not checked.warnings
    v = checked.values
    assert v["concomitant_medicines"] == ("benzodiazepines", "opioids")  # the form's order
    assert v["device_lots"] == ("LOT-1", "22/B.3")
    assert (v["rems_enrolled"], v["first_treatment"]) == (True, False)


@pytest.mark.parametrize(
    ("raw", "field", "words"),
    [
        ({"device_lots": "X" * 21}, "device_lots", "1-20 letters"),
        ({"device_lots": "A1\x07"}, "device_lots", "is not a lot number"),
        ({"device_lots": "A;B;C"}, "device_lots", "3 device lot numbers for 56 mg"),
        ({"concomitant_medicines": "none; opioids"}, "concomitant_medicines", "cannot go with"),
        (
            {"serious_adverse_event": "yes", "serious_adverse_event_text": "a\x00b"},
            "serious_adverse_event_text",
            "control character",
        ),
        ({"serious_adverse_event_text": "fainted"}, "serious_adverse_event_text", "is not 'yes'"),
        ({"sedation_resolved": "no"}, "sedation_resolved", "only when sedation was observed"),
    ],
)
def test_a_malformed_field_is_refused_naming_it(raw, field, words):
    checked = check_rems(raw, "esketamine", 56)
    assert [p.field for p in checked.errors] == [field]
    assert words in checked.errors[0].message


def test_not_enrolled_and_not_resolved_are_kept_with_a_warning():
    checked = check_rems(
        {"rems_enrolled": "no", "dissociation_observed": "yes", "dissociation_resolved": "no"},
        "esketamine",
        56,
    )
    assert checked.ok
    assert {p.field for p in checked.warnings} == {"rems_enrolled", "dissociation_resolved"}


def test_the_course_keeps_the_medicines_its_latest_session_confirmed():
    forms = {
        "2026-01-06T10:00": RemsForm("P1", "2026-01-06T10:00", concomitant_medicines=("opioids",)),
        "2026-01-09T10:00": RemsForm("P1", "2026-01-09T10:00", concomitant_medicines=()),
        "2026-01-13T10:00": RemsForm("P1", "2026-01-13T10:00"),  # not confirmed yet
    }
    assert course_medicines(forms, list(forms)) == ((), "2026-01-09T10:00")
    assert course_medicines(forms, ["2026-01-06T10:00"]) == (("opioids",), "2026-01-06T10:00")
    assert course_medicines({}, list(forms)) is None


def test_a_ready_to_leave_time_later_than_now_is_refused():
    now = datetime.now().replace(second=0, microsecond=0)
    start = now - timedelta(hours=2)
    if start.date() != now.date():  # just after midnight: the rule is about today's times
        pytest.skip("the session would start yesterday")
    raw = {"patient_id": "P1", "date": start.isoformat(timespec="minutes"), "drug": "esketamine"}
    raw["dose_mg"] = 56
    later = check_infusion(
        {**raw, "ready_to_leave_at": (now + timedelta(minutes=5)).isoformat(timespec="minutes")}
    )
    assert [p.field for p in later.errors] == ["ready_to_leave_at"]
    assert "is later than now" in later.errors[0].message
    earlier = check_infusion({**raw, "ready_to_leave_at": now.isoformat(timespec="minutes")})
    assert earlier.ok, earlier.problems
