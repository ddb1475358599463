"""Reading and analysing the whole clinic off the UI thread, for the clinician app's list.

`OutcomesApp` runs `analyse_clinic_posting` in a thread worker. It reads
through connections of its own (never the app's), and posts what it finds
as messages (`outcomes_app.messages`: `ClinicListed`, `ClinicProgress`,
`ClinicLoaded`, `ClinicLoadFailed`) through the `post` it is handed; the
app puts them into its `Clinic` on the UI thread.
"""

from __future__ import annotations

import threading
from time import perf_counter
from typing import Callable

from textual.message import Message

import db
from outcomes.followup import FollowUp, next_followup
from outcomes.scales import SCALES
from outcomes.settings import Settings
from outcomes.status import PatientStatus, analyse_clinic
from outcomes_app.clinic import Clinic
from outcomes_app.errors import guarded
from outcomes_app.messages import ClinicListed, ClinicLoaded, ClinicLoadFailed, ClinicProgress
from outcomes_app.text import PatientRow

#: Longest the worker waits for the first rows to be drawn before it analyses anyway (a patient's
#: screen may hide the list during a reload).
PAINT_WAIT_S = 5.0
#: Patients analysed at a time: larger reads cost less than chunks of 1,000 (10,000 patients:
#: 3.8 s CPU in chunks of 5,000, 4.1 s of 2,500, 4.5 s of 1,000, 3.9 s in one go), and the
#: progress still moves ten times at 50,000.
ANALYSIS_CHUNK = 5_000
#: Patients in the first paint: more rows than a tall terminal shows, read in milliseconds
#: (`db.list_rows` with a limit); the whole list follows.
FIRST_SCREEN_ROWS = 150

Post = Callable[[Message], object]


def first_screen(clinic: Clinic) -> ClinicListed | None:
    """The first screen of rows (id, name, course, latest score), read on the UI thread.

    One indexed query of `FIRST_SCREEN_ROWS` patients takes milliseconds at
    any size, so the app's very first frame shows patients rather than an
    empty table that a worker fills a frame later. None on a failure, which
    is left to the worker: it reads the same file and says why on the list.
    """
    scale = clinic.scale
    read, error = guarded(
        lambda: (
            db.patient_count(clinic.database),
            db.list_rows(clinic.database, scale, FIRST_SCREEN_ROWS),
        )
    )
    if error:
        return None
    total, first = read
    rows = [PatientRow.quick(*row, scale, clinic.settings.induction_sessions) for row in first]
    return ClinicListed(rows, clinic.settings, scale, total)


def analyse_clinic_posting(clinic: Clinic, worker, post: Post, first_paint: bool) -> None:
    """Read and analyse every patient with a connection of the worker's own.

    On the first load the app has painted the first screen of rows
    (`first_screen`); the worker waits for that paint, has the rest of
    the list read by a thread of its own, and computes the statuses a chunk
    of patients at a time with the progress posted after each, the full rows
    at the end. A reload behind a list already shown (`first_paint=False`,
    when another process wrote) goes straight to the statuses: the full rows
    replace the old at once.
    """
    started = perf_counter()
    scale = clinic.list_scale
    try:
        database = db.connect(clinic.db_path)
        try:
            settings = db.load_settings(database)
            scale = scale if scale in SCALES else settings.primary_scale
            total = db.patient_count(database)
            rest = (
                _rest_of_list(clinic, worker, post, scale, settings, total) if first_paint else None
            )
            analysed = _analyse_in_chunks(clinic, database, worker, post, scale, settings, total)
            if rest is not None:
                rest.join()  # its list is posted before the verdicts that replace it
        finally:
            close = getattr(database, "close", None) or getattr(
                getattr(database, "conn", None), "close", None
            )
            if close:
                close()
        if analysed is None:
            return  # cancelled: a newer load replaces this one
        rows, followups, alerting = analysed
    except Exception as exc:  # shown as words on the list, never a traceback
        if not worker.is_cancelled:
            post(ClinicLoadFailed(f"could not read the patients: {exc}"))
        return
    if not worker.is_cancelled:
        post(ClinicLoaded(rows, alerting, followups, settings, scale, perf_counter() - started))


def _rest_of_list(
    clinic: Clinic, worker, post: Post, scale: str, settings: Settings, total: int
) -> threading.Thread | None:
    """Once the first screen of rows is painted, read the whole list in a thread of its own.

    Returned (None when the first screen holds everyone): its query runs
    inside SQLite, off the interpreter's lock, on the second core while
    this worker analyses. The wait keeps the rest from competing with the
    first paint for the interpreter.
    """
    if total <= FIRST_SCREEN_ROWS:
        return None
    clinic.rows_drawn.wait(PAINT_WAIT_S)

    def whole_list() -> None:
        connection = db.connect(clinic.db_path)
        try:
            rows = [
                PatientRow.quick(*row, scale, settings.induction_sessions)
                for row in db.list_rows(connection, scale)
            ]
        except Exception:  # the verdicts bring every row anyway; nothing to tell the clinician
            return
        finally:
            connection.conn.close()
        if not worker.is_cancelled:
            post(ClinicListed(rows, settings, scale))

    rest = threading.Thread(target=whole_list, name="whole patient list", daemon=True)
    rest.start()
    return rest


def _analyse_in_chunks(
    clinic: Clinic, database, worker, post: Post, scale: str, settings: Settings, total: int
):
    """Every patient's list row and next follow-up, a chunk of patients at a time (None if cancelled).

    A chunk's statuses are dropped once its rows are made: those of 50,000
    patients would hold about a gigabyte. Only the statuses with an open
    alert are kept (returned third, by patient), to announce new alerts.
    """
    today = clinic.today
    rows: list[PatientRow] = []
    followups: dict[str, FollowUp | None] = {}
    alerting: dict[str, PatientStatus] = {}
    for chunk in db.clinic_chunks(database, ANALYSIS_CHUNK):
        if worker.is_cancelled:
            return None
        names = chunk.names()
        for status in analyse_clinic(chunk, scale, settings, today):
            pid = status.patient_id
            rows.append(PatientRow.of(status, names.get(pid, "")))
            followups[pid] = next_followup(status, today)
            if status.open_alerts:
                alerting[pid] = status
        post(ClinicProgress(len(rows), total))
    return rows, followups, alerting
