"""Patient mode: one patient's own progress, in plain words, read-only, nobody else's.

Every test runs the real `PatientApp` through Textual's pilot on a real
SQLite file written through `db/`. The clinic holds four patients; the app
is mostly opened for `OWN`, and the tests try every route to `OTHER` (each binding,
every printable key, the command palette with the other id and name typed in)
and check that nothing of theirs is ever on screen or in the app's memory.
"""

from __future__ import annotations

import asyncio
import hashlib
import sqlite3
import string
from datetime import date
from pathlib import Path

import pytest
from textual.command import CommandList, CommandPalette
from textual.widgets import Input

import db
from outcomes.records import Assessment, Infusion, PatientData
from outcomes.settings import DEFAULT_CRISIS_TEXT, Settings
from outcomes.status import analyse_patient
from outcomes.timepoints import Timepoint
from outcomes.validation import check_assessment, check_infusion, check_patient
from outcomes_app.chart import ScoreChart
from outcomes_app.patient_mode import PatientApp, PatientModeError, headline, load_patient, milestone_lines

TODAY = date(2026, 3, 1)
WHO = "test clinician"

OWN, OWN_NAME = "P-ALICE-01", "Alice Example"
OTHER, OTHER_NAME = "Q-777", "Zed Quimby"
QUIET, QUIET_NAME = "P-CAROL-02", "Carol Sample"
NEW, NEW_NAME = "P-NEW-03", "Dan Newcomer"
CRISIS = "Call the Example Clinic crisis line on 0100 000 000, day or night."

#: Alice: six induction infusions and a booster; PHQ-9 21 -> 8, item 9 = 1 at baseline.
OWN_INFUSIONS = ("2026-01-05", "2026-01-07", "2026-01-09", "2026-01-12", "2026-01-14",
                 "2026-01-16", "2026-02-10")
OWN_PHQ9 = (
    ("2026-01-02", "3 3 3 2 3 2 2 2 1"),  # 21, the baseline; item 9 = 1 raises an alert
    ("2026-01-07", "2 2 2 2 2 2 2 2 1"),  # 17, session 1 (date-only on infusion day 2)
    ("2026-01-09", "2 2 2 2 2 1 1 2 0"),  # 14, session 2
    ("2026-01-12", "2 1 1 1 1 1 1 2 0"),  # 10, session 3: 52% lower, response
    ("2026-01-16", "1 1 1 1 1 1 1 1 0"),  # 8, session 5
    ("2026-01-17", "1 1 1 1 1 1 0 0 0"),  # 6, follow-up day 1
    ("2026-01-23", "1 1 1 0 1 0 0 0 0"),  # 4, follow-up day 7: remission
    ("2026-01-30", "1 1 1 1 1 1 1 0 0"),  # 7, follow-up day 14
    ("2026-02-15", "1 1 1 1 1 1 1 1 0"),  # 8, after the booster (day 30 follow-up)
)
OWN_GAD7 = (("2026-01-02", "3 2 2 2 2 2 2"), ("2026-01-23", "1 1 1 1 1 0 0"))

OTHER_INFUSIONS = ("2026-01-06", "2026-01-08", "2026-01-10")
OTHER_PHQ9 = (("2026-01-03", "3 3 3 3 3 3 3 2 2"), ("2026-01-11", "3 3 3 3 3 3 3 2 2"))

QUIET_INFUSIONS = ("2026-02-20", "2026-02-23")
QUIET_PHQ9 = (("2026-02-18", "2 2 2 1 1 1 1 2 0"), ("2026-02-24", "1 1 1 1 1 1 1 1 0"))


def _add(database, kind: str, raw: dict) -> int | None:
    if kind == "patient":
        checked = check_patient(raw, TODAY)
    elif kind == "infusion":
        checked = check_infusion(raw, Settings(), TODAY)
    else:
        checked = check_assessment(raw, TODAY)
    errors = [p for p in checked.problems if p.kind == "error"]
    assert not errors, errors
    if kind == "patient":
        return db.add_patient(database, checked.values, WHO)
    if kind == "infusion":
        return db.add_infusion(database, checked.values, WHO)
    return db.add_assessment(database, checked.values, WHO)


