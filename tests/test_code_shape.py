"""No function longer than 60 lines in the program (page layouts and migrations excepted).

A function is measured from its `def` line to its last line, docstring and
comments included, as a reader meets it. The exceptions are the ones the
project's rules name: a page layout places one element after another down
a page and reads best in one piece, and a migration is a frozen record of
a schema.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: What the rule covers: every package of the program and the entry point.
PROGRAM = ("outcomes", "db", "reports", "outcomes_app", "outcomes_cli", "tui.py")
MAX_LINES = 60
#: (file, function) pairs allowed to be longer, and why.
EXCEPTIONS = {
    ("db/migrations.py", "schema_v1"): "a migration: the first schema, frozen",
    ("reports/cohort_report.py", "_summary_page"): "a PDF page builder",
    ("reports/patient_report.py", "_second_page"): "a PDF page builder",
}


def _layout_file(relative: str) -> bool:
    # reports/*layout*: the page-layout helpers.
    return relative.startswith("reports/") and "layout" in Path(relative).name


def _program_files() -> list[Path]:
    files: list[Path] = []
    for name in PROGRAM:
        path = ROOT / name
        files += [path] if path.is_file() else sorted(path.rglob("*.py"))
    return files


def long_functions() -> list[str]:
    """Every function over `MAX_LINES` lines outside the exceptions, as "file:line name (n lines)"."""
    found = []
    for path in _program_files():
        relative = path.relative_to(ROOT).as_posix()
        if _layout_file(relative):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=relative)):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            length = node.end_lineno - node.lineno + 1
            if length > MAX_LINES and (relative, node.name) not in EXCEPTIONS:
                found.append(f"{relative}:{node.lineno} {node.name} ({length} lines)")
    return found


def test_no_function_is_longer_than_sixty_lines():
    """Split a longer function into steps that read in order (see `EXCEPTIONS` for the few allowed)."""
    assert long_functions() == []


def test_the_rule_sees_the_whole_program_and_every_exception_still_exists():
    """The walk covers every package, and an exception for a function that is gone is removed."""
    files = {p.relative_to(ROOT).as_posix() for p in _program_files()}
    for name in PROGRAM:
        assert any(f == name or f.startswith(name + "/") for f in files), name
    defined = set()
    for relative in {f for f, _ in EXCEPTIONS}:
        tree = ast.parse((ROOT / relative).read_text(encoding="utf-8"))
        defined |= {
            (relative, n.name)
            for n in ast.walk(tree)
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
        }
    assert set(EXCEPTIONS) <= defined


def test_the_rule_catches_a_long_function(tmp_path, monkeypatch):
    """A 61-line function in a program file is reported (the test can fail)."""
    package = tmp_path / "outcomes"
    package.mkdir()
    body = "\n".join(f"    x{i} = {i}" for i in range(60))
    (package / "long.py").write_text(f"def too_long():\n{body}\n", encoding="utf-8")
    here = sys.modules[__name__]
    monkeypatch.setattr(here, "ROOT", tmp_path)
    monkeypatch.setattr(here, "PROGRAM", ("outcomes",))
    assert long_functions() == ["outcomes/long.py:1 too_long (61 lines)"]
