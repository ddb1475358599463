"""The clinic's file encrypted at rest (SQLCipher): nothing readable on disk, the key checked, swaps atomic.

Real files throughout: the clinic, its -wal and -shm are read back byte by
byte by another process (reading them here would drop this process's SQLite
locks when the handle closes), plain `sqlite3` is asked to open the file, and
`encrypt` is killed with SIGKILL after each of its steps.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

import db
from db import cipher
from db.encrypting import STEPS
from outcomes.status import analyse_clinic
from tests.clinic import TODAY, add_infusion, build_clinic

KEY = "correct horse battery staple"
NEW_KEY = "a different passphrase"
NAME = "Ada Example"  # a patient of tests.clinic
NOTE = "Zanzibar-quokka note"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def no_key(monkeypatch):
    """Each test starts with no key anywhere (the CLI's --key-file is process-wide)."""
    monkeypatch.delenv(cipher.KEY_ENV_VAR, raising=False)
    cipher.use_key(None)
    yield
    cipher.use_key(None)


def on_disk(path: Path) -> bytes:
    """The bytes of `path`, read by another process (see the module docstring); b"" when absent."""
    if not path.exists():
        return b""
    return subprocess.run(["cat", str(path)], capture_output=True, check=True).stdout


def files_of(folder: Path) -> dict[str, bytes]:
    return {p.name: on_disk(p) for p in sorted(folder.iterdir())}


def statuses(path: Path, as_of: date = TODAY) -> list[dict]:
    database = db.connect(path)
    try:
        settings = db.load_settings(database)
        found = analyse_clinic(db.load_clinic(database), settings.primary_scale, settings, as_of)
    finally:
        database.close()
    return [s.as_json() for s in found]


@pytest.fixture
def encrypted(tmp_path, monkeypatch) -> Path:
    """The four-patient clinic, born encrypted (a key was given when it was created)."""
    monkeypatch.setenv(cipher.KEY_ENV_VAR, KEY)
    path = tmp_path / "clinic.db"
    build_clinic(path)
    return path


def write_note_and_hold(path: Path):
    """Write a note and keep the connection open, so the change sits in the -wal file."""
    database = db.connect(path)
    add_infusion(database, "P004", "2026-02-01T09:00", notes=NOTE)
    return database


@pytest.mark.parametrize("key", [None, KEY])
def test_the_file_its_wal_and_shm_hold_no_plaintext(tmp_path, monkeypatch, key):
    """A patient's name and a note are nowhere in the encrypted file, -wal or -shm; in a plain one they are."""
    if key:
        monkeypatch.setenv(cipher.KEY_ENV_VAR, key)
    path = tmp_path / "clinic.db"
    build_clinic(path)
    database = write_note_and_hold(path)
    try:
        wal = on_disk(path.with_name("clinic.db-wal"))
        assert wal  # the note is in the log, not yet in the file
        everything = on_disk(path) + wal + on_disk(path.with_name("clinic.db-shm"))
    finally:
        database.close()
    for word in (NAME, NOTE):
        assert (word.encode() in everything) is (key is None)
    assert (b"SQLite format 3" in everything) is (key is None)


def test_plain_sqlite_cannot_open_an_encrypted_clinic(encrypted):
    with pytest.raises(sqlite3.DatabaseError, match="file is not a database"):
        sqlite3.connect(encrypted).execute("SELECT count(*) FROM sqlite_master").fetchone()


def test_a_new_clinic_without_a_key_stays_plain(tmp_path):
    path = tmp_path / "clinic.db"
    build_clinic(path)
    assert not db.is_encrypted(path)
    assert on_disk(path).startswith(b"SQLite format 3\x00")


def test_wrong_key_is_refused_in_words_with_nothing_written(encrypted, monkeypatch, capfd):
    """A wrong key: a StorageError naming where the key came from (never the key), no file changed,
    and not one SQLCipher log line on the terminal."""
    before = files_of(encrypted.parent)
    monkeypatch.setenv(cipher.KEY_ENV_VAR, "not the key at all")
    capfd.readouterr()
    for read_only in (False, True):
        with pytest.raises(db.KeyProblem, match="the key is wrong") as caught:
            db.connect(encrypted, read_only=read_only)
        assert "$OUTCOMES_KEY" in str(caught.value)
        assert "not the key at all" not in str(caught.value)
    with pytest.raises(db.KeyProblem):
        db.connect_to_read(encrypted)
    out, err = capfd.readouterr()
    assert out == "" and err == ""
    assert files_of(encrypted.parent) == before


def test_missing_key_is_refused_with_nothing_written(encrypted, monkeypatch):
    before = files_of(encrypted.parent)
    monkeypatch.delenv(cipher.KEY_ENV_VAR)
    with pytest.raises(db.KeyProblem, match="is encrypted and no key was given"):
        db.connect(encrypted)
    assert files_of(encrypted.parent) == before


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o660, 0o644])
def test_a_key_file_others_may_read_is_refused(encrypted, monkeypatch, tmp_path, mode):
    """The key file must be owner-only; with group or world bits it is refused before it is read."""
    monkeypatch.delenv(cipher.KEY_ENV_VAR)
    key_file = tmp_path / "key.txt"
    key_file.write_text(KEY + "\n")
    key_file.chmod(mode)
    before = files_of(encrypted.parent)
    cipher.use_key(key_file)
    with pytest.raises(db.KeyProblem, match="owner-only") as caught:
        db.connect(encrypted)
    assert KEY not in str(caught.value)
    assert files_of(encrypted.parent) == before
    key_file.chmod(0o600)
    db.connect(encrypted).close()  # the same file, owner-only: accepted


