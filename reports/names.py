"""Safe file names for patient ids, and the guard that keeps files inside `--out`.

A patient id is whatever the clinic typed (1-64 characters, any unicode):
`../x`, `a/b`, `/etc/passwd` or `C:\\x` are all legal ids. A file name is made
from a readable slug of the id plus a short hash of the exact id, so two ids
never share a file (even ids that differ only in case or in characters the
slug drops), and the name never contains a path separator.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from pathlib import Path

_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")
_SLUG_MAX = 40


class OutsideOutputError(ValueError):
    """A computed path would leave the output folder (never expected)."""


def patient_stem(patient_id: str) -> str:
    """A file-name stem for a patient id: ``slug-hash8``, ASCII only."""
    ascii_text = unicodedata.normalize("NFKD", patient_id).encode("ascii", "ignore").decode()
    slug = _UNSAFE.sub("-", ascii_text).strip("-_")[:_SLUG_MAX].strip("-_") or "patient"
    digest = hashlib.sha256(patient_id.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"{slug}-{digest}"


def inside(root: Path, name: str) -> Path:
    """`root / name`, refusing anything that would not be a direct child of `root`."""
    if not name or name in (".", "..") or "/" in name or "\\" in name or "\0" in name:
        raise OutsideOutputError(f"refusing file name {name!r}")
    root = root.resolve()
    path = (root / name).resolve()
    if path.parent != root:
        raise OutsideOutputError(f"refusing {path}: not inside {root}")
    return path