def build_clinic(path: Path, crisis_text: str | None = CRISIS) -> Path:
    """Write the three-patient clinic through `db/` and close the file."""
    database = db.connect(path)
    try:
        for pid, name, infusions, phq9 in (
            (OWN, OWN_NAME, OWN_INFUSIONS, OWN_PHQ9),
            (OTHER, OTHER_NAME, OTHER_INFUSIONS, OTHER_PHQ9),
            (QUIET, QUIET_NAME, QUIET_INFUSIONS, QUIET_PHQ9),
        ):
            _add(database, "patient", {"patient_id": pid, "name": name, "weight_kg": "70"})
            for day in infusions:
                _add(database, "infusion",
                     {"patient_id": pid, "date": day, "dose_mg_per_kg": "0.5", "route": "iv"})
            for day, items in phq9:
                _add(database, "assessment",
                     {"patient_id": pid, "date": day, "scale": "phq9", "items": items})
        _add(database, "patient", {"patient_id": NEW, "name": NEW_NAME})
        for day, items in OWN_GAD7:
            _add(database, "assessment",
                 {"patient_id": OWN, "date": day, "scale": "gad7", "items": items})
        _add(database, "assessment",
             {"patient_id": OTHER, "date": "2026-01-03", "scale": "gad7", "items": "3 3 3 3 3 3 3"})
        if crisis_text:
            db.set_setting(database, "crisis_text", crisis_text, WHO)
    finally:
        database.conn.close()
    return path


@pytest.fixture(scope="module")
def clinic(tmp_path_factory) -> Path:
    """One clinic file shared by the read-only tests of this module."""
    return build_clinic(tmp_path_factory.mktemp("clinic") / "clinic.db")


def screen_text(app) -> str:
    """Everything the terminal shows now, as plain text, plus the title bar."""
    lines = [strip.text for strip in app.screen._compositor.render_strips()]
    return "\n".join([app.title, app.sub_title, *lines])


def memory_text(app) -> str:
    """The text of every widget on every screen, including what is scrolled out of view."""
    parts = []
    for screen in app.screen_stack:
        for widget in screen.walk_children(with_self=True):
            content = getattr(widget, "content", None)
            if content is not None:
                parts.append(str(content))
            if isinstance(widget, ScoreChart):
                parts.append(widget.legend().plain)
    return "\n".join(parts)


def flat(text: str) -> str:
    """Screen text as one line: box borders dropped, wrapped lines joined."""
    return " ".join(text.translate({ord(c): " " for c in "│╭╮╰╯─┃┏┓┗┛━▏"}).split())


def assert_nothing_of_other(app, own: str = OWN) -> None:
    for text in (screen_text(app), memory_text(app)):
        for secret in (OTHER, OTHER_NAME, "Quimby"):
            assert secret not in text
    if app.view is not None:
        assert app.view.patient_id == own
        assert {a.patient_id for a in app.view.data.assessments} <= {own}
        assert {i.patient_id for i in app.view.data.infusions} <= {own}


async def _ready(pilot) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def _app(clinic: Path, tmp_path: Path, pid: str = OWN) -> PatientApp:
    return PatientApp(clinic, pid, today=TODAY, chart_dir=tmp_path / "charts")


# ----- what the patient reads -------------------------------------------------

def test_summary_in_plain_words(clinic, tmp_path):
    """The headline states the change from baseline with bands and percent, as the issue words it."""

    async def scenario():
        app = _app(clinic, tmp_path)
        async with app.run_test(size=(80, 24)) as pilot:
            await _ready(pilot)
            text = flat(screen_text(app))
            assert ("Your PHQ-9 score went from 21 (severe) to 8 (mild): 62% lower than "
                    "before your first infusion.") in text
            assert OWN_NAME in app.sub_title

    asyncio.run(scenario())


def test_milestones_sessions_and_followup(clinic, tmp_path):
    """Response and remission are explained; sessions, days since the last infusion and the next follow-up are stated."""

    async def scenario():
        app = _app(clinic, tmp_path)
        async with app.run_test(size=(120, 36)) as pilot:
            await _ready(pilot)
            text = " ".join(memory_text(app).split())
            assert "Response reached after infusion 3, 7 days after your first infusion" in text
            assert "Response means your score dropped by at least half" in text
            assert "Remission reached after infusion 6, 18 days after your first infusion" in text
            assert "Remission means your score is 4 or lower" in text
            assert "You have had 6 of the 6 infusions of your treatment course, and 1 booster" in text
            # Last infusion 10 February, today 1 March.
            assert "Your last infusion was 19 days ago, on 10 February 2026." in text
            # Day 60 after the last induction infusion (16 January) is 17 March.
            assert "next PHQ-9 check-in questionnaire is due on 17 March 2026, in 16 days" in text

    asyncio.run(scenario())