def _damage(path: Path, how: str) -> None:
    data = bytearray(path.read_bytes())
    if how == "truncated to a page":
        data = data[: cipher.PAGE_BYTES]
    elif how == "truncated mid-page":
        data = data[: len(data) // 2 + 100]
    elif how == "first page flipped":
        data[100] ^= 0xFF
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("how", ["truncated to a page", "truncated mid-page", "first page flipped"])
def test_a_damaged_encrypted_file_is_refused_with_nothing_written(encrypted, how):
    db.connect(encrypted).close()  # everything folded into the file: no -wal left
    _damage(encrypted, how)
    before = files_of(encrypted.parent)
    with pytest.raises(db.StorageError) as caught:
        database = db.connect(encrypted)
        db.load_clinic(database)
    assert "damaged" in str(caught.value)
    assert files_of(encrypted.parent) == before


def test_a_damaged_page_met_later_is_told_in_words(encrypted):
    """A page that fails its check while the clinic is read is a refusal in words, not a program error."""
    db.connect(encrypted).close()
    data = bytearray(encrypted.read_bytes())
    data[-cipher.PAGE_BYTES + 200] ^= 0xFF  # the last page: records, not the schema
    encrypted.write_bytes(bytes(data))
    database = db.connect(encrypted)
    with pytest.raises(sqlite3.DatabaseError) as caught:
        for table in database.table_names():
            database.conn.execute(f'SELECT * FROM "{table}"').fetchall()
        for index in database.conn.execute("SELECT name FROM sqlite_master WHERE type='index'"):
            database.conn.execute(f'SELECT * FROM "{index[0]}"').fetchall()
    database.close()
    assert "damaged" in db.refusal_message(caught.value)


def test_backup_of_an_encrypted_clinic_is_encrypted_with_the_same_key(encrypted, monkeypatch):
    copy = db.backup(encrypted, encrypted.with_name("copy.db"))
    data = on_disk(copy)
    assert NAME.encode() not in data and b"SQLite format 3" not in data
    assert db.is_encrypted(copy)
    assert statuses(copy) == statuses(encrypted)
    monkeypatch.setenv(cipher.KEY_ENV_VAR, NEW_KEY)
    with pytest.raises(db.KeyProblem):
        db.connect(copy)


def test_every_demo_status_is_identical_through_encrypt_rekey_and_decrypt(tmp_path, monkeypatch):
    """The demo clinic: every patient's status the same after each of the three conversions."""
    from outcomes_cli.demo import DEFAULT_PATIENTS, DEFAULT_SEED, make_demo

    path = tmp_path / "demo.db"
    database = db.connect(path)
    db.write_clinic(database, make_demo(DEFAULT_PATIENTS, DEFAULT_SEED), "test", date.today())
    database.close()
    original = statuses(path, date.today())
    assert len(original) == DEFAULT_PATIENTS
    kept = tmp_path / "kept.db"
    db.encrypt(path, KEY, keep_plain=kept)
    assert db.is_encrypted(path) and not db.is_encrypted(kept)
    monkeypatch.setenv(cipher.KEY_ENV_VAR, KEY)
    assert statuses(path, date.today()) == original
    db.rekey(path, NEW_KEY)
    with pytest.raises(db.KeyProblem):
        db.connect(path)
    monkeypatch.setenv(cipher.KEY_ENV_VAR, NEW_KEY)
    assert statuses(path, date.today()) == original
    db.decrypt(path)
    assert not db.is_encrypted(path)
    monkeypatch.delenv(cipher.KEY_ENV_VAR)
    assert statuses(path, date.today()) == original == statuses(kept, date.today())
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("demo.db")) == [
        "kept.db"
    ]


