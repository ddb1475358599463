"""The per-patient chart shows the dose at the first infusion and at every step, with its direction."""

from datetime import date

import matplotlib.text

from outcomes.records import Assessment, Infusion, group_by_patient
from outcomes.settings import Settings
from outcomes.status import analyse_patient
from outcomes.timepoints import parse_timepoint as at
from reports.patient_chart import draw_progress
from reports.style import A4_PORTRAIT, new_figure

DAYS = ("2026-01-05", "2026-01-07", "2026-01-09", "2026-01-12", "2026-01-14", "2026-01-16")


def test_dose_labels_appear_at_the_first_infusion_and_each_step():
    """0.5, 0.5, 0.5, 0.75, 0.75, 0.6: "0.5" at day 0, "↑ 0.75" at day 7, "↓ 0.6" at day 11."""
    doses = (0.5, 0.5, 0.5, 0.75, 0.75, 0.6)
    infusions = [Infusion("P", at(d), dose_mg_per_kg=x) for d, x in zip(DAYS, doses, strict=False)]
    scores = [
        Assessment("P", at("2026-01-04"), "phq9", 20),
        Assessment("P", at("2026-01-17"), "phq9", 8),
    ]
    patient = group_by_patient(infusions, scores)["P"]
    status = analyse_patient(patient, "phq9", Settings(), date(2026, 2, 1))
    fig = new_figure(A4_PORTRAIT)
    draw_progress(fig, (0.05, 0.05, 0.9, 0.6), status, [])
    main = fig.axes[0]
    labels = {(t.get_text(), t.get_position()[0]) for t in main.texts}
    assert {("0.5", 0), ("\u2191 0.75", 7), ("\u2193 0.6", 11)} <= labels
    assert not any(text == "0.5" and x != 0 for text, x in labels)
    every_text = [t.get_text() for t in fig.findobj(matplotlib.text.Text)]
    assert "dose (mg/kg): first, then \u2191 / \u2193 at a change" in every_text
