"""The schema, as numbered migrations applied when a database is opened.

Migrations only ever add: a database made by any earlier release opens and
upgrades without loss (tests/test_db_migrations.py builds one with the first
migration alone and upgrades it). Never edit a migration that has shipped;
add the next one.

CHECK constraints are the last guard behind `outcomes.validation`; their
numbers are generated from `outcomes.scales` and `outcomes.validation`, so a
range is written once. Triggers refuse any in-place change of a clinical
value and any DELETE: a correction inserts a new version and marks the old
one superseded, a removal marks the row retracted (db/writes.py).
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

from db.clock import now_iso
from db.errors import StorageError
from db.lock_wait import BUSY_TIMEOUT_S, begin_immediate
from db.schema_version import MIGRATION_NAMES, MIGRATION_SET, applied_migrations
from db.sqlite_utils_import import sqlite_utils as sqlite_utils_module
from outcomes import rems
from outcomes import validation as v
from outcomes.drugs import DRUGS, ESKETAMINE, ESKETAMINE_DOSES_MG, KETAMINE
from outcomes.readings import READING_RANGES
from outcomes.records import ROUTES
from outcomes.scales import SCALES

if TYPE_CHECKING:  # annotations only
    import sqlite_utils

MIGRATIONS = sqlite_utils_module().Migrations(MIGRATION_SET)

#: Columns holding clinical values, per versioned table: never updated in place.
CLINICAL_COLUMNS = {
    "patient_details": ("patient_id", "name", "birth_date", "weight_kg", "notes"),
    "infusions": (
        "patient_id",
        "course",
        "given_at",
        "dose_mg_per_kg",
        "dose_confirmed",
        "route",
        "duration_min",
        "weight_kg",
        "bp_systolic_pre",
        "bp_diastolic_pre",
        "bp_systolic_post",
        "bp_diastolic_post",
        "heart_rate_pre",
        "heart_rate_post",
        "side_effects",
        "notes",
    ),
    "assessments": (
        "patient_id",
        "taken_at",
        "scale",
        "items",
        "total",
        "total_only",
        "rater",
        "notes",
        "infusion_id",
    ),
}


def _quoted(values) -> str:
    return ", ".join("'" + str(x).replace("'", "''") + "'" for x in values)


def _range(column: str, bounds: tuple[float, float]) -> str:
    low, high = bounds
    return f"CHECK ({column} IS NULL OR {column} BETWEEN {low!r} AND {high!r})"


def _when_sql(column: str) -> str:
    # The stored forms of outcomes.timepoints: YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS].
    day = "[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]"
    return (
        f"CHECK ({column} GLOB '{day}' OR {column} GLOB '{day}T[0-2][0-9]:[0-5][0-9]'"
        f" OR {column} GLOB '{day}T[0-2][0-9]:[0-5][0-9]:[0-5][0-9]')"
    )


def _per_scale(expression) -> str:
    cases = " ".join(f"WHEN '{s.id}' THEN {expression(s)}" for s in SCALES.values())
    return f"CASE scale {cases} END"


_BOOKKEEPING = """
    recorded_at TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    supersedes INTEGER REFERENCES {table}(id),
    change_reason TEXT,
    superseded_at TEXT,
    superseded_by INTEGER REFERENCES {table}(id),
    retracted_at TEXT,
    retracted_by TEXT,
    retract_reason TEXT,
    CHECK ((supersedes IS NULL) = (change_reason IS NULL)),
    CHECK ((retracted_at IS NULL) = (retract_reason IS NULL))
