"""Dose steps within a course (`outcomes.course.dose_steps`), marked beside the scores."""

from outcomes.course import dose_steps
from outcomes.records import Infusion
from outcomes.timepoints import parse_timepoint as at

DAYS = ("2026-01-05", "2026-01-07", "2026-01-09", "2026-01-12", "2026-01-14", "2026-01-16")


def course(*doses):
    return [
        Infusion("P", at(day), dose_mg_per_kg=dose) for day, dose in zip(DAYS, doses, strict=False)
    ]


def test_a_flat_course_has_no_step():
    """0.5 six times: nothing to mark."""
    assert dose_steps(course(0.5, 0.5, 0.5, 0.5, 0.5, 0.5)) == {}


def test_a_rise_and_a_fall_are_marked_at_the_infusion_that_changed():
    """0.5, 0.5, 0.75, 0.75, 0.6: raised at the third infusion (index 2), lowered at the fifth."""
    assert dose_steps(course(0.5, 0.5, 0.75, 0.75, 0.6)) == {2: 1, 4: -1}


def test_an_unrecorded_dose_is_skipped_not_a_step():
    """0.5, unknown, 0.5, 0.75: the unknown dose neither starts nor ends a step."""
    assert dose_steps(course(0.5, None, 0.5, 0.75)) == {3: 1}
