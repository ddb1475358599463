"""Settings that bound one range are checked together (issue 21): the refusal names both settings.

Through `outcomes settings` (the real command) and the app's settings screen: `resp_rate_low 40`
with `resp_rate_high 10` (which turned 177 of 177 demo sessions into alerts) is refused, and so are
a hold threshold whose diastolic is not below its systolic, an esketamine caution above the hold,
and a verdict window longer than the wait before a course is incomplete. Nothing is written.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner

import db
from outcomes.setting_pairs import pair_problem
from outcomes.settings import Settings
from outcomes_cli.cli import cli


def invoke(path, *args):
    return CliRunner().invoke(cli, ["--db", str(path), *args])


@pytest.mark.parametrize(
    "first, second, names",
    [
        (
            ("resp_rate_high", "10"),
            ("resp_rate_low", "40"),
            ("resp_rate_low 40", "resp_rate_high 10"),
        ),
        (
            ("resp_rate_low", "20"),
            ("resp_rate_high", "12"),
            ("resp_rate_low 20", "resp_rate_high 12"),
        ),
        (
            ("esketamine_bp_caution", "100/60"),
            ("bp_hold_systolic", "95"),
            ("bp_hold_diastolic 100", "bp_hold_systolic 95"),
        ),
        (
            ("bp_hold_systolic", "150"),
            ("esketamine_bp_caution", "155/90"),
            ("esketamine_bp_caution (systolic) 155", "bp_hold_systolic 150"),
        ),
        (
            ("incomplete_after_days", "10"),
            ("verdict_window_days", "30"),
            ("verdict_window_days 30", "incomplete_after_days 10"),
        ),
    ],
)
def test_a_setting_that_contradicts_its_pair_is_refused_naming_both(
    clinic_db, first, second, names
):
    """The second change contradicts the first: exit 1, both named, the stored value unchanged."""
    assert invoke(clinic_db, "settings", *first).exit_code == 0
    before = db.stored_settings(db.connect(clinic_db))
    result = invoke(clinic_db, "settings", *second)
    assert result.exit_code == 1, result.output
    for name in names:
        assert name in result.output
    assert db.stored_settings(db.connect(clinic_db)) == before


def test_the_defaults_agree_and_a_changed_pair_that_agrees_is_stored(clinic_db):
    """Every default pair agrees; moving both ends of the range in a sensible order works."""
    assert pair_problem(Settings()) is None
    assert invoke(clinic_db, "settings", "resp_rate_high", "45").exit_code == 0
    assert invoke(clinic_db, "settings", "resp_rate_low", "40").exit_code == 0
    stored = db.load_settings(db.connect(clinic_db))
    assert (stored.resp_rate_low, stored.resp_rate_high) == (40, 45)


async def test_the_app_refuses_a_contradicting_setting_inline(clinic_db):
    """The settings screen shows the refusal naming both settings and keeps the old value."""
    from textual.widgets import DataTable, Input

    from tests.app.driving import clinician_app, settle, text_of

    async with clinician_app(clinic_db) as pilot:
        app = pilot.app
        await pilot.press("comma")
        await settle(pilot)
        table = app.screen.query_one("#settings", DataTable)
        keys = [str(table.get_row_at(i)[0]) for i in range(table.row_count)]
        table.move_cursor(row=keys.index("resp_rate_low"))
        await pilot.press("enter")
        await settle(pilot)
        app.screen.query_one("#m-value", Input).value = "40"
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await settle(pilot)
        error = text_of(app, "#modal-error")
        assert "resp_rate_low 40" in error and "resp_rate_high 30" in error
    assert db.load_settings(db.connect(clinic_db)).resp_rate_low == 8
