"""The `outcomes` command: the composition root that wires the CLI to db/, reports/ and the TUI.

Commands and exit statuses are those of interface.md: 0 success, 1 input
refused (nothing written), 2 usage error. No traceback reaches the user: an
expected refusal prints its message; anything unexpected prints one line and
the path of a log file holding the details.
"""

from __future__ import annotations

import sys

try:
    # pandas and sqlite-utils take a moment to load: a Ctrl-C then must not
    # print a traceback either (nothing has been done yet).
    import json
    import os
    import re
    from datetime import date
    from pathlib import Path

    import click
    from click_default_group import DefaultGroup

    import db
    from outcomes import __version__
    from outcomes.fields import normalise_patient_id  # light: no pandas, no records
    from outcomes.scales import SCALE_IDS, get_scale, outcome_scale
    from outcomes.settings import (
        SETTING_SPECS,
        SPECS_BY_KEY,
        SettingError,
        format_value,
    )
    from outcomes.terminal_text import terminal_safe
    from outcomes.typed_text import text_problem
    from outcomes_cli.demo import DEFAULT_PATIENTS, DEFAULT_SEED, demo_batches, make_demo
except KeyboardInterrupt:  # pragma: no cover - timing-dependent
    sys.stderr.write("\nInterrupted while starting: nothing was done.\n")
    raise SystemExit(1) from None


class Refused(click.ClickException):
    """Input refused: the message says why; exit status 1, nothing written."""

    exit_code = 1

    def show(self, file=None) -> None:
        _echo(f"error: {self.format_message()}", err=True)


def _echo(text: str = "", *, err: bool = False) -> None:
    """Print to the terminal with every control character shown as an escape, never raw."""
    click.echo(terminal_safe(str(text), multiline=True), err=err)


def _global_options_first(args: list[str]) -> list[str]:
    """`--db FILE` and `--key-file FILE` moved before the command wherever typed (up to a `--`).

    People type `outcomes status P1 --db clinic.db` as often as the other
    way round; no command has an option of that name, so nothing is lost.
    """
    ahead, rest, i = [], [], 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            rest += args[i:]
            break
        if arg in ("--db", "--key-file") and i + 1 < len(args):
            ahead += args[i : i + 2]
            i += 2
            continue
        if arg.startswith(("--db=", "--key-file=")):
            ahead.append(arg)
        else:
            rest.append(arg)
        i += 1
    return ahead + rest


class OutcomesGroup(DefaultGroup):
    """A click group (default command: the TUI) that turns every error into a message."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        args = _global_options_first(args)
        # click-default-group only falls back to the app when there are no
        # arguments at all; `outcomes --db FILE [app options]` must open the
        # app too, so the default command goes in right after the group's
        # own options.
        i = 0
        while i < len(args):
            if args[i] in ("--db", "--key-file"):
                i += 2
            elif args[i].startswith(("--db=", "--key-file=")):
                i += 1
            else:
                break
        if i and (
            i >= len(args)
            or (args[i] not in self.commands and args[i] not in ("--help", "--version"))
        ):
            args = [*args[:i], self.default_cmd_name, *args[i:]]
        return super().parse_args(ctx, args)

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        code = 0
        try:
            from db.lock_wait import reporting_lock_waits  # light: no SQLite wrapper, no pandas

            with reporting_lock_waits(_LockWaitLines()):
                result = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
            code = result if isinstance(result, int) else 0
        except click.ClickException as exc:
            exc.show()
            code = exc.exit_code
        except (click.exceptions.Abort, KeyboardInterrupt):
            # Every write is one transaction: an interrupted one is rolled back whole.
            _echo(
                "\nInterrupted: stopped; a change in progress was rolled back, so nothing "
                "was half-written.",
                err=True,
            )
            code = 1
        except click.exceptions.Exit as exc:
            code = exc.exit_code
        except Exception as exc:  # the promise: no traceback ever reaches the user
            refusal = db.refusal_message(exc)
            if refusal is not None:
                _echo(f"error: {refusal}", err=True)
                return _finish(1, standalone_mode)
            where = db.log_unexpected()
            _echo(f"error: something went wrong ({type(exc).__name__}: {exc}).", err=True)
            if where:
                _echo(
                    f"The details were written to {where}; nothing was changed by the failed step.",
                    err=True,
                )
            code = 1
        return _finish(code, standalone_mode)


class _LockWaitLines:
    """Tells stderr that a write waits for another program's lock: at once, then every few seconds."""

    EVERY_S = 5

    def __init__(self) -> None:
        self.told = -1

    def __call__(self, seconds: float) -> None:
        from db.lock_wait import limit_words

        if self.told < 0:
            _echo(
                "waiting for another write: another program (an import, the app) is writing to the "
                f"database; this waits up to {limit_words()}…",
                err=True,
            )
            self.told = 0
        elif int(seconds) >= self.told + self.EVERY_S:
            self.told = int(seconds) // self.EVERY_S * self.EVERY_S
            _echo(f"waiting for another write… ({self.told} s)", err=True)


def _finish(code: int, standalone_mode: bool) -> int:
    if standalone_mode:
        sys.exit(code)
    return code


def _db_path(ctx: click.Context) -> Path:
    return ctx.obj["db_path"]


def _where_from(ctx: click.Context) -> str:
    if ctx.obj.get("db_given"):
        return "--db"
    return f"${db.ENV_VAR}" if os.environ.get(db.ENV_VAR) else "the default location"


_WARNED: set[Path] = set()


