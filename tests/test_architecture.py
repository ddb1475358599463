"""Import contracts of architecture.md, checked by import-linter (`lint-imports`)."""

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
LAYERS = next(c for c in CONFIG["contracts"] if c["type"] == "layers")
PACKAGES = (
    "outcomes_cli",
    "outcomes_app",
    "outcomes_web",
    "reports",
    "db",
    "outcomes",
    "safe_files",
)


def lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    """Run import-linter as a user would, from a repository root."""
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from importlinter.cli import lint_imports_command; "
            "sys.exit(lint_imports_command())",
            "--no-cache",
        ],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


def lint_imports_with(tmp_path: Path, module: str, text: str) -> subprocess.CompletedProcess:
    """lint-imports on a copy of the packages, tui.py and pyproject.toml with `text` added to `module`."""
    for name in PACKAGES:
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(ROOT / "tui.py", tmp_path / "tui.py")
    shutil.copy2(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    target = tmp_path / module
    target.write_text(target.read_text() + text)
    return lint_imports(tmp_path)


def test_import_contracts_are_kept():
    """`lint-imports` passes on the repository: every contract is kept."""
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_layers_run_shell_app_reports_db_core_and_ignores_only_the_main_shim():
    """The layers contract names architecture.md's layers top to bottom (the two front ends side
    by side, independent); one ignore, the shim."""
    assert LAYERS["layers"] == [
        "outcomes_cli",
        "outcomes_app | outcomes_web",
        "reports",
        "db",
        "outcomes",
    ]
    assert LAYERS["ignore_imports"] == ["outcomes.__main__ -> outcomes_cli.cli"]
    assert CONFIG["unmatched_ignore_imports_alerting"] == "error"


def test_every_top_level_package_is_a_root():
    """Every package of the tree is a root, and every layer below the shell is kept off tui.py."""
    tree = {p.parent.name for p in ROOT.glob("*/__init__.py")} - {"tests", "bench"}
    assert tree <= set(CONFIG["root_packages"])
    entry = next(c for c in CONFIG["contracts"] if c.get("forbidden_modules") == ["tui"])
    assert set(entry["source_modules"]) == set(PACKAGES) - {"outcomes_cli"}


@pytest.mark.parametrize(
    "module, line, forbidden",
    [
        ("outcomes/scales.py", "import textual", "textual"),
        ("outcomes/cohort.py", "import matplotlib.pyplot", "matplotlib"),
        ("outcomes/status.py", "import db", "db"),
        ("outcomes/relief.py", "import tui", "tui"),
        ("db/reads.py", "import reports.style", "reports.style"),
        ("reports/layout.py", "import outcomes_app.text", "outcomes_app.text"),
        ("outcomes_app/text.py", "import outcomes_cli.cli", "outcomes_cli.cli"),
        ("outcomes_app/text.py", "import outcomes_web.forms", "outcomes_web.forms"),
        ("outcomes_web/forms.py", "import outcomes_app.text", "outcomes_app.text"),
        ("db/reads.py", "import starlette", "starlette"),
        ("outcomes/checkin.py", "import uvicorn", "uvicorn"),
        ("reports/layout.py", "import outcomes_web.app", "outcomes_web.app"),
        ("reports/batch.py", "import db", "db"),
        ("reports/style.py", "import db.files", "db.files"),
        ("reports/batch.py", "import sqlite3", "sqlite3"),
        ("safe_files/atomic.py", "import outcomes.settings", "outcomes.settings"),
        ("outcomes/cohort.py", "import safe_files.atomic", "safe_files.atomic"),
    ],
)
def test_contract_breaks_when_a_layer_imports_upward(tmp_path, module, line, forbidden):
    """A copy of the repository where <module> imports <forbidden> fails lint-imports."""
    result = lint_imports_with(tmp_path, module, f"\n{line}\n")
    assert result.returncode != 0
    dotted = module[:-3].replace("/", ".")
    assert f"{dotted} -> {forbidden}" in result.stdout, result.stdout


def test_no_package_has_an_import_loop_between_its_modules():
    """The core, storage, reports and the app are under the acyclic-siblings contract (type-only
    imports aside); the shell is not yet: its cli and checkin modules import each other."""
    loops = [c for c in CONFIG["contracts"] if c["type"] == "acyclic_siblings"]
    assert {a for c in loops for a in c["ancestors"]} >= {
        "outcomes",
        "db",
        "reports",
        "outcomes_app",
    }
    assert CONFIG["exclude_type_checking_imports"] is True


@pytest.mark.parametrize(
    "module, imported, package",
    [
        # wording imports the scales; scales importing wording back, even inside a function, loops
        ("outcomes/scales.py", "outcomes.wording", "outcomes"),
        # the connection imports the refusals; the refusals importing the connection loops
        ("db/errors.py", "db.connection", "db"),
    ],
)
def test_an_import_loop_inside_a_package_breaks_the_contract(tmp_path, module, imported, package):
    """A copy of the tree where <module> imports <imported> inside a function fails lint-imports."""
    result = lint_imports_with(
        tmp_path, module, f"\n\ndef _loop():\n    import {imported}  # noqa\n"
    )
    assert result.returncode != 0
    assert f"No cycles are allowed in {package}." in result.stdout, result.stdout


def test_a_type_only_import_makes_no_loop(tmp_path):
    """The same import under `if TYPE_CHECKING:` is for the type checker only: the contract holds."""
    result = lint_imports_with(
        tmp_path,
        "outcomes/scales.py",
        "\n\nfrom typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n    import outcomes.wording  # noqa\n",
    )
    assert result.returncode == 0, result.stdout