def test_crisis_text_replaces_the_clinical_alert(clinic, tmp_path):
    """A positive PHQ-9 item 9 shows the clinic's crisis text, never the clinical alert."""

    async def scenario():
        app = _app(clinic, tmp_path)
        async with app.run_test(size=(80, 24)) as pilot:
            await _ready(pilot)
            crisis = app.query_one("#crisis")
            assert crisis.display
            text = flat(screen_text(app))
            assert "Support is available" in text
            assert "Call the Example Clinic crisis line" in text  # at the top, on screen at 80x24
            assert "q Quit" in text and "? Help" in text  # the way out is always in view
            everything = memory_text(app)
            assert "item 9" not in everything
            assert "suicid" not in everything.lower()

    asyncio.run(scenario())


def test_no_crisis_text_without_an_alert(clinic, tmp_path):
    """A patient whose answers raised no suicidality alert sees no crisis box."""

    async def scenario():
        app = _app(clinic, tmp_path, QUIET)
        async with app.run_test(size=(80, 24)) as pilot:
            await _ready(pilot)
            assert not app.query_one("#crisis").display
            assert CRISIS not in memory_text(app)
            assert QUIET_NAME in app.sub_title

    asyncio.run(scenario())


def test_default_crisis_text_when_the_clinic_set_none(tmp_path):
    """Without a clinic setting the crisis box shows the sensible default text."""

    async def scenario():
        path = build_clinic(tmp_path / "plain.db", crisis_text=None)
        app = _app(path, tmp_path)
        async with app.run_test(size=(120, 36)) as pilot:
            await _ready(pilot)
            assert " ".join(DEFAULT_CRISIS_TEXT.split()) in " ".join(memory_text(app).split())

    asyncio.run(scenario())


def test_patient_without_scores_is_told_so(clinic, tmp_path):
    """A new patient with no records reads that there are no scores yet; nothing to save."""

    async def scenario():
        app = _app(clinic, tmp_path, NEW)
        async with app.run_test(size=(80, 24)) as pilot:
            await _ready(pilot)
            text = screen_text(app)
            assert "There are no questionnaire scores for you yet." in text
            assert "No scores on this scale yet." in memory_text(app)
            assert not app.query_one("#crisis").display
            await pilot.press("s")
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert not (tmp_path / "charts").exists()
            assert_nothing_of_other(app, own=NEW)

    asyncio.run(scenario())


def test_switch_between_own_questionnaires(clinic, tmp_path):
    """`n` moves between the patient's own scales (PHQ-9, GAD-7) and back."""

    async def scenario():
        app = _app(clinic, tmp_path)
        async with app.run_test(size=(120, 36)) as pilot:
            await _ready(pilot)
            assert app.scale == "phq9"
            await pilot.press("n")
            await pilot.pause()
            assert app.scale == "gad7"
            assert ("Your GAD-7 score went from 15 (severe) to 5 (mild): 67% lower"
                    in flat(memory_text(app)))
            await pilot.press("n")
            await pilot.pause()
            assert app.scale == "phq9"

    asyncio.run(scenario())


def test_chart_on_screen_with_legend(clinic, tmp_path):
    """The patient's chart is drawn with its markers and a plain legend."""

    async def scenario():
        app = _app(clinic, tmp_path)
        async with app.run_test(size=(120, 36)) as pilot:
            await _ready(pilot)
            await pilot.press("c")
            await pilot.pause()
            chart = app.query_one(ScoreChart)
            assert chart.simple
            plot = chart.plot_text()
            assert plot.count("▲") == 6 and plot.count("◆") == 1
            assert "your score" in chart.legend().plain
            assert "Your PHQ-9 scores" in screen_text(app)

    asyncio.run(scenario())


def _tp(day: str) -> Timepoint:
    return Timepoint(date.fromisoformat(day))


def _in_memory(scores, infusions=OWN_INFUSIONS[:6]):
    """A status built straight from records (the wording rules need no database)."""
    data = PatientData(
        "X", tuple(Infusion("X", _tp(d), dose_mg_per_kg=0.5) for d in infusions),
        tuple(Assessment("X", _tp(d), "phq9", total) for d, total in scores))
    return analyse_patient(data, "phq9", Settings(), TODAY)


def test_headline_says_higher_when_the_score_rose():
    """A rise from 12 to 15 reads "25% higher", not "lower"."""
    status = _in_memory((("2026-01-02", 12), ("2026-01-09", 15)))
    assert headline(status, "phq9") == (
        "Your PHQ-9 score went from 12 (moderate) to 15 (moderately severe): 25% higher "
        "than before your first infusion.")


