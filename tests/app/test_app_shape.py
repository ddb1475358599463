"""The app's shape: screens are handed the clinic and post messages up; its modules make no circle."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

from textual.app import App

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "outcomes_app"
#: The modules that define the two apps; every other module of the package is a screen,
#: a widget or a helper, which reads the `Clinic` it is handed instead of the app.
APP_MODULES = {PACKAGE / "app.py", PACKAGE / "patient_mode" / "app.py"}
#: The app's own members still used elsewhere, each with its reason:
#: - `clinic`: Textual builds command-palette providers itself (no argument to hand it).
#: - `action_take_home_page`: the patient screen's "w" binding; the page is written by an
#:   app worker so that leaving the patient's screen does not stop it.
ALLOWED = {"clinic": "outcomes_app/commands.py", "action_take_home_page": "patient_detail.py"}


def own_members() -> set[str]:
    """Names `OutcomesApp` and `PatientApp` define that Textual's `App` does not."""
    names: set[str] = set()
    for path in APP_MODULES:
        for cls in ast.parse(path.read_text()).body:
            if not isinstance(cls, ast.ClassDef) or not cls.name.endswith("App"):
                continue
            for node in ast.walk(cls):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node in cls.body:
                    names.add(node.name)
                elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                    if isinstance(node.value, ast.Name) and node.value.id == "self":
                        names.add(node.attr)
    return {n for n in names if not hasattr(App, n)}


def app_member_uses() -> dict[str, set[str]]:
    """Every own member of an app used outside the app modules (`x.app.m`, `app.m`, "app.m")."""
    members = own_members()
    actions = {m.removeprefix("action_") for m in members if m.startswith("action_")}
    used: dict[str, set[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if path in APP_MODULES:
            continue
        where = str(path.relative_to(ROOT))
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr in members:
                owner = node.value
                if (isinstance(owner, ast.Name) and owner.id == "app") or (
                    isinstance(owner, ast.Attribute) and owner.attr == "app"
                ):
                    used.setdefault(node.attr, set()).add(where)
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                if node.value.startswith("app.") and node.value[4:] in actions:
                    used.setdefault(f"action_{node.value[4:]}", set()).add(where)
    return used


def test_the_measure_sees_the_apps_own_members():
    """The check below cannot pass by finding nothing: it knows the apps' members."""
    members = own_members()
    assert {"clinic", "open_patient", "load_clinic", "send_self_report"} <= members
    assert "push_screen" not in members  # Textual's own API is not counted


def test_screens_and_widgets_use_no_app_member_but_the_two_explained():
    """Screens read the `Clinic` they are handed and post messages; they do not call the app."""
    used = app_member_uses()
    assert set(used) <= set(ALLOWED), {m: used[m] for m in set(used) - set(ALLOWED)}
    for member, places in used.items():
        assert all(p.endswith(ALLOWED[member]) for p in places), (member, places)


def test_the_app_package_has_an_acyclic_siblings_contract():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    contract = next(c for c in config["contracts"] if c["type"] == "acyclic_siblings")
    assert "outcomes_app" in contract["ancestors"]
    assert config["exclude_type_checking_imports"] is True


def test_a_screen_importing_the_app_breaks_the_contract(tmp_path):
    """A copy of the repository where the patient list imports the app fails lint-imports."""
    for name in ("outcomes_cli", "outcomes_app", "reports", "db", "outcomes"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(ROOT / "tui.py", tmp_path / "tui.py")
    shutil.copy2(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    target = tmp_path / "outcomes_app" / "screens" / "patient_list.py"
    target.write_text(target.read_text() + "\nimport outcomes_app.app\n")
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from importlinter.cli import lint_imports_command; "
            "sys.exit(lint_imports_command())",
            "--no-cache",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode != 0
    assert "The app's modules import each other without circles BROKEN" in result.stdout
    assert ".screens -> .app" in result.stdout, result.stdout
