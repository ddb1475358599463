"""The one way the program writes a file: atomically, owner-only, never through a link.

Every output (CSV and FHIR exports, reports, charts, backups) goes through
`atomic_file`: a new temporary file is created exclusively (an unpredictable
name, ``O_EXCL``, mode 0600) in the destination folder itself,
written, flushed to disk, and only then renamed onto the final name. So a
crash or a full disk never leaves half a file where a good one was, a
planted symlink is never followed (the rename replaces a name, it does not
write through it), and no other user can read a file that holds patient
data. Folders the program creates are owner-only (0700) too.

A temporary file is named as this program's, with its process id
(`TEMP_MARK`): the next write into that folder removes those a killed run
left behind (`sweep_stale`). SIGTERM is handled as SIGINT by the command
line, so an ordinary stop removes its own: the name is chosen before the
file is made, so even a stop arriving as it is made finds it.

A full disk becomes a `StorageError` saying so and how much space the file
needed when that is known; the temporary file is removed.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import stat
from pathlib import Path
from typing import IO, Callable, Iterator

from safe_files.errors import StorageError

#: Owner-only permissions for files and folders that hold patient data.
PRIVATE_FILE = 0o600
PRIVATE_FOLDER = 0o700
#: Bytes buffered before a write reaches the operating system (streamed exports).
BUFFER = 1 << 20


def refuse_link(path: Path, what: str) -> None:
    """Refuse `path` when it is itself a symbolic link (it would lead the output elsewhere)."""
    if os.path.islink(path):
        raise StorageError(
            f"{path} is a symbolic link (to {os.readlink(path)}); {what} is never written "
            "through a link: give a real file or folder name; nothing was written"
        )


def private_folder(path: str | os.PathLike, *, parents: bool = False) -> Path:
    """Create the folder `path` owner-only (0700) when it is missing; refuse a link.

    With `parents`, missing parent folders are created owner-only too. An
    existing folder is left as it is (the user chose its permissions).
    """
    folder = Path(path)
    refuse_link(folder, "the output")
    missing = []
    probe = folder
    while not probe.exists() and not os.path.islink(probe):
        missing.append(probe)
        if not parents:
            break
        probe = probe.parent
    for part in reversed(missing):
        try:
            os.mkdir(part, PRIVATE_FOLDER)
        except FileExistsError:
            pass  # made by another process (a parallel report worker) a moment ago
        except OSError as exc:
            raise os_error_message(exc, part, "create the folder") from None
        else:
            os.chmod(part, PRIVATE_FOLDER)  # mkdir's mode is filtered by the umask
    if not folder.is_dir():
        raise StorageError(f"{folder} is not a folder; nothing was written")
    return folder


def os_error_message(
    exc: OSError, path: Path, doing: str, needed: int | None = None
) -> StorageError:
    """A clear `StorageError` for an operating-system failure while `doing` something to `path`."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        size = f" (the file needs {_size(needed)} or more)" if needed else ""
        return StorageError(
            f"the disk holding {path.parent} is full{size}: could not {doing} {path.name}; "
            "free some space and run the command again (nothing was left half-written)"
        )
    if exc.errno == errno.EROFS:
        return StorageError(
            f"{path.parent} is on read-only media: could not {doing} {path.name}; "
            "choose a writable folder"
        )
    if exc.errno in (errno.EACCES, errno.EPERM):
        return StorageError(
            f"no permission to {doing} {path} (check the folder's owner and permissions)"
        )
    return StorageError(f"could not {doing} {path}: {exc.strerror or exc}")


def _size(n: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} bytes"  # pragma: no cover - the loop always returns


@contextlib.contextmanager
def atomic_file(
    target: str | os.PathLike, *, binary: bool = False, size: int | None = None
) -> Iterator[IO]:
    """A handle to write `target` through: it appears whole (0600) or not at all.

    `size`, when the caller knows it, is the file's size in bytes, named in
    the message of a full disk.

    Raises:
        StorageError: `target` is a symbolic link or a folder, its folder is
            missing, or the disk is full (the temporary file is removed then).
    """
    path = Path(target)
    refuse_link(path, "a file")
    if path.is_dir():
        raise StorageError(f"{path} is a folder; nothing was written")
    # Named before it exists: a stop (Ctrl+C, SIGTERM) at any moment after, even as the file
    # is being made, removes it.
    temporary = _temporary_name(path)
    try:
        fd = _create(temporary, path)
        handle = (
            os.fdopen(fd, "wb", buffering=BUFFER)
            if binary
            else os.fdopen(fd, "w", encoding="utf-8", newline="", buffering=BUFFER)
        )
        with handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except OSError as exc:
        needed = size or _written(temporary)
        _discard(temporary)
        raise os_error_message(exc, path, "write", needed) from None
    except BaseException:
        _discard(temporary)
        raise


