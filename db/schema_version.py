"""The names of the schema's migrations, oldest first: the one list, read without sqlite-utils.

`db.migrations` names each migration from here (`MIGRATION_NAMES[i]`), and
`db.connection.connect_to_read` compares a file's applied migrations with it
to open a current file with plain `sqlite3`: the quick read-only commands
(`outcomes status`) then never import sqlite-utils, whose import alone costs
about 40 ms. A new migration adds its name at the end here first.
`applied_migrations` reads which of them a file has. Imports nothing from
`db`, so that the connection and the migrations both take it without a loop.
"""

import sqlite3

#: The `migration_set` of sqlite-utils' `_sqlite_migrations` table that holds this program's migrations.
MIGRATION_SET = "ketamine-outcomes"

MIGRATION_NAMES = (
    "0001_initial_schema",
    "0002_imports_and_indexes",
    "0003_treatment_sessions",
    "0004_guard_bookkeeping",
    "0005_courses_record_their_drug",
    "0006_one_score_per_scale_and_time",
    "0007_checkin_links_and_email",
    "0008_rems_monitoring_forms",
)


def applied_migrations(conn: sqlite3.Connection) -> tuple[str, ...] | None:
    """This program's migrations applied to the file, in order (None for a file with none, or not ours)."""
    try:
        rows = conn.execute(
            "SELECT name FROM _sqlite_migrations WHERE migration_set = ? ORDER BY id",
            (MIGRATION_SET,),
        ).fetchall()
    except sqlite3.OperationalError:  # no such table: a new or foreign file, for `connect` to judge
        return None
    return tuple(name for (name,) in rows)
