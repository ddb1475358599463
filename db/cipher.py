"""Encryption at rest: which SQLite library opens the clinic's file, and with what key.

The one seam between the program and SQLCipher (docs/encryption.md). Every
connection to a clinic file is made by `open_sqlite`: a plain file through
the standard `sqlite3`, an encrypted one through `sqlcipher3` (the optional
extra ``ketamine-outcomes[encrypted]``) keyed with the clinic's passphrase.
Nothing above `db/` knows which it got.

The passphrase comes from ``--key-file FILE`` (owner-only), else
``$OUTCOMES_KEY``, else a prompt on a terminal (the shell hands in the
prompt). It is kept in this process's memory only, never written anywhere.
The key SQLCipher uses is SQLCipher 4's own derivation of the passphrase
(PBKDF2-HMAC-SHA512, 256,000 iterations, the file's 16-byte salt), done
once per process here and handed to SQLCipher as a raw key, so a second
connection (the app has several) does not pay the derivation again; a file
made here opens in the `sqlcipher` shell with ``PRAGMA key = 'passphrase'``.

Two copies of SQLite in one process must never both open one file (closing
one library's handle drops the other's POSIX locks). So the kind of a file
(plain or encrypted) is read from its first bytes once per file (device and
inode) per process, before any connection to it exists, and remembered: the
same file always goes to the same library.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import stat
from pathlib import Path
from typing import Any, Callable

from db.errors import StorageError

#: The environment variable holding the clinic's passphrase.
KEY_ENV_VAR = "OUTCOMES_KEY"
#: What to install for encrypted files.
INSTALL_HINT = "pip install 'ketamine-outcomes[encrypted]'"
#: SQLCipher 4's key derivation and page size (``PRAGMA cipher_compatibility = 4``).
KDF_ITERATIONS = 256_000
SALT_BYTES = 16
PAGE_BYTES = 4096
#: How often a key typed at the prompt may be wrong before the program gives up.
TRIES = 3
TYPED = "the key typed"
#: Shortest passphrase accepted for a new key.
MIN_NEW_KEY = 8
_PLAIN_HEADER = b"SQLite format 3\x00"

_key_file: Path | None = None
_prompter: Callable[[Path], str | None] | None = None
_prompted: dict[Path, str] = {}
#: (device, inode) -> the salt of an encrypted file, or None for a plain one, as last read.
_kinds: dict[tuple[int, int], bytes | None] = {}
_raw_keys: dict[tuple[str, bytes], str] = {}


class KeyProblem(StorageError):
    """The key is missing, wrong, or comes from a file others may read."""


def use_key(key_file: str | os.PathLike | None = None, prompter=None) -> None:
    """Where this process finds the passphrase: a key file (``--key-file``) and a terminal prompt.

    `prompter(path, again)` returns a passphrase typed on a terminal (`again`:
    the one typed before was wrong), or None when there is no terminal to ask on.
    """
    global _key_file, _prompter
    _key_file = Path(key_file).expanduser() if key_file is not None else None
    _prompter = prompter


def available() -> bool:
    """Whether SQLCipher (the `sqlcipher3` module) is installed."""
    try:
        _sqlcipher()
    except ImportError:
        return False
    return True


def _sqlcipher():
    import sqlcipher3

    if not getattr(sqlcipher3, "_outcomes_grafted", False):
        _graft_errors(sqlcipher3.dbapi2)
        sqlcipher3._outcomes_grafted = True
        # SQLCipher logs a failed decryption (a wrong key) to stderr by default.
        sqlcipher3.connect(":memory:").execute("PRAGMA cipher_log_level = NONE").close()
    return sqlcipher3


def _graft_errors(module) -> None:
    """Make sqlcipher3's exception classes subclasses of sqlite3's.

    `sqlcipher3` is a copy of the standard `sqlite3` module with its own
    exception classes; grafted under sqlite3's once, every ``except
    sqlite3.OperationalError`` in this program and in sqlite-utils handles
    an encrypted file's errors (a lock, a full disk, a constraint) the same.
    """
    # (Error itself cannot be re-based; each subclass below gains sqlite3's, and so sqlite3.Error.)
    for name in (
        "InterfaceError",
        "DatabaseError",
        "InternalError",
        "OperationalError",
        "ProgrammingError",
        "IntegrityError",
        "DataError",
        "NotSupportedError",
    ):
        cls = getattr(module, name)
        if getattr(sqlite3, name) not in cls.__mro__:
            cls.__bases__ = (*cls.__bases__, getattr(sqlite3, name))


# ----- the key ------------------------------------------------------------------


def read_key_file(path: Path, what: str = "--key-file") -> str:
    """The passphrase in `path` (its first line), refused unless the file is this user's, owner-only."""
    try:
        info = os.stat(path)
    except OSError as exc:
        raise KeyProblem(
            f"cannot read the key file {path} ({what}): {exc.strerror or exc}"
        ) from None
    if not stat.S_ISREG(info.st_mode):
        raise KeyProblem(f"the key file {path} ({what}) is not a file")
    if info.st_uid != os.getuid() or info.st_mode & 0o077:
        raise KeyProblem(
            f"the key file {path} ({what}) can be read or changed by other users "
            f"(permissions {stat.filemode(info.st_mode)}, owner uid {info.st_uid}); a key file "
            f"must be yours and owner-only: `chmod 600 {path}`; nothing was opened"
        )
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise KeyProblem(f"cannot read the key file {path} ({what}): {exc}") from None
    key = text.splitlines()[0] if text.strip() else ""
    if not key.strip():
        raise KeyProblem(f"the key file {path} ({what}) is empty; its first line is the key")
    return key


