"""The terminal score chart (`outcomes_app.chart.ScoreChart`), drawn by the real widget in a tiny app.

The statuses come from `outcomes.status.analyse_patient` on hand-made records,
so the chart is checked against the same numbers every other part shows.
"""

from __future__ import annotations

from datetime import date

from textual.app import App, ComposeResult

from outcomes.records import Assessment, Infusion, PatientData
from outcomes.settings import Settings
from outcomes.status import analyse_patient
from outcomes.timepoints import Timepoint
from outcomes_app.chart import (
    BASELINE_MARK,
    BOOSTER_MARK,
    INFUSION_MARK,
    REMISSION_MARK,
    RESPONSE_MARK,
    SCORE_MARK,
    ScoreChart,
    chart_data,
)

TODAY = date(2026, 3, 1)
INFUSIONS = (
    "2026-01-05",
    "2026-01-07",
    "2026-01-09",
    "2026-01-12",
    "2026-01-14",
    "2026-01-16",
    "2026-02-10",
)
#: PHQ-9 totals: baseline 21 three days before the first infusion, then falling.
PHQ9 = (
    ("2026-01-02", 21),
    ("2026-01-09", 14),
    ("2026-01-16", 8),
    ("2026-01-30", 7),
    ("2026-02-15", 9),
)


def _tp(text: str) -> Timepoint:
    return Timepoint(date.fromisoformat(text))


def _status(infusions=INFUSIONS, scores=PHQ9, scale="phq9", settings=Settings()):
    data = PatientData(
        "P1",
        tuple(Infusion("P1", _tp(d), dose_mg_per_kg=0.5) for d in infusions),
        tuple(Assessment("P1", _tp(d), scale, total) for d, total in scores),
    )
    return analyse_patient(data, scale, settings, TODAY)


class ChartApp(App):
    """Just the chart, filling the screen."""

    def __init__(self, chart: ScoreChart) -> None:
        super().__init__()
        self.chart = chart

    def compose(self) -> ComposeResult:
        yield self.chart


async def drawn(chart: ScoreChart, size=(80, 24), then=None) -> tuple[str, str]:
    """Run the chart app; return (plot text, screen text), after `then(chart)` if given."""
    app = ChartApp(chart)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        if then:
            then(chart)
            await pilot.pause()
        screen = "\n".join(s.text for s in app.screen._compositor.render_strips())
        return chart.plot_text(), screen


def test_chart_data_comes_from_the_status():
    """Days count from the first infusion; the response line is half the baseline; boosters split off."""
    data = chart_data(_status())
    assert data.days == (-3, 4, 11, 25, 41)
    assert data.totals == (21, 14, 8, 7, 9)
    assert data.infusion_days == (0, 2, 4, 7, 9, 11)
    assert data.booster_days == (36,)
    assert data.baseline == 21 and data.response_level == 10 and data.remission == 4


async def test_every_mark_is_drawn_with_its_own_character():
    """Scores, infusions, the booster and both reference lines each appear, told apart without colour."""
    plot, _ = await drawn(ScoreChart(_status()))
    assert plot.count(SCORE_MARK) == 5
    assert plot.count(INFUSION_MARK) == 6
    assert plot.count(BOOSTER_MARK) == 1
    assert RESPONSE_MARK * 10 in plot
    assert REMISSION_MARK * 10 in plot
    assert BASELINE_MARK * 10 in plot  # the clinician's chart shows the baseline
    assert (
        len({SCORE_MARK, INFUSION_MARK, BOOSTER_MARK, RESPONSE_MARK, REMISSION_MARK, BASELINE_MARK})
        == 6
    )


async def test_reference_lines_are_labelled_with_their_values():
    """The y axis names 10 (response: 21 to 10.5 or lower, so 10 in whole scores) and 4
    (remission) on the rows where the lines run; no half-value a score cannot take."""
    plot, _ = await drawn(ScoreChart(_status()))
    rows = plot.splitlines()
    response_row = next(r for r in rows if RESPONSE_MARK * 10 in r)
    remission_row = next(r for r in rows if REMISSION_MARK * 10 in r)
    assert response_row.split("┤")[0].strip() == "10"
    assert ".5" not in plot
    assert remission_row.split("┤")[0].strip() == "4"


def test_legend_names_each_mark_in_plain_words():
    """The clinician legend names the scale, the rule and the baseline; the patient one is plainer."""
    full = ScoreChart(_status()).legend().plain
    assert "PHQ-9 total" in full
    assert "response: 10 or lower (50% below baseline)" in full
    assert "remission: 4 or lower" in full and "baseline 21" in full
    assert f"{INFUSION_MARK} infusion" in full and f"{BOOSTER_MARK} booster" in full
    simple = ScoreChart(_status(), simple=True).legend().plain
    assert (
        "your score" in simple
        and "10 or lower: response (half your starting score or lower)" in simple
    )
    assert "baseline" not in simple


async def test_patient_version_has_fewer_lines():
    """`simple=True` leaves out the baseline line and uses a plain title."""
    plot, screen = await drawn(ScoreChart(_status(), simple=True))
    assert BASELINE_MARK * 10 not in plot
    assert "Your PHQ-9 scores (lower is better)" in screen


async def test_readable_at_80x24():
    """At 80x24 the plot fits the screen and the whole legend is on it."""
    plot, screen = await drawn(ScoreChart(_status()), size=(80, 24))
    assert max(len(r) for r in plot.splitlines()) <= 80
    flat = " ".join(screen.split())
    for words in (
        "PHQ-9 total",
        "response: 10 or lower (50% below baseline)",
        "remission: 4 or lower",
        "infusion",
        "booster",
        "days since first infusion",
    ):
        assert words in flat
    assert plot.count(INFUSION_MARK) == 6


async def test_show_replaces_what_is_drawn():
    """A chart without scores says so; `show` then draws the status given."""
    plot, screen = await drawn(ScoreChart(), then=lambda c: c.show(_status(scores=())))
    assert "No scores on this scale yet." in screen
    assert SCORE_MARK not in plot
    plot, screen = await drawn(ScoreChart(), then=lambda c: c.show(_status()))
    assert plot.count(SCORE_MARK) == 5
    assert "No scores" not in screen


async def test_before_the_first_infusion_days_count_from_the_first_score():
    """Without an infusion yet the x axis counts days since the first score."""
    status = _status(infusions=(), scores=(("2026-02-20", 18), ("2026-02-25", 17)))
    data = chart_data(status)
    assert status.points and data.days[0] == 0 and data.x_label == "days since first score"
    plot, _ = await drawn(ScoreChart(status))
    assert INFUSION_MARK not in plot and "days since first score" in plot
    assert plot.count(SCORE_MARK) == len(status.points)


def test_remission_line_follows_the_clinic_setting():
    """A clinic's MADRS remission cut of 12 moves the remission line to 12."""
    scores = (("2026-01-02", 34), ("2026-01-16", 11))
    status = _status(scores=scores, scale="madrs", settings=Settings(madrs_remission_cut=12))
    assert chart_data(status).remission == 12
    assert "remission: 12 or lower" in ScoreChart(status).legend().plain


def test_empty_chart_never_says_no_scores_when_a_baseline_exists():
    """A chart with a baseline but no score since names the baseline instead of "No scores"."""
    import dataclasses

    from outcomes.chart_marks import chart_data
    from outcomes_app.chart import empty_title

    empty = chart_data(_status(scores=()))
    assert empty_title(empty) == "No scores on this scale yet"
    assert (
        empty_title(dataclasses.replace(empty, baseline=21)) == "Baseline 21; no PHQ-9 score since"
    )
