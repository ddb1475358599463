"""Patient mode: one patient's own progress, in plain words, read-only, nobody else's.

Every test runs the real `PatientApp` through Textual's pilot on a real
SQLite file written through `db/` (`tests.patient_clinic`: four patients); the app
is mostly opened for `OWN`, and the tests try every route to `OTHER` (each binding,
every printable key, the command palette with the other id and name typed in)
and check that nothing of theirs is ever on screen or in the app's memory.
"""

from __future__ import annotations

import hashlib
import sqlite3
import string
from datetime import date
from pathlib import Path

import pytest
from textual.command import CommandList, CommandPalette
from textual.widgets import Input

import db
import tui
from outcomes.records import Assessment, Infusion, PatientData
from outcomes.settings import DEFAULT_CRISIS_TEXT, Settings
from outcomes.status import analyse_patient
from outcomes.timepoints import Timepoint
from outcomes.wording import headline, milestone_lines
from outcomes_app.chart import ScoreChart
from outcomes_app.patient_mode import PatientApp, PatientModeError, load_patient
from tests.app.driving import SIZE, SMALL, patient_app, screen_text
from tests.patient_clinic import (
    CRISIS,
    NEW,
    OTHER,
    OTHER_NAME,
    OWN,
    OWN_INFUSIONS,
    OWN_NAME,
    QUIET,
    QUIET_NAME,
    TODAY,
    build_patient_clinic,
)


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


# ----- what the patient reads -------------------------------------------------


async def test_summary_in_plain_words(patient_pilot):
    """The headline states the change from baseline with bands and percent, as the issue words it."""
    app = patient_pilot.app
    text = flat(screen_text(app))
    assert (
        "Your PHQ-9 score went from 21 (severe) to 8 (mild): 62% lower than "
        "before your first infusion."
    ) in text
    assert OWN_NAME in app.sub_title


async def test_milestones_sessions_and_followup(patient_clinic, charts):
    """Response and remission are explained; sessions, days since the last infusion and the next follow-up are stated."""
    async with patient_app(patient_clinic, OWN, size=SIZE, chart_dir=charts) as pilot:
        text = " ".join(memory_text(pilot.app).split())
        assert "Response reached after infusion 3, 7 days after your first infusion" in text
        assert "Response means your score dropped by at least half" in text
        assert "Remission reached after infusion 6, 18 days after your first infusion" in text
        assert "Remission means your score is 4 or lower" in text
        assert "You have had 6 of the 6 infusions of your treatment course, and 1 booster" in text
        # Last infusion 10 February, today 1 March.
        assert "Your last infusion was 19 days ago, on 10 February 2026." in text
        # Day 60 after the last induction infusion (16 January) is 17 March.
        assert "next PHQ-9 check-in questionnaire is due on 17 March 2026, in 16 days" in text


async def test_crisis_text_replaces_the_clinical_alert(patient_pilot):
    """A positive PHQ-9 item 9 shows the clinic's crisis text, never the clinical alert."""
    app = patient_pilot.app
    crisis = app.query_one("#crisis")
    assert crisis.display
    text = flat(screen_text(app))
    assert "Support is available" in text
    assert "Call the Example Clinic crisis line" in text  # at the top, on screen at 80x24
    assert "q Quit" in text and "? Help" in text  # the way out is always in view
    everything = memory_text(app)
    assert "item 9" not in everything
    assert "suicid" not in everything.lower()


async def test_no_crisis_text_without_an_alert(patient_clinic, charts):
    """A patient whose answers raised no suicidality alert sees no crisis box."""
    async with patient_app(patient_clinic, QUIET, chart_dir=charts) as pilot:
        app = pilot.app
        assert not app.query_one("#crisis").display
        assert CRISIS not in memory_text(app)
        assert QUIET_NAME in app.sub_title