def _given_key() -> tuple[str, str] | None:
    """(passphrase, where it came from) from the key file or the environment, without asking."""
    if _key_file is not None:
        return read_key_file(_key_file), f"the key file {_key_file}"
    env = os.environ.get(KEY_ENV_VAR)
    if env:
        return env, f"${KEY_ENV_VAR}"
    return None


def key_is_given() -> bool:
    """Whether a key file or ``$OUTCOMES_KEY`` names a passphrase (a new clinic is then encrypted)."""
    return _given_key() is not None


def passphrase(path: Path) -> str:
    """The passphrase that opens the encrypted file `path` (key file, environment or a prompt)."""
    return _passphrase(path)[0]


def _passphrase(path: Path, again: bool = False) -> tuple[str, str]:
    """The passphrase of the encrypted file `path`, and where it came from; refused when there is none."""
    given = _given_key()
    if given is not None:
        return given
    if path in _prompted:
        return _prompted[path], TYPED
    typed = _prompter(path, again) if _prompter is not None else None
    if typed:
        _prompted[path] = typed
        return typed, TYPED
    raise KeyProblem(
        f"the clinic database {path} is encrypted and no key was given: set ${KEY_ENV_VAR}, "
        "give --key-file FILE (an owner-only file holding the key), or run the command on a "
        "terminal to be asked for it; nothing was opened"
    )


def raw_key(passphrase: str, salt: bytes) -> str:
    """SQLCipher 4's key for `passphrase` and `salt`, as SQLCipher's raw-key text ``x'...'``."""
    cached = _raw_keys.get((passphrase, salt))
    if cached is None:
        derived = hashlib.pbkdf2_hmac(
            "sha512", passphrase.encode("utf-8"), salt, KDF_ITERATIONS, 32
        )
        cached = _raw_keys[(passphrase, salt)] = f"x'{derived.hex()}{salt.hex()}'"
    return cached


def new_salt() -> bytes:
    return os.urandom(SALT_BYTES)


# ----- which kind of file -------------------------------------------------------


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return (info.st_dev, info.st_ino)


def _kind(path: Path) -> tuple[bool, bytes | None]:
    """(new, salt): whether `path` is missing or empty, and the salt when it is encrypted.

    The first bytes are read only when this process holds no handle on the
    file (see the module's docstring); while it does, what was read before
    is still true (a file held open keeps its inode, so no other file can
    have taken it).
    """
    identity = _identity(path)
    if identity is None:
        return True, None
    if _held_open(identity):
        return False, _kinds.get(identity)
    if not os.path.getsize(path):
        return True, None
    salt = _kinds[identity] = _salt_from_header(path)
    return False, salt


def _held_open(identity: tuple[int, int]) -> bool:
    """Whether this process has a file descriptor open on the file `identity` (device, inode)."""
    for folder in ("/proc/self/fd", "/dev/fd"):
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        for name in names:
            try:
                info = os.fstat(int(name))
            except (OSError, ValueError):
                continue
            if (info.st_dev, info.st_ino) == identity:
                return True
        return False
    return True  # no way to tell: the remembered kind (never a read that could drop a lock)


def file_salt(path: Path) -> bytes | None:
    """The salt of an encrypted clinic file, None for a plain (or new, or foreign) one."""
    return _kind(path)[1]