#: Marks a temporary file as this program's, with the process that made it:
#: `.<name>.outcomes-tmp-<pid>-<random>.tmp` (see `sweep_stale`).
TEMP_MARK = "outcomes-tmp"
_STALE = re.compile(r"^\..*\." + TEMP_MARK + r"-(\d+)-[A-Za-z0-9_]+\.tmp$")
_SWEPT: set[str] = set()


def _temporary_name(path: Path) -> str:
    """A new name for a temporary file beside `path`, named as this program's (after a sweep).

    Nothing is created: the caller makes the file (`_create`) inside the block that removes
    it on failure, so no moment exists when the file is there and its name is not known.
    """
    sweep_stale(path.parent)
    token = secrets.token_hex(6)  # as unpredictable as mkstemp's, and never reused in practice
    return os.path.join(path.parent, f".{path.name[:40]}.{TEMP_MARK}-{os.getpid()}-{token}.tmp")


#: How `_create` opens a temporary file: made here or not at all (`O_EXCL`), never through
#: a link, not inherited by child processes.
_CREATE = (
    os.O_RDWR
    | os.O_CREAT
    | os.O_EXCL
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)


def _create(temporary: str, path: Path) -> int:
    """Make the file `temporary` (for `path`), owner-only (0600); its descriptor."""
    try:
        fd = os.open(temporary, _CREATE, PRIVATE_FILE)
        os.fchmod(fd, PRIVATE_FILE)  # the mode of `open` is filtered by the umask
    except OSError as exc:
        raise os_error_message(exc, path, "create") from None
    return fd


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process: alive
        return True
    return True


def sweep_stale(folder: str | os.PathLike) -> list[Path]:
    """Remove the temporary files a killed run of this program left in `folder`; returns them.

    A run stopped by `kill -9` (or a power cut) cannot remove its temporary file, which may hold
    identified data. Only files this program can prove are its own are removed: named with
    `TEMP_MARK` and the id of a process that is no longer running, a regular file owned by this
    user, owner-only (0600). Once per folder per run; a failure to remove one is left silent.
    """
    key = os.path.realpath(folder)
    if key in _SWEPT:
        return []
    _SWEPT.add(key)
    removed = []
    with contextlib.suppress(OSError):
        for entry in os.scandir(folder):
            match = _STALE.match(entry.name)
            if not match or int(match.group(1)) == os.getpid() or _alive(int(match.group(1))):
                continue
            info = entry.stat(follow_symlinks=False)
            if not stat.S_ISREG(info.st_mode) or info.st_uid != os.geteuid():
                continue
            if stat.S_IMODE(info.st_mode) != PRIVATE_FILE:
                continue
            with contextlib.suppress(OSError):
                os.unlink(entry.path)
                removed.append(Path(entry.path))
    return removed


def write_atomic(target: str | os.PathLike, data: str | bytes) -> Path:
    """Write `data` (text as UTF-8) to `target` through `atomic_file`; returns the path."""
    size = len(data) if isinstance(data, bytes) else len(data.encode("utf-8", "surrogatepass"))
    with atomic_file(target, binary=isinstance(data, bytes), size=size) as handle:
        handle.write(data)
    return Path(target)


@contextlib.contextmanager
def temporary_beside(target: str | os.PathLike) -> Iterator[tuple[Path, Callable[[], Path]]]:
    """A new empty private file beside `target`, and the function that moves it into place.

    For writers that need a file name rather than a handle (SQLite's backup,
    matplotlib's PDF pages). The mover renames it onto `target`; whatever
    happens in the block (an error, Ctrl+C), a temporary file not moved into
    place is removed on leaving it.
    """
    path = Path(target)
    refuse_link(path, "a file")

    def move_into_place() -> Path:
        try:
            os.replace(temporary, path)
        except OSError as exc:
            raise os_error_message(exc, path, "write") from None
        return path

    temporary = _temporary_name(path)  # named before it exists, as in `atomic_file`
    try:
        os.close(_create(temporary, path))
        yield Path(temporary), move_into_place
    finally:
        _discard(temporary)  # nothing is left under this name once it was moved


def _written(temporary: str) -> int | None:
    try:
        return os.stat(temporary).st_size or None
    except OSError:
        return None


def discard(temporary: str | os.PathLike) -> None:
    """Remove a temporary file, if it is still there."""
    _discard(str(temporary))


def _discard(temporary: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(temporary)


def loose_permissions(path: str | os.PathLike) -> str | None:
    """A sentence when the file at `path` can be read by the group or others, else None."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        return (
            f"warning: {path} can be read by other users of this computer (permissions "
            f"{stat.filemode(mode)}); it holds patient data: make it owner-only with "
            f"`chmod 600 {path}`"
        )
    return None
