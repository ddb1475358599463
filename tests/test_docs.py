"""The docs name real things: every dotted Python name and every project file they mention exists.

`README.md` and `docs/internals.md` are the next engineer's map; a name that
was renamed or never written sends them looking for nothing. Each dotted name
rooted in one of the project's packages (`db.write_transaction`,
`outcomes.status.analyse_patient`, `outcomes_app.widgets.Table`), in backticks
or in a fenced code block, is imported and resolved attribute by attribute;
each backticked path into the tree (`reports/patient_chart.py`) and each
bare source file name (`cli.py`) must exist.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = (
    "README.md",
    "docs/internals.md",
    "docs/guide.md",
    "docs/spec-readings.md",
    "docs/data-safety.md",
)
#: The project's own top-level modules: a dotted name starting with one of these is checked.
PACKAGES = (
    "outcomes",
    "outcomes_app",
    "outcomes_web",
    "outcomes_cli",
    "db",
    "reports",
    "tui",
    "tests",
)
#: Top-level folders of the tree: a backticked path starting with one of these must exist.
FOLDERS = (
    "outcomes",
    "outcomes_app",
    "outcomes_web",
    "outcomes_cli",
    "db",
    "reports",
    "tests",
    "bench",
    "docs",
)

DOTTED = re.compile(r"(?<![\w./-])(?:%s)(?:\.[A-Za-z_]\w*)+(?![\w/-])" % "|".join(PACKAGES))
#: Endings that make a dotted word a file name (`tui.py`, the default `outcomes.db`), not a Python name.
FILE_SUFFIXES = (".py", ".tcss", ".md", ".toml", ".db", ".csv", ".json", ".pdf", ".png", ".svg")


def _spans(text: str) -> list[str]:
    """Inline code spans and the lines of fenced code blocks."""
    fenced = re.findall(r"(?ms)^```[^\n]*\n(.*?)^```", text)
    inline = re.findall(r"`([^`]+)`", re.sub(r"(?ms)^```.*?^```", "", text))
    return inline + [line for block in fenced for line in block.splitlines()]


def _is_file_name(text: str) -> bool:
    return text.endswith(FILE_SUFFIXES) and " " not in text


def mentioned_names() -> list[tuple[str, str]]:
    """(doc, dotted name) for every project name the docs mention (file names left out)."""
    found = set()
    for doc in DOCS:
        for span in _spans((ROOT / doc).read_text(encoding="utf-8")):
            for match in DOTTED.finditer(span):
                if not _is_file_name(match.group(0)):
                    found.add((doc, match.group(0)))
    return sorted(found)


def mentioned_paths() -> list[tuple[str, str]]:
    """(doc, path) for every backticked path into the tree (`db/writes.py`, `tests/app/`)."""
    found = set()
    for doc in DOCS:
        for span in re.findall(r"`([^`\n]+)`", (ROOT / doc).read_text(encoding="utf-8")):
            path = span.rstrip("/")
            if " " in path or any(c in path for c in "<>*~$"):
                continue
            if "/" in path and path.split("/")[0] in FOLDERS:
                found.add((doc, path))
    return sorted(found)


def mentioned_source_files() -> list[tuple[str, str]]:
    """(doc, name) for every bare source file name the docs mention (`cli.py`, `clinician.tcss`)."""
    found = set()
    for doc in DOCS:
        for span in re.findall(r"`([^`\n]+)`", (ROOT / doc).read_text(encoding="utf-8")):
            if "/" not in span and " " not in span and span.endswith((".py", ".tcss", ".toml")):
                found.add((doc, span))
    return sorted(found)


def _has_attribute(owner, name: str) -> bool:
    """An attribute, or a field a dataclass or NamedTuple declares without a class-level default."""
    if hasattr(owner, name):
        return True
    fields = getattr(owner, "__dataclass_fields__", None) or {}
    return name in fields or name in getattr(owner, "__annotations__", {})


def resolve(dotted: str):
    """Import the longest module prefix of `dotted`, then walk the rest as attributes; return the object."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            target = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        break
    else:
        raise AssertionError(f"no module {parts[0]!r}")
    for name in parts[cut:]:
        assert _has_attribute(target, name), (
            f"{'.'.join(parts[: parts.index(name)])} has no {name!r}"
        )
        target = getattr(target, name, None)
    return target


#: `name(arguments)`; an argument may hold an empty `()` (`acknowledged=()`).
CALL = re.compile(r"((?:[A-Za-z_]\w*\.)*[A-Za-z_]\w*)\(((?:[^()]|\(\))*)\)")


