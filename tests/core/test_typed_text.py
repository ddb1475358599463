"""The one rule for free text: printable text only; notes may also break lines and hold tabs."""

from __future__ import annotations

import pytest

from outcomes.readings import check_reading
from outcomes.settings import SettingError, parse_value, settings_from_text
from outcomes.typed_text import text_problem
from outcomes.validation import check_assessment, check_infusion, check_patient, reason_problems


@pytest.mark.parametrize(
    "text",
    [
        "Ann Lee [twin A]",
        "Zoë Ø'Brien",
        "نوشتن\u200cها",
        "👩\u200d⚕️ nurse",
        "Dr.\u00a0Smith",
        "=1+1",
        "",
        None,
        "\ue000 private",
    ],
)
def test_printable_text_of_any_script_is_allowed(text):
    assert text_problem(text, "name") is None


@pytest.mark.parametrize(
    "char, words",
    [
        ("\x1b", "U+001B escape"),
        ("\x07", "U+0007 bell"),
        ("\x00", "U+0000 null"),
        ("\x85", "U+0085"),
        ("\x9b", "U+009B"),
        ("\x7f", "U+007F delete"),
        ("\r", "U+000D carriage return"),
        ("\u2028", "U+2028 LINE SEPARATOR"),
        ("\u202e", "U+202E RIGHT-TO-LEFT OVERRIDE"),
        ("\u2066", "U+2066 LEFT-TO-RIGHT ISOLATE"),
    ],
)
def test_control_characters_are_refused_with_position_and_what_is_allowed(char, words):
    for note in (False, True):
        problem = text_problem(f"Ann{char}Lee", "name", note=note)
        assert problem is not None and words in problem and "at position 4" in problem
        assert "printable text" in problem


def test_a_note_may_hold_line_breaks_and_tabs_but_a_name_may_not():
    assert text_problem("first line\nsecond\tcolumn\r\nthird", "notes", note=True) is None
    assert "U+000A line break" in text_problem("first\nsecond", "name")
    assert "U+0009 tab" in text_problem("first\tsecond", "name")
    assert "carriage return" in text_problem(
        "overwrite\rme", "notes", note=True
    )  # a lone CR hides text
    assert "line breaks and tabs" in text_problem("a\x1bb", "notes", note=True)


def test_every_check_refuses_control_characters_in_its_text_fields():
    bad = "x\x1b]0;title\x07"
    patient = check_patient({"patient_id": "P1", "name": bad, "notes": bad})
    assert {p.field for p in patient.errors} == {"name", "notes"}
    infusion = check_infusion(
        {"patient_id": "P1", "date": "2026-01-05", "dose_mg_per_kg": "0.5", "notes": bad}
    )
    assert [p.field for p in infusion.errors] == ["notes"]
    row = {"patient_id": "P1", "date": "2026-01-05", "scale": "phq9", "items": "1 1 1 1 1 1 1 1 0"}
    assert [p.field for p in check_assessment({**row, "rater": bad}).errors] == ["rater"]
    assert [p.field for p in check_assessment({**row, "notes": bad}).errors] == ["notes"]
    assert check_assessment({**row, "notes": "two\nlines"}).values["notes"] == "two\nlines"
    reading = check_reading(
        {
            "patient_id": "P1",
            "session": "2026-01-05T09:00",
            "at": "2026-01-05T09:40",
            "heart_rate": "70",
            "notes": bad,
        }
    )
    assert [p.field for p in reading.errors] == ["notes"]
    assert "reason holds a control character" in reason_problems(bad)[0].message
    assert reason_problems("typo in the date\nsee the paper chart") == []


def test_text_settings_refuse_control_characters_but_stored_ones_still_load():
    with pytest.raises(SettingError, match="setting clinic_name holds a control character"):
        parse_value("clinic_name", "Clinic\x1b[2J")
    with pytest.raises(SettingError, match="U\\+000A line break"):
        parse_value("crisis_text", "Call 988\nnow")
    # A database written before the rule keeps loading (shown escaped).
    assert settings_from_text({"clinic_name": "Old\x1bclinic"}).clinic_name == "Old\x1bclinic"
