"""Shared fixtures: a fresh database path and the fixed four-patient clinic (`tests.clinic`)."""

from __future__ import annotations

import pytest

from tests.clinic import build_clinic


@pytest.fixture
def tmp_db_path(tmp_path):
    """The path of a database file that does not exist yet."""
    return tmp_path / "clinic.db"


@pytest.fixture
def clinic_db(tmp_db_path):
    """A database file holding the fixed four-patient clinic."""
    build_clinic(tmp_db_path)
    return tmp_db_path
