"""The one way the program writes a file: atomically, owner-only, never through a link.

Every output (CSV and FHIR exports, reports, charts, backups) goes through
`atomic_file`: a new temporary file is created exclusively (``mkstemp``: an
unpredictable name, ``O_EXCL``, mode 0600) in the destination folder itself,
written, flushed to disk, and only then renamed onto the final name. So a
crash or a full disk never leaves half a file where a good one was, a
planted symlink is never followed (the rename replaces a name, it does not
write through it), and no other user can read a file that holds patient
data. Folders the program creates are owner-only (0700) too.

A full disk becomes a `StorageError` saying so and how much space the file
needed when that is known; the temporary file is removed.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from pathlib import Path
from typing import IO, Iterator

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
    try:
        fd, temporary = tempfile.mkstemp(
            dir=path.parent, prefix=f".{path.name[:40]}.", suffix=".tmp"
        )
    except OSError as exc:
        raise os_error_message(exc, path, "create") from None
    os.fchmod(fd, PRIVATE_FILE)
    handle = (
        os.fdopen(fd, "wb", buffering=BUFFER)
        if binary
        else os.fdopen(fd, "w", encoding="utf-8", newline="", buffering=BUFFER)
    )
    try:
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


def write_atomic(target: str | os.PathLike, data: str | bytes) -> Path:
    """Write `data` (text as UTF-8) to `target` through `atomic_file`; returns the path."""
    size = len(data) if isinstance(data, bytes) else len(data.encode("utf-8", "surrogatepass"))
    with atomic_file(target, binary=isinstance(data, bytes), size=size) as handle:
        handle.write(data)
    return Path(target)


def temporary_beside(target: str | os.PathLike) -> tuple[Path, callable]:
    """A new empty private file beside `target`, and the function that moves it into place.

    For writers that need a file name rather than a handle (SQLite's backup,
    matplotlib's PDF pages). The mover renames it onto `target`; if it is
    never called, the caller must `discard` the temporary file.
    """
    path = Path(target)
    refuse_link(path, "a file")
    try:
        fd, temporary = tempfile.mkstemp(
            dir=path.parent, prefix=f".{path.name[:40]}.", suffix=".tmp"
        )
    except OSError as exc:
        raise os_error_message(exc, path, "create") from None
    os.fchmod(fd, PRIVATE_FILE)
    os.close(fd)

    def move_into_place() -> Path:
        try:
            os.replace(temporary, path)
        except OSError as exc:
            _discard(temporary)
            raise os_error_message(exc, path, "write") from None
        return path

    return Path(temporary), move_into_place


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
