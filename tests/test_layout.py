"""The test tree's own rules: it mirrors the layers, conftest files hold fixtures only, nobody imports them.

A helper imported from a conftest works only by the accident of pytest's
import path and hides where shared code lives; builders belong in
`tests/clinic.py` / `tests/patient_clinic.py`, app helpers in
`tests/app/driving.py`.
"""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent
LAYERS = ("core", "db", "reports", "app", "cli")


def _sources() -> list[Path]:
    return sorted(TESTS.rglob("*.py"))


def _imported_modules(tree: ast.Module) -> list[str]:
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
            names += [f"{node.module}.{alias.name}" for alias in node.names]
    return names


def _is_fixture(node: ast.AST) -> bool:
    """`@pytest.fixture` or `@pytest.fixture(...)`."""
    for decorator in getattr(node, "decorator_list", ()):
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if ast.unparse(target) in ("pytest.fixture", "fixture"):
            return True
    return False


def test_no_module_imports_a_conftest():
    """No test module imports from any conftest.py (fixtures reach tests by name, helpers by import)."""
    offenders = []
    for path in _sources():
        for name in _imported_modules(ast.parse(path.read_text(encoding="utf-8"))):
            if "conftest" in name.split("."):
                offenders.append(f"{path.relative_to(TESTS)} imports {name}")
    assert not offenders, offenders


def test_conftest_files_hold_fixtures_only():
    """Every function a conftest.py defines is a pytest fixture or a pytest hook."""
    conftests = sorted(TESTS.rglob("conftest.py"))
    assert TESTS / "conftest.py" in conftests and TESTS / "app" / "conftest.py" in conftests
    others = []
    for path in conftests:
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                if not (_is_fixture(node) or node.name.startswith("pytest_")):
                    others.append(f"{path.relative_to(TESTS)}: {node.name}")
    assert not others, others


def test_tests_mirror_the_layers():
    """Each layer has its test folder; only whole-tree checks (no app, no database) sit at the top."""
    for layer in LAYERS:
        assert any((TESTS / layer).glob("test_*.py")), f"no tests for {layer}"
    for path in TESTS.glob("test_*.py"):
        imported = _imported_modules(ast.parse(path.read_text(encoding="utf-8")))
        layered = [
            n for n in imported if n.split(".")[0] in ("tui", "textual") or n.startswith("tests.")
        ]
        assert not layered, (
            f"{path.name} drives a layer ({layered}): it belongs in its layer's folder"
        )


def test_app_tests_are_async_tests_not_asyncio_run_wrappers():
    """No test wraps an inner scenario in `asyncio.run`: app tests are `async def test_...` on fixtures."""
    offenders = []
    for path in _sources():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and ast.unparse(node.func) == "asyncio.run":
                offenders.append(f"{path.relative_to(TESTS)}:{node.lineno}")
    assert not offenders, offenders


def test_an_installed_copy_ships_every_package_of_the_program():
    """`pip install .` ships each package (sub-packages included): a missing one would break
    the installed program though every test of the checkout passes."""
    import tomllib

    from setuptools import find_packages

    root = Path(__file__).resolve().parent.parent
    config = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    include = config["tool"]["setuptools"]["packages"]["find"]["include"]
    shipped = set(find_packages(str(root), include=include))
    packages = {
        ".".join(init.parent.relative_to(root).parts)
        for name in ("outcomes", "outcomes_app", "outcomes_web", "outcomes_cli", "db", "reports")
        + ("safe_files",)
        for init in (root / name).rglob("__init__.py")
    }
    assert "outcomes.wording" in packages
    assert packages <= shipped, sorted(packages - shipped)