def _connect(ctx: click.Context, reading: bool = False, **options):
    """Open the database (`reading`: for a command that only reads) and, once per run, warn when others
    may read it."""
    database = (
        db.connect_to_read(_db_path(ctx)) if reading else db.connect(_db_path(ctx), **options)
    )
    path = _db_path(ctx)
    if path not in _WARNED:
        _WARNED.add(path)
        warning = db.loose_permissions(path)
        if warning:
            _echo(warning, err=True)
    return database


def _open(ctx: click.Context):
    """The database of a command that adds data (demo, import, the app): created when missing.

    A new database is only created in a folder that exists, or in the default
    data folder: a mistyped --db or $OUTCOMES_DB must not quietly start an
    empty clinic nobody uses.
    """
    path = _db_path(ctx)
    db.check_reachable(path)
    if not path.exists() and not path.is_symlink():
        default = not ctx.obj.get("db_given") and not os.environ.get(db.ENV_VAR)
        if not default and not path.parent.is_dir():
            raise Refused(
                f"there is no clinic database at {path} (from {_where_from(ctx)}) and its folder "
                f"{path.parent} does not exist; a new database is only created in an existing "
                "folder: check the path for a typing slip, or create the folder first"
            )
    return _connect(ctx)


def _open_existing(ctx: click.Context, **options):
    """The database of a command that does not add data: refused (never created) when missing."""
    path = _db_path(ctx)
    db.check_reachable(path)
    if not path.exists():
        raise Refused(
            f"there is no clinic database at {path} (from {_where_from(ctx)}); check the path, "
            "or create one with `outcomes demo` or `outcomes import patients FILE`"
        )
    return _connect(ctx, **options)


def _patient(database, ctx: click.Context, typed: str) -> str:
    """The stored id of the patient `typed` names (spaces ignored), or a refusal with a suggestion."""
    pid = normalise_patient_id(typed)[0]
    if pid and db.get_patient(database, pid) is not None:
        return pid
    similar = [known for known in db.patient_ids(database) if known.lower() == pid.lower()]
    hint = (
        f"; did you mean {similar[0]}?"
        if similar
        else (
            "; `outcomes tui` lists every patient"
            if db.patient_ids(database)
            else "; the database holds no patients yet"
        )
    )
    raise Refused(f"patient {typed!r} is not known in {_db_path(ctx)}{hint}")


class ScaleType(click.ParamType):
    """A scale id, typed as a tired person types it: "PHQ-9", "phq 9", "MADRS " all work."""

    name = "scale"

    def get_metavar(self, param, *args, **kwargs) -> str:
        return "[" + "|".join(SCALE_IDS) + "]"

    def convert(self, value, param, ctx):
        scale_id = scale_id_of(str(value))
        if scale_id is None:
            self.fail(
                f"{value!r} is not a scale; choose one of {', '.join(SCALE_IDS)} "
                "(case, spaces and '-' do not matter)",
                param,
                ctx,
            )
        return scale_id


def scale_id_of(text: str) -> str | None:
    """The scale id a person meant (`outcomes.validation.scale_id_of`)."""
    from outcomes.validation import (
        scale_id_of as meant,  # imported here: the core's records load pandas
    )

    return meant(text)


class _FilePath(click.Path):
    """A path argument; an empty one ("") is refused: it would mean the current folder (issue 21)."""

    def convert(self, value, param, ctx):
        if isinstance(value, str) and not value.strip():
            where = param.get_error_hint(ctx) if param is not None and ctx is not None else "path"
            raise Refused(
                f"{where}: the path is empty; give a file or folder name; nothing was written"
            )
        return super().convert(value, param, ctx)


#: Paths are checked by `db` (exit 1, words for a clinician), not by click (exit 2).
FILE = _FilePath(path_type=Path)


@click.group(cls=OutcomesGroup, default="tui", default_if_no_args=True)
@click.option(
    "--db",
    "db_file",
    type=FILE,
    default=None,
    metavar="FILE",
    help="Database file (default: $OUTCOMES_DB, else outcomes.db in your user data folder).",
)
@click.option(
    "--key-file",
    type=FILE,
    default=None,
    metavar="FILE",
    help="An encrypted clinic's key: the first line of this owner-only file "
    "(else $OUTCOMES_KEY, else you are asked on a terminal).",
)
@click.version_option(version=__version__, prog_name="outcomes")
@click.pass_context
def cli(ctx: click.Context, db_file: Path | None, key_file: Path | None) -> None:
    """Track treatment response to ketamine infusions: scores, verdicts, relief, reports."""
    ctx.ensure_object(dict)
    ctx.obj["db_path"] = db_file.expanduser() if db_file else db.default_path()
    ctx.obj["db_given"] = db_file is not None
    ctx.obj["key_file"] = key_file
    from db.cipher import use_key  # light: SQLCipher itself loads only for an encrypted file

    use_key(key_file, prompter=_ask_key)


def _ask_key(path: Path, again: bool) -> str | None:
    """The key of the encrypted clinic `path`, typed on the terminal (hidden); None without one."""
    if not (sys.stdin.isatty() and sys.stderr.isatty()):
        return None
    if again:
        _echo("That key does not open it (or the file is damaged); try again.", err=True)
    return click.prompt(f"Key for the encrypted clinic {path}", hide_input=True, err=True)


# ----- the terminal app ------------------------------------------------------


