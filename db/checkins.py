"""Check-in links: issue, find, use, expire and revoke, each with its audit row.

The audit table's actions are a closed list (migration 0001's CHECK): issuing
is a ``create`` row, and using, expiring, revoking and emailing are
``update`` rows whose new value names the event (``{"event": "use", ...}``).

A link is one row of `checkin_links` holding the SHA-256 digests of its two
secrets (the URL's token and the printed short code, `outcomes.checkin`),
never the secrets themselves. `issue_link` returns the secrets once, to be
printed, emailed or shown; afterwards nobody, not even this program, can
tell them again. Using a link (`submit_checkin`) stores the patient's scores
and spends the link in one transaction, so a link can never bring two sets
of answers, and a spent link is never reopened (a trigger of migration
0007). Times are UTC ISO text, as in the other bookkeeping columns.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from db import audit
from db.connection import NotFound, StorageError, write_transaction
from db.writes import add_assessment
from outcomes import checkin as rules
from outcomes.scales import SELF_REPORT_SCALE_IDS

if TYPE_CHECKING:  # annotations only: loaded where a connection is made (db.connection)
    import sqlite_utils

TABLE = "checkin_links"
_COLUMNS = (
    "id, patient_id, scales, valid_from, valid_until, issued_at, emailed_at, spent_at,"
    " expired_at, revoked_at"
)


def utc_now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


def _iso(when: datetime) -> str:
    return when.astimezone(timezone.utc).isoformat(timespec="seconds")


def _when(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


@dataclass(frozen=True)
class Link:
    """One stored link (its secrets are not in it: they are never stored)."""

    id: int
    patient_id: str
    scales: tuple[str, ...]
    valid_from: datetime
    valid_until: datetime
    issued_at: datetime
    emailed_at: datetime | None
    spent_at: datetime | None
    expired_at: datetime | None
    revoked_at: datetime | None

    @property
    def times(self) -> rules.LinkTimes:
        return rules.LinkTimes(self.valid_from, self.valid_until, self.spent_at, self.revoked_at)

    def state(self, now: datetime) -> str:
        return rules.link_state(self.times, now)


@dataclass(frozen=True)
class Issued:
    """A new link and its two secrets, for the one moment they are known."""

    link: Link
    token: str
    code: str


def _link(row: Sequence[Any]) -> Link:
    return Link(
        id=row[0],
        patient_id=row[1],
        scales=tuple(row[2].split(",")),
        valid_from=_when(row[3]),
        valid_until=_when(row[4]),
        issued_at=_when(row[5]),
        emailed_at=_when(row[6]),
        spent_at=_when(row[7]),
        expired_at=_when(row[8]),
        revoked_at=_when(row[9]),
    )


def _check_scales(scales: Sequence[str]) -> tuple[str, ...]:
    chosen = tuple(dict.fromkeys(scales))
    bad = [s for s in chosen if s not in SELF_REPORT_SCALE_IDS]
    if not chosen or bad:
        raise StorageError(
            f"a check-in may ask only the scales a patient fills in alone "
            f"({', '.join(SELF_REPORT_SCALE_IDS)}); got {', '.join(chosen) or 'none'}"
        )
    return chosen


def issue_link(
    database: sqlite_utils.Database,
    patient_id: str,
    scales: Sequence[str],
    who: str,
    *,
    days: int,
    valid_from: datetime | None = None,
) -> Issued:
    """Issue a one-time link for one patient and scales, open `days` days from `valid_from`."""
    chosen = _check_scales(scales)
    if days < 1:
        raise StorageError(f"a check-in link must stay open at least one day (got {days})")
    start = (valid_from or utc_now()).astimezone(timezone.utc).replace(microsecond=0)
    until = start + timedelta(days=days)
    token, code = rules.new_token(), rules.new_code()
    now = utc_now()
    with write_transaction(database):
        if not database.conn.execute(
            "SELECT 1 FROM patients WHERE patient_id = ?", (patient_id,)
        ).fetchone():
            raise NotFound(f"patient {patient_id!r} is not known")
        cursor = database.conn.execute(
            f"INSERT INTO {TABLE} (token_hash, code_hash, patient_id, scales, valid_from,"
            " valid_until, issued_at, issued_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                rules.secret_digest(token),
                rules.secret_digest(code),
                patient_id,
                ",".join(chosen),
                _iso(start),
                _iso(until),
                _iso(now),
                who,
            ),
        )
        link_id = cursor.lastrowid
        audit.record(
            database,
            TABLE,
            link_id,
            "create",
            new={
                "event": "issue",
                "patient_id": patient_id,
                "scales": list(chosen),
                "valid_until": _iso(until),
            },
            reason="a one-time check-in link was issued",
            who=who,
        )
    return Issued(get_link(database, link_id), token, code)


def get_link(database: sqlite_utils.Database, link_id: int) -> Link:
    row = database.conn.execute(
        f"SELECT {_COLUMNS} FROM {TABLE} WHERE id = ?", (link_id,)
    ).fetchone()
    if row is None:
        raise NotFound(f"check-in link {link_id} is not known")
    return _link(row)


def find_link(
    database: sqlite_utils.Database, *, token: str | None = None, code: str | None = None
) -> Link | None:
    """The link a token (from a URL) or a normalised short code opens, or None. Reads only."""
    if token is not None:
        column, secret = "token_hash", token
    elif code is not None:
        column, secret = "code_hash", code
    else:
        return None
    row = database.conn.execute(
        f"SELECT {_COLUMNS} FROM {TABLE} WHERE {column} = ?", (rules.secret_digest(secret),)
    ).fetchone()
    return None if row is None else _link(row)


def patient_links(database: sqlite_utils.Database, patient_id: str) -> list[Link]:
    """Every link issued for one patient, newest first."""
    rows = database.conn.execute(
        f"SELECT {_COLUMNS} FROM {TABLE} WHERE patient_id = ? ORDER BY issued_at DESC, id DESC",
        (patient_id,),
    )
    return [_link(r) for r in rows]


def open_links(database: sqlite_utils.Database, now: datetime | None = None) -> list[Link]:
    """Links not spent, revoked or past their end (issued for a later day included)."""
    rows = database.conn.execute(
        f"SELECT {_COLUMNS} FROM {TABLE} WHERE spent_at IS NULL AND revoked_at IS NULL"
        " AND valid_until > ? ORDER BY patient_id, id",
        (_iso(now or utc_now()),),
    )
    return [_link(r) for r in rows]


def submit_checkin(
    database: sqlite_utils.Database,
    link_id: int,
    checked: Sequence[Mapping[str, Any]],
    *,
    now: datetime | None = None,
) -> list[int]:
    """Store a check-in's scores and spend its link, together or not at all; returns the ids.

    Raises:
        StorageError: the link is no longer open (spent, expired, revoked, not
            yet open), or a score is not for the link's patient and scales.
    """
    now = now or utc_now()
    with write_transaction(database):
        link = get_link(database, link_id)  # read inside the lock: a second send sees it spent
        state = link.state(now)
        if state != rules.OPEN:
            raise StorageError(f"the check-in link is {state.replace('_', ' ')}")
        if not checked or any(
            v.get("patient_id") != link.patient_id or v.get("scale") not in link.scales
            for v in checked
        ):
            raise StorageError("a check-in may hold only its own patient's scores of its scales")
        ids = [
            add_assessment(database, values, rules.WEB_WHO, reason=rules.AUDIT_REASON)
            for values in checked
        ]
        database.conn.execute(f"UPDATE {TABLE} SET spent_at = ? WHERE id = ?", (_iso(now), link_id))
        audit.record(
            database,
            TABLE,
            link_id,
            "update",
            new={"event": "use", "patient_id": link.patient_id, "assessments": ids},
            reason="web check-in sent; the link is spent",
            who=rules.WEB_WHO,
        )
    return ids


def revoke_link(database: sqlite_utils.Database, link_id: int, who: str, reason: str) -> Link:
    """Withdraw a link that is still open (a spent or revoked one is refused)."""
    reason = (reason or "").strip() or "revoked by the clinic"
    now = utc_now()
    with write_transaction(database):
        link = get_link(database, link_id)
        if link.spent_at is not None or link.revoked_at is not None:
            raise StorageError(
                f"check-in link {link_id} is already {'spent' if link.spent_at else 'revoked'}"
            )
        database.conn.execute(
            f"UPDATE {TABLE} SET revoked_at = ?, revoked_by = ?, revoke_reason = ? WHERE id = ?",
            (_iso(now), who, reason, link_id),
        )
        audit.record(
            database,
            TABLE,
            link_id,
            "update",
            new={"event": "revoke", "patient_id": link.patient_id},
            reason=reason,
            who=who,
        )
    return get_link(database, link_id)


def expire_links(database: sqlite_utils.Database, now: datetime | None = None) -> int:
    """Record the expiry of every link past its end and never used: once, with an audit row each.

    Returns how many expired now. Nothing is written when none did.
    """
    now_text = _iso(now or utc_now())
    due = "spent_at IS NULL AND revoked_at IS NULL AND expired_at IS NULL AND valid_until <= ?"
    if not database.conn.execute(f"SELECT 1 FROM {TABLE} WHERE {due}", (now_text,)).fetchone():
        return 0
    with write_transaction(database):
        rows = database.conn.execute(
            f"SELECT id, patient_id FROM {TABLE} WHERE {due}", (now_text,)
        ).fetchall()
        for link_id, patient_id in rows:
            database.conn.execute(
                f"UPDATE {TABLE} SET expired_at = ? WHERE id = ?", (now_text, link_id)
            )
            audit.record(
                database,
                TABLE,
                link_id,
                "update",
                new={"event": "expire", "patient_id": patient_id},
                reason="the check-in link's time ran out unused",
                who="check-in links",
            )
    return len(rows)


def mark_emailed(
    database: sqlite_utils.Database, link_id: int, address_note: str, who: str
) -> None:
    """Note that a link was emailed (the address is not repeated in the audit row)."""
    with write_transaction(database):
        database.conn.execute(
            f"UPDATE {TABLE} SET emailed_at = ? WHERE id = ?", (_iso(utc_now()), link_id)
        )
        audit.record(
            database, TABLE, link_id, "update", new={"event": "email"}, reason=address_note, who=who
        )


def patients_with_email(database: sqlite_utils.Database) -> dict[str, tuple[str | None, str]]:
    """Patient id -> (name, email) for every patient with an email address."""
    rows = database.conn.execute(
        "SELECT patient_id, name, email FROM patient_details WHERE superseded_at IS NULL"
        " AND retracted_at IS NULL AND email IS NOT NULL"
    )
    return {r[0]: (r[1], r[2]) for r in rows}


def patient_first_details(database: sqlite_utils.Database, patient_id: str) -> str | None:
    """The patient's stored name (the page greets by its first word only)."""
    row = database.conn.execute(
        "SELECT name FROM patient_details WHERE patient_id = ? AND superseded_at IS NULL"
        " AND retracted_at IS NULL",
        (patient_id,),
    ).fetchone()
    return row[0] if row else None


def issue_for_next_checkin(
    database: sqlite_utils.Database, patient_id: str, settings, who: str, today
) -> Issued | None:
    """A link for the patient's next scheduled follow-up, open from its day (the take-home page).

    None when no follow-up is scheduled (the induction is not complete, or
    every follow-up is done): the page then carries no link.
    """
    from db.reads import load_patient
    from outcomes.followup import next_followup
    from outcomes.status import analyse_patient

    mine = load_patient(database, patient_id)
    status = analyse_patient(mine.data, settings.primary_scale, settings, today)
    follow = next_followup(status, today)
    if follow is None:
        return None
    opens = datetime.combine(follow.due_on, datetime.min.time()).astimezone(timezone.utc)
    return issue_link(
        database,
        patient_id,
        settings.self_report_scales,
        who,
        days=settings.checkin_link_days,
        valid_from=max(opens, utc_now()),
    )
