"""Batch reporting: every patient's report and the cohort report, in N processes.

`run_report` is what `outcomes report` and the app's report key call. It is
handed the clinic's records (`outcomes.report_records.ReportRecords`, read by
the caller through `db.report_records`): this package never opens the
database. The main process asks the domain core for every patient's status
and the cohort summary, then hands the per-patient drawing to a pool of
worker processes started once (forked where the platform allows, so each
worker starts with matplotlib and its fonts already loaded and reads the
plain report inputs from inherited memory; spawned otherwise, receiving them
once at start). The workers only draw: they never read the database either.
While they draw, the main process writes the cohort report. The cohort
report alone (`--cohort-only`) is handed the clinic a chunk of patients at a
time instead (`Analysed.from_chunks`): it needs every patient's status,
never every record at once.

One patient's bad data never stops the batch: the failure is recorded with
its message and the rest are written. Every file lands inside `out_dir`
under a safe name (`reports.names`).
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import time
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Iterable, Iterator, Sequence, TextIO

import pandas as pd

from outcomes import wording
from outcomes.clinic_data import ClinicData, patients_from_frames
from outcomes.cohort import summarise
from outcomes.records import PatientData
from outcomes.report_records import ReportRecords
from outcomes.scales import OUTCOME_SCALE_IDS, SCALES, outcome_scale
from outcomes.session_safety import SessionSafety, session_safety
from outcomes.sessions import monitored_sessions
from outcomes.settings import Settings
from outcomes.status import PatientStatus, analyse_patient
from reports.cohort_report import write_cohort_report
from reports.names import patient_stem
from reports.partial import failed_part_way
from reports.patient_report import Acknowledgement, PatientReportInput, write_patient_report
from safe_files.atomic import private_folder
from safe_files.errors import StorageError

PATIENT_FOLDER = "patients"
COHORT_FOLDER = "cohort"
#: Stands in for a patient id in `ReportResult.failures` when the cohort report failed.
COHORT_FAILURE = "(cohort report)"
#: A patient whose report worker died before answering (its files may be missing).
WORKER_DIED = (
    "report could not be drawn: the process drawing it stopped unexpectedly (it was killed, or "
    "ran out of memory); run the report again for this patient"
)


class ReportError(Exception):
    """The report could not start (unknown patient or scale, unusable folder).

    The message says what, where and why in a clinician's words; nothing was
    written.
    """


@dataclass
class ReportResult:
    """What a report run produced.

    Attributes:
        files: Every file written, sorted.
        failures: ``(patient_id, message)`` for each patient whose report
            could not be made; the other patients' files were still written.
            A failed cohort report is listed as ``COHORT_FAILURE``.
        summary: The cohort summary (`CohortSummary.as_json()`), or None when
            the run was limited to one patient.
        seconds: Wall-clock time of the run.
    """

    files: list[Path] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)
    summary: dict | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failures


# ----------------------------------------------------------------- entry point
def run_report(
    records: ReportRecords,
    out_dir: str | os.PathLike,
    *,
    patient: str | None = None,
    scale: str | None = None,
    jobs: int = 1,
    cohort_only: bool = False,
    progress: bool | None = None,
    as_of: date | None = None,
    stderr: TextIO | None = None,
) -> ReportResult:
    """Write per-patient reports and the cohort report from the records handed in.

    Args:
        records: The clinic's settings and records, read by the caller
            (`db.report_records`): `records.data` for the patients' reports
            (one patient's when `patient` is given), `records.chunks` for the
            cohort report alone (consumed lazily, one chunk at a time).
        out_dir: Folder for the files (created if missing); nothing is
            written outside it.
        patient: Only this patient's report (no cohort report).
        scale: Outcome scale id; the clinic's primary scale when None.
        jobs: Worker processes for the per-patient reports.
        cohort_only: Only the cohort report.
        progress: Show a progress bar on stderr; None = when stderr is a terminal.
        as_of: "Today" for the analysis and the date printed on the reports
            (today when None); fixed, re-running on unchanged data gives
            byte-identical files.
        stderr: Where the progress bar and summary line go (sys.stderr).

    Raises:
        ReportError: with a clinician-readable message; nothing was written.
    """
    started = time.perf_counter()
    err = stderr if stderr is not None else sys.stderr
    check_request(jobs=jobs, patient=patient, cohort_only=cohort_only)
    as_of = as_of or date.today()
    settings = records.settings
    scale_id = _check_scale(scale or settings.primary_scale)
    if cohort_only:
        result, out = _cohort_only(_chunks_of(records), settings, out_dir, scale_id, as_of)
    else:
        data = _records_of(records, patient)
        out = _prepare_out(out_dir)
        result = render_clinic(
            data,
            settings,
            scale_id,
            out,
            as_of=as_of,
            jobs=jobs,
            patients=[patient] if patient else "all",
            cohort=patient is None,
            acknowledgements=_acknowledgements(records.acknowledgements),
            rems_medicines=records.rems_medicines,
            progress=_want_progress(progress, err),
            stderr=err,
        )
    result.seconds = time.perf_counter() - started
    print(_summary_line(result, out), file=err)
    return result


def check_request(*, jobs: int, patient: str | None, cohort_only: bool) -> None:
    """Refuse options that cannot work together, before anything is read or written."""
    if jobs < 1:
        raise ReportError(f"--jobs {jobs}: give a whole number of processes, 1 or more")
    if patient is not None and cohort_only:
        raise ReportError("--patient and --cohort-only cannot be combined: choose one")


def _records_of(records: ReportRecords, patient: str | None) -> ClinicData:
    """The records of the run; an id with no records in them is refused."""
    if records.data is None:
        raise ValueError("a report of patients is handed records.data (db.report_records)")
    if patient is not None:
        frame = records.data.patients
        if frame is None or patient not in set(frame["patient_id"].astype(str)):
            raise ReportError(f"no patient with id {patient!r} in this clinic")
    return records.data


def _chunks_of(records: ReportRecords) -> Iterable[ClinicData]:
    if records.chunks is not None:
        return records.chunks
    if records.data is not None:
        return [records.data]
    raise ValueError("a cohort report is handed records.chunks or records.data")


def _cohort_only(
    chunks: Iterable[ClinicData],
    settings: Settings,
    out_dir: str | os.PathLike,
    scale_id: str,
    as_of: date,
) -> tuple[ReportResult, Path]:
    """The cohort report alone, from the clinic a chunk of patients at a time.

    The cohort needs every patient's status, CADSS scores and session safety
    figures, never all their records at once: each chunk's records go once
    analysed, so a network of 50,000 patients is reported in bounded memory
    (as long as `chunks` is read lazily, as `db.report_records` hands it).
    The files are the same as `render_clinic`'s from the whole clinic.
    """
    out = _prepare_out(out_dir)
    analysed = Analysed.from_chunks(chunks, scale_id, settings, as_of)
    result = ReportResult()
    _write_cohort(analysed, scale_id, settings, out, as_of, result)
    result.failures = sorted(analysed.failures) + result.failures
    return result, out


def _check_scale(scale_id: str) -> str:
    try:
        outcome_scale(scale_id)
    except KeyError:
        raise ReportError(
            f"unknown scale {scale_id!r}; choose one of {', '.join(SCALES)}"
        ) from None
    except ValueError as exc:
        raise ReportError(str(exc)) from None
    return scale_id


def _prepare_out(out_dir: str | os.PathLike) -> Path:
    out = Path(out_dir).expanduser()
    if out.exists() and not out.is_dir():
        raise ReportError(f"--out {out} is a file; give a folder for the report files")
    try:
        private_folder(out, parents=True)
    except StorageError as exc:
        raise ReportError(f"--out: {exc}") from None
    return out.resolve()


def _acknowledgements(frame: pd.DataFrame | None) -> dict[str, list[Acknowledgement]]:
    """Each patient's acknowledgements, from the rows the caller read (oldest first)."""
    if frame is None or frame.empty:
        return {}
    out: dict[str, list[Acknowledgement]] = {}
    for k, w, a, n, pid in zip(
        frame["alert_key"],
        frame["who"],
        frame["at"],
        frame["note"],
        frame["patient_id"],
        strict=True,
    ):
        out.setdefault(str(pid), []).append(
            Acknowledgement(str(k), str(w), str(a), None if n is None or n != n else str(n))
        )
    return out


def _want_progress(progress: bool | None, err: TextIO) -> bool:
    if progress is not None:
        return progress
    try:
        return err.isatty()
    except (AttributeError, ValueError):
        return False


def _summary_line(result: ReportResult, out: Path) -> str:
    # The failures themselves are the caller's to show (`result.failures`).
    failed = (
        f"; {wording.plural(len(result.failures), 'patient')} could not be reported"
        if result.failures
        else ""
    )
    return (
        f"report: {wording.plural(len(result.files), 'file')} written to {out} "
        f"in {result.seconds:.1f} s{failed}"
    )


# ------------------------------------------------------- the work, without db
def split_patients(data: ClinicData) -> tuple[dict[str, PatientData], list[tuple[str, str]]]:
    """Records per patient; a patient whose rows cannot be read becomes a failure."""
    try:
        return data.by_patient(), []
    except Exception:  # one bad row spoils the whole frame: retry patient by patient
        pass
    ids = sorted(
        {
            str(p)
            for frame in (data.patients, data.infusions, data.assessments, data.readings)
            if frame is not None and not frame.empty
            for p in frame["patient_id"]
        }
    )
    by_patient: dict[str, PatientData] = {}
    failures = []
    for pid in ids:

        def rows(frame, pid=pid):
            return (
                None
                if frame is None or frame.empty
                else frame[frame["patient_id"].astype(str) == pid]
            )

        try:
            by_patient.update(
                patients_from_frames(
                    rows(data.infusions),
                    rows(data.assessments),
                    rows(data.courses),
                    rows(data.patients),
                    rows(data.readings),
                )
            )
        except Exception as exc:
            failures.append((pid, f"records could not be read: {exc}"))
    return by_patient, failures


def analyse(
    by_patient: dict[str, PatientData],
    scale_id: str,
    settings: Settings,
    as_of: date,
    acknowledged: frozenset[str],
) -> tuple[list[PatientStatus], list[tuple[str, str]]]:
    """Every patient's status; a patient the rules cannot be applied to becomes a failure."""
    statuses, failures = [], []
    for pid in sorted(by_patient):
        try:
            statuses.append(
                analyse_patient(by_patient[pid], scale_id, settings, as_of, acknowledged)
            )
        except Exception as exc:
            failures.append((pid, f"could not be analysed: {exc}"))
    return statuses, failures


def other_scales(
    patient: PatientData,
    scale_id: str,
    settings: Settings,
    as_of: date,
    acknowledged: frozenset[str],
) -> tuple[PatientStatus, ...]:
    """The patient's status on each other outcome scale they have scores of (the report's compact page)."""
    return tuple(
        analyse_patient(patient, other, settings, as_of, acknowledged)
        for other in OUTCOME_SCALE_IDS
        if other != scale_id and patient.of_scale(other)
    )


def render_clinic(
    data: ClinicData,
    settings: Settings,
    scale_id: str,
    out: Path,
    *,
    as_of: date,
    jobs: int = 1,
    patients: Sequence[str] | str | None = "all",
    cohort: bool = True,
    acknowledgements: dict[str, list[Acknowledgement]] | None = None,
    rems_medicines: dict | None = None,
    progress: bool = False,
    stderr: TextIO | None = None,
) -> ReportResult:
    """Analyse and draw: the part of `run_report` after the database was read.

    Args:
        patients: "all", a list of ids, or None for no per-patient reports.
        cohort: Write the cohort report too.
    """
    err = stderr if stderr is not None else sys.stderr
    by_patient, failures = split_patients(data)
    statuses, more = analyse(by_patient, scale_id, settings, as_of, data.acknowledged)
    failures += more
    wanted = None if patients is None else (set(by_patient) if patients == "all" else set(patients))
    items = _report_inputs(
        statuses, by_patient, data.names(), acknowledgements or {}, wanted, as_of, data.acknowledged
    )
    for item in items:  # the esketamine course's medicines (issue 26), beside its sessions
        course = item.status.course
        if course is not None:
            item.rems_medicines = (
                (rems_medicines or {}).get(item.status.patient_id, {}).get(course.number)
            )
    result = ReportResult()
    patient_dir = subfolder(out, PATIENT_FOLDER) if items else out / PATIENT_FOLDER

    def write_cohort() -> None:
        analysed = Analysed(
            statuses,
            {pid: patient.of_scale("cadss") for pid, patient in by_patient.items()},
            session_safety(by_patient.values(), settings),
            failures[:],
        )
        _write_cohort(analysed, scale_id, settings, out, as_of, result)

    rendered = _render_patients(
        items, patient_dir, jobs, progress, err, during=write_cohort if cohort else None
    )
    cohort_failure, result.failures = result.failures, []
    for pid, files, error in rendered:
        if error is not None:
            failures.append((pid, error))
        result.files += files
    result.files.sort()
    result.failures = sorted(failures) + cohort_failure
    return result


@dataclass
class Analysed:
    """What the cohort report is drawn from: every patient's status, CADSS scores and session safety figures.

    `failures` are the patients whose records could not be read or analysed
    (listed on the report's problems page).
    """

    statuses: list[PatientStatus]
    cadss: dict[str, list]
    safety: SessionSafety
    failures: list[tuple[str, str]]

    @classmethod
    def from_chunks(
        cls, chunks: Iterable[ClinicData], scale_id: str, settings: Settings, as_of: date
    ) -> "Analysed":
        """One pass over the clinic a chunk at a time (in patient-id order): only the statuses and CADSS
        scores are kept, so the records of one chunk are in memory at a time. The same figures as from
        the whole clinic read at once."""
        statuses: list[PatientStatus] = []
        cadss: dict[str, list] = {}
        unread: list[tuple[str, str]] = []
        unanalysed: list[tuple[str, str]] = []

        def analysed_patients() -> Iterator[PatientData]:
            for chunk in chunks:
                by_patient, failed = split_patients(chunk)
                chunk_statuses, more = analyse(
                    by_patient, scale_id, settings, as_of, chunk.acknowledged
                )
                statuses.extend(chunk_statuses)
                unread.extend(failed)
                unanalysed.extend(more)
                cadss.update(
                    (pid, patient.of_scale("cadss")) for pid, patient in by_patient.items()
                )
                yield from by_patient.values()  # to the session safety figures, then let go

        safety = session_safety(analysed_patients(), settings)
        return cls(statuses, cadss, safety, unread + unanalysed)


def _write_cohort(
    analysed: Analysed,
    scale_id: str,
    settings: Settings,
    out: Path,
    as_of: date,
    result: ReportResult,
) -> None:
    """The cohort report's files into `out/cohort`, its summary into `result`; a failure to draw it is
    recorded in `result.failures` (as `COHORT_FAILURE`) rather than raised: the patients' reports are
    still worth having."""
    # One computation of the safety figures: the safety page and summary.json both read it.
    summary = summarise(
        analysed.statuses,
        scale_id,
        settings.induction_sessions,
        analysed.cadss,
        safety=analysed.safety,
    )
    result.summary = summary.as_json()
    written: list[Path] = []
    try:
        cohort_dir = subfolder(out, COHORT_FOLDER)
        result.files.extend(
            write_cohort_report(
                analysed.statuses,
                summary,
                cohort_dir,
                as_of=as_of,
                settings=settings,
                problems=analysed.failures[:],
                written=written,
            )
        )
    except Exception as exc:
        words, left = failed_part_way("the cohort report could not be written", exc, written)
        result.files.extend(left)
        result.failures.append((COHORT_FAILURE, words))


def _report_inputs(
    statuses,
    by_patient: dict[str, PatientData],
    names: dict[str, str],
    acknowledgements: dict[str, list[Acknowledgement]],
    wanted: set[str] | None,
    as_of: date,
    acknowledged: frozenset[str] = frozenset(),
) -> list[PatientReportInput]:
    """What each wanted patient's report is drawn from (with every other scale they have)."""
    return [
        PatientReportInput(
            status=s,
            cadss=by_patient[s.patient_id].of_scale("cadss"),
            as_of=as_of,
            name=names.get(s.patient_id),
            acknowledgements=acknowledgements.get(s.patient_id, ()),
            sessions=monitored_sessions(s, by_patient[s.patient_id]),
            others=other_scales(by_patient[s.patient_id], s.scale, s.settings, as_of, acknowledged),
        )
        for s in statuses
        if wanted is not None and s.patient_id in wanted
    ]


def subfolder(out: Path, name: str) -> Path:
    """`out/name`, created; refused when it leads elsewhere (a symlink planted in `out`)."""
    folder = out / name
    try:
        private_folder(folder)
    except StorageError as exc:
        raise ReportError(str(exc)) from None
    if not folder.is_dir() or folder.resolve().parent != out.resolve():
        raise ReportError(
            f"{folder} is not a folder inside {out}; move it away or choose another --out"
        )
    return folder


# ------------------------------------------------------------ worker processes
#: Process start method for the workers; None chooses by platform.
START_METHOD: str | None = None


def start_method() -> str:
    """ "fork" on Linux (cheap: workers inherit the loaded libraries and the
    records; this process runs no threads of its own); "spawn" elsewhere
    (macOS frameworks are not fork-safe, Windows has no fork)."""
    if START_METHOD is not None:
        return START_METHOD
    return "fork" if sys.platform.startswith("linux") else "spawn"


_ITEMS: list[PatientReportInput] = []
_FOLDER: Path | None = None


def _init_worker(items: list[PatientReportInput] | None, folder: Path) -> None:
    global _ITEMS, _FOLDER
    if items is not None:  # spawned: the records arrive once, here
        _ITEMS = items
    _FOLDER = folder


def _render_one(index: int) -> tuple[str, list[Path], str | None]:
    item = _ITEMS[index]
    written: list[Path] = []
    try:
        return item.status.patient_id, write_patient_report(item, _FOLDER, written), None
    except Exception as exc:  # one patient's report must not stop the batch
        words, left = failed_part_way("report could not be drawn", exc, written)
        return item.status.patient_id, left, words


def _outcome(done: Future, item: PatientReportInput, folder: Path):
    """A worker's answer for one patient; words when the worker died before answering."""
    try:
        return done.result()
    except BrokenProcessPool:  # killed (out of memory, `kill`) or crashed
        pid = item.status.patient_id
        stem = patient_stem(pid)
        left = [p for p in (folder / f"{stem}.pdf", folder / f"{stem}.png") if p.exists()]
        return pid, left, WORKER_DIED


def _render_patients(items, folder: Path, jobs: int, progress: bool, err: TextIO, during=None):
    """Draw every patient's report; `during` runs in this process meanwhile."""
    global _ITEMS, _FOLDER
    bar = _ProgressBar(len(items), err) if progress and items else None
    results = []
    jobs = min(jobs, len(items))
    if jobs <= 1:
        if during:
            during()
        _ITEMS, _FOLDER = items, folder
        try:
            for i in range(len(items)):
                results.append(_render_one(i))
                if bar:
                    bar.step()
        finally:
            _ITEMS = []
    else:
        method = start_method()
        _ITEMS, _FOLDER = items, folder  # a forked worker inherits these
        # A process pool that notices a worker's death: multiprocessing.Pool would replace
        # the worker and wait forever for the patient it was drawing.
        pool = ProcessPoolExecutor(
            jobs,
            mp_context=multiprocessing.get_context(method),
            initializer=_init_worker,
            initargs=(None if method == "fork" else items, folder),
        )
        try:
            pending = {pool.submit(_render_one, i): i for i in range(len(items))}
            if during:
                during()
            for done in as_completed(pending):
                results.append(_outcome(done, items[pending[done]], folder))
                if bar:
                    bar.step()
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
            _ITEMS = []
    if bar:
        bar.close()
    return results


class _ProgressBar:
    """A one-line progress bar on a terminal (no dependency needed for this much)."""

    WIDTH = 30

    def __init__(self, total: int, stream: TextIO) -> None:
        self.total, self.done, self.stream = total, 0, stream
        self.started = time.perf_counter()
        self._draw()

    def step(self) -> None:
        self.done += 1
        self._draw()

    def _draw(self) -> None:
        filled = int(self.WIDTH * self.done / self.total) if self.total else self.WIDTH
        elapsed = time.perf_counter() - self.started
        self.stream.write(
            f"\rpatient reports [{'#' * filled}{'.' * (self.WIDTH - filled)}] "
            f"{self.done}/{self.total}  {elapsed:.0f} s"
        )
        self.stream.flush()

    def close(self) -> None:
        self.stream.write("\n")
        self.stream.flush()
