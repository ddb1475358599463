"""The README keeps its promises: the two set-up commands, CI, every setting."""

from __future__ import annotations

import re
from pathlib import Path

from outcomes.settings import SETTING_SPECS

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def setup_commands() -> list[str]:
    block = re.search(r"```sh\n(.*?)```", README, re.S)
    assert block, "the README opens with a shell block"
    return [line for line in block.group(1).splitlines() if line.strip()]


def test_readme_opens_with_exactly_two_setup_commands():
    """The first code block holds exactly two commands, before any prose section."""
    assert README.index("```sh") < README.index("## ")
    assert len(setup_commands()) == 2


def test_ci_runs_the_readme_test_command():
    """`.ci/run` runs the README's second command, character for character."""
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert setup_commands()[1] in ci.splitlines()


def test_first_command_installs_and_opens_the_app_with_the_demo():
    """The first command installs the project and runs the app on the default database."""
    first = setup_commands()[0]
    assert "pip install ." in first and "outcomes tui --demo" in first
    assert "--db" not in first


def test_readme_lists_every_setting():
    """Each clinic setting appears in the README's settings table."""
    missing = [s.key for s in SETTING_SPECS if f"`{s.key}`" not in README]
    assert not missing, f"settings missing from README: {missing}"