def _salt_from_header(path: Path) -> bytes | None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None  # SQLite will say why it cannot open it
    try:
        header = os.read(fd, len(_PLAIN_HEADER))
        size = os.fstat(fd).st_size
    finally:
        os.close(fd)
    if header == _PLAIN_HEADER or size < PAGE_BYTES or size % PAGE_BYTES:
        return None  # plain, or not a database at all: sqlite3 says so
    return header


def remember(path: Path, salt: bytes | None) -> None:
    identity = _identity(path)
    if identity is not None:
        _kinds[identity] = salt


def is_encrypted(path: str | os.PathLike) -> bool:
    """Whether the clinic file at `path` is encrypted."""
    return file_salt(Path(path)) is not None


# ----- opening ------------------------------------------------------------------


def open_sqlite(path: Path, target: str | None = None, **options: Any):
    """A DB-API connection to the clinic file `path`: sqlite3 for a plain file, SQLCipher for an encrypted one.

    Args:
        path: The file (its kind decides the library).
        target: What to hand to ``connect`` (a ``file:`` URI); `path` when None.
        options: ``connect``'s keyword arguments (timeout, uri, ...).

    An empty or missing file becomes an encrypted one when a key is given
    (``--key-file`` or ``$OUTCOMES_KEY``), else a plain one.

    Raises:
        KeyProblem: encrypted and no key, a wrong key, or a damaged file.
        StorageError: encrypted, and SQLCipher is not installed.
    """
    target = str(path) if target is None else target
    new, salt = _kind(path)
    if salt is None and not (new and key_is_given()):
        conn = sqlite3.connect(target, **options)
        remember(path, None)
        return conn
    if not available():
        raise StorageError(_not_installed(path, salt is None))
    if salt is None:  # a new clinic, and a key was given: it is born encrypted
        salt = new_salt()
        conn = keyed(target, _given_key()[0], salt, **options)
        remember(path, salt)
        return conn
    for attempt in range(TRIES):
        passphrase, source = _passphrase(path, again=attempt > 0)
        conn = keyed(target, passphrase, salt, **options)
        try:
            conn.execute("PRAGMA schema_version").fetchone()  # page 1: the key, or not
            return conn
        except sqlite3.DatabaseError:
            conn.close()
            _prompted.pop(path, None)
            if source != TYPED:
                break
    raise KeyProblem(
        f"cannot open the encrypted clinic database {path} with {source}: the key is "
        "wrong, or the file is damaged; nothing was opened or changed; check the key, "
        "or restore the file from a backup"
    )


def refuse_unencryptable(path: Path) -> None:
    """Refuse to create the clinic `path` when a key is given but SQLCipher is not installed."""
    if _kind(path)[0] and key_is_given() and not available():
        raise StorageError(_not_installed(path, True))


def keyed(target: str, passphrase: str, salt: bytes, **options: Any):
    """A SQLCipher connection to `target` keyed with `passphrase` (SQLCipher 4 settings)."""
    conn = _sqlcipher().connect(target, **options)
    conn.execute("PRAGMA cipher_compatibility = 4")
    conn.execute(f'PRAGMA key = "{raw_key(passphrase, salt)}"')  # hex digits only: no quoting
    return conn


def same_kind(source: Path, target: Path):
    """A connection to the new file `target`, encrypted with `source`'s key when `source` is encrypted."""
    salt = file_salt(source)
    if salt is None:
        return sqlite3.connect(str(target))
    salt = new_salt()
    conn = keyed(str(target), _passphrase(source)[0], salt)
    remember(target, salt)
    return conn


def _not_installed(path: Path, new: bool) -> str:
    if new:
        return (
            f"a key is given (--key-file or ${KEY_ENV_VAR}), so the new clinic database {path} "
            f"would be encrypted, but encryption is not installed: {INSTALL_HINT}; nothing was "
            "created"
        )
    return (
        f"{path} is not a plain SQLite database: it is an encrypted clinic database (or not a "
        f"database at all); opening an encrypted one needs the encryption extra, installed with "
        f"{INSTALL_HINT}; nothing was opened"
    )


def check_new_key(passphrase: str | None, what: str) -> str:
    """A new passphrase (`what`: where it came from), refused when empty or shorter than 8 characters."""
    if not passphrase or len(passphrase.strip()) < MIN_NEW_KEY:
        raise KeyProblem(
            f"the new key ({what}) is too short: give at least {MIN_NEW_KEY} characters "
            "(a few words are easier to remember and harder to guess); nothing was changed"
        )
    return passphrase