def test_headline_without_a_baseline_says_why_there_is_no_comparison():
    """With no score shortly before the first infusion the headline explains what is missing."""
    status = _in_memory((("2026-01-09", 15),))
    text = headline(status, "phq9")
    assert text.startswith("Your latest PHQ-9 score is 15 (moderately severe).")
    assert "no score from shortly before your first infusion" in text


def test_a_response_after_the_six_session_window_still_counts_as_reached():
    """Scores that halve only weeks after the sixth infusion show response as reached, not "not yet"."""
    status = _in_memory((("2026-01-02", 20), ("2026-01-16", 16), ("2026-03-01", 8)))
    assert status.first_response is None  # outside the verdict window
    lines = milestone_lines(status)
    # 1 March is 55 days after the first infusion on 5 January.
    assert lines[0].startswith("[x] Response reached after infusion 6, 55 days after")
    assert not any("not reached" in line and "Response" in line for line in lines)


# ----- no other patient, by any route -----------------------------------------

def test_loader_reads_only_the_one_patient(clinic):
    """`load_patient` returns this patient's records only, and refuses an unknown id."""
    view = load_patient(clinic, OWN)
    assert view.patient_id == OWN and view.name == OWN_NAME
    assert {a.patient_id for a in view.data.assessments} == {OWN}
    assert len(view.data.infusions) == len(OWN_INFUSIONS)
    assert view.scales == ("phq9", "gad7")
    with pytest.raises(PatientModeError, match="no patient with the id"):
        load_patient(clinic, "NOBODY")


def test_unknown_patient_shows_a_message_and_nothing_else(clinic, tmp_path):
    """Opened with an unknown id the app says so in words and shows no one's data."""

    async def scenario():
        app = _app(clinic, tmp_path, "NOBODY")
        async with app.run_test(size=(80, 24)) as pilot:
            await _ready(pilot)
            text = screen_text(app)
            assert "There is no patient with the id 'NOBODY'" in text
            for secret in (OWN, OWN_NAME, OTHER, OTHER_NAME, QUIET):
                assert secret not in text
            await pilot.press("q")
            await pilot.pause()
            assert not app.is_running

    asyncio.run(scenario())


def test_every_binding_and_key_stays_on_this_patient(clinic, tmp_path):
    """Each binding and every printable key leaves only this patient's data reachable."""

    async def scenario():
        app = _app(clinic, tmp_path)
        async with app.run_test(size=(80, 24)) as pilot:
            await _ready(pilot)
            keys = sorted(set(app.active_bindings) - {"q", "ctrl+q", "ctrl+c"})
            assert {"s", "n", "c", "t", "question_mark"} <= set(keys)
            others = list(string.ascii_lowercase.replace("q", "") + "SNCT" + string.digits + "/:-")
            for key in [*keys, *others, "tab", "shift+tab", "enter", "down", "pagedown", "end",
                        "home", "up", "f1", "escape"]:
                await pilot.press(key)
                await app.workers.wait_for_complete()
                await pilot.pause()
                assert_nothing_of_other(app)
                if len(app.screen_stack) > 1:
                    await pilot.press("escape")
                    await pilot.pause()
            assert app.is_running  # no key above left patient mode
            assert not app.query(Input)  # there is no search box or id field
            await pilot.press("q")
            await pilot.pause()
            assert not app.is_running  # leaving patient mode is quitting

    asyncio.run(scenario())


@pytest.mark.parametrize("typed", [OTHER, OTHER_NAME, "patient"])
def test_command_palette_offers_nothing_of_another_patient(clinic, tmp_path, typed):
    """The palette with another patient's id or name typed in finds nothing of theirs."""

    async def scenario():
        app = _app(clinic, tmp_path)
        async with app.run_test(size=(80, 24)) as pilot:
            await _ready(pilot)
            await pilot.press("ctrl+p")
            await pilot.pause()
            assert isinstance(app.screen, CommandPalette)
            await pilot.press(*["space" if c == " " else c for c in typed])
            await pilot.pause(0.3)
            # What the palette offers for the typed text (the text itself is the user's own).
            offered = " ".join(str(o.prompt) for o in app.screen.query_one(CommandList).options)
            for secret in (OTHER, OTHER_NAME, "Quimby"):
                assert secret not in offered
            await pilot.press("enter")
            await app.workers.wait_for_complete()
            await pilot.pause(0.3)
            while len(app.screen_stack) > 1:
                await pilot.press("escape")
                await pilot.pause()
            assert_nothing_of_other(app)
            assert app.is_running and app.view.patient_id == OWN

    asyncio.run(scenario())


