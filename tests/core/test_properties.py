"""Property tests (hypothesis) of the domain core's invariants."""

from datetime import date, datetime, time, timedelta

from hypothesis import given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from outcomes.records import Assessment, Infusion, group_by_patient
from outcomes.response import RESPONSE_MIN_IMPROVEMENT, improvement
from outcomes.scales import SCALES
from outcomes.settings import Settings
from outcomes.status import analyse_patient
from outcomes.timepoints import Timepoint, parse_timepoint
from outcomes.validation import check_assessment
from outcomes.verdict import VERDICTS

START = date(2026, 1, 5)


@st.composite
def scale_and_items(draw):
    scale = draw(st.sampled_from(list(SCALES.values())))
    items = tuple(draw(st.integers(0, top)) for top in scale.item_max)
    return scale, items


@given(scale_and_items())
def test_total_of_valid_items_lies_in_the_scale_range(case):
    """For every scale, any valid set of items totals 0..total_max and passes validation."""
    scale, items = case
    assert 0 <= scale.total(items) <= scale.total_max
    checked = check_assessment(
        {
            "patient_id": "P",
            "date": "2026-01-05",
            "scale": scale.id,
            "items": " ".join(map(str, items)),
        }
    )
    assert checked.ok and checked.values["total"] == scale.total(items)


@given(st.integers(1, 92), st.integers(0, 92), st.integers(0, 92))
def test_improvement_falls_as_the_score_rises(baseline, score, other):
    """For a fixed baseline a higher score never shows more improvement."""
    low, high = sorted((score, other))
    assert improvement(baseline, low) >= improvement(baseline, high)
    if low < high:
        assert improvement(baseline, low) > improvement(baseline, high)


@st.composite
def courses(draw):
    """A patient with 0-9 infusions and up to 12 PHQ-9 scores around them."""
    gaps = draw(st.lists(st.integers(1, 10), max_size=9))
    day = START
    infusions = []
    for gap in gaps:
        timed = draw(st.booleans())
        at = time(draw(st.integers(7, 18)), 0) if timed else None
        infusions.append(Infusion("P", Timepoint(day, at)))
        day += timedelta(days=gap)
    scores = [
        Assessment(
            "P",
            Timepoint(
                START + timedelta(days=offset),
                time(draw(st.integers(0, 23)), 30) if draw(st.booleans()) else None,
            ),
            "phq9",
            draw(st.integers(0, 27)),
        )
        for offset in draw(st.lists(st.integers(-35, 90), max_size=12))
    ]
    as_of = START + timedelta(days=draw(st.integers(0, 150)))
    return group_by_patient(infusions, scores, patient_ids=["P"])["P"], as_of


SETTINGS = st.builds(
    Settings,
    relapse_confirmations=st.sampled_from([1, 2]),
    booster_ends_relief=st.booleans(),
    induction_sessions=st.integers(1, 8),
)


@given(courses(), SETTINGS)
@hyp_settings(max_examples=300, deadline=None)
def test_verdict_rules_hold_for_any_course(case, settings):
    """Verdict is one of five; responder only with >= 50% in the window; relief_days >= 0."""
    patient, as_of = case
    status = analyse_patient(patient, "phq9", settings, as_of)
    assert status.verdict.value in VERDICTS
    if status.verdict.value == "responder":
        window = [p for p in status.points if p.in_verdict_window]
        assert any(p.improvement >= RESPONSE_MIN_IMPROVEMENT for p in window)
        assert 1 <= status.first_response.session <= settings.induction_sessions
    else:
        assert status.first_response is None
    if status.relief is not None:
        assert status.relief.days >= 0
        assert status.verdict.value == "responder"
    assert status.status in (
        None,
        "remission",
        "response",
        "partial_response",
        "non_response",
        "no_baseline",
    )


@given(
    st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2100, 12, 31)), st.booleans()
)
def test_parse_timepoint_round_trips_the_stored_form(moment, with_time):
    """parse_timepoint(tp.iso()) == tp for dates and date-times (kept to the second)."""
    tp = Timepoint(moment.date(), moment.time() if with_time else None)
    assert parse_timepoint(tp.iso()) == tp
    assert parse_timepoint(tp.iso()).akey == tp.akey