@cli.command(short_help="Open the terminal app (the default command).")
@click.option(
    "--patient",
    "patient_id",
    default=None,
    metavar="ID",
    help="Patient mode: read-only, locked to this one patient.",
)
@click.option(
    "--charts",
    "chart_dir",
    type=FILE,
    default=None,
    metavar="DIR",
    help="Patient mode: folder for the chart pictures the patient saves "
    "(default ~/ketamine-outcomes-charts).",
)
@click.option(
    "--self-report",
    "self_report",
    is_flag=True,
    help="Patient mode: the patient first fills in the clinic's self-report questionnaires "
    "(setting self_report_scales) and sends them, once; then read-only as usual.",
)
@click.option(
    "--kiosk",
    is_flag=True,
    help="Patient mode as a kiosk: closed only with the staff code (setting "
    "kiosk_staff_code), ctrl+c/ctrl+z do not leave it, back to its start when idle "
    "(also on whenever the setting kiosk_always is).",
)
@click.option(
    "--demo", is_flag=True, help="Fill an empty database with the demonstration clinic first."
)
@click.option(
    "--clinician",
    default=None,
    metavar="NAME",
    help="Your name for the audit trail (else the app asks once, suggesting $OUTCOMES_USER "
    "or your login).",
)
@click.pass_context
def tui(
    ctx: click.Context,
    patient_id: str | None,
    chart_dir: Path | None,
    self_report: bool,
    kiosk: bool,
    demo: bool,
    clinician: str | None,
) -> None:
    """Open the terminal app: clinician mode, or with --patient ID the read-only patient mode."""
    problem = text_problem(clinician, "--clinician")
    if problem:  # before anything is opened or written
        raise Refused(problem)
    if chart_dir is not None and patient_id is None:
        raise click.UsageError(
            "--charts works only with --patient (it is where a patient's saved charts go)"
        )
    if self_report and patient_id is None:
        raise click.UsageError(
            "--self-report works only with --patient ID (the patient who fills in "
            "the questionnaires)"
        )
    if kiosk and patient_id is None:
        raise click.UsageError(
            "--kiosk works only with --patient ID (a kiosk shows one patient's progress)"
        )
    if demo:
        database = _open(ctx)
        try:
            if not db.patient_ids(database):
                counts = db.write_clinic(
                    database,
                    make_demo(DEFAULT_PATIENTS, DEFAULT_SEED),
                    db.default_user(),
                    date.today(),
                )
                from outcomes.wording import plural

                _echo(
                    f"Added the demonstration clinic: {plural(counts['patients'], 'patient')}.",
                    err=True,
                )
        finally:
            database.close()
    if patient_id is None:
        _open(ctx).close()  # created and brought up to date here, so its errors are this command's
        import tui as app_module  # imported here: the other commands do not need Textual

        name = clinician.strip() if clinician and clinician.strip() else None
        app_module.make_app(_db_path(ctx), clinician=name).run()
        return
    if (
        chart_dir is not None
        and chart_dir.expanduser().exists()
        and not chart_dir.expanduser().is_dir()
    ):
        raise Refused(f"--charts {chart_dir} is a file; give a folder for the saved charts")
    from outcomes_app.patient_mode.view import unopened_words

    try:  # patient mode never creates a database
        database = _open_existing(ctx, read_only=True)
    except db.StorageError as exc:  # a patient may be reading: their words, then the reason
        raise Refused(unopened_words(exc).replace("\n", " ")) from None
    try:
        patient_id = _patient(database, ctx, patient_id)
    finally:
        database.close()
    import tui as app_module  # the app opens the database read-only itself
    from outcomes_app.patient_mode import PatientModeError

    try:
        app = app_module.make_app(
            _db_path(ctx), patient_id, chart_dir=chart_dir, self_report=self_report, kiosk=kiosk
        )
    except PatientModeError as exc:
        raise Refused(str(exc)) from None
    app.run()


# ----- demo ---------------------------------------------------------------------


@cli.command(short_help="Add a reproducible synthetic clinic to try the program.")
@click.option(
    "--patients",
    "count",
    type=click.IntRange(1, 100_000),
    default=DEFAULT_PATIENTS,
    show_default=True,
    help="How many synthetic patients.",
)
@click.option(
    "--seed", type=int, default=DEFAULT_SEED, show_default=True, help="Same seed, same clinic."
)
@click.option(
    "--force", is_flag=True, help="Add the cohort even when the database already holds patients."
)
@click.pass_context
def demo(ctx: click.Context, count: int, seed: int, force: bool) -> None:
    """Add a reproducible synthetic clinic (for trying the program out)."""
    database = _open(ctx)
    try:
        existing = db.patient_ids(database)
        if existing and not force:
            from outcomes.wording import plural

            raise Refused(
                f"the database {_db_path(ctx)} already holds {plural(len(existing), 'patient')}; "
                "the demo cohort is added only to an empty database (add --force to add it anyway)"
            )
        numbers = [int(m.group(1)) for pid in existing if (m := re.fullmatch(r"P(\d+)", pid))]
        start = max(numbers, default=0) + 1
        # Generated and written a batch of patients at a time: bounded memory at any size.
        counts = db.write_clinic(
            database, demo_batches(count, seed, start=start), db.default_user(), date.today()
        )
    finally:
        database.close()
    from outcomes.wording import plural

    _echo(
        f"Added a demonstration clinic to {_db_path(ctx)}: {plural(counts['patients'], 'patient')}, "
        f"{plural(counts['infusions'], 'session')}, {plural(counts['assessments'], 'assessment')}, "
        f"{plural(counts['readings'], 'reading')}."
    )


# ----- import -------------------------------------------------------------------


@cli.group(name="import", short_help="Import patients, infusions or assessments from CSV.")
def import_group() -> None:
    """Import a CSV file of patients, infusions or assessments (all rows or none).

    One bad row refuses the whole file, and every bad row is listed with its
    line, column and reason. Rows identical to records already stored are
    skipped (and counted), so importing the same file twice is safe.
    """


