"""Every status of a fixed demo clinic, hashed: the record that a speed-up changed no output.

`documents(path)` writes the demo clinic (`SEED`, `PATIENTS`, seen from
`TODAY`) to `path`, reads it back through `db.load_clinic` as every command
does, and returns one text per patient holding everything the analysis says
about them: the `status --json` document on each outcome scale, under the
default settings and under strict session settings (with half of the alerts
acknowledged), and the summaries of the sessions the report prints. The
cohort summary (`report --cohort-only --json`'s document) is one more text.

`tests/db/status_hashes.json` holds the SHA-256 of each text, made from the
code of main before the analysis was sped up (issue 24). Regenerate it only
from code whose statuses are known right, never to make a change pass:

    python -m tests.db.status_identity --write
"""

from __future__ import annotations

import hashlib
import json
import sys
from dataclasses import replace
from datetime import date
from pathlib import Path

import db
from outcomes.cohort import summarise
from outcomes.followup import next_followup
from outcomes.scales import OUTCOME_SCALE_IDS
from outcomes.session_safety import session_safety
from outcomes.sessions import monitored_sessions
from outcomes.settings import Settings
from outcomes.status import analyse_all
from outcomes_cli.demo import make_demo
from reports.cohort_report import patients_csv

SEED = 24
PATIENTS = 400
TODAY = date(2026, 6, 1)
FIXTURE = Path(__file__).with_name("status_hashes.json")
#: Settings under which most monitored sessions alert (every rule of section 11 fires somewhere).
STRICT = replace(
    Settings(),
    spo2_alert_below=96,
    resp_rate_low=12,
    resp_rate_high=16,
    sedation_alert_at_or_below=4,
    bp_hold_systolic=140,
    bp_hold_diastolic=90,
    recovery_minutes=90,
)


def _session_text(summary) -> str:
    """What the report and the session record print of one session."""
    return repr(
        (
            summary.infusion.when.iso(),
            [r.when.iso() for r in summary.readings],
            summary.lowest_spo2,
            summary.highest_bp,
            summary.deepest_sedation,
            summary.ended.iso() if summary.ended else None,
            summary.minutes_monitored,
            summary.minutes_to_discharge,
            [(a.key, a.kind, a.detail, a.acknowledged) for a in summary.alerts],
        )
    )


def _analysed(patients, settings: Settings, acknowledged) -> dict[str, list[str]]:
    """Each patient's documents on every outcome scale under `settings`."""
    out: dict[str, list[str]] = {pid: [] for pid in patients}
    for scale_id in OUTCOME_SCALE_IDS:
        for status in analyse_all(patients, scale_id, settings, TODAY, acknowledged):
            texts = out[status.patient_id]
            texts.append(json.dumps(status.as_json(), indent=2, ensure_ascii=False))
            if scale_id == settings.primary_scale:
                texts += map(_session_text, monitored_sessions(status, patients[status.patient_id]))
                texts.append(repr(next_followup(status, TODAY)))
    return out


def documents(path: Path) -> dict[str, str]:
    """Patient id (and "cohort") -> everything the analysis says, as text."""
    database = db.connect(path)
    try:
        db.write_clinic(database, make_demo(PATIENTS, SEED, TODAY), "demo", TODAY)
        data = db.load_clinic(database)
    finally:
        database.close()
    patients = data.by_patient()
    plain = _analysed(patients, Settings(), data.acknowledged)
    keys = sorted({a.key for pid in sorted(patients) for a in _all_alerts(patients[pid], STRICT)})[
        ::2
    ]
    strict = _analysed(patients, STRICT, frozenset(keys))
    out = {pid: "\n".join(plain[pid] + strict[pid]) for pid in sorted(patients)}
    statuses = analyse_all(patients, "phq9", Settings(), TODAY, data.acknowledged)
    cadss = {pid: p.of_scale("cadss") for pid, p in patients.items()}
    for settings in (Settings(), STRICT):
        safety = session_safety(patients.values(), settings)
        summary = summarise(statuses, "phq9", 6, cadss, safety=safety)
        out.setdefault("cohort", "")
        out["cohort"] += json.dumps(summary.as_json(), indent=2)
    out["cohort"] += patients_csv(statuses, TODAY)
    return out


def _all_alerts(patient, settings: Settings):
    for scale_id in OUTCOME_SCALE_IDS:
        yield from analyse_all({patient.patient_id: patient}, scale_id, settings, TODAY)[0].alerts


def hashes(path: Path) -> dict[str, str]:
    return {key: hashlib.sha256(text.encode()).hexdigest() for key, text in documents(path).items()}


if __name__ == "__main__":  # python -m tests.db.status_identity --write
    import tempfile

    if sys.argv[1:] != ["--write"]:
        sys.exit(__doc__)
    with tempfile.TemporaryDirectory() as folder:
        made = hashes(Path(folder) / "demo.db")
    FIXTURE.write_text(json.dumps(made, indent=0, sort_keys=True) + "\n")
    print(f"{len(made)} hashes written to {FIXTURE}")