def test_command_palette_lists_only_patient_safe_commands(clinic, tmp_path):
    """The palette's commands are theme, light/dark, save chart, the own scales, help and quit."""

    async def scenario():
        app = _app(clinic, tmp_path)
        async with app.run_test(size=(80, 24)) as pilot:
            await _ready(pilot)
            titles = sorted(c.title for c in app.get_system_commands(app.screen))
            assert titles == sorted(["Theme", "Light or dark", "Save my chart",
                                     "Show my GAD-7 scores", "Help", "Quit"])

    asyncio.run(scenario())


# ----- read-only ---------------------------------------------------------------

def _fingerprint(path: Path) -> tuple[str, float, dict[str, int]]:
    conn = sqlite3.connect(path)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        counts = {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
    finally:
        conn.close()
    return hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns, counts


def test_nothing_is_written_to_the_database(tmp_path):
    """After every key and command the database file's bytes, time and row counts are unchanged."""

    async def scenario():
        path = build_clinic(tmp_path / "clinic.db")
        before = _fingerprint(path)
        app = _app(path, tmp_path)
        async with app.run_test(size=(80, 24)) as pilot:
            await _ready(pilot)
            for key in ["s", "n", "n", "c", "t", "t", "question_mark", "escape", "f1", "escape",
                        *string.ascii_letters.replace("q", ""), *string.digits, "enter", "tab"]:
                await pilot.press(key)
                await app.workers.wait_for_complete()
                await pilot.pause()
                if len(app.screen_stack) > 1:
                    await pilot.press("escape")
                    await pilot.pause()
            for command in app.get_system_commands(app.screen):
                if command.title not in ("Quit", "Theme"):
                    command.callback()
                    await app.workers.wait_for_complete()
                    await pilot.pause()
                    if len(app.screen_stack) > 1:
                        await pilot.press("escape")
                        await pilot.pause()
        assert _fingerprint(path) == before
        assert {p.name for p in path.parent.iterdir() if p.name.startswith("clinic.db")} <= {
            "clinic.db", "clinic.db-wal", "clinic.db-shm"}

    asyncio.run(scenario())


def test_patient_mode_opens_the_database_read_only_and_never_migrates(tmp_path):
    """An older-schema clinic file is refused in words, not upgraded: patient mode never writes."""
    from db.migrations import migration_names

    path = tmp_path / "old.db"
    handle = db.connect(path, migrate=False)
    db.apply_migrations(handle, stop_before=migration_names()[1])
    handle.close()
    before = _fingerprint(path)
    with pytest.raises(PatientModeError, match="needs an upgrade"):
        load_patient(path, OWN)
    assert _fingerprint(path) == before


def test_loader_connection_is_refused_writes_by_sqlite(clinic):
    """`load_patient` goes through `db.connect(read_only=True)`: that connection cannot write at all."""
    database = db.connect(clinic, read_only=True)
    try:
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            database.conn.execute("UPDATE settings SET value = 'x'")
    finally:
        database.close()
    assert load_patient(clinic, OWN).patient_id == OWN


def _run_in_terminal(argv: list[str], keys_until, timeout: float = 60.0) -> int:
    """Run `argv` in a real pseudo-terminal (100x30), pressing keys until `keys_until()` is true; then q."""
    import fcntl
    import os
    import struct
    import subprocess
    import sys
    import termios
    import time

    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root) + os.pathsep + os.environ.get("PYTHONPATH", ""),
           "TERM": "xterm-256color"}
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    process = subprocess.Popen([sys.executable, "-m", "outcomes", *argv], stdin=slave, stdout=slave,
                               stderr=slave, env=env, start_new_session=True)
    os.close(slave)
    os.set_blocking(master, False)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline and process.poll() is None:
            try:
                os.read(master, 65536)  # keep the terminal drained
            except (BlockingIOError, OSError):
                pass
            if keys_until():
                break
            os.write(master, b"s")
            time.sleep(0.5)
        os.write(master, b"q")
        end = time.monotonic() + 20
        while process.poll() is None and time.monotonic() < end:
            try:
                os.read(master, 65536)
            except (BlockingIOError, OSError):
                pass
            time.sleep(0.05)
        return process.wait(timeout=5)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(master)


