"""The session screen's chart: one panel and scale per measure, whole-number labels, and every
reading that raised an alert drawn beyond its line (the issue's SpO2 88, MOAA/S 4, diastolic 92)."""

from __future__ import annotations

import re

import pytest

from outcomes_app.session_chart import LINE_MARK, SessionChart, panels
from tests.app.driving import clinician_app, open_patient, screen_text, settle
from tests.app.test_session_screen import add_reading, esketamine_clinic

#: Each panel by its first series' field.
PANELS = {"bp": "bp_systolic", "spo2": "spo2", "rr": "respiratory_rate", "moaas": "sedation_moaas"}


def panel(chart: SessionChart, name: str) -> list[tuple[str, str]]:
    """The panel's plot rows from the top as (axis label, plot cells), read off the drawn text."""
    lines = chart.chart_text().plain.split("\n")
    width = chart.panel_width()
    shown = next(p for p in panels(chart.settings) if p.series[0].field == PANELS[name])
    title = next(t for t in shown.titles if len(t) <= width)
    top, col = next((i, line.find(title)) for i, line in enumerate(lines) if title in line)
    rows = []
    for line in lines[top + 1 :]:
        cell = line[col : col + width]
        if "┤" not in cell and "│" not in cell:
            break
        label, _, plot = cell.partition("┤") if "┤" in cell[:6] else cell.partition("│")
        rows.append((label.strip(), plot))
    return rows


def row_of(rows, label: str) -> int:
    return next(i for i, (text, _) in enumerate(rows) if text == label)


def line_row(rows) -> list[int]:
    return [i for i, (_, plot) in enumerate(rows) if plot.count(LINE_MARK) > len(plot) // 2]


@pytest.mark.parametrize("size", [(120, 36), (100, 40)])
async def test_each_measure_has_its_own_scale_and_alerting_readings_sit_beyond_their_line(
    tmp_db_path, size
):
    """SpO2 88 is below the 90 line and 97 above it; MOAA/S 4 is above the "2" line and 2 on it;
    diastolic 92 is in the blood-pressure panel, below its 100 line; every label is whole."""
    esketamine_clinic(tmp_db_path)
    async with clinician_app(tmp_db_path, size=size) as pilot:
        await open_patient(pilot, "E001")
        await pilot.press("v")
        await settle(pilot)
        await add_reading(pilot, "14:00", "136/86", "72", "97", "14", "5")
        await add_reading(pilot, "+20", "158/92", "80", "88", "12", "4")
        await add_reading(pilot, "+40", "162/101", "80", "93", "7", "2")
        chart = pilot.app.screen.query_one(SessionChart)
        await pilot.pause()
        spo2 = panel(chart, "spo2")
        (line,) = line_row(spo2)
        assert spo2[line][0] == "90"
        assert row_of(spo2, "88") > line > row_of(spo2, "97")  # rows count from the top
        assert "O" in spo2[row_of(spo2, "88")][1]
        moaas = panel(chart, "moaas")
        (line,) = line_row(moaas)
        assert moaas[line][0] == "2" and "M" in moaas[line][1]  # 2: on its at-or-below line
        above = [plot for _, plot in moaas[:line]]
        assert sum(plot.count("M") for plot in above) == 2  # 5 and 4 above the line
        bp = panel(chart, "bp")
        assert [bp[i][0] for i in line_row(bp)] == ["160", "100"]
        assert "D" not in "".join(plot for _, plot in spo2)
        diastolic_rows = [i for i, (_, plot) in enumerate(bp) if "D" in plot]
        over = [i for i in diastolic_rows if i < line_row(bp)[1]]
        assert len(over) == 1  # 101 alone is above its 100 line; 86 and 92 below
        rr = panel(chart, "rr")
        assert [rr[i][0] for i in line_row(rr)] == ["30", "8"]
        assert row_of(rr, "7") > line_row(rr)[1]  # 7/min: below the 8 line
        labels = [label for p in PANELS for label, _ in panel(chart, p) if label]
        assert labels and all(re.fullmatch(r"\d+", label) for label in labels), labels
        text = screen_text(pilot.app)
        assert not re.search(r"\d+\.\d", text.split("New reading")[0].split("▏", 1)[-1])
        # Crossed readings are drawn reversed: a cue without colour.
        styled = chart.chart_text()
        reversed_marks = {
            styled.plain[span.start : span.end]
            for span in styled.spans
            if "reverse" in str(span.style)
        }
        assert reversed_marks == {"S", "D", "O", "R", "M"}
