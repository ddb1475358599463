"""Import contracts of architecture.md, checked by import-linter (`lint-imports`)."""

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
CORE = next(c for c in CONFIG["contracts"] if c["source_modules"] == ["outcomes"])


def lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    """Run import-linter as a user would, from a repository root."""
    return subprocess.run(
        [sys.executable, "-c", "import sys; from importlinter.cli import lint_imports_command; "
         "sys.exit(lint_imports_command())", "--no-cache"],
        cwd=cwd, capture_output=True, text=True, timeout=300,
    )


def test_import_contracts_are_kept():
    """`lint-imports` passes on the repository: every contract is kept."""
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_core_contract_covers_the_whole_package_except_the_cli():
    """The core contract is on `outcomes` itself, with only `outcomes.cli`'s imports ignored."""
    assert CORE["type"] == "forbidden"
    assert CORE["ignore_imports"] == ["outcomes.cli -> **"]
    for name in ("textual", "matplotlib", "db", "reports", "tui", "sqlite3", "sqlite_utils"):
        assert name in CORE["forbidden_modules"]


def test_every_top_level_tui_module_is_forbidden():
    """tui.py and any tui_*.py beside it are forbidden to the core, db and reports."""
    tui_modules = {p.stem for p in ROOT.glob("tui*.py")}
    assert "tui" in tui_modules
    for contract in CONFIG["contracts"]:
        assert tui_modules <= set(contract["forbidden_modules"]), contract["name"]


@pytest.mark.parametrize(
    "module, line, forbidden",
    [("scales.py", "import textual", "textual"), ("cohort.py", "import matplotlib.pyplot", "matplotlib"),
     ("status.py", "import db", "db"), ("relief.py", "import tui", "tui")],
)
def test_contract_breaks_when_the_core_imports_the_ui(tmp_path, module, line, forbidden):
    """A copy of the repository where outcomes/<module> imports <forbidden> fails lint-imports."""
    for name in ("outcomes", "db", "reports"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    for path in ROOT.glob("tui*.py"):
        shutil.copy2(path, tmp_path / path.name)
    shutil.copy2(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    target = tmp_path / "outcomes" / module
    target.write_text(target.read_text() + f"\n{line}\n")
    result = lint_imports(tmp_path)
    assert result.returncode != 0
    assert f"outcomes.{module[:-3]} -> {forbidden}" in result.stdout
