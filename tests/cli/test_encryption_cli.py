"""`outcomes encrypt`, `rekey`, `decrypt` and `--key-file` as a clinic's IT person runs them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import db
from db import cipher
from outcomes.wording import PLAIN_EXPORT_WARNING
from outcomes_cli.cli import cli

KEY = "correct horse battery staple"
NEW_KEY = "a different passphrase"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def no_key(monkeypatch):
    monkeypatch.delenv(cipher.KEY_ENV_VAR, raising=False)
    monkeypatch.delenv("OUTCOMES_NEW_KEY", raising=False)
    cipher.use_key(None)
    yield
    cipher.use_key(None)


def run(path: Path, *args: str, env: dict | None = None):
    return CliRunner().invoke(cli, ["--db", str(path), *args], env=env)


def key_file(folder: Path, key: str, name: str = "key.txt") -> Path:
    path = folder / name
    path.write_text(key + "\n")
    path.chmod(0o600)
    return path


@pytest.fixture
def clinic(tmp_path) -> Path:
    path = tmp_path / "clinic.db"
    assert run(path, "demo", "--patients", "6").exit_code == 0
    return path


def test_encrypt_rekey_decrypt_round_trip_with_key_files(clinic, tmp_path):
    """The whole life: encrypt (plain original kept), status with the key file, rekey, decrypt;
    the status text the same at every stage."""
    before = run(clinic, "status", "P001").output
    old = key_file(tmp_path, KEY)
    new = key_file(tmp_path, NEW_KEY, "new.txt")
    kept = tmp_path / "plain-copy.db"
    result = run(clinic, "--key-file", str(old), "encrypt", "--keep-plain", str(kept))
    assert result.exit_code == 0, result.output
    assert "Encrypted" in result.output and "delete it when done" in result.output
    assert db.is_encrypted(clinic) and not db.is_encrypted(kept)
    assert run(clinic, "--key-file", str(old), "status", "P001").output == before
    assert run(kept, "status", "P001").output == before
    result = run(clinic, "--key-file", str(old), "rekey", "--new-key-file", str(new))
    assert result.exit_code == 0, result.output
    assert "the key is wrong" in run(clinic, "--key-file", str(old), "status", "P001").output
    assert run(clinic, "--key-file", str(new), "status", "P001").output == before
    result = run(clinic, "--key-file", str(new), "decrypt", "--yes")
    assert result.exit_code == 0, result.output
    assert not db.is_encrypted(clinic)
    assert run(clinic, "status", "P001").output == before


def test_the_key_from_the_environment_and_a_new_clinic_born_encrypted(tmp_path):
    path = tmp_path / "new.db"
    result = run(path, "demo", "--patients", "3", env={cipher.KEY_ENV_VAR: KEY})
    assert result.exit_code == 0, result.output
    assert db.is_encrypted(path)
    assert run(path, "status", "P001", env={cipher.KEY_ENV_VAR: KEY}).exit_code == 0
    result = run(path, "status", "P001")
    assert result.exit_code == 1 and "no key was given" in result.output


def test_refusals_never_show_the_key(clinic, tmp_path):
    """A wrong key, and a loose key file: words that say what to do, exit 1, never the key itself."""
    good = key_file(tmp_path, KEY)
    assert run(clinic, "--key-file", str(good), "encrypt").exit_code == 0
    loose = key_file(tmp_path, "secret-in-loose-file", "loose.txt")
    loose.chmod(0o644)
    result = run(clinic, "--key-file", str(loose), "status", "P001")
    assert result.exit_code == 1 and "chmod 600" in result.output
    assert "secret-in-loose-file" not in result.output
    result = run(clinic, "status", "P001", env={cipher.KEY_ENV_VAR: "wrong-key-words"})
    assert result.exit_code == 1 and "the key is wrong" in result.output
    assert "wrong-key-words" not in result.output and "Traceback" not in result.output


def test_encrypt_refusals(clinic, tmp_path):
    """Short new key, no key at all off a terminal, an already encrypted file, a kept copy's name taken."""
    result = run(clinic, "encrypt", env={cipher.KEY_ENV_VAR: "short"})
    assert result.exit_code == 1 and "too short" in result.output
    result = run(clinic, "encrypt")
    assert result.exit_code == 1 and "no new key given" in result.output
    taken = tmp_path / "taken.db"
    taken.write_text("x")
    result = run(clinic, "encrypt", "--keep-plain", str(taken), env={cipher.KEY_ENV_VAR: KEY})
    assert result.exit_code == 1 and "already exists" in result.output
    assert not db.is_encrypted(clinic)
    assert run(clinic, "encrypt", env={cipher.KEY_ENV_VAR: KEY}).exit_code == 0
    result = run(clinic, "encrypt", env={cipher.KEY_ENV_VAR: KEY})
    assert result.exit_code == 1 and "already encrypted" in result.output


