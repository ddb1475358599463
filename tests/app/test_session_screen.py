"""The session screen driven as a nurse would: readings at 0, 40, 90 and 130 minutes, then discharge."""

from __future__ import annotations

import db
from outcomes.validation import check_infusion
from tests.app.driving import clinician_app, open_patient, screen_text, settle, table_rows
from tests.clinic import TODAY, WHO, add_patient

SESSION = "2026-02-09T14:00"


def esketamine_clinic(path):
    database = db.connect(path)
    add_patient(database, "E001", "Eve Example")
    checked = check_infusion(
        {"patient_id": "E001", "date": SESSION, "drug": "esketamine", "dose_mg": "56"}, None, TODAY
    )
    assert checked.ok, checked.problems
    db.add_infusion(database, checked.values, WHO)
    database.close()


async def add_reading(pilot, *values: str) -> None:
    """Fill the reading form field by field (select-all on focus: typing replaces the offer), Enter saves."""
    screen = pilot.app.screen
    for key, value in zip(
        ("at", "bp", "heart_rate", "spo2", "respiratory_rate", "sedation_moaas", "notes"),
        values,
        strict=False,
    ):
        screen.query_one(f"#r-{key}").value = value
    screen.query_one("#r-at").focus()
    await pilot.press("enter")
    await settle(pilot)


async def test_whole_esketamine_session_with_alerts_and_the_two_hour_rule(tmp_db_path):
    """Four readings (0, +40, 90, 130 min); a 89% saturation and MOAA/S 2 alert; discharge at 115 min
    is the early-discharge alert, corrected to 135 min it goes; every value is in the file."""
    esketamine_clinic(tmp_db_path)
    async with clinician_app(tmp_db_path) as pilot:
        await open_patient(pilot, "E001")
        await pilot.press("v")
        await settle(pilot)
        await add_reading(pilot, "14:00", "136/86", "72", "98", "14", "5", "before dosing")
        await add_reading(pilot, "+40", "148/94", "80", "95", "12", "3")
        # The last values are offered: only what changed is typed.
        assert pilot.app.screen.query_one("#r-bp").value == "148/94"
        await add_reading(pilot, "15:30", "142/90", "76", "89", "10", "2", "roused by shaking")
        await add_reading(pilot, "16:10", "130/82", "70", "97", "14", "5")
        rows = table_rows(pilot.app, "#readings")
        assert [r[:2] for r in rows] == [
            ["14:00", "0 min"],
            ["14:40", "40 min"],
            ["15:30", "90 min"],
            ["16:10", "130 min"],
        ]
        text = screen_text(pilot.app)
        assert (
            "session 1 of 8 (esketamine)" in text
            and "oxygen saturation 89% at 15:30 (90 min)" in text
        )
        (header,) = [line for line in text.splitlines() if "time   after" in line]
        table_part, _, chart_part = header.partition(
            "▏"
        )  # a rule between the readings and the chart
        assert (
            table_part.rstrip().endswith("notes") and chart_part.strip()
        )  # the chart beside, past the rule
        assert "sedation MOAA/S 2 at 15:30" in text
        # A reading outside the 6-hour window is refused in words and not saved.
        await add_reading(pilot, "20:01", "130/82", "70", "97", "14", "5")
        assert "more than 6 hours after the session started" in screen_text(pilot.app)
        for ready, early in (("15:55", True), ("16:15", False)):
            await pilot.press("ctrl+e")
            await settle(pilot)
            pilot.app.screen.query_one("#m-ready").value = ready
            pilot.app.screen.query_one("#m-accompanied").value = "yes"
            await pilot.press("enter")
            await settle(pilot)
            assert ("early discharge" in screen_text(pilot.app)) is early
    database = db.connect(tmp_db_path)
    data = db.load_clinic(database)
    assert data.readings["spo2"].tolist() == [98, 95, 89, 97]
    assert data.infusions[["ready_to_leave_at", "accompanied"]].values.tolist() == [
        ["2026-02-09T16:15", 1]
    ]
    database.close()