def test_cli_patient_mode_saves_charts_into_the_charts_folder(clinic, tmp_path):
    """`outcomes tui --patient ID --charts DIR` in a real terminal: `s` writes a PNG into DIR; db unchanged."""
    charts = tmp_path / "take-home"
    before = _fingerprint(clinic)
    code = _run_in_terminal(["--db", str(clinic), "tui", "--patient", OWN, "--charts", str(charts)],
                            lambda: charts.is_dir() and any(charts.glob("*.png")))
    pngs = sorted(charts.glob("*.png"))
    assert pngs, "no chart was saved"
    assert pngs[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and pngs[0].name.startswith(OWN)
    assert code == 0
    assert _fingerprint(clinic) == before


def test_save_chart_writes_a_png_where_the_screen_says(clinic, tmp_path):
    """`s` saves the chart as a real PNG in the take-home folder and shows its path."""

    async def scenario():
        app = _app(clinic, tmp_path)
        async with app.run_test(size=(120, 36)) as pilot:
            await _ready(pilot)
            await pilot.press("s")
            await app.workers.wait_for_complete()
            await pilot.pause()
            files = list((tmp_path / "charts").glob("*.png"))
            assert len(files) == 1
            png = files[0]
            assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
            assert png.stat().st_size > 10_000
            assert "phq9" in png.name and TODAY.isoformat() in png.name
            import matplotlib.image

            pixels = matplotlib.image.imread(png)
            assert pixels.shape[0] > 300 and pixels.shape[1] > 600
            assert str(png) in " ".join(memory_text(app).split())

    asyncio.run(scenario())


def test_save_chart_refused_in_words_when_the_folder_cannot_be_made(clinic, tmp_path):
    """A folder that cannot be created gives a plain message, not a traceback."""

    async def scenario():
        blocker = tmp_path / "not-a-folder"
        blocker.write_text("a file where the folder should be")
        app = PatientApp(clinic, OWN, today=TODAY, chart_dir=blocker / "charts")
        async with app.run_test(size=(120, 36)) as pilot:
            await _ready(pilot)
            await pilot.press("s")
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert app.is_running
            assert "The chart could not be saved" in memory_text(app)


    asyncio.run(scenario())

# ----- snapshots ----------------------------------------------------------------

def _snapshot_app(clinic: Path, pid: str = OWN) -> PatientApp:
    # "~/..." is shown as such on screen, so the picture is the same on any machine.
    return PatientApp(clinic, pid, today=TODAY, chart_dir="~/ketamine-outcomes-charts")


def _then(*keys: str):
    async def run_before(pilot) -> None:
        await _ready(pilot)
        for key in keys:
            await pilot.press(key)
            await pilot.pause()
    return run_before


@pytest.mark.parametrize("size", [(80, 24), (120, 36)], ids=["80x24", "120x36"])
def test_snapshot_summary(clinic, snap_compare, size):
    """The opening screen: crisis box, plain-language summary and, when wide, the chart."""
    assert snap_compare(_snapshot_app(clinic), terminal_size=size, run_before=_then())


@pytest.mark.parametrize("size", [(80, 24), (120, 36)], ids=["80x24", "120x36"])
def test_snapshot_chart(clinic, snap_compare, size):
    """The patient's chart after `c`, with markers and legend readable at this size."""
    assert snap_compare(_snapshot_app(clinic), terminal_size=size, run_before=_then("c"))


def test_snapshot_other_scale_light_theme(clinic, snap_compare):
    """The GAD-7 view in the light theme at 80x24."""
    assert snap_compare(_snapshot_app(clinic), terminal_size=(80, 24), run_before=_then("n", "t"))


@pytest.mark.parametrize("size", [(80, 24), (120, 36)], ids=["80x24", "120x36"])
def test_snapshot_help(clinic, snap_compare, size):
    """The help screen: the keys and the words used, explained."""
    assert snap_compare(_snapshot_app(clinic), terminal_size=size, run_before=_then("question_mark"))


def test_snapshot_without_alert(clinic, snap_compare):
    """A patient early in the course, without a crisis box, at 80x24."""
    assert snap_compare(_snapshot_app(clinic, QUIET), terminal_size=(80, 24), run_before=_then())


def test_snapshot_chart_without_colour(clinic, snap_compare, monkeypatch):
    """With NO_COLOR the 80x24 chart still tells scores, lines and infusions apart by character."""
    monkeypatch.setenv("NO_COLOR", "1")
    app = _snapshot_app(clinic)
    assert app.no_color
    assert snap_compare(app, terminal_size=(80, 24), run_before=_then("c"))
