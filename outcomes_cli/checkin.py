"""`outcomes serve` and `outcomes checkin link|send|revoke|list`: check-ins from home (issue 25).

The commands issue one-time links (`db.checkins`), print them, email them
through the clinic's SMTP server, and run the check-in pages
(`outcomes_web`). The SMTP password is read from ``$OUTCOMES_SMTP_PASSWORD``
only, never stored. An email holds the greeting, the link and until when it
works: no score, no scale, nothing clinical (`outcomes.checkin.email_body`).
"""

from __future__ import annotations

import os
from datetime import date, datetime, timezone
from pathlib import Path

import click

import db
from outcomes import checkin as words
from outcomes.settings import Settings

#: Where the SMTP password comes from (never a setting, never the command line).
PASSWORD_ENV = "OUTCOMES_SMTP_PASSWORD"


def shell():
    from outcomes_cli import cli

    return cli


def link_url(settings: Settings, token: str) -> str:
    return f"{settings.checkin_base_url.rstrip('/')}/c/{token}"


def code_url(settings: Settings) -> str:
    return f"{settings.checkin_base_url.rstrip('/')}/code"


def _scales(settings: Settings, typed: str | None) -> tuple[str, ...]:
    from outcomes.settings import SettingError, parse_value

    if not typed:
        return settings.self_report_scales
    try:
        return parse_value("self_report_scales", typed)
    except SettingError as exc:
        raise shell().Refused(str(exc).replace("setting self_report_scales", "--scales")) from None


def _until_words(when: datetime) -> str:
    local = when.astimezone()
    return f"{local:%Y-%m-%d %H:%M}"


@click.group(name="checkin", short_help="One-time check-in links: issue, email, revoke.")
def checkin_group() -> None:
    """Check-ins from home: a one-time link per due follow-up (docs/checkins.md)."""


@checkin_group.command(name="link", short_help="Print a one-time check-in link for PATIENT.")
@click.argument("patient_id")
@click.option("--scales", help="Comma-separated scales (default: the setting self_report_scales).")
@click.pass_context
def link(ctx: click.Context, patient_id: str, scales: str | None) -> None:
    """Issue a one-time link for PATIENT's check-in and print it with its short code."""
    cli = shell()
    database = cli._open_existing(ctx)
    pid = cli._patient(database, ctx, patient_id)
    settings = db.load_settings(database)
    chosen = _scales(settings, scales)
    from db.checkins import issue_link

    issued = issue_link(database, pid, chosen, db.default_user(), days=settings.checkin_link_days)
    click.echo(link_url(settings, issued.token))
    cli._echo(
        f"Short code (typed at {code_url(settings)}): {words.code_groups(issued.code)}\n"
        f"Open once, until {_until_words(issued.link.valid_until)} (link {issued.link.id}; "
        f"revoke with `outcomes checkin revoke --link {issued.link.id}`).",
        err=True,
    )


@checkin_group.command(name="revoke", short_help="Withdraw a patient's open check-in links.")
@click.argument("patient_id", required=False)
@click.option("--link", "link_id", type=int, help="Withdraw this one link (its number).")
@click.option("--reason", default="revoked by the clinic", show_default=True)
@click.pass_context
def revoke(ctx: click.Context, patient_id: str | None, link_id: int | None, reason: str) -> None:
    """Withdraw every open link of PATIENT, or one link by its number (--link)."""
    cli = shell()
    if (patient_id is None) == (link_id is None):
        raise cli.Refused("give either a PATIENT or --link NUMBER (one of them)")
    database = cli._open_existing(ctx)
    from db.checkins import open_links, revoke_link

    if link_id is not None:
        targets = [link_id]
    else:
        pid = cli._patient(database, ctx, patient_id)
        targets = [link.id for link in open_links(database) if link.patient_id == pid]
    if not targets:
        cli._echo("No open check-in link to withdraw.")
        return
    for target in targets:
        try:
            revoke_link(database, target, db.default_user(), reason)
        except db.StorageError as exc:
            raise cli.Refused(str(exc)) from None
        cli._echo(f"Withdrew check-in link {target}.")


@checkin_group.command(name="list", short_help="List a patient's check-in links.")
@click.argument("patient_id")
@click.pass_context
def list_links(ctx: click.Context, patient_id: str) -> None:
    """Every link issued for PATIENT: number, scales, until, state."""
    cli = shell()
    database = cli._open_existing(ctx)
    pid = cli._patient(database, ctx, patient_id)
    from db.checkins import patient_links, utc_now

    now = utc_now()
    for item in patient_links(database, pid):
        cli._echo(
            f"{item.id:>5}  {','.join(item.scales):<10} until {_until_words(item.valid_until)}"
            f"  {item.state(now).replace('_', ' ')}"
        )


