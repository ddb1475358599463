"""One status card: `outcomes status`, the app's status panel and the patient report print the
same labelled lines (`outcomes.wording.status_card`), so labels and verdict names are one.

Each view is read as its user meets it: the command line through click's runner,
the panel in the running app, the report's first page from the PDF with pypdf.
All three judge the status as of today, as the command line does.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pypdf
import pytest
from click.testing import CliRunner

import db
from outcomes import wording
from outcomes.followup import next_followup
from outcomes.status import analyse_patient
from outcomes_cli.cli import cli
from tests.app.driving import clinician_app, open_patient, text_of
from tests.clinic import build_clinic

#: A responder (relief, reliable change), a non-responder with an open alert, one in progress.
PATIENTS = ("P001", "P002", "P003")


@pytest.fixture(scope="module")
def clinic(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("card") / "clinic.db"
    build_clinic(path)
    return path


def card_of(path: Path, patient_id: str) -> list[wording.CardLine]:
    """The card the core makes for the patient's status on the primary scale, as of today."""
    database = db.connect(path, read_only=True)
    try:
        settings, data = db.load_settings(database), db.load_clinic(database)
    finally:
        database.close()
    today = date.today()
    patient = data.by_patient()[patient_id]
    status = analyse_patient(patient, settings.primary_scale, settings, today, data.acknowledged)
    return wording.status_card(status, next_followup(status, today))


def flat(text: str) -> str:
    return " ".join(text.split())


def cli_card(path: Path, patient_id: str) -> list[tuple[str, str]]:
    """(label, text) of each card line of `outcomes status`, in order."""
    result = CliRunner().invoke(cli, ["--db", str(path), "status", patient_id])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()[1:]  # after the line naming patient and scale
    pairs = [line.strip().split(":", 1) for line in lines if not line.startswith("    !")]
    return [(label, text.strip()) for label, text in pairs]


def report_first_page(path: Path, patient_id: str, out: Path) -> str:
    """The text of page 1 of the patient's PDF report, as `outcomes report --patient` writes it."""
    result = CliRunner().invoke(
        cli, ["--db", str(path), "report", "--patient", patient_id, "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    (pdf,) = out.rglob("*.pdf")
    return flat(pypdf.PdfReader(pdf).pages[0].extract_text())


@pytest.mark.parametrize("patient_id", PATIENTS)
def test_the_command_line_prints_the_card(clinic, patient_id):
    """`outcomes status` prints every line of the card, label and text, in the card's order."""
    card = card_of(clinic, patient_id)
    assert cli_card(clinic, patient_id) == [(line.label, line.text) for line in card]


@pytest.mark.parametrize("patient_id", PATIENTS)
def test_the_report_prints_the_card(clinic, tmp_path, patient_id):
    """Page 1 of the patient report holds every label and text of the card, in order."""
    page = report_first_page(clinic, patient_id, tmp_path / "out")
    at = 0
    for line in card_of(clinic, patient_id):
        found = page.find(flat(f"{line.label} {line.text}"), at)
        assert found >= 0, (line, page)
        at = found


async def test_the_app_panel_prints_the_card_but_its_details(clinic):
    """The app's status panel shows the card's lines but the details, word for word."""
    async with clinician_app(clinic, today=date.today()) as pilot:
        for patient_id in PATIENTS:
            await open_patient(pilot, patient_id)
            panel = text_of(pilot.app, "#status-panel").splitlines()
            card = card_of(clinic, patient_id)
            assert panel == [f"{line.label}: {line.text}" for line in card if not line.detail]
            pilot.app.pop_screen()
            await pilot.pause()


def test_labels_and_verdict_names_are_one(clinic, tmp_path):
    """The three views name the same fields and verdicts: "Reliable change", "Next follow-up",
    "non-responder" in all of them (the labels each view once had its own name for)."""
    responder, non_responder = card_of(clinic, "P001"), card_of(clinic, "P002")
    labels = {line.label for line in responder + non_responder}
    assert {"Reliable change", "Next follow-up", "Six-session verdict"} <= labels
    verdicts = {line.text for line in responder + non_responder if line.strong}
    assert {"responder", "non-responder"} <= verdicts
    page = report_first_page(clinic, "P002", tmp_path / "out")
    assert "Six-session verdict non-responder" in page and "NON-RESPONDER" not in page
    assert ("Six-session verdict", "non-responder") in cli_card(clinic, "P002")