CONVERT = """
import os, sys
from pathlib import Path
import db
op, step, path = sys.argv[1], sys.argv[2], Path(sys.argv[3])
def on_step(name):
    if name == step:
        os.kill(os.getpid(), 9)
if op == "encrypt":
    db.encrypt(path, {new!r}, keep_plain=path.with_name("kept.db"), on_step=on_step)
elif op == "rekey":
    db.rekey(path, {new!r}, on_step=on_step)
else:
    db.decrypt(path, on_step=on_step)
"""


def _run_until_killed(op: str, step: str, path: Path, key: str | None) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop(cipher.KEY_ENV_VAR, None)
    if key:
        env[cipher.KEY_ENV_VAR] = key
    result = subprocess.run(
        [sys.executable, "-c", CONVERT.format(new=NEW_KEY), op, step, str(path)],
        env=env,
        capture_output=True,
        timeout=120,
    )
    assert result.returncode == -signal.SIGKILL, result.stderr.decode()


@pytest.mark.parametrize(
    "op,step",
    [("encrypt", s) for s in STEPS]
    + [(op, s) for op in ("rekey", "decrypt") for s in ("locked", "verified", "swapped")],
)
def test_killed_at_any_step_leaves_the_old_file_or_the_new_one(tmp_path, monkeypatch, op, step):
    """SIGKILL after each step: the clinic's path holds the old file or the new one, whole, with
    every status as before."""
    path = tmp_path / "clinic.db"
    old_key = None if op == "encrypt" else KEY
    if old_key:
        monkeypatch.setenv(cipher.KEY_ENV_VAR, old_key)
    build_clinic(path)
    before = statuses(path)
    _run_until_killed(op, step, path, old_key)
    new_key = {"encrypt": NEW_KEY, "rekey": NEW_KEY, "decrypt": None}[op]
    swapped = step == "swapped"
    key = new_key if swapped else old_key
    monkeypatch.delenv(cipher.KEY_ENV_VAR, raising=False)
    if key:
        monkeypatch.setenv(cipher.KEY_ENV_VAR, key)
    assert db.is_encrypted(path) is (key is not None)
    assert statuses(path) == before
    database = db.connect(path)
    assert database.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert database.journal_mode == "wal"
    database.close()


HOLD = """
import sys, time
import db
database = db.connect(sys.argv[1])
database.conn.execute("SELECT count(*) FROM patients").fetchone()
print("open", flush=True)
time.sleep(60)
"""


def test_encrypt_is_refused_while_another_program_has_the_clinic_open(clinic_db):
    """Another process holding a connection (the app, a server): refused, nothing changed."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(clinic_db)],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
    )
    try:
        assert holder.stdout.readline().strip() == b"open"
        with pytest.raises(db.StorageError, match="open in another program"):
            db.encrypt(clinic_db, KEY)
    finally:
        holder.kill()
        holder.wait()
    assert not db.is_encrypted(clinic_db)
    assert [p.name for p in clinic_db.parent.iterdir() if p.suffix == ".tmp"] == []
    db.encrypt(clinic_db, KEY)  # once it is closed
    assert db.is_encrypted(clinic_db)


def test_the_key_is_nowhere_in_the_clinic(tmp_path, monkeypatch):
    """After a round trip back to plain, neither passphrase is in the file (settings, audit trail)."""
    path = tmp_path / "clinic.db"
    build_clinic(path)
    db.encrypt(path, KEY)
    monkeypatch.setenv(cipher.KEY_ENV_VAR, KEY)
    db.rekey(path, NEW_KEY)
    monkeypatch.setenv(cipher.KEY_ENV_VAR, NEW_KEY)
    db.decrypt(path)
    data = on_disk(path)
    assert NAME.encode() in data  # plain again: the check below could find a key
    assert KEY.encode() not in data and NEW_KEY.encode() not in data


def test_sqlcipher_errors_are_caught_as_sqlite3_errors(encrypted):
    """An error from an encrypted connection is the sqlite3 error every handler names."""
    database = db.connect(encrypted)
    try:
        with pytest.raises(sqlite3.OperationalError):
            database.conn.execute("SELECT nothing FROM nowhere")
        with pytest.raises(sqlite3.IntegrityError):
            database.conn.execute("INSERT INTO patients (patient_id) VALUES (NULL)")
    finally:
        database.close()
