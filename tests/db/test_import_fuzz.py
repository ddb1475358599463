"""Fuzzing the three CSV importers through the real command line (hypothesis).

Whatever the file holds (shifted fields, Python number syntax, huge digit
strings, odd dates, control and invisible characters, formula-looking
cells, broken quoting), an import exits 0 or 1, never shows a traceback,
and when it refuses (exit 1) the database is exactly as it was; when it
accepts, no stored name, rater or note holds a control character.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import db
from db.csv_io import COLUMNS
from outcomes.typed_text import text_problem
from outcomes_cli.cli import cli
from tests.clinic import add_infusion, add_patient, add_phq9, database_dump

CELLS = st.one_of(
    st.sampled_from(
        [
            "P001",
            "P002",
            "P001\u200b",
            " P001 ",
            "2026-01-06",
            "2026-01-06T10:00",
            "0001-01-01",
            "1899-12-31",
            "2999-01-01",
            "05/01/2026",
            "0.5",
            "1_2_0",
            "1e3",
            "nan",
            "-1",
            "+7",
            "9" * 5000,
            "phq9",
            "gad7",
            "madrs",
            "1 1 1 1 1 1 1 1 0",
            "3 3 3",
            "=1+1",
            "'=1+1",
            "@x",
            "iv",
            "nausea;dizziness",
            "",
            " ",
            "\x1b]0;x\x07",
            "[/]",
            "\u202e",
            "\u0667",
            "two\nlines",
            "a\tb",
            "a\rb",
            "a\x85b",
            "Ann\u2028Lee",
            "Persian\u200cname",
        ]
    ),
    st.text(max_size=12),
    st.integers(-10, 400).map(str),
)


def row_text(cells: list[str]) -> str:
    out = []
    for cell in cells:
        if any(c in cell for c in ',"\n\r'):
            cell = '"' + cell.replace('"', '""') + '"'
        out.append(cell)
    return ",".join(out)


@st.composite
def csv_files(draw, kind: str) -> str:
    columns = list(COLUMNS[kind])
    header = draw(
        st.lists(st.sampled_from(columns), min_size=1, max_size=len(columns), unique=True)
    )
    if draw(st.booleans()):
        header = ["patient_id"] + [c for c in header if c != "patient_id"]
    rows = draw(
        st.lists(
            st.lists(CELLS, min_size=max(0, len(header) - 1), max_size=len(header) + 1), max_size=4
        )
    )
    text = "\n".join([",".join(header)] + [row_text(r) for r in rows])
    if draw(st.booleans()):
        text = text[: draw(st.integers(0, len(text)))]  # a truncated file
    return text


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("fuzz") / "template.db"
    database = db.connect(path)
    add_patient(database, "P001", "Ada Example")
    add_infusion(database, "P001", "2026-01-06")
    add_phq9(database, "P001", "2026-01-05", 20)
    database.close()
    return path


@pytest.mark.parametrize("kind", ["patients", "infusions", "assessments"])
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_any_file_exits_0_or_1_and_a_refusal_changes_nothing(template, tmp_path, kind, data):
    """Exit status 0 or 1 only, no traceback; after a refusal the database dump is unchanged."""
    text = data.draw(csv_files(kind))
    path = tmp_path / "clinic.db"
    for leftover in (tmp_path / "clinic.db-wal", tmp_path / "clinic.db-shm"):
        leftover.unlink(missing_ok=True)  # from the previous example, which shares tmp_path
    path.write_bytes(template.read_bytes())
    source = tmp_path / f"{kind}.csv"
    source.write_text(text, encoding="utf-8", errors="surrogatepass")
    before = database_dump(path)
    result = CliRunner().invoke(cli, ["--db", str(path), "import", kind, str(source)])
    assert result.exit_code in (0, 1), result.output
    assert "Traceback" not in result.output and "something went wrong" not in result.output, (
        result.output
    )
    assert result.exception is None or isinstance(result.exception, SystemExit)
    if result.exit_code == 1:
        assert database_dump(path) == before
    else:
        assert stored_free_text_problems(path) == []


#: Free-text columns and whether they are notes (line breaks and tabs allowed).
FREE_TEXT = {"name": False, "rater": False, "notes": True}


def stored_free_text_problems(path: Path) -> list[str]:
    """What an accepted import stored against the free-text rule (`outcomes.typed_text`): nothing."""
    conn = sqlite3.connect(path)
    try:
        found = []
        for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
            columns = [
                c[1] for c in conn.execute(f"PRAGMA table_info({table})") if c[1] in FREE_TEXT
            ]
            for column in columns:
                for (value,) in conn.execute(
                    f"SELECT {column} FROM {table} WHERE {column} IS NOT NULL"
                ):
                    problem = text_problem(value, column, note=FREE_TEXT[column])
                    if problem:
                        found.append(f"{table}.{column}: {problem}")
        return found
    finally:
        conn.close()
