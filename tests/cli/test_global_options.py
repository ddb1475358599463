"""`--db FILE` works wherever it is typed: before the command, after it, or among its options."""

from __future__ import annotations

from click.testing import CliRunner

from outcomes_cli.cli import _global_options_first, cli


def test_db_after_the_command_reads_that_file(tmp_path):
    """`outcomes status P001 --db FILE` reads FILE, as `outcomes --db FILE status P001` does."""
    path = tmp_path / "clinic.db"
    runner = CliRunner()
    made = runner.invoke(cli, ["demo", "--patients", "3", "--db", str(path)])
    assert made.exit_code == 0, made.output
    before = runner.invoke(cli, ["--db", str(path), "status", "P001", "--json"])
    after = runner.invoke(cli, ["status", "P001", "--json", f"--db={path}"])
    assert before.exit_code == after.exit_code == 0, after.output
    assert before.output == after.output and '"patient_id": "P001"' in after.output


def test_db_moves_ahead_of_app_options_and_stops_at_a_double_dash():
    """`--clinician "Dr Big" --db big.db` opens the app on big.db; after `--` nothing moves."""
    assert _global_options_first(["--clinician", "Dr Big", "--db", "big.db"]) == [
        "--db",
        "big.db",
        "--clinician",
        "Dr Big",
    ]
    assert _global_options_first(["import", "patients", "--", "--db"]) == [
        "import",
        "patients",
        "--",
        "--db",
    ]
