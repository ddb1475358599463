"""`outcomes import` reads its rows without waiting for libraries it does not need (issue 24).

An import reads CSV and writes SQLite: pandas and numpy (about half a second
to load) are not among what it needs, nor the check-in mail modules, nor
sqlite-utils's date parser. The
command runs in a fresh interpreter, as a clinician starts it, and reports
which of those modules were loaded by the time it finished.
"""

from __future__ import annotations

import json
import subprocess
import sys

import db

PROBE = """
import json, sys
from outcomes_cli.cli import main
sys.argv[0] = "outcomes"
try:
    main()
except SystemExit as exc:
    code = exc.code
print(json.dumps({"code": code, "loaded": sorted(
    name for name in ("pandas", "numpy", "smtplib", "matplotlib", "scipy", "dateutil.parser._parser")
    if name in sys.modules
)}))
"""


def test_an_import_loads_neither_pandas_nor_numpy(tmp_path):
    """Patients, then assessments: both imported, and neither command loaded pandas or numpy."""
    path = tmp_path / "clinic.db"
    db.connect(path).close()
    patients = tmp_path / "patients.csv"
    patients.write_text("patient_id,name\nP1,Ann\n")
    assessments = tmp_path / "assessments.csv"
    assessments.write_text(
        "patient_id,date,scale,items,total\nP1,2026-01-05,phq9,2 2 2 2 2 2 2 2 0,16\n"
    )
    for kind, file in (("patients", patients), ("assessments", assessments)):
        done = subprocess.run(
            [sys.executable, "-c", PROBE, "--db", str(path), "import", kind, str(file)],
            capture_output=True,
            text=True,
            check=True,
        )
        report = json.loads(done.stdout.strip().splitlines()[-1])
        assert report == {"code": 0, "loaded": []}, (kind, report, done.stderr)
    database = db.connect(path)
    assert database.conn.execute("SELECT count(*) FROM assessments").fetchone()[0] == 1
    database.close()


def test_sqlite_utils_date_parser_still_works_when_asked():
    """The date parser sqlite-utils loads is a stand-in until used; used, it is the real one."""
    probe = (
        "import sys; from db.sqlite_utils_import import sqlite_utils; sqlite_utils();"
        "before = 'dateutil.parser._parser' in sys.modules;"
        "from sqlite_utils import recipes;"
        "print(before, recipes.parsedate('5 March 2024'), recipes.parser.ParserError.__name__)"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "2024-03-05", "ParserError"], done.stderr