def _import(ctx: click.Context, kind: str, file: Path, confirm: bool) -> None:
    path = _db_path(ctx)
    today = date.today()
    try:
        if path.exists():
            database = _open(ctx)
            try:
                result = db.import_csv(
                    database,
                    file,
                    kind,
                    db.default_user(),
                    settings=db.load_settings(database),
                    today=today,
                    confirm_unusual_doses=confirm,
                )
            finally:
                database.close()
        else:
            # Check the whole file before creating the database, so a refused
            # (or empty) file leaves nothing behind.
            from outcomes.settings import Settings

            plan = db.plan_import(
                file, kind, Settings(), today, confirm_unusual_doses=confirm, known_patients=set()
            )
            if not plan.rows:
                result = db.ImportResult(kind, file.name, 0, plan.duplicates_in_file)
            else:
                database = _open(ctx)
                try:
                    result = db.apply_import(database, plan, db.default_user())
                finally:
                    database.close()
    except db.ImportRefused as exc:
        raise Refused(str(exc)) from None
    for warning in result.warnings:
        _echo(warning, err=True)
    if not result.added and not result.skipped:
        _echo(f"Nothing to import: {file.name} has a header but no rows; nothing was written.")
        return
    from outcomes.wording import plural, records_words

    skipped = ""
    if result.skipped:
        skipped = (
            f"; {plural(result.skipped, 'row')} skipped because "
            "identical records are already stored"
        )
    rems = ""
    if result.rems_written:
        rems = f"; {plural(result.rems_written, 'REMS form or submission', 'REMS forms or submissions')} recorded"
    _echo(f"Imported {records_words(result.added, kind)} from {file.name}{skipped}{rems}.")


def _import_command(kind: str):
    from db.csv_columns import COLUMNS, REQUIRED

    required = ", ".join(REQUIRED[kind]) + (", and items or total" if kind == "assessments" else "")
    one = {"vitals": "reading (a moment of a session's monitoring)"}.get(kind, kind[:-1])
    text = (
        f"Import {kind} from a CSV FILE: a header row, then one {one} per row.\n\n"
        f"Columns: {', '.join(COLUMNS[kind])}.\n\nRequired: {required}.\n\n"
        "Dates: YYYY-MM-DD, or YYYY-MM-DDTHH:MM with a time (day-first dates like 5/1/2026 are "
        "refused: they are ambiguous). UTF-8 (Excel: 'CSV UTF-8'); commas or semicolons."
        + (
            "\n\nside_effects: words separated by ';' (e.g. nausea;dizziness). drug: ketamine "
            "(dose_mg_per_kg) or esketamine (dose_mg: 28, 56 or 84)."
            if kind == "infusions"
            else ""
        )
        + (
            "\n\nsession: the session's date exactly as in infusions.csv; at: the reading's "
            "date-time, from the session's start to 6 hours after; at least one measurement."
            if kind == "vitals"
            else ""
        )
    )

    def command(ctx: click.Context, file: Path, confirm_unusual_doses: bool = False) -> None:
        _import(ctx, kind, file, confirm_unusual_doses)

    command.__doc__ = text
    command = click.pass_context(command)
    # Accepted by every kind (scripts pass it to all three), shown where it matters.
    command = click.option(
        "--confirm-unusual-doses",
        is_flag=True,
        hidden=kind != "infusions",
        help="Accept doses outside 0.1-1.0 mg/kg as intended.",
    )(command)
    command = click.argument("file", type=FILE)(command)
    return import_group.command(name=kind, help=text, short_help=f"Import {kind} from a CSV file.")(
        command
    )


for _kind in ("patients", "infusions", "assessments", "vitals"):
    _import_command(_kind)


# ----- export -------------------------------------------------------------------


@cli.group()
def export() -> None:
    """Export the clinic's records: CSV, FHIR Bundle or NDJSON."""


@export.command(name="csv", short_help="Write the four CSV files into FOLDER.")
@click.argument("folder", type=FILE)
@click.pass_context
def export_csv(ctx: click.Context, folder: Path) -> None:
    """Write patients.csv, infusions.csv, assessments.csv and vitals.csv into FOLDER.

    FOLDER is created when missing (its parent must exist); files already
    there are never overwritten: the export is refused instead.
    """
    database = _open_existing(ctx)
    try:
        files = db.export_csv(database, folder)
    finally:
        database.close()
    _echo(f"Wrote {', '.join(str(f) for f in files)}.")
    _plain_files_warning(ctx)


def _plain_files_warning(ctx: click.Context) -> None:
    """After an export or a report from an encrypted clinic: say that the files written are plain."""
    if db.is_encrypted(_db_path(ctx)):
        from outcomes.wording import PLAIN_EXPORT_WARNING

        _echo(PLAIN_EXPORT_WARNING, err=True)


#: The de-identification flag both FHIR exports take.
DEIDENTIFY = click.option(
    "--deidentify",
    is_flag=True,
    help="Drop names, birth dates and notes; pseudonymous ids; dates shifted per patient.",
)


@export.command(name="fhir", short_help="Write an R4 FHIR Bundle to a new FILE.")
@click.argument("file", type=FILE)
@DEIDENTIFY
@click.pass_context
def export_fhir(ctx: click.Context, file: Path, deidentify: bool) -> None:
    """Write an R4 FHIR Bundle (Patient, Procedure, Observation) to a new FILE."""
    _export_resources(ctx, "export_fhir", file, deidentify)


