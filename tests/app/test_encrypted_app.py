"""The clinician app and patient mode on an encrypted clinic: opened as a plain one is, key from the environment."""

from __future__ import annotations

import pytest

import db
from db import cipher
from tests.app.driving import clinician_app, list_rows, patient_app, screen_text, settle
from tests.clinic import TODAY, build_clinic

KEY = "correct horse battery staple"


@pytest.fixture
def encrypted_clinic(tmp_path, monkeypatch):
    monkeypatch.setenv(cipher.KEY_ENV_VAR, KEY)
    cipher.use_key(None)
    path = tmp_path / "clinic.db"
    build_clinic(path)
    assert db.is_encrypted(path)
    return path


async def test_the_clinician_app_lists_an_encrypted_clinic(encrypted_clinic):
    async with clinician_app(encrypted_clinic) as pilot:
        rows = list_rows(pilot.app)
        assert [row[0] for row in rows][:1] and any("Ada Example" in " ".join(r) for r in rows)


async def test_patient_mode_opens_an_encrypted_clinic(encrypted_clinic):
    async with patient_app(encrypted_clinic, "P001", today=TODAY) as pilot:
        await settle(pilot)
        assert "Ada" in screen_text(pilot.app)


async def test_the_app_refuses_an_encrypted_clinic_without_its_key(encrypted_clinic, monkeypatch):
    """No key: the app stops with a message, exit status 1, and the file is untouched."""
    monkeypatch.delenv(cipher.KEY_ENV_VAR)
    before = encrypted_clinic.read_bytes()
    async with clinician_app(encrypted_clinic, loaded=False) as pilot:
        await settle(pilot)
    assert pilot.app.return_code == 1
    assert encrypted_clinic.read_bytes() == before