@checkin_group.command(name="send", short_help="Email links to patients whose check-in is due.")
@click.option("--due", is_flag=True, required=True, help="Every patient due a check-in.")
@click.pass_context
def send(ctx: click.Context, due: bool) -> None:
    """Email a one-time link to every patient due a check-in who has an email address."""
    cli = shell()
    database = cli._open_existing(ctx)
    settings = db.load_settings(database)
    if not settings.smtp_host or not settings.smtp_sender:
        raise cli.Refused(
            "no mail server is set: set smtp_host and smtp_sender first "
            "(`outcomes settings smtp_host mail.example.org`); the password comes from "
            f"${PASSWORD_ENV}"
        )
    from db.checkins import expire_links

    expire_links(database)
    plans = due_invitations(database, settings, datetime.now(timezone.utc), date.today())
    if not plans:
        cli._echo("No patient with an email address is due a check-in.")
        return
    sent = 0
    with _smtp(settings) as server:
        for pid, name, address, action in plans:
            _send_one(database, server, settings, pid, name, address, action)
            sent += 1
            cli._echo(f"{'Reminded' if action == words.REMIND else 'Invited'} {pid}.")
    cli._echo(f"Sent {sent} check-in email{'s' if sent != 1 else ''}.")


def due_invitations(database, settings: Settings, now: datetime, today: date) -> list[tuple]:
    """(patient, name, address, action) for each patient to email now."""
    from db.checkins import patient_links, patients_with_email
    from outcomes.followup import next_followup
    from outcomes.status import analyse_patient

    addressed = patients_with_email(database)
    out = []
    for pid, (name, address) in sorted(addressed.items()):
        mine = db.load_patient(database, pid)
        status = analyse_patient(mine.data, settings.primary_scale, settings, today)
        follow = next_followup(status, today)
        if follow is None:
            continue
        since = datetime.combine(follow.due_on, datetime.min.time()).astimezone(timezone.utc)
        emailed = [
            x for x in patient_links(database, pid) if x.emailed_at and x.emailed_at >= since
        ]
        still_open = [x for x in emailed if x.state(now) == words.OPEN]
        action = words.invitation_action(
            follow.state,
            len(emailed),
            still_open[0].emailed_at if still_open else None,
            now,
            settings.checkin_reminder_days,
        )
        if action:
            out.append((pid, name, address, action))
    return out


def _send_one(database, server, settings, pid, name, address, action) -> None:
    from db.checkins import issue_link, open_links, revoke_link

    if action == words.REMIND:  # the old link's secret is not kept: a fresh one replaces it
        for old in open_links(database):
            if old.patient_id == pid and old.emailed_at is not None:
                revoke_link(database, old.id, "check-in reminders", "replaced by a reminder")
    issued = issue_link(
        database,
        pid,
        settings.self_report_scales,
        "check-in emails",
        days=settings.checkin_link_days,
    )
    subject = words.EMAIL_REMINDER_SUBJECT if action == words.REMIND else words.EMAIL_SUBJECT
    from email.message import (
        EmailMessage,
    )  # here: every other command starts without the mail modules

    message = EmailMessage()
    message["Subject"] = subject.format(clinic=settings.clinic_name)
    message["From"] = settings.smtp_sender
    message["To"] = address
    message.set_content(
        words.email_body(
            settings.clinic_name, name, link_url(settings, issued.token), issued.link.valid_until
        )
    )
    server.send_message(message)
    from db.checkins import mark_emailed

    mark_emailed(
        database, issued.link.id, f"{action}: emailed to the patient's address", "check-in emails"
    )


class _smtp:
    """The clinic's mail server, with STARTTLS (verified) and a login where a user is set."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def __enter__(self):
        import smtplib  # here: every other command starts without the mail modules
        import ssl

        s = self.settings
        try:
            self.server = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=30)
            if s.smtp_starttls:
                self.server.starttls(context=ssl.create_default_context())
            if s.smtp_user:
                password = os.environ.get(PASSWORD_ENV)
                if not password:
                    raise shell().Refused(
                        f"smtp_user is set but ${PASSWORD_ENV} is empty: set the mail password "
                        "in that environment variable (it is never stored)"
                    )
                self.server.login(s.smtp_user, password)
        except (OSError, smtplib.SMTPException) as exc:
            raise shell().Refused(
                f"the mail server {s.smtp_host}:{s.smtp_port} could not be used "
                f"({type(exc).__name__}: {exc}); no email was sent"
            ) from None
        return self.server

    def __exit__(self, *exc) -> None:
        import smtplib

        try:
            self.server.quit()
        except (OSError, smtplib.SMTPException):
            pass


@click.command(short_help="Run the check-in web pages (127.0.0.1:8000 by default).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--certfile", type=click.Path(path_type=Path), help="TLS certificate (PEM).")
@click.option("--keyfile", type=click.Path(path_type=Path), help="TLS private key (PEM).")
@click.pass_context
def serve(ctx, host: str, port: int, certfile: Path | None, keyfile: Path | None) -> None:
    """Serve the check-in pages patients open from their links (docs/checkins.md)."""
    cli = shell()
    if (certfile is None) != (keyfile is None):
        raise cli.Refused("--certfile and --keyfile go together: give both for HTTPS, or neither")
    for path in (certfile, keyfile):
        if path is not None and not path.is_file():
            raise cli.Refused(f"{path}: no such file")
    database = cli._open_existing(ctx)  # refuses a missing file, migrates an older one
    settings = db.load_settings(database)
    database.conn.close()
    from outcomes_web.serve import run

    cli._echo(
        f"Check-in pages of {cli._db_path(ctx)} on "
        f"{'https' if certfile else 'http'}://{host}:{port}/ (links start with "
        f"{settings.checkin_base_url}); Ctrl-C stops.",
        err=True,
    )
    run(
        cli._db_path(ctx),
        host=host,
        port=port,
        certfile=str(certfile) if certfile else None,
        keyfile=str(keyfile) if keyfile else None,
    )
