"""`report`'s count of files written is true when a report fails part-way (issue 21).

On a nearly full disk `report` said "0 files written" while five PNGs had
been written: the cohort report wrote its charts, then failed on its PDF,
and a patient's PDF stayed when its PNG failed. A report that fails part-way
now leaves none of its files, the failure names what was removed, and the
count matches the files in the folder. The write is made to fail by a folder
standing where a file must go (no mock: real matplotlib, real files).
"""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import db
from outcomes_cli.demo import make_demo
from reports.cohort_report import PDF_NAME
from reports.names import patient_stem
from tests.cli.test_cli import ENV, ROOT

TODAY = date(2026, 3, 1)


def _files(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if p.is_file()}


def test_a_report_failing_part_way_leaves_none_of_its_files_and_the_count_is_true(tmp_path):
    """P002's PNG and the cohort's PDF cannot be written: their PDF and charts are removed, the
    others' reports are whole, and "N files written" is the number of files in the folder."""
    path = tmp_path / "clinic.db"
    database = db.connect(path)
    db.write_clinic(database, make_demo(3, 1, TODAY), "demo", TODAY)
    database.close()
    out = tmp_path / "out"
    (out / "patients" / f"{patient_stem('P002')}.png").mkdir(parents=True)
    (out / "cohort" / PDF_NAME).mkdir(parents=True)
    done = subprocess.run(
        [sys.executable, "-m", "outcomes", "--db", str(path), "report", "--out", str(out)],
        capture_output=True,
        text=True,
        env=ENV,
        cwd=ROOT,
    )
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    written = int(re.search(r"report: (\d+) files? written to", done.stderr).group(1))
    files = _files(out)
    assert written == len(files) == 4  # P001's and P003's PDF and PNG
    assert {p.name for p in files} == {
        f"{patient_stem(pid)}.{kind}" for pid in ("P001", "P003") for kind in ("pdf", "png")
    }
    stem = patient_stem("P002")
    assert "the report of P002 failed: report could not be drawn" in done.stderr
    assert f"removed the 1 file it had written ({stem}.pdf)" in done.stderr
    cohort = next(line for line in done.stderr.splitlines() if "(cohort report)" in line)
    assert re.search(r"removed the \d+ files it had written \(responders_by_session.png, ", cohort)