def _blocks(text: str) -> list[tuple[str | None, str]]:
    """(module the list item is about, its text) for each list item or paragraph of `text`."""
    blocks = re.split(r"\n(?=- |\n)", text)
    out = []
    for block in blocks:
        about = re.match(r"\s*- `((?:%s)(?:\.\w+)*)`" % "|".join(PACKAGES), block)
        out.append((about.group(1) if about else None, block))
    return out


def _find(name: str, about: str | None):
    """The function `name` stands for: a dotted name, or one of the module the list item is about."""
    for candidate in ([name] if name.split(".")[0] in PACKAGES else []) + (
        [f"{about}.{name}"] if about else []
    ):
        try:
            return resolve(candidate)
        except (AssertionError, ImportError):
            continue
    return None


def documented_calls() -> list[tuple[str, str, tuple[str, ...]]]:
    """(doc, call as written, argument names) for every call the docs spell out whose function is found."""
    found = set()
    for doc in DOCS:
        for about, block in _blocks((ROOT / doc).read_text(encoding="utf-8")):
            for span in _spans(block):
                for call in CALL.finditer(span):
                    target = _find(call.group(1), about)
                    if target is None or not callable(target):
                        continue
                    names = tuple(re.split(r"[=:]", a)[0].strip() for a in call.group(2).split(","))
                    found.add(
                        (
                            doc,
                            " ".join(call.group(0).split()),
                            tuple(n for n in names if re.fullmatch(r"[A-Za-z_]\w*", n)),
                        )
                    )
    return sorted(found)


def test_the_docs_mention_names_at_all():
    """The extraction finds what it should: the docs do name the layers' functions and files."""
    names = {name for _, name in mentioned_names()}
    assert {
        "outcomes.status",
        "db.connect",
        "db.load_clinic",
        "outcomes_app.widgets.Table",
    } <= names
    assert "tui.py" not in names and "outcomes.db" not in names  # file names, not Python names
    assert any(path.startswith("bench/") for _, path in mentioned_paths())
    assert ("README.md", "cli.py") in mentioned_source_files()
    calls = {call for _, call, _ in documented_calls()}
    assert any(call.startswith("analyse_patient(") for call in calls)  # found through its list item
    assert any(call.startswith("tui.make_app(") for call in calls)  # a call across two lines


def test_resolve_refuses_a_name_that_does_not_exist():
    """A misspelt name fails the check (so the checks below can fail)."""
    with pytest.raises(AssertionError):
        resolve("db.write_transactions")
    with pytest.raises(AssertionError):
        resolve("outcomes.no_such_module.thing")
    resolve("outcomes.records.Infusion.total_mg")  # a NamedTuple's property
    assert not dataclasses.is_dataclass(resolve)


@pytest.mark.parametrize(("doc", "name"), mentioned_names())
def test_every_dotted_name_in_the_docs_exists(doc, name):
    """Each project name the docs mention imports and resolves."""
    resolve(name)


@pytest.mark.parametrize(("doc", "call", "arguments"), documented_calls())
def test_documented_calls_use_the_real_parameter_names(doc, call, arguments):
    """`analyse_patient(patient, scale_id, ...)` as the docs write it names the function's own parameters."""
    name = CALL.match(call).group(1)
    about = next(
        (
            a
            for a, block in _blocks((ROOT / doc).read_text(encoding="utf-8"))
            if call in " ".join(block.split())
        ),
        None,
    )
    parameters = inspect.signature(_find(name, about)).parameters
    if any(p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL) for p in parameters.values()):
        return
    unknown = [a for a in arguments if a not in parameters]
    assert not unknown, f"{doc}: {call} names {unknown}; the parameters are {list(parameters)}"


@pytest.mark.parametrize(("doc", "path"), mentioned_paths())
def test_every_path_the_docs_mention_exists(doc, path):
    """Each file or folder of the tree the docs mention is there."""
    assert (ROOT / path).exists(), f"{doc} mentions {path}, which is not in the tree"


@pytest.mark.parametrize(("doc", "name"), mentioned_source_files())
def test_every_source_file_named_alone_exists_somewhere(doc, name):
    """A bare file name (`cli.py`) is a file somewhere in the tree."""
    found = [p for p in ROOT.rglob(name) if ".venv" not in p.parts and ".git" not in p.parts]
    assert found, f"{doc} mentions {name}, which is nowhere in the tree"
