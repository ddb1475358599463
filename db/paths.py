"""Where files go in and out: the checks made before any byte is written or read.

Nothing the program writes replaces an existing file (an old export or
backup may be the only copy of something), and nothing is written into a
folder that does not exist: a mistyped folder name (`/media/usb-bakcup/`)
would otherwise quietly put a clinic's data on the local disk. Each check
raises `StorageError` with the path, what is wrong and what to do.
"""

from __future__ import annotations

import os
from pathlib import Path

from db.errors import StorageError
from db.files import refuse_link


def _folder_problem(folder: Path) -> str | None:
    if not folder.exists():
        return f"the folder {folder} does not exist; create it first, or check the path for a typing slip"
    if not folder.is_dir():
        return f"{folder} is a file, not a folder"
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"the folder {folder} cannot be written to (no permission)"
    return None


def new_file(path: str | os.PathLike, what: str) -> Path:
    """A path for a new file (`what`: "the backup", "the FHIR bundle"), checked.

    Raises:
        StorageError: the path is a folder or an existing file, or its folder
            is missing or not writable.
    """
    target = Path(path).expanduser()
    refuse_link(target, what)
    if target.is_dir():
        raise StorageError(
            f"{target} is a folder; give a file name for {what} (for example "
            f"{target / 'name'}), nothing was written"
        )
    if target.exists():
        raise StorageError(
            f"{target} already exists; choose a new file name for {what} "
            "(an existing file is never overwritten), nothing was written"
        )
    problem = _folder_problem(target.parent.resolve())
    if problem:
        raise StorageError(f"{problem}; nothing was written")
    return target


def output_folder(path: str | os.PathLike, names: tuple[str, ...] = ()) -> Path:
    """A folder to write `names` into: it may be new (its parent must exist) or hold none of them.

    Raises:
        StorageError: the path is a file, its parent folder is missing, or one
            of `names` is already there (nothing is overwritten).
    """
    folder = Path(path).expanduser()
    refuse_link(folder, "the output")
    if folder.exists() and not folder.is_dir():
        raise StorageError(
            f"{folder} is a file, not a folder; give a folder for the output "
            "(it is created when missing), nothing was written"
        )
    if not folder.exists():
        problem = _folder_problem(folder.resolve().parent)
        if problem:
            raise StorageError(
                f"{problem}; only the last folder of the path is created; nothing was written"
            )
        return folder
    clashes = [name for name in names if (folder / name).exists() or (folder / name).is_symlink()]
    if clashes:
        raise StorageError(
            f"{folder} already holds {', '.join(clashes)}; choose an empty or new folder "
            "(an existing file is never overwritten), nothing was written"
        )
    problem = _folder_problem(folder)
    if problem:
        raise StorageError(f"{problem}; nothing was written")
    return folder


def input_file(path: str | os.PathLike) -> Path:
    """A file to read, checked: it exists, is a file, and may be read.

    Raises:
        StorageError: naming the path and what is wrong.
    """
    source = Path(path).expanduser()
    if not source.exists():
        folder = source.parent
        hint = "" if folder.is_dir() else f" (the folder {folder} does not exist either)"
        raise StorageError(f"there is no file {source}{hint}; check the name and folder")
    if source.is_dir():
        raise StorageError(
            f"{source} is a folder; give the CSV file inside it (for example patients.csv)"
        )
    if not source.is_file():
        raise StorageError(
            f"{source} is not a regular file (a device, a pipe or a socket); "
            "give a CSV file saved on disk"
        )
    if not os.access(source, os.R_OK):
        raise StorageError(f"{source} cannot be read (no permission)")
    return source
