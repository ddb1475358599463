"""`outcomes rems [--due] [--json]` and `outcomes rems submitted`: the REMS monitoring forms (issue 26).

Each esketamine session's Patient Monitoring Form is due within 7 days of the
session (`outcomes.rems`). The command lists every form with its state, or
with `--due` those not yet submitted (overdue first); `--as-of DATE` judges
the deadlines on another clinic date (what will be overdue by Friday).
`outcomes rems submitted PATIENT SESSION` records that the form was sent,
audited. docs/rems.md describes both.
"""

from __future__ import annotations

import json
from datetime import date

import click

import db


def shell():
    from outcomes_cli import cli

    return cli


def _clinic_date(text: str | None, option: str) -> date:
    from outcomes.rems import clinic_today

    if text is None:
        return clinic_today()
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise shell().Refused(f"{option} {text!r} is not a date (YYYY-MM-DD)") from None


@click.group(
    name="rems",
    invoke_without_command=True,
    short_help="Spravato REMS monitoring forms: due, overdue, submitted.",
)
@click.option("--due", is_flag=True, help="Only the forms not yet submitted (overdue first).")
@click.option("--json", "as_json", is_flag=True, help="Print the list as JSON (docs/rems.md).")
@click.option(
    "--as-of", "as_of", metavar="DATE", help="Judge deadlines on this clinic date (default today)."
)
@click.pass_context
def rems_group(ctx: click.Context, due: bool, as_json: bool, as_of: str | None) -> None:
    """List each esketamine session's REMS Patient Monitoring Form: due within 7 days of the
    session, overdue after, or submitted (docs/rems.md)."""
    if ctx.invoked_subcommand is not None:
        return
    from outcomes.rems import form_list, list_json
    from outcomes.wording.rems import counts_words, state_words

    cli = shell()
    today = _clinic_date(as_of, "--as-of")
    database = cli._open_existing(ctx)
    try:
        from db.rems import esketamine_sessions, submissions_of

        rows = form_list(
            esketamine_sessions(database), submissions_of(database), today, due_only=due
        )
    finally:
        database.close()
    if as_json:
        cli._echo(json.dumps(list_json(rows, today), indent=2, ensure_ascii=False))
        return
    cli._echo(
        f"REMS monitoring forms as of {today.isoformat()}: {counts_words([r.state for r in rows])}"
    )
    for r in rows:
        cli._echo(
            f"{r.patient_id}  session {r.session_at.replace('T', ' ')}  {state_words(r.state, today)}"
        )


@rems_group.command(name="submitted", short_help="Mark a session's REMS form submitted.")
@click.argument("patient_id")
@click.argument("session")
@click.option("--on", "on", metavar="DATE", help="The clinic date it was sent (default today).")
@click.option("--by", "by", help="Who sent it (default $OUTCOMES_USER, else the OS user).")
@click.pass_context
def submitted(ctx: click.Context, patient_id: str, session: str, on: str | None, by: str | None):
    """Record that PATIENT's REMS form for the session at SESSION (its date and time, as
    recorded; a date alone when it is the day's only session) was submitted; audited."""
    from outcomes.rems import clinic_today
    from outcomes.session_record import SessionNotFound, locate_session
    from outcomes.timepoints import TimeFormatError, parse_timepoint
    from outcomes.typed_text import text_problem

    cli = shell()
    who = (by or "").strip() or db.default_user()
    problem = text_problem(who, "--by")
    if problem:
        raise cli.Refused(problem)
    try:
        when = parse_timepoint(session)
    except TimeFormatError as exc:
        raise cli.Refused(f"SESSION: {exc}") from None
    day, today = _clinic_date(on, "--on"), clinic_today()
    database = cli._open_existing(ctx)
    try:
        pid = cli._patient(database, ctx, patient_id)
        data = db.load_clinic(database, patient_id=pid).by_patient()[pid]
        try:
            inf, _, _ = locate_session(data, when, db.load_settings(database))
        except SessionNotFound as exc:
            raise cli.Refused(f"SESSION: {exc}") from None
        from db.rems import mark_submitted

        try:
            mark_submitted(database, pid, inf.when.iso(), day, who, today)
        except db.StorageError as exc:
            raise cli.Refused(str(exc)) from None
    finally:
        database.close()
    cli._echo(
        f"Marked the REMS form of {pid}'s session at {inf.when.iso().replace('T', ' ')} "
        f"submitted on {day.isoformat()} by {who}."
    )