def _export_resources(ctx: click.Context, writer: str, target: Path, deidentify: bool) -> None:
    """Run `db.<writer>` (export_fhir or export_ndjson) and say how many resources of each type it wrote."""
    database = _open_existing(ctx)
    try:
        counts = getattr(db, writer)(database, target, deidentify=deidentify)
    finally:
        database.close()
    summary = ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items()) if n) or "no resources"
    _echo(f"Wrote {target} ({summary}{', de-identified' if deidentify else ''}).")
    _plain_files_warning(ctx)


@export.command(name="ndjson", short_help="Write FHIR Bulk Data NDJSON into FOLDER.")
@click.argument("folder", type=FILE)
@DEIDENTIFY
@click.pass_context
def export_ndjson(ctx: click.Context, folder: Path, deidentify: bool) -> None:
    """Write Patient.ndjson, Procedure.ndjson and Observation.ndjson into FOLDER.

    The FHIR Bulk Data format (one R4 resource per line), for a FHIR server's
    bulk import. FOLDER is created when missing (its parent must exist);
    files already there are never overwritten: the export is refused instead.
    """
    _export_resources(ctx, "export_ndjson", folder, deidentify)


@export.command(name="registry", short_help="Write the clinic's registry export into DIR.")
@click.argument("folder", type=FILE, metavar="DIR")
@click.option(
    "--deidentify",
    is_flag=True,
    help="Wider age bands (20 years; 65 and over as one) and no exact baseline score (its band only).",
)
@click.option(
    "--counts-only",
    is_flag=True,
    help="No per-course rows: verdict counts (small cells left out) and the relief table.",
)
@click.pass_context
def export_registry(ctx: click.Context, folder: Path, deidentify: bool, counts_only: bool) -> None:
    """Write one analysed, pseudonymous row per course (Parquet) and a manifest into DIR.

    For a clinic network's registry (docs/registry.md). Needs the site id the
    network gave the clinic: `outcomes settings registry_site_id ID`. DIR is
    created when missing; the clinic's previous registry export in DIR is
    replaced; a folder holding anything else is refused.
    """
    from db.registry import export_registry as write_registry

    database = _open_existing(ctx)
    try:
        result = write_registry(
            database,
            folder,
            today=date.today(),
            who=db.default_user(),
            deidentify=deidentify,
            counts_only=counts_only,
        )
    finally:
        database.close()
    kind = "counts only" if counts_only else "one row per course"
    _echo(
        f"Wrote the registry export of site {result.site_id} into {result.folder} "
        f"({result.courses} courses, {kind}{', de-identified' if deidentify else ''})."
    )


# ----- pool ---------------------------------------------------------------------


@cli.command(short_help="Pool clinics' registry exports into one report.")
@click.argument("exports", nargs=-1, required=True, type=FILE, metavar="EXPORT_DIR...")
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=FILE,
    metavar="DIR",
    help="Folder for the PDF, PNG and JSON files (created when missing; its parent must exist).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the pooled figures as JSON to stdout.")
def pool(exports: tuple[Path, ...], out_dir: Path, as_json: bool) -> None:
    """Pool the registry exports of several clinics (docs/registry.md).

    Exports made under other clinical settings or by an incompatible
    version, and a site given twice, are refused; nothing is written then.
    """
    from db.pool_read import read_exports
    from outcomes.pooling import pool as pool_groups

    pooled = read_exports(list(exports))
    groups = pool_groups(pooled.verdicts, pooled.relief)
    from db.files import private_folder
    from reports.pooled_report import (  # imported here: matplotlib is slow to load
        JSON_NAME,
        PDF_NAME,
        pooled_json,
        write_pooled_report,
    )

    folder = private_folder(db.output_folder(out_dir, (PDF_NAME, JSON_NAME)))
    stamp = f"pooled {len(pooled.exports)} registry exports on {date.today().isoformat()}"
    files = write_pooled_report(pooled.exports, groups, folder, stamp)
    if as_json:
        _echo(_json_text(pooled_json(pooled.exports, groups), indent=2))
    else:
        _echo(f"Wrote {', '.join(str(f) for f in files)}.")


# ----- status -------------------------------------------------------------------


def _scale_option(func):
    return click.option(
        "--scale",
        type=ScaleType(),
        default=None,
        help="Scale to judge by (default: the clinic's primary scale); "
        "PHQ-9, phq9 and phq 9 all work.",
    )(func)


@cli.command(short_help="Show one patient's treatment-response status.")
@click.argument("patient_id")
@_scale_option
@click.option(
    "--json", "as_json", is_flag=True, help="Print the status as JSON (interface.md schema)."
)
@click.pass_context
def status(ctx: click.Context, patient_id: str, scale: str | None, as_json: bool) -> None:
    """Show one patient's treatment-response status."""
    from outcomes.followup import next_followup
    from outcomes.status import analyse_patient

    database = _open_existing(ctx, reading=True)
    try:
        patient_id = _patient(database, ctx, patient_id)
        settings = db.load_settings(database)
        data = db.load_clinic(database, patient_id=patient_id)
        details = db.get_patient(database, patient_id)
    finally:
        database.close()
    today = date.today()
    scale_id = scale or settings.primary_scale
    try:
        outcome_scale(scale_id)
    except ValueError as exc:
        raise Refused(f"--scale {scale_id}: {exc}") from None
    record = data.by_patient()[patient_id]
    result = analyse_patient(record, scale_id, settings, today, data.acknowledged)
    if as_json:
        _echo(_json_text(result.as_json(), indent=2))
        return
    _echo(_summary(result, details, next_followup(result, today)))


