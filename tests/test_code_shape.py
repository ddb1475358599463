"""No function longer than 50 reading lines in the program (page layouts and migrations excepted).

A function is measured in the lines a reader reads as steps: the first line
of each statement, each comment line and its docstring. ruff format spreads
one call's arguments over several lines; those continuation lines are not
steps, so the measure does not change when the formatter re-wraps code. The
exceptions are the ones the project's rules name: a page layout places one
element after another down a page and reads best in one piece, and a
migration is a frozen record of a schema.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: What the rule covers: every package of the program and the entry point.
PROGRAM = ("outcomes", "db", "reports", "outcomes_app", "outcomes_cli", "tui.py")
MAX_LINES = 50
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


def reading_lines(source_lines: list[str], node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """How many lines of `node` a reader reads as steps: statements, comments and the docstring."""
    lines = {child.lineno for child in ast.walk(node) if isinstance(child, ast.stmt)}
    first = node.body[0]
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
        lines.update(range(first.lineno, first.end_lineno + 1))
    for number in range(node.lineno, node.end_lineno + 1):
        if source_lines[number - 1].lstrip().startswith("#"):
            lines.add(number)
    return len(lines)


def long_functions() -> list[str]:
    """Every function over `MAX_LINES` reading lines outside the exceptions, as "file:line name (n lines)"."""
    found = []
    for path in _program_files():
        relative = path.relative_to(ROOT).as_posix()
        if _layout_file(relative):
            continue
        source = path.read_text(encoding="utf-8")
        source_lines = source.splitlines()
        for node in ast.walk(ast.parse(source, filename=relative)):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            length = reading_lines(source_lines, node)
            if length > MAX_LINES and (relative, node.name) not in EXCEPTIONS:
                found.append(f"{relative}:{node.lineno} {node.name} ({length} lines)")
    return found


def test_no_function_is_longer_than_fifty_reading_lines():
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
    """A 51-step function is reported; one call wrapped over many lines is one step (the test can fail)."""
    package = tmp_path / "outcomes"
    package.mkdir()
    body = "\n".join(f"    x{i} = {i}" for i in range(50))
    wrapped = "    call(\n" + "".join(f"        {i},\n" for i in range(40)) + "    )\n"
    (package / "long.py").write_text(
        f"def too_long():\n{body}\n\n\ndef wrapped():\n{wrapped}", encoding="utf-8"
    )
    here = sys.modules[__name__]
    monkeypatch.setattr(here, "ROOT", tmp_path)
    monkeypatch.setattr(here, "PROGRAM", ("outcomes",))
    assert long_functions() == ["outcomes/long.py:1 too_long (51 lines)"]
