"""The analysis says, to the byte, what it said before it was sped up (issue 24).

`tests/db/status_hashes.json` was made from main's code before the speed-up
(`tests/db/status_identity.py`): every status on every outcome scale, under
the default and strict session settings, the sessions the report prints and
the cohort summary of a 400-patient demo clinic read through `db`.
"""

from __future__ import annotations

import json

from tests.db.status_identity import FIXTURE, hashes


def test_every_status_of_the_demo_clinic_is_unchanged(tmp_path):
    """Each patient's documents hash as the stored fixture does, and no patient is missing or new."""
    expected = json.loads(FIXTURE.read_text())
    made = hashes(tmp_path / "demo.db")
    assert sorted(made) == sorted(expected)
    changed = [key for key in expected if made[key] != expected[key]]
    assert changed == [], f"{len(changed)} changed, first: {changed[:5]}"