def _summary(result, details: dict, followup) -> str:
    """The human-readable `outcomes status`: the status card (`outcomes.wording.status_card`),
    as the app's status panel and the patient report print it, then every open alert."""
    from outcomes import wording

    scale = get_scale(result.scale)
    name = f" ({details['name']})" if details.get("name") else ""
    lines = [
        f"{result.patient_id}{name}: {scale.name}"
        + (f", course {result.course.number}" if result.course else "")
    ]
    card = wording.status_card(result, followup)
    width = max(len(line.label) for line in card) + 1
    lines.extend(f"  {line.label + ':':<{width}} {line.text}" for line in card)
    lines.extend(  # under the card's "Safety: 2 alerts not yet acknowledged"
        f"    ! {a.when.iso()} {wording.words(a.kind)}: {a.detail}" for a in result.open_alerts
    )
    return "\n".join(lines)


# ----- settings -----------------------------------------------------------------


def _setting_key(typed: str) -> str:
    """The setting a person meant: case, spaces and '-' ignored; refused with a suggestion if unknown."""
    key = typed.strip().lower().replace("-", "_").replace(" ", "_")
    if key in SPECS_BY_KEY:
        return key
    import difflib

    close = difflib.get_close_matches(key, list(SPECS_BY_KEY), n=3, cutoff=0.6)
    hint = f"did you mean {' or '.join(close)}? " if close else ""
    raise Refused(
        f"unknown setting {typed!r}; {hint}known settings: {', '.join(SPECS_BY_KEY)} "
        "(`outcomes settings` lists them with what they mean)"
    )