"""


def _guard_triggers(table: str, clinical: dict | None = None) -> list[str]:
    columns = ", ".join((clinical or CLINICAL_COLUMNS)[table])
    return [
        f"""CREATE TRIGGER {table}_never_edited BEFORE UPDATE OF {columns} ON {table}
            BEGIN SELECT RAISE(ABORT, 'clinical values are never changed in place; record a correction'); END""",
        f"""CREATE TRIGGER {table}_never_deleted BEFORE DELETE ON {table}
            BEGIN SELECT RAISE(ABORT, 'clinical records are never deleted; retract them with a reason'); END""",
    ]


def _session_columns(indent: int) -> str:
    """The route, duration, weight, vital-sign and text columns of an infusion.

    Migrations 1 and 3 both create them; one definition keeps the two
    identical (the indent keeps each migration's stored SQL text as it was).
    """
    lines = [
        f"route TEXT CHECK (route IS NULL OR route IN ({_quoted(ROUTES)})),",
        f"duration_min REAL {_range('duration_min', v.DURATION_RANGE_MIN)},",
        f"weight_kg REAL {_range('weight_kg', v.WEIGHT_RANGE_KG)},",
        *(
            f"{column} INTEGER {_range(column, bounds)},"
            for column, bounds in (
                ("bp_systolic_pre", v.SYSTOLIC_RANGE),
                ("bp_diastolic_pre", v.DIASTOLIC_RANGE),
                ("bp_systolic_post", v.SYSTOLIC_RANGE),
                ("bp_diastolic_post", v.DIASTOLIC_RANGE),
                ("heart_rate_pre", v.HEART_RATE_RANGE),
                ("heart_rate_post", v.HEART_RATE_RANGE),
            )
        ),
        "side_effects TEXT,",
        "notes TEXT,",
    ]
    return ("\n" + " " * indent).join(lines)


def schema_v1() -> list[str]:
    """The statements of the first migration (kept as shipped)."""
    n_items = _per_scale(lambda s: s.n_items)
    total_max = _per_scale(lambda s: s.total_max)
    statements = [
        f"""CREATE TABLE patients (
            patient_id TEXT PRIMARY KEY CHECK (length(patient_id) BETWEEN 1 AND {v.PATIENT_ID_MAX}),
            created_at TEXT NOT NULL,
            created_by TEXT NOT NULL
        ) STRICT""",
        f"""CREATE TABLE patient_details (
            id INTEGER PRIMARY KEY,
            patient_id TEXT NOT NULL REFERENCES patients(patient_id),
            name TEXT,
            birth_date TEXT CHECK (birth_date IS NULL OR birth_date GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'),
            weight_kg REAL {_range("weight_kg", v.WEIGHT_RANGE_KG)},
            notes TEXT,
            {_BOOKKEEPING.format(table="patient_details")}
        ) STRICT""",
        """CREATE UNIQUE INDEX patient_details_current ON patient_details(patient_id)
            WHERE superseded_at IS NULL AND retracted_at IS NULL""",
        f"""CREATE TABLE courses (
            patient_id TEXT NOT NULL REFERENCES patients(patient_id),
            course INTEGER NOT NULL CHECK (course >= 1),
            started_at TEXT NOT NULL {_when_sql("started_at")},
            notes TEXT,
            recorded_at TEXT NOT NULL,
            recorded_by TEXT NOT NULL,
            PRIMARY KEY (patient_id, course)
        ) STRICT""",
        f"""CREATE TABLE infusions (
            id INTEGER PRIMARY KEY,
            patient_id TEXT NOT NULL REFERENCES patients(patient_id),
            course INTEGER NOT NULL CHECK (course >= 1),
            given_at TEXT NOT NULL {_when_sql("given_at")},
            dose_mg_per_kg REAL NOT NULL CHECK (dose_mg_per_kg > {v.DOSE_REFUSE_AT_OR_BELOW!r}
                AND dose_mg_per_kg <= {v.DOSE_REFUSE_ABOVE!r}),
            dose_confirmed INTEGER NOT NULL DEFAULT 0 CHECK (dose_confirmed IN (0, 1)
                AND (dose_confirmed = 1 OR dose_mg_per_kg BETWEEN {v.DOSE_USUAL_MIN!r} AND {v.DOSE_USUAL_MAX!r})),
            {_session_columns(indent=12)}
            {_BOOKKEEPING.format(table="infusions")}
        ) STRICT""",
        f"""CREATE TABLE assessments (
            id INTEGER PRIMARY KEY,
            patient_id TEXT NOT NULL REFERENCES patients(patient_id),
            taken_at TEXT NOT NULL {_when_sql("taken_at")},
            scale TEXT NOT NULL CHECK (scale IN ({_quoted(SCALES)})),
            items TEXT CHECK (items IS NULL OR (items NOT GLOB '*[^0-9 ]*'
                AND length(items) - length(replace(items, ' ', '')) + 1 = {n_items})),
            total INTEGER NOT NULL CHECK (total >= 0 AND total <= {total_max}),
            total_only INTEGER NOT NULL CHECK (total_only = (items IS NULL)),
            rater TEXT,
            notes TEXT,
            infusion_id INTEGER REFERENCES infusions(id),
            {_BOOKKEEPING.format(table="assessments")}
        ) STRICT""",
        """CREATE TABLE alert_acknowledgements (
            id INTEGER PRIMARY KEY,
            patient_id TEXT NOT NULL REFERENCES patients(patient_id),
            alert_key TEXT NOT NULL CHECK (length(alert_key) > 0),
            who TEXT NOT NULL,
            at TEXT NOT NULL,
            note TEXT
        ) STRICT""",
        """CREATE TABLE settings (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL,
            changed_at TEXT NOT NULL,
            changed_by TEXT NOT NULL
        ) STRICT""",
        """CREATE TABLE audit (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            who TEXT NOT NULL,
            table_name TEXT NOT NULL,
            record_id TEXT,
            action TEXT NOT NULL CHECK (action IN
                ('create', 'correct', 'retract', 'update', 'acknowledge', 'import', 'setting')),
            old_value TEXT CHECK (old_value IS NULL OR json_valid(old_value)),
            new_value TEXT CHECK (new_value IS NULL OR json_valid(new_value)),
            reason TEXT
        ) STRICT""",
        """CREATE TABLE meta (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        ) STRICT""",
        """CREATE TRIGGER audit_never_edited BEFORE UPDATE ON audit
            BEGIN SELECT RAISE(ABORT, 'the audit trail is never changed'); END""",
        """CREATE TRIGGER audit_never_deleted BEFORE DELETE ON audit
            BEGIN SELECT RAISE(ABORT, 'the audit trail is never changed'); END""",
        """CREATE TRIGGER acknowledgements_never_deleted BEFORE DELETE ON alert_acknowledgements
            BEGIN SELECT RAISE(ABORT, 'acknowledgements are kept'); END""",
    ]
    for table in CLINICAL_COLUMNS:
        statements.extend(_guard_triggers(table))
    return statements


@MIGRATIONS(name=MIGRATION_NAMES[0])  # 0001_initial_schema
def m0001_initial_schema(database: sqlite_utils.Database) -> None:
    for statement in schema_v1():
        database.execute(statement)


@MIGRATIONS(name=MIGRATION_NAMES[1])  # 0002_imports_and_indexes
def m0002_imports_and_indexes(database: sqlite_utils.Database) -> None:
    # An import is one audited event; rows keep the import they came from, so
    # the audit trail can say which file a record arrived in without one audit
    # row per imported row (which would double the cost of a bulk import).
    database.execute("""CREATE TABLE imports (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('patients', 'infusions', 'assessments')),
        source TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        rows_added INTEGER NOT NULL CHECK (rows_added >= 0),
        rows_skipped INTEGER NOT NULL CHECK (rows_skipped >= 0),
        at TEXT NOT NULL,
        who TEXT NOT NULL
    ) STRICT""")
    for table in ("patient_details", "infusions", "assessments"):
        database.execute(f"ALTER TABLE {table} ADD COLUMN import_id INTEGER REFERENCES imports(id)")
    database.execute("CREATE INDEX infusions_by_patient ON infusions(patient_id, given_at)")
    database.execute("CREATE INDEX assessments_by_patient ON assessments(patient_id, taken_at)")
    database.execute("CREATE INDEX audit_by_record ON audit(table_name, record_id)")
    database.execute(
        "CREATE INDEX acknowledgements_by_patient ON alert_acknowledgements(patient_id)"
    )


# ----- 0003: the treatment session (clinical-spec section 11) -------------

#: Columns of the infusions table from migration 0003 on (clinical values only).
CLINICAL_COLUMNS_V3 = {
    **CLINICAL_COLUMNS,
    "infusions": CLINICAL_COLUMNS["infusions"]
    + ("drug", "dose_mg", "ended_at", "ready_to_leave_at", "accompanied"),
    "readings": (
        "patient_id",
        "session_at",
        "taken_at",
        "bp_systolic",
        "bp_diastolic",
        "heart_rate",
        "spo2",
        "respiratory_rate",
        "sedation_moaas",
        "notes",
    ),
}


def _nullable_when(column: str) -> str:
    return _when_sql(column).replace("CHECK (", f"CHECK ({column} IS NULL OR ", 1)


def _infusions_v3() -> str:
    # As migrations 1-2 made it (same column order; SQLite lets column
    # definitions and table CHECKs mix), plus the session's drug, end and
    # discharge; the dose in mg/kg is now required for ketamine only.
    # Columns must precede table constraints, so the bookkeeping is split.
    lines = [line.strip() for line in _BOOKKEEPING.format(table="infusions").strip().splitlines()]
    columns = "\n        ".join(line for line in lines if not line.startswith("CHECK")).rstrip(",")
    checks = "\n        ".join(line for line in lines if line.startswith("CHECK")).rstrip(",")
    return f"""CREATE TABLE infusions_v3 (
        id INTEGER PRIMARY KEY,
        patient_id TEXT NOT NULL REFERENCES patients(patient_id),
        course INTEGER NOT NULL CHECK (course >= 1),
        given_at TEXT NOT NULL {_when_sql("given_at")},
        dose_mg_per_kg REAL CHECK (dose_mg_per_kg IS NULL OR (dose_mg_per_kg > {v.DOSE_REFUSE_AT_OR_BELOW!r}
            AND dose_mg_per_kg <= {v.DOSE_REFUSE_ABOVE!r})),
        dose_confirmed INTEGER NOT NULL DEFAULT 0 CHECK (dose_confirmed IN (0, 1)
            AND (dose_confirmed = 1 OR dose_mg_per_kg IS NULL
                 OR dose_mg_per_kg BETWEEN {v.DOSE_USUAL_MIN!r} AND {v.DOSE_USUAL_MAX!r})),
        {_session_columns(indent=8)}
        {columns},
        import_id INTEGER REFERENCES imports(id),
        drug TEXT NOT NULL DEFAULT '{KETAMINE}' CHECK (drug IN ({_quoted(DRUGS)})),
        dose_mg REAL CHECK (dose_mg IS NULL OR dose_mg IN ({_quoted(ESKETAMINE_DOSES_MG).replace("'", "")})),
        ended_at TEXT {_nullable_when("ended_at")},
        ready_to_leave_at TEXT {_nullable_when("ready_to_leave_at")},
        accompanied INTEGER CHECK (accompanied IS NULL OR accompanied IN (0, 1)),
        {checks},
        CHECK ((drug = '{KETAMINE}') = (dose_mg_per_kg IS NOT NULL)),
        CHECK ((drug = '{ESKETAMINE}') = (dose_mg IS NOT NULL))
    ) STRICT"""


def _readings() -> str:
    r = READING_RANGES
    return f"""CREATE TABLE readings (
        id INTEGER PRIMARY KEY,
        patient_id TEXT NOT NULL REFERENCES patients(patient_id),
        session_at TEXT NOT NULL {_when_sql("session_at")},
        taken_at TEXT NOT NULL {_when_sql("taken_at")} CHECK (length(taken_at) > 10),
        bp_systolic INTEGER {_range("bp_systolic", r["bp_systolic"])},
        bp_diastolic INTEGER {_range("bp_diastolic", r["bp_diastolic"])},
        heart_rate INTEGER {_range("heart_rate", r["heart_rate"])},
        spo2 INTEGER {_range("spo2", r["spo2"])},
        respiratory_rate INTEGER {_range("respiratory_rate", r["respiratory_rate"])},
        sedation_moaas INTEGER {_range("sedation_moaas", r["sedation_moaas"])},
        notes TEXT,
        import_id INTEGER REFERENCES imports(id),
        {_BOOKKEEPING.format(table="readings")},
        CHECK (coalesce(bp_systolic, bp_diastolic, heart_rate, spo2, respiratory_rate,
                        sedation_moaas) IS NOT NULL),
        CHECK (bp_systolic IS NULL OR bp_diastolic IS NULL OR bp_diastolic < bp_systolic)
    ) STRICT"""


def _rebuild(database: sqlite_utils.Database, table: str, create_new: str) -> None:
    """Replace `table` by the `<table>_v3` that `create_new` makes, keeping every row.

    SQLite's procedure for a change ALTER TABLE cannot make: create, copy,
    drop, rename; foreign keys are off meanwhile (`apply_migrations`).
    """
    conn = database.conn
    conn.execute(create_new)
    old = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]
    columns = ", ".join(old)
    conn.execute(f"INSERT INTO {table}_v3 ({columns}) SELECT {columns} FROM {table}")
    conn.execute(f"DROP TABLE {table}")  # drops its triggers and indexes too
    conn.execute(f"ALTER TABLE {table}_v3 RENAME TO {table}")


@MIGRATIONS(name=MIGRATION_NAMES[2])  # 0003_treatment_sessions
def m0003_treatment_sessions(database: sqlite_utils.Database) -> None:
    # Every record before this release is racemic ketamine: the column default.
    conn = database.conn
    imports_sql = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'imports'").fetchone()[0]
    kinds = _quoted(("patients", "infusions", "assessments", "vitals"))
    imports_v3 = imports_sql.replace("CREATE TABLE imports", "CREATE TABLE imports_v3").replace(
        "'patients', 'infusions', 'assessments'", kinds
    )
    _rebuild(database, "imports", imports_v3)
    _rebuild(database, "infusions", _infusions_v3())
    conn.execute(
        f"ALTER TABLE courses ADD COLUMN drug TEXT NOT NULL DEFAULT '{KETAMINE}'"
        f" CHECK (drug IN ({_quoted(DRUGS)}))"
    )
    conn.execute(_readings())
    conn.execute("""CREATE UNIQUE INDEX readings_current ON readings(patient_id, taken_at)
        WHERE superseded_at IS NULL AND retracted_at IS NULL""")
    conn.execute("CREATE INDEX readings_by_session ON readings(patient_id, session_at)")
    conn.execute("CREATE INDEX infusions_by_patient ON infusions(patient_id, given_at)")
    for table in ("infusions", "readings"):
        for statement in _guard_triggers(table, CLINICAL_COLUMNS_V3):
            conn.execute(statement)


#: Bookkeeping columns of the versioned tables: who superseded or retracted a record, and when.
BOOKKEEPING_COLUMNS = (
    "superseded_at",
    "superseded_by",
    "retracted_at",
    "retracted_by",
    "retract_reason",
)


def _audited_only(name: str, event: str, table: str, message: str) -> str:
    return (
        f"CREATE TRIGGER {name} BEFORE {event} ON {table} WHEN NOT outcomes_audited_write() "
        f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
    )


@MIGRATIONS(name=MIGRATION_NAMES[3])  # 0004_guard_bookkeeping
def m0004_guard_bookkeeping(database: sqlite_utils.Database) -> None:
    # Hiding a record by setting retracted_at or superseded_at by hand, or
    # changing a patient, course, import or setting row, would leave no audit
    # row. Only the program's write path may (db.connection.write_transaction
    # makes outcomes_audited_write() true; each of its writers records the
    # audit row in the same transaction); another tool has no such function.
    # Nothing is ever deleted from these tables.
    for table in CLINICAL_COLUMNS:
        database.execute(
            _audited_only(
                f"{table}_bookkeeping_audited",
                f"UPDATE OF {', '.join(BOOKKEEPING_COLUMNS)}",
                table,
                "superseding or retracting a record goes through the program, with an audit row",
            )
        )
    for table in ("patients", "courses", "imports", "settings"):
        database.execute(
            _audited_only(
                f"{table}_changes_audited",
                "UPDATE",
                table,
                f"{table} rows change only through the program, with an audit row",
            )
        )
        database.execute(
            f"CREATE TRIGGER {table}_never_deleted BEFORE DELETE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table} rows are never deleted'); END"
        )


#: Who the audit trail names for the rows migration 0005 added.
UPGRADE_WHO = "schema upgrade"
_CURRENT = "superseded_at IS NULL AND retracted_at IS NULL"
_FIRST_DRUG = (
    f"(SELECT j.drug FROM infusions j WHERE j.patient_id = {{t}}.patient_id AND j.course = {{t}}.course"
    f" AND j.{_CURRENT} ORDER BY j.given_at, j.id LIMIT 1)"
)


@MIGRATIONS(name=MIGRATION_NAMES[4])  # 0005_courses_record_their_drug
def m0005_courses_record_their_drug(database: sqlite_utils.Database) -> None:
    # A course has one drug (clinical-spec section 11) and `courses.drug` is
    # where it is kept: every course gets a row, also those its first session
    # began (`begun_by_session` = 1, which the reads do not take for a
    # clinician's explicit start). Until now only started courses had a row,
    # all as ketamine: their drug becomes their first session's. One audit
    # row says what the upgrade did.
    conn, now = database.conn, now_iso()
    conn.execute(
        "ALTER TABLE courses ADD COLUMN begun_by_session INTEGER NOT NULL DEFAULT 0"
        " CHECK (begun_by_session IN (0, 1))"
    )
    added = conn.execute(
        "INSERT INTO courses (patient_id, course, started_at, notes, recorded_at, recorded_by, drug, begun_by_session)"
        f" SELECT i.patient_id, i.course, min(i.given_at), NULL, ?, ?, {_FIRST_DRUG.format(t='i')}, 1"
        f" FROM infusions i WHERE i.{_CURRENT} AND NOT EXISTS (SELECT 1 FROM courses c"
        " WHERE c.patient_id = i.patient_id AND c.course = i.course) GROUP BY i.patient_id, i.course",
        (now, UPGRADE_WHO),
    ).rowcount
    # The guard refuses any UPDATE outside the program's write path; lifted for this one, in this transaction.
    conn.execute("DROP TRIGGER courses_changes_audited")
    changed = conn.execute(
        f"UPDATE courses SET drug = {_FIRST_DRUG.format(t='courses')} WHERE drug <> coalesce("
        f"{_FIRST_DRUG.format(t='courses')}, drug)"
    ).rowcount
    conn.execute(
        _audited_only(
            "courses_changes_audited",
            "UPDATE",
            "courses",
            "courses rows change only through the program, with an audit row",
        )
    )
    if not added and not changed:  # a new database, or one without courses: nothing to tell
        return
    conn.execute(
        "INSERT INTO audit (at, who, table_name, record_id, action, old_value, new_value, reason)"
        " VALUES (?, ?, 'courses', NULL, 'update', NULL, json_object('courses_recorded', ?,"
        " 'drug_from_first_session', ?), ?)",
        (
            now,
            UPGRADE_WHO,
            added,
            changed,
            "schema upgrade 0005: every course records its one drug",
        ),
    )


@MIGRATIONS(name=MIGRATION_NAMES[5])  # 0006_one_score_per_scale_and_time
def m0006_one_score_per_scale_and_time(database: sqlite_utils.Database) -> None:
    # Clinical-spec section 9: one current score of a scale at a time point per patient; until now
    # a correction could make a second (issue 21). A unique index now backs the rule. Where a file
    # already holds two, the later entry is kept current and the earlier marked superseded by it:
    # the spec takes the second for a correction of the first; both stay stored, audited. Readings a
    # corrected or retracted session left behind follow it (`db.session_readings.relink_orphans`).
    from db.upgrade_0006 import relink_orphans, settle_second_scores

    conn = database.conn
    conn.execute("DROP TRIGGER assessments_bookkeeping_audited")  # lifted for this transaction
    settle_second_scores(database, UPGRADE_WHO)
    conn.execute(
        _audited_only(
            "assessments_bookkeeping_audited",
            f"UPDATE OF {', '.join(BOOKKEEPING_COLUMNS)}",
            "assessments",
            "superseding or retracting a record goes through the program, with an audit row",
        )
    )
    conn.execute(
        f"CREATE UNIQUE INDEX assessments_current ON assessments(patient_id, scale, taken_at)"
        f" WHERE {_CURRENT}"
    )
    relink_orphans(database, UPGRADE_WHO)


#: The patient's optional email (check-in invitations): the validation's shape, in SQL.
_EMAIL_CHECK = (
    f"CHECK (email IS NULL OR (length(email) BETWEEN 3 AND {v.EMAIL_MAX}"
    " AND email LIKE '%_@_%._%' AND email NOT GLOB '*[ ]*'))"
)


def _checkin_links() -> str:
    return """CREATE TABLE checkin_links (
    id INTEGER PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE CHECK (length(token_hash) = 64),
    code_hash TEXT UNIQUE CHECK (code_hash IS NULL OR length(code_hash) = 64),
    patient_id TEXT NOT NULL REFERENCES patients(patient_id),
    scales TEXT NOT NULL CHECK (length(scales) > 0),
    valid_from TEXT NOT NULL,
    valid_until TEXT NOT NULL,
    issued_at TEXT NOT NULL,
    issued_by TEXT NOT NULL,
    emailed_at TEXT,
    spent_at TEXT,
    expired_at TEXT,
    revoked_at TEXT,
    revoked_by TEXT,
    revoke_reason TEXT,
    CHECK (valid_until > valid_from),
    CHECK ((revoked_at IS NULL) = (revoked_by IS NULL)),
    CHECK (NOT (spent_at IS NOT NULL AND revoked_at IS NOT NULL))
)"""


@MIGRATIONS(name=MIGRATION_NAMES[6])  # 0007_checkin_links_and_email
def m0007_checkin_links_and_email(database: sqlite_utils.Database) -> None:
    # Check-ins from home (issue 25). A link's secrets are stored only as
    # digests; its use, expiry and revoking change one row, through the
    # program (the guard below) and with an audit row. A patient's email is a
    # new, versioned patient detail, as unchangeable in place as the others.
    conn = database.conn
    conn.execute(f"ALTER TABLE patient_details ADD COLUMN email TEXT {_EMAIL_CHECK}")
    conn.execute("DROP TRIGGER patient_details_never_edited")
    columns = (*CLINICAL_COLUMNS["patient_details"], "email")
    conn.execute(_guard_triggers("patient_details", {"patient_details": columns})[0])
    conn.execute(_checkin_links())
    conn.execute("CREATE INDEX checkin_links_patient ON checkin_links (patient_id, issued_at)")
    conn.execute(
        _audited_only(
            "checkin_links_changes_audited",
            "UPDATE",
            "checkin_links",
            "check-in links change only through the program, with an audit row",
        )
    )
    conn.execute(
        "CREATE TRIGGER checkin_links_never_deleted BEFORE DELETE ON checkin_links "
        "BEGIN SELECT RAISE(ABORT, 'check-in links are never deleted; revoke them'); END"
    )
    # A link is spent, expired or revoked once: its bookkeeping never changes back.
    conn.execute(
        "CREATE TRIGGER checkin_links_closed_once BEFORE UPDATE ON checkin_links WHEN "
        "(OLD.spent_at IS NOT NULL AND NEW.spent_at IS NOT OLD.spent_at) OR "
        "(OLD.revoked_at IS NOT NULL AND NEW.revoked_at IS NOT OLD.revoked_at) OR "
        "NEW.token_hash IS NOT OLD.token_hash OR NEW.patient_id IS NOT OLD.patient_id OR "
        "NEW.scales IS NOT OLD.scales OR NEW.valid_from IS NOT OLD.valid_from OR "
        "NEW.valid_until IS NOT OLD.valid_until "
        "BEGIN SELECT RAISE(ABORT, 'a check-in link is closed once and never reopened'); END"
    )


def _rems_forms() -> str:
    yes_no = "INTEGER CHECK ({c} IS NULL OR {c} IN (0, 1))"
    answers = "\n        ".join(f"{name} {yes_no.format(c=name)}," for name in rems.YES_NO_FIELDS)
    return f"""CREATE TABLE rems_forms (
        id INTEGER PRIMARY KEY,
        patient_id TEXT NOT NULL REFERENCES patients(patient_id),
        session_at TEXT NOT NULL {_when_sql("session_at")},
        {answers}
        concomitant_medicines TEXT,
        device_lots TEXT CHECK (device_lots IS NULL OR length(device_lots) BETWEEN 1 AND 200),
        serious_adverse_event_text TEXT CHECK (serious_adverse_event_text IS NULL
            OR (serious_adverse_event = 1 AND length(serious_adverse_event_text) <= {rems.EVENT_TEXT_MAX})),
        import_id INTEGER REFERENCES imports(id),
        {_BOOKKEEPING.format(table="rems_forms")}
    ) STRICT"""


def _rems_submissions() -> str:
    return f"""CREATE TABLE rems_submissions (
        id INTEGER PRIMARY KEY,
        patient_id TEXT NOT NULL REFERENCES patients(patient_id),
        session_at TEXT NOT NULL {_when_sql("session_at")},
        submitted_on TEXT NOT NULL CHECK (submitted_on GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'),
        submitted_by TEXT NOT NULL CHECK (length(submitted_by) > 0),
        import_id INTEGER REFERENCES imports(id),
        {_BOOKKEEPING.format(table="rems_submissions")}
    ) STRICT"""


#: Clinical columns of the REMS tables (migration 0008): never updated in place.
REMS_CLINICAL_COLUMNS = {
    "rems_forms": ("patient_id", "session_at", *rems.FIELDS),
    "rems_submissions": ("patient_id", "session_at", "submitted_on", "submitted_by"),
}


@MIGRATIONS(name=MIGRATION_NAMES[7])  # 0008_rems_monitoring_forms
def m0008_rems_monitoring_forms(database: sqlite_utils.Database) -> None:
    # The Spravato REMS patient monitoring form of each esketamine session (issue 26): the
    # form's own fields, and whether (when, by whom) the clinic submitted it. Two new tables,
    # versioned like readings and keyed like them by the session's time; no existing table or
    # row changes, so a file from the previous release keeps every record byte for byte.
    conn = database.conn
    conn.execute(_rems_forms())
    conn.execute(_rems_submissions())
    for table in REMS_CLINICAL_COLUMNS:
        conn.execute(
            f"CREATE UNIQUE INDEX {table}_current ON {table}(patient_id, session_at) WHERE {_CURRENT}"
        )
        for statement in _guard_triggers(table, REMS_CLINICAL_COLUMNS):
            conn.execute(statement)
        conn.execute(
            _audited_only(
                f"{table}_bookkeeping_audited",
                f"UPDATE OF {', '.join(BOOKKEEPING_COLUMNS)}",
                table,
                "superseding or retracting a record goes through the program, with an audit row",
            )
        )


def schema_version(names) -> int:
    """The schema version a list of migration names reaches: the highest leading number."""
    numbers = [int(n.split("_", 1)[0]) for n in names if n.split("_", 1)[0].isdigit()]
    return max(numbers, default=0)


def refuse_newer_schema(database: sqlite_utils.Database, path) -> None:
    """Refuse a database a newer release has upgraded: this program would misread it.

    Reads only; raises `StorageError` naming both schema versions.
    """
    known = set(migration_names())
    applied = list(applied_migrations(database.conn) or ())
    unknown = [name for name in applied if name not in known]
    if unknown:
        raise StorageError(
            f"the database {path} was written by a newer release of ketamine-outcomes (schema version "
            f"{schema_version(applied)}; this program knows up to version {schema_version(known)}); "
            "install the newer release to use it; nothing was written"
        )


def migration_names() -> list[str]:
    """Names of every migration, oldest first."""
    return [m.name for m in MIGRATIONS._migrations]


def apply_migrations(
    database: sqlite_utils.Database, *, stop_before: str | None = None
) -> list[str]:
    """Apply pending migrations in one write transaction; return their names.

    Nothing is written (not even the bookkeeping table) when the database is
    up to date, so opening a database to read it leaves the file untouched.
    Foreign keys are off while migrations run (SQLite's own procedure for
    rebuilding a table, which 0003 does) and checked before the commit.
    """
    if not MIGRATIONS.pending(database):
        return []
    conn = database.conn
    conn.execute("PRAGMA foreign_keys = OFF")  # only possible outside a transaction
    begin_immediate(conn, BUSY_TIMEOUT_S)
    try:
        # Another process may have migrated while we waited for the lock.
        pending = [m.name for m in MIGRATIONS.pending(database)]
        MIGRATIONS.apply(database, stop_before=stop_before)
        broken = conn.execute("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise sqlite3.IntegrityError(f"the upgrade would break record links: {broken[:3]}")
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    finally:
        conn.execute("PRAGMA foreign_keys = ON")
    if stop_before in pending:
        pending = pending[: pending.index(stop_before)]
    return pending
