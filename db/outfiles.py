"""Writing an output file atomically and owner-only, as a stream of text.

Exports hold patient data: the file is created 0600 under a temporary name
in the target's folder, written line by line (so memory stays bounded however
large the clinic), flushed to disk and only then renamed over the final name.
A crash or a refusal half-way leaves no partial file behind, and an existing
file is never replaced (callers check the name first with `db.paths`).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import IO, Iterator

#: Bytes buffered before a write reaches the operating system.
BUFFER = 1 << 20


@contextlib.contextmanager
def atomic_text(target: Path) -> Iterator[IO[str]]:
    """A text handle (UTF-8, "\\n" line ends) whose content appears at `target` on success only."""
    temporary = target.with_name(f".{target.name}.partial")
    fd = os.open(temporary, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600)
    os.fchmod(fd, 0o600)  # O_CREAT's mode is filtered by the umask
    try:
        with open(fd, "w", encoding="utf-8", newline="", buffering=BUFFER) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