def _ask_secret(key: str) -> str:
    """A secret setting typed without being shown: twice on a terminal, else one line of stdin."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = click.prompt(f"New {key} (not shown)", hide_input=True, err=True)
    if click.prompt("The same again", hide_input=True, err=True) != first:
        raise Refused(f"{key}: the two entries differ; nothing was changed")
    return first


@cli.command(short_help="List, read or change the clinic settings.")
@click.argument("key", required=False)
@click.argument("value", required=False)
@click.pass_context
def settings(ctx: click.Context, key: str | None, value: str | None) -> None:
    """List the clinic settings, show one (KEY) or change one (KEY VALUE).

    Example: `outcomes settings primary_scale madrs`. A refused value changes
    nothing; every change is kept in the audit trail. The staff code of a
    kiosk is never shown: `outcomes settings kiosk_staff_code -` asks for it.
    """
    if key is not None:
        key = _setting_key(key)
    if key is not None and value is not None:
        if SPECS_BY_KEY[key].kind == "scale":
            value = scale_id_of(value) or value  # "MADRS" and "phq-9" mean the scale ids
        if SPECS_BY_KEY[key].kind == "secret" and value == "-":
            value = _ask_secret(key)  # kept out of the shell's history and `ps`
        database = _open_existing(ctx)
        try:
            try:
                old = format_value(getattr(db.load_settings(database), key, None))
                new = db.set_setting(database, key, value, db.default_user())
            except SettingError as exc:
                raise Refused(str(exc)) from None
        finally:
            database.close()
        if SPECS_BY_KEY[key].kind == "secret":  # never the code, nor its hash
            _echo(f"{key} {'unset' if new is None else 'set; it is stored as a salted hash'}")
            return
        _echo(f"{key} = {format_value(new)} (was {old})")
        return
    database = _open_existing(ctx)
    try:
        current = db.load_settings(database)
        changed = db.stored_settings(database)
    finally:
        database.close()
    if key is not None:
        _echo(format_value(getattr(current, key)))
        return
    width = max(len(s.key) for s in SETTING_SPECS)
    for spec in SETTING_SPECS:
        mark = "*" if spec.key in changed else " "
        _echo(
            f"{mark} {spec.key:<{width}}  {format_value(getattr(current, spec.key)):<16}  {spec.description}"
        )
    _echo("(* = changed from the default)")


# ----- backup -------------------------------------------------------------------


@cli.command(short_help="Copy the live database to a new file, safely.")
@click.argument("file", type=FILE)
@click.pass_context
def backup(ctx: click.Context, file: Path) -> None:
    """Write a consistent copy of the live database to a new FILE (safe while others work).

    FILE must not exist yet and its folder must; nothing is ever overwritten.
    """
    path = _db_path(ctx)
    copy_database = db.backup

    _open_existing(ctx).close()  # refused when missing; checked and brought up to date
    target = copy_database(path, file)
    encrypted = " (encrypted with the same key)" if db.is_encrypted(target) else ""
    _echo(f"Backed up {path} to {target}{encrypted}.")


# ----- encryption at rest -------------------------------------------------------


def _long_enough(typed: str) -> str:
    """A typed new key, asked again (click re-prompts on this error) while it is too short."""
    try:
        return db.check_new_key(typed, "typed")
    except db.StorageError as exc:
        raise click.UsageError(str(exc).split(";")[0]) from None


def _new_key(key_file: Path | None, option: str, env_var: str) -> str:
    """A new passphrase: from `key_file`, else $`env_var`, else typed twice on a terminal."""
    if key_file is not None:
        key, where = db.read_key_file(key_file.expanduser(), option), f"the key file {key_file}"
    elif os.environ.get(env_var):
        key, where = os.environ[env_var], f"${env_var}"
    elif sys.stdin.isatty() and sys.stderr.isatty():
        key = click.prompt(
            "New key (a passphrase of a few words; without it the clinic cannot be opened)",
            hide_input=True,
            confirmation_prompt="Type the new key again",
            err=True,
            value_proc=_long_enough,
        )
        where = "typed"
    else:
        raise Refused(
            f"no new key given: set ${env_var}, give a key file, or run this on a terminal "
            "to type it; nothing was changed"
        )
    return db.check_new_key(key, where)


@cli.command(short_help="Encrypt the clinic's database file (SQLCipher).")
@click.option(
    "--keep-plain",
    type=FILE,
    default=None,
    metavar="FILE",
    help="Keep the plain original under this new name (by default it is not kept).",
)
@click.pass_context
def encrypt(ctx: click.Context, keep_plain: Path | None) -> None:
    """Encrypt the clinic's database file in place, with the key from --key-file, $OUTCOMES_KEY
    or typed twice.

    A verified encrypted copy is made first (every table's row count and every
    patient's status compared), then it takes the original's place. Close the
    app and any other program using the clinic first.
    """
    _open_existing(ctx).close()  # refused when missing; checked and brought up to date
    path = _db_path(ctx)
    key = _new_key(ctx.obj["key_file"], "--key-file", db.KEY_ENV_VAR)
    db.encrypt(path, key, keep_plain=keep_plain)
    _echo(f"Encrypted {path}. Keep the key safe: without it nobody, you included, can open it.")
    if keep_plain is not None:
        _echo(
            f"warning: the plain original is kept at {keep_plain}; delete it when done.", err=True
        )


@cli.command(short_help="Give the encrypted clinic file a new key.")
@click.option(
    "--new-key-file",
    type=FILE,
    default=None,
    metavar="FILE",
    help="The new key: the first line of this owner-only file (else $OUTCOMES_NEW_KEY, else "
    "typed twice).",
)
@click.pass_context
def rekey(ctx: click.Context, new_key_file: Path | None) -> None:
    """Re-encrypt the clinic's file under a new key (the old one from --key-file, $OUTCOMES_KEY or
    typed); a verified copy first, then the swap."""
    _open_existing(ctx).close()
    path = _db_path(ctx)
    if not db.is_encrypted(path):
        raise Refused(f"{path} is not encrypted; use `outcomes encrypt`; nothing was changed")
    key = _new_key(new_key_file, "--new-key-file", "OUTCOMES_NEW_KEY")
    db.rekey(path, key)
    _echo(f"Gave {path} its new key. Backups made before still open with the old key only.")


@cli.command(short_help="Turn the encrypted clinic file back into a plain one (moving away).")
@click.confirmation_option(
    prompt="This writes every record unencrypted to the clinic's file. Go on?",
    help="Do not ask for confirmation.",
)
@click.pass_context
def decrypt(ctx: click.Context) -> None:
    """Turn the encrypted clinic file back into a plain SQLite file, for moving to another
    program; a verified copy first, then the swap."""
    _open_existing(ctx).close()
    path = _db_path(ctx)
    db.decrypt(path)
    _echo(f"Decrypted {path}: it is a plain SQLite file now, protected only by its permissions.")


@cli.command(short_help="Put a backup in place of the database, keeping the replaced file.")
@click.argument("backup_file", metavar="BACKUP", type=FILE)
@click.pass_context
def restore(ctx: click.Context, backup_file: Path) -> None:
    """Put BACKUP (made by `outcomes backup`) in place of the clinic database.

    Refused while any program (the app, patient mode, a kiosk, an import) has
    the database open. The replaced database is kept beside it as
    NAME.replaced-TIME; its -wal and -shm files go with it, so none of its
    changes is applied to the restored file.
    """
    from db.restore import restore as put_back

    path = _db_path(ctx)
    kept = put_back(backup_file, path)
    _echo(f"Restored {path} from {backup_file}.")
    if kept is not None:
        _echo(f"The replaced database is kept as {kept}.")


# ----- reports ------------------------------------------------------------------


@cli.command(short_help="Per-patient PDF and PNG charts and the cohort report.")
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=FILE,
    metavar="DIR",
    help="Folder for the PDF, PNG and CSV files (created when missing; its parent must exist).",
)
@click.option("--patient", "patient_id", default=None, help="Only this patient's report.")
@_scale_option
@click.option(
    "--jobs", type=click.IntRange(1, 64), default=1, show_default=True, help="Parallel workers."
)
@click.option("--cohort-only", is_flag=True, help="Only the cohort report.")
@click.option("--json", "as_json", is_flag=True, help="Print the cohort summary as JSON to stdout.")
@click.option(
    "--handout",
    is_flag=True,
    help="With --patient: only the patient's one-page, plain-language take-home PDF.",
)
@click.option(
    "--session",
    "session",
    nargs=2,
    default=None,
    metavar="PATIENT DATE",
    help="Only the one-page record of PATIENT's session on DATE (YYYY-MM-DD, or with its time).",
)
@click.pass_context
def report(
    ctx: click.Context,
    out_dir: Path,
    patient_id: str | None,
    scale: str | None,
    jobs: int,
    cohort_only: bool,
    as_json: bool,
    handout: bool,
    session: tuple[str, str] | None,
) -> None:
    """Per-patient PDF and PNG charts and the cohort report (or one session's record)."""
    if session:
        _session_report(ctx, out_dir, *session)
        return
    if handout and (patient_id is None or cohort_only or as_json):
        raise click.UsageError(
            "--handout needs --patient ID (it is one patient's take-home page) "
            "and goes without --cohort-only and --json"
        )
    database = _open_existing(ctx)
    try:
        if patient_id is not None:
            patient_id = _patient(database, ctx, patient_id)
        try:
            db.output_folder(out_dir)
        except db.StorageError as exc:
            raise Refused(f"--out: {exc}") from None
        if handout:
            database.close()
            _write_handout(ctx, out_dir, patient_id, scale)
            return
        result = _run_report(database, out_dir, patient_id, scale, jobs, cohort_only)
    finally:
        database.close()
    for pid, message in result.failures:
        _echo(f"error: the report of {pid} failed: {message}", err=True)
    if as_json:
        _echo(_json_text(result.summary))
    # Otherwise run_report has already printed its summary line on stderr.
    _plain_files_warning(ctx)
    if result.failures:
        ctx.exit(1)


def _run_report(database, out_dir: Path, patient_id, scale, jobs: int, cohort_only: bool):
    """Read what the report needs (`db.report_records`) and hand it to `reports.batch.run_report`.

    The reports never open the database. The whole-clinic and one-patient runs
    are read in full and the database closed before any worker process starts;
    the cohort report alone reads the clinic a chunk at a time while it runs.
    """
    from reports.batch import (  # imported here: matplotlib is slow to load
        ReportError,
        check_request,
        run_report,
    )

    try:
        check_request(jobs=jobs, patient=patient_id, cohort_only=cohort_only)
        records = db.report_records(database, patient=patient_id, cohort_only=cohort_only)
        if not cohort_only:
            database.close()  # every record is read: the workers start with no connection open
        return run_report(
            records,
            out_dir,
            patient=patient_id,
            scale=scale,
            jobs=jobs,
            cohort_only=cohort_only,
            progress=None,
        )
    except ReportError as exc:
        raise Refused(str(exc)) from None


#: What json.dumps(ensure_ascii=False) leaves raw but a terminal obeys: C1 controls
#: (0x9b is CSI), direction controls and line separators.
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069\u2028\u2029]")