async def test_default_crisis_text_when_the_clinic_set_none(tmp_path, charts):
    """Without a clinic setting the crisis box shows the sensible default text."""
    path = build_patient_clinic(tmp_path / "plain.db", crisis_text=None)
    async with patient_app(path, OWN, size=SIZE, chart_dir=charts) as pilot:
        assert " ".join(DEFAULT_CRISIS_TEXT.split()) in " ".join(memory_text(pilot.app).split())


async def test_patient_without_scores_is_told_so(patient_clinic, charts):
    """A new patient with no records reads that there are no scores yet; nothing to save."""
    async with patient_app(patient_clinic, NEW, chart_dir=charts) as pilot:
        app = pilot.app
        text = screen_text(app)
        assert "There are no questionnaire scores for you yet." in text
        assert "No scores on this scale yet." in memory_text(app)
        assert not app.query_one("#crisis").display
        await pilot.press("s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert not charts.exists()
        assert_nothing_of_other(app, own=NEW)


async def test_switch_between_own_questionnaires(patient_clinic, charts):
    """`n` moves between the patient's own scales (PHQ-9, GAD-7) and back."""
    async with patient_app(patient_clinic, OWN, size=SIZE, chart_dir=charts) as pilot:
        app = pilot.app
        assert app.scale == "phq9"
        await pilot.press("n")
        await pilot.pause()
        assert app.scale == "gad7"
        assert "Your GAD-7 score went from 15 (severe) to 5 (mild): 67% lower" in flat(
            memory_text(app)
        )
        await pilot.press("n")
        await pilot.pause()
        assert app.scale == "phq9"


async def test_chart_on_screen_with_legend(patient_clinic, charts):
    """The patient's chart is drawn with its markers and a plain legend."""
    async with patient_app(patient_clinic, OWN, size=SIZE, chart_dir=charts) as pilot:
        await pilot.press("c")
        await pilot.pause()
        chart = pilot.app.query_one(ScoreChart)
        assert chart.simple
        plot = chart.plot_text()
        assert plot.count("▲") == 6 and plot.count("◆") == 1
        assert "your score" in chart.legend().plain
        assert "Your PHQ-9 scores" in screen_text(pilot.app)


def _tp(day: str) -> Timepoint:
    return Timepoint(date.fromisoformat(day))


def _in_memory(scores, infusions=OWN_INFUSIONS[:6]):
    """A status built straight from records (the wording rules need no database)."""
    data = PatientData(
        "X",
        tuple(Infusion("X", _tp(d), dose_mg_per_kg=0.5) for d in infusions),
        tuple(Assessment("X", _tp(d), "phq9", total) for d, total in scores),
    )
    return analyse_patient(data, "phq9", Settings(), TODAY)


def test_headline_says_higher_when_the_score_rose():
    """A rise from 12 to 15 reads "25% higher", not "lower"."""
    status = _in_memory((("2026-01-02", 12), ("2026-01-09", 15)))
    assert headline(status, "phq9") == (
        "Your PHQ-9 score went from 12 (moderate) to 15 (moderately severe): 25% higher "
        "than before your first infusion."
    )


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


def test_loader_reads_only_the_one_patient(patient_clinic):
    """`load_patient` returns this patient's records only, and refuses an unknown id."""
    view = load_patient(patient_clinic, OWN)
    assert view.patient_id == OWN and view.name == OWN_NAME
    assert {a.patient_id for a in view.data.assessments} == {OWN}
    assert len(view.data.infusions) == len(OWN_INFUSIONS)
    assert view.scales == ("phq9", "gad7")
    with pytest.raises(PatientModeError, match="no patient with the id"):
        load_patient(patient_clinic, "NOBODY")


async def test_unknown_patient_shows_a_message_and_nothing_else(patient_clinic, charts):
    """Opened with an unknown id the app says so in words and shows no one's data."""
    async with patient_app(patient_clinic, "NOBODY", chart_dir=charts) as pilot:
        app = pilot.app
        text = screen_text(app)
        assert "There is no patient with the id 'NOBODY'" in text
        for secret in (OWN, OWN_NAME, OTHER, OTHER_NAME, QUIET):
            assert secret not in text
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running


async def test_every_binding_and_key_stays_on_this_patient(patient_pilot):
    """Each binding and every printable key leaves only this patient's data reachable."""
    pilot, app = patient_pilot, patient_pilot.app
    keys = sorted(set(app.active_bindings) - {"q", "ctrl+q", "ctrl+c"})
    assert {"s", "n", "c", "t", "question_mark"} <= set(keys)
    others = list(string.ascii_lowercase.replace("q", "") + "SNCT" + string.digits + "/:-")
    for key in [
        *keys,
        *others,
        "tab",
        "shift+tab",
        "enter",
        "down",
        "pagedown",
        "end",
        "home",
        "up",
        "f1",
        "escape",
    ]:
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


@pytest.mark.parametrize("typed", [OTHER, OTHER_NAME, "patient"])
async def test_command_palette_offers_nothing_of_another_patient(patient_pilot, typed):
    """The palette with another patient's id or name typed in finds nothing of theirs."""
    pilot, app = patient_pilot, patient_pilot.app
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


async def test_command_palette_lists_only_patient_safe_commands(patient_pilot):
    """The palette's commands are theme, light/dark, save chart, the own scales, help and quit."""
    app = patient_pilot.app
    titles = sorted(c.title for c in app.get_system_commands(app.screen))
    assert titles == sorted(
        [
            "Theme",
            "Light or dark",
            "Save my chart",
            "Save my take-home page",
            "Show my GAD-7 scores",
            "Help",
            "Quit",
        ]
    )


# ----- read-only ---------------------------------------------------------------


def _fingerprint(path: Path) -> tuple[str, float, dict[str, int]]:
    conn = sqlite3.connect(path)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        counts = {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
    finally:
        conn.close()
    return hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns, counts


async def test_nothing_is_written_to_the_database(tmp_path, charts):
    """After every key and command the database file's bytes, time and row counts are unchanged."""
    path = build_patient_clinic(tmp_path / "clinic.db")
    before = _fingerprint(path)
    async with patient_app(path, OWN, chart_dir=charts) as pilot:
        app = pilot.app
        for key in [
            "s",
            "n",
            "n",
            "c",
            "t",
            "t",
            "question_mark",
            "escape",
            "f1",
            "escape",
            *string.ascii_letters.replace("q", ""),
            *string.digits,
            "enter",
            "tab",
        ]:
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
        "clinic.db",
        "clinic.db-wal",
        "clinic.db-shm",
    }


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


def test_loader_connection_is_refused_writes_by_sqlite(patient_clinic):
    """`load_patient` goes through `db.connect(read_only=True)`: that connection cannot write at all."""
    database = db.connect(patient_clinic, read_only=True)
    try:
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            database.conn.execute("UPDATE settings SET value = 'x'")
    finally:
        database.close()
    assert load_patient(patient_clinic, OWN).patient_id == OWN


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
    env = {
        **os.environ,
        "PYTHONPATH": str(root) + os.pathsep + os.environ.get("PYTHONPATH", ""),
        "TERM": "xterm-256color",
    }
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    process = subprocess.Popen(
        [sys.executable, "-m", "outcomes", *argv],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        start_new_session=True,
    )
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


def test_cli_patient_mode_saves_charts_into_the_charts_folder(patient_clinic, tmp_path):
    """`outcomes tui --patient ID --charts DIR` in a real terminal: `s` writes a PNG into DIR; db unchanged."""
    charts = tmp_path / "take-home"
    before = _fingerprint(patient_clinic)
    code = _run_in_terminal(
        ["--db", str(patient_clinic), "tui", "--patient", OWN, "--charts", str(charts)],
        lambda: charts.is_dir() and any(charts.glob("*.png")),
    )
    pngs = sorted(charts.glob("*.png"))
    assert pngs, "no chart was saved"
    assert pngs[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and pngs[0].name.startswith(OWN)
    assert code == 0
    assert _fingerprint(patient_clinic) == before


async def test_save_chart_writes_a_png_where_the_screen_says(patient_clinic, charts):
    """`s` saves the chart as a real PNG in the take-home folder and shows its path."""
    async with patient_app(patient_clinic, OWN, size=SIZE, chart_dir=charts) as pilot:
        app = pilot.app
        await pilot.press("s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        files = list(charts.glob("*.png"))
        assert len(files) == 1
        png = files[0]
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert png.stat().st_size > 10_000
        assert "phq9" in png.name and TODAY.isoformat() in png.name
        import matplotlib.image

        pixels = matplotlib.image.imread(png)
        assert pixels.shape[0] > 300 and pixels.shape[1] > 600
        assert str(png) in " ".join(memory_text(app).split())


async def test_save_chart_refused_in_words_when_the_folder_cannot_be_made(patient_clinic, tmp_path):
    """A folder that cannot be created gives a plain message, not a traceback."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the folder should be")
    async with patient_app(patient_clinic, OWN, size=SIZE, chart_dir=blocker / "charts") as pilot:
        app = pilot.app
        await pilot.press("s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.is_running
        assert "The chart could not be saved" in memory_text(app)


# ----- snapshots ----------------------------------------------------------------


def _snapshot_app(clinic: Path, pid: str = OWN) -> PatientApp:
    # "~/..." is shown as such on screen, so the picture is the same on any machine.
    return tui.make_app(clinic, patient=pid, today=TODAY, chart_dir="~/ketamine-outcomes-charts")


def _then(*keys: str):
    async def run_before(pilot) -> None:
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        for key in keys:
            await pilot.press(key)
            await pilot.pause()

    return run_before


@pytest.mark.parametrize("size", [SMALL, SIZE], ids=["80x24", "120x36"])
def test_snapshot_summary(patient_clinic, snap_compare, size):
    """The opening screen: crisis box, plain-language summary and, when wide, the chart."""
    assert snap_compare(_snapshot_app(patient_clinic), terminal_size=size, run_before=_then())


@pytest.mark.parametrize("size", [SMALL, SIZE], ids=["80x24", "120x36"])
def test_snapshot_chart(patient_clinic, snap_compare, size):
    """The patient's chart after `c`, with markers and legend readable at this size."""
    assert snap_compare(_snapshot_app(patient_clinic), terminal_size=size, run_before=_then("c"))


def test_snapshot_other_scale_light_theme(patient_clinic, snap_compare):
    """The GAD-7 view in the light theme at 80x24."""
    assert snap_compare(
        _snapshot_app(patient_clinic), terminal_size=SMALL, run_before=_then("n", "t")
    )


@pytest.mark.parametrize("size", [SMALL, SIZE], ids=["80x24", "120x36"])
def test_snapshot_help(patient_clinic, snap_compare, size):
    """The help screen: the keys and the words used, explained."""
    assert snap_compare(
        _snapshot_app(patient_clinic), terminal_size=size, run_before=_then("question_mark")
    )


def test_snapshot_without_alert(patient_clinic, snap_compare):
    """A patient early in the course, without a crisis box, at 80x24."""
    assert snap_compare(
        _snapshot_app(patient_clinic, QUIET), terminal_size=SMALL, run_before=_then()
    )


def test_snapshot_chart_without_colour(patient_clinic, snap_compare, monkeypatch):
    """With NO_COLOR the 80x24 chart still tells scores, lines and infusions apart by character."""
    monkeypatch.setenv("NO_COLOR", "1")
    app = _snapshot_app(patient_clinic)
    assert app.no_color
    assert snap_compare(app, terminal_size=SMALL, run_before=_then("c"))
