"""The take-home page from the apps: `p` in patient mode, `w` on a patient in the clinician app."""

from __future__ import annotations

import pypdf

import outcomes_app.app
from tests.app.driving import clinician_app, open_patient, patient_app


def one_page_text(path) -> str:
    reader = pypdf.PdfReader(path)
    assert len(reader.pages) == 1
    return " ".join(reader.pages[0].extract_text().split())


async def wait_for_file(pilot, folder):
    for _ in range(200):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause(0.05)
        found = list(folder.glob("*.pdf")) if folder.exists() else []
        if found:
            return found
    raise AssertionError("no page written")


async def test_patient_mode_p_saves_the_take_home_page_into_the_take_home_folder(
    clinic_db, tmp_path
):
    """Patient mode writes the page of its own patient only, next to the saved charts."""
    charts = tmp_path / "charts"
    async with patient_app(clinic_db, "P001", chart_dir=charts) as pilot:
        await pilot.press("p")
        [path] = await wait_for_file(pilot, charts)
    text = one_page_text(path)
    assert path.name.startswith("P001-") and "Ada Example" in text and "Ben Sample" not in text


async def test_clinician_w_writes_the_open_patients_page(clinic_db, tmp_path, monkeypatch):
    """w on a patient's screen writes that patient's page into the handouts folder."""
    monkeypatch.setattr(outcomes_app.app, "HANDOUT_DIR", tmp_path / "handouts")
    async with clinician_app(clinic_db) as pilot:
        await open_patient(pilot, "P003")
        await pilot.press("w")
        [path] = await wait_for_file(pilot, tmp_path / "handouts")
    assert path.name.startswith("P003-") and "Cy Person" in one_page_text(path)