def _json_text(value, indent: int | None = None) -> str:
    """JSON for the terminal: every character a terminal would obey written as a JSON escape."""
    text = json.dumps(value, indent=indent, ensure_ascii=False)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _write_handout(ctx: click.Context, out_dir: Path, patient_id: str, scale: str | None) -> None:
    """The patient's take-home page, with patient mode's words, and the next check-in's link."""
    # Textual and matplotlib: loaded only for this.
    from outcomes_app.checkin_link import checkin_print
    from outcomes_app.patient_mode import PatientModeError, load_patient, save_handout

    try:
        view = load_patient(_db_path(ctx), patient_id)
    except PatientModeError as exc:
        raise Refused(str(exc)) from None
    scale_id = scale or (view.default_scale if view.scales else None)
    database = _open_existing(ctx)  # the one write: the next check-in's link (audited)
    checkin = checkin_print(database, patient_id, view.settings, db.default_user(), date.today())
    path = save_handout(view, scale_id, out_dir.expanduser(), date.today(), checkin)
    _echo(f"Wrote the take-home page of {patient_id}: {path}", err=True)


def _rems_missing(item) -> None:
    """Before an esketamine session's record is written: which REMS form fields it lacks, in words."""
    from outcomes.rems_record import missing_fields
    from outcomes.wording.rems import missing_words

    if item.rems_state is None:
        return
    missing = missing_fields(item.summary, item.rems_form)
    if missing:
        _echo(f"warning: {missing_words(missing)}", err=True)


def _session_report(ctx: click.Context, out_dir: Path, patient_id: str, when_text: str) -> None:
    """Write one session's record PDF into `out_dir`."""
    from outcomes.session_record import SessionNotFound
    from outcomes.timepoints import TimeFormatError, parse_timepoint

    try:
        when = parse_timepoint(when_text)
    except TimeFormatError as exc:
        raise Refused(f"--session: {exc}") from None
    database = _open_existing(ctx)
    try:
        patient_id = _patient(database, ctx, patient_id)
        data = db.load_clinic(database, patient_id=patient_id)
        settings = db.load_settings(database)
        name = (db.get_patient(database, patient_id) or {}).get("name")
        from db.rems import forms_of, submissions_of

        forms, submissions = forms_of(database, patient_id), submissions_of(database, patient_id)
    finally:
        database.close()
    try:
        folder = db.output_folder(out_dir)
    except db.StorageError as exc:
        raise Refused(f"--out: {exc}") from None
    from reports.session_record import session_record_input, write_session_record

    try:
        item = session_record_input(
            data.by_patient()[patient_id],
            when,
            settings,
            name=name,
            acknowledged=data.acknowledged,
            rems_forms=forms,
            rems_submissions=submissions,
        )
    except SessionNotFound as exc:
        raise Refused(f"--session: {exc}") from None
    _rems_missing(item)
    folder.mkdir(mode=0o700, exist_ok=True)
    click.echo(f"Wrote {write_session_record(item, folder)}.")


from outcomes_cli.checkin import checkin_group, serve  # noqa: E402 (uses the helpers above)

cli.add_command(checkin_group)
cli.add_command(serve)

from outcomes_cli.rems import rems_group  # noqa: E402 (uses the helpers above)

cli.add_command(rems_group)


def _stop_on_sigterm(signum, frame) -> None:
    raise KeyboardInterrupt  # as Ctrl+C: the write in progress is rolled back, its temporary removed


def main() -> None:
    """The console entry point (`outcomes`, `python -m outcomes`).

    SIGTERM (a service manager stopping the program, `kill`) is handled as SIGINT (issue 21): an
    export stopped so leaves no partial temporary file.
    """
    import signal

    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    cli.main(prog_name="outcomes")


if __name__ == "__main__":
    main()
