"""The take-home page: one A4 page, plain words, readable in greyscale, the crisis text where it applies."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date

import numpy as np
import pypdf
import pytest
from PIL import Image

from outcomes.chart_marks import ChartData
from reports.handout import Handout, handout_path, write_handout

DAY = date(2026, 2, 10)
MARKS = ChartData(
    scale_name="PHQ-9",
    days=(-1, 2, 5, 9, 14),
    totals=(20, 16, 12, 9, 6),
    infusion_days=(0, 2, 4, 7, 9, 11),
    booster_days=(30,),
    baseline=20,
    response_level=10,
    remission=4,
    total_max=27,
    x_label="days since first infusion",
)


def handout(**changes) -> Handout:
    values = dict(
        patient_id="P/../001",
        who="Ada Example",
        clinic="Example Clinic",
        day=DAY,
        headline="Your PHQ-9 score went from 20 (severe) to 6 (mild): 70% lower than before your first infusion.",
        about="The PHQ-9 measures depression. A lower score means fewer symptoms.",
        milestones=[
            "Response reached after infusion 3, 7 days after your first infusion. Response means your "
            "score dropped by at least half from where you started."
        ],
        sessions=[
            "You have had 6 of the 6 infusions of your treatment course.",
            "Your next PHQ-9 check-in questionnaire is due on 16 February 2026, in 6 days.",
        ],
        glossary=[
            ("Baseline", "your score shortly before your first infusion: the starting point"),
            ("Booster", "an extra infusion after the first 6"),
        ],
        marks=MARKS,
    )
    values.update(changes)
    return Handout(**values)


def page_text(path) -> tuple[int, str]:
    reader = pypdf.PdfReader(path)
    return len(reader.pages), " ".join(" ".join(p.extract_text().split()) for p in reader.pages)


def test_one_page_with_the_patients_words_chart_key_and_glossary(tmp_path):
    """Every part is on the one page, and the chart's lines are named in words."""
    path = write_handout(handout(), handout_path(tmp_path, "P/../001", DAY))
    assert path.parent == tmp_path and path.name.endswith("-handout-2026-02-10.pdf")
    pages, text = page_text(path)
    assert pages == 1
    for words in (
        "Your treatment progress",
        "Ada Example",
        "70% lower than before your first infusion",
        "What you have reached",
        "Your sessions and your next check-in",
        "in 6 days",
        "Words used on this page",
        "the starting point",
        "10 or lower: response (half your starting score or lower)",
        "4 or lower: few or no symptoms left",
        "an infusion",
        "a booster",
    ):
        assert words in text, words
    assert "Support is available" not in text


def test_crisis_text_heads_the_page_when_it_applies(tmp_path):
    """A positive suicidality item puts the clinic's crisis text first, in a frame."""
    crisis = "Call the Example Clinic crisis line on 0100 000 000, day or night."
    _, text = page_text(write_handout(handout(crisis=crisis), tmp_path / "h.pdf"))
    assert (
        text.index("Support is available")
        < text.index(crisis)
        < text.index("Your PHQ-9 score went")
    )


def test_too_many_words_for_one_page_are_refused(tmp_path):
    """The page never spills onto a second one: an overlong text is refused, nothing written."""
    with pytest.raises(ValueError, match="one page"):
        write_handout(
            handout(sessions=["A long line of words to fill the page."] * 40), tmp_path / "h.pdf"
        )
    assert not (tmp_path / "h.pdf").exists()


@pytest.mark.skipif(
    shutil.which("pdftoppm") is None, reason="needs poppler's pdftoppm to render the page"
)
def test_page_is_drawn_in_black_and_greys(tmp_path):
    """Printed in greyscale nothing is lost: the rendered page has no coloured pixel."""
    path = write_handout(handout(crisis="Tell the clinic team today."), tmp_path / "h.pdf")
    subprocess.run(["pdftoppm", "-png", "-r", "40", str(path), str(tmp_path / "page")], check=True)
    pixels = np.asarray(Image.open(tmp_path / "page-1.png").convert("RGB")).astype(int)
    spread = pixels.max(axis=2) - pixels.min(axis=2)  # 0 for a pure grey
    assert spread.max() <= 8
    assert (pixels.sum(axis=2) < 200).mean() > 0.01  # and there is ink on it


def test_point_labels_a_day_apart_do_not_print_over_each_other(tmp_path, monkeypatch):
    """Scores 21 and 20 a day apart: one label is left out rather than printing "2120"."""
    from dataclasses import replace

    import reports.handout as handout_module
    from reports.style import new_figure

    figures = []
    monkeypatch.setattr(
        handout_module, "new_figure", lambda size: figures.append(new_figure(size)) or figures[-1]
    )
    marks = replace(MARKS, days=(-7, -6, -3, 2, 5), totals=(21, 20, 20, 16, 12))
    write_handout(handout(marks=marks), tmp_path / "handout.pdf")
    (chart,) = [ax for ax in figures[0].axes if ax.texts]
    renderer = figures[0].canvas.get_renderer()
    labels = [(t.get_text(), t.get_window_extent(renderer)) for t in chart.texts]
    assert not [
        (a, b)
        for i, (a, box) in enumerate(labels)
        for b, other in labels[i + 1 :]
        if box.overlaps(other)
    ]
    assert sorted(text for text, _ in labels) == ["12", "16", "20", "21"]  # the latest always