def test_rekey_and_decrypt_of_a_plain_file_are_refused(clinic):
    assert "not encrypted" in run(clinic, "rekey", env={"OUTCOMES_NEW_KEY": NEW_KEY}).output
    assert "not encrypted" in run(clinic, "decrypt", "--yes").output


def test_exports_and_reports_of_an_encrypted_clinic_say_they_are_plain(clinic, tmp_path):
    """Only for an encrypted clinic: a plain clinic's export says nothing new."""
    result = run(clinic, "export", "csv", str(tmp_path / "plain-out"))
    assert result.exit_code == 0 and PLAIN_EXPORT_WARNING not in result.output
    env = {cipher.KEY_ENV_VAR: KEY}
    assert run(clinic, "encrypt", env=env).exit_code == 0
    for args in (
        ("export", "csv", str(tmp_path / "out")),
        ("export", "fhir", str(tmp_path / "bundle.json")),
        ("report", "--cohort-only", "--out", str(tmp_path / "reports")),
    ):
        result = run(clinic, *args, env=env)
        assert result.exit_code == 0, result.output
        assert PLAIN_EXPORT_WARNING in " ".join(result.output.split()), args
    assert "(demo)" in (tmp_path / "out" / "patients.csv").read_text()  # plain, as it says


def test_backup_of_an_encrypted_clinic_says_it_is_encrypted(clinic, tmp_path):
    env = {cipher.KEY_ENV_VAR: KEY}
    assert run(clinic, "encrypt", env=env).exit_code == 0
    result = run(clinic, "backup", str(tmp_path / "copy.db"), env=env)
    assert result.exit_code == 0 and "encrypted with the same key" in result.output
    assert db.is_encrypted(tmp_path / "copy.db")


NO_SQLCIPHER = """
import sys
sys.modules["sqlcipher3"] = None  # as if the extra were not installed
from outcomes_cli.cli import main
sys.argv = ["outcomes", "--db", sys.argv[1], "status", "P001"]
main()
"""


def test_without_the_extra_an_encrypted_file_says_what_to_install(clinic, tmp_path):
    assert run(clinic, "encrypt", env={cipher.KEY_ENV_VAR: KEY}).exit_code == 0
    env = {**os.environ, "PYTHONPATH": str(ROOT), cipher.KEY_ENV_VAR: KEY}
    result = subprocess.run(
        [sys.executable, "-c", NO_SQLCIPHER, str(clinic)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "pip install 'ketamine-outcomes[encrypted]'" in result.stderr
    assert "Traceback" not in result.stderr
    # A plain clinic works as ever without it.
    plain = tmp_path / "plain.db"
    assert run(plain, "demo", "--patients", "2").exit_code == 0
    env.pop(cipher.KEY_ENV_VAR)
    result = subprocess.run(
        [sys.executable, "-c", NO_SQLCIPHER, str(plain)], env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


NEW_WITHOUT_SQLCIPHER = """
import sys
sys.modules["sqlcipher3"] = None
from outcomes_cli.cli import main
sys.argv = ["outcomes", "--db", sys.argv[1], "demo", "--patients", "2"]
main()
"""


def test_a_key_without_the_extra_creates_no_plain_clinic(tmp_path):
    """A key given for a new clinic but no SQLCipher: refused, and no (plain) file is made."""
    path = tmp_path / "new.db"
    env = {**os.environ, "PYTHONPATH": str(ROOT), cipher.KEY_ENV_VAR: KEY}
    result = subprocess.run(
        [sys.executable, "-c", NEW_WITHOUT_SQLCIPHER, str(path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1, result.stderr
    assert "encryption is not installed" in result.stderr and "nothing was created" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_restore_of_an_encrypted_backup_keeps_the_clinic_encrypted(clinic, tmp_path):
    """backup, a change, restore: the restored clinic is the backup's, still encrypted, same key."""
    env = {cipher.KEY_ENV_VAR: KEY}
    assert run(clinic, "encrypt", env=env).exit_code == 0
    before = run(clinic, "status", "P001", "--json", env=env).output
    copy = tmp_path / "copy.db"
    assert run(clinic, "backup", str(copy), env=env).exit_code == 0
    changed = run(clinic, "settings", "clinic_name", "Another name", env=env)
    assert changed.exit_code == 0, changed.output
    result = run(clinic, "restore", str(copy), env=env)
    assert result.exit_code == 0, result.output
    assert db.is_encrypted(clinic)
    assert run(clinic, "settings", "clinic_name", env=env).output.strip() != "Another name"
    assert run(clinic, "status", "P001", "--json", env=env).output == before
    assert (
        "the key is wrong"
        in run(clinic, "status", "P001", env={cipher.KEY_ENV_VAR: "x" * 12}).output
    )
