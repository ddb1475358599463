"""Streaming output files: the name the streamed exports use for `db.files.atomic_file`.

One writer for every output file lives in `db.files` (a fresh, unpredictable
temporary file created exclusively beside the target, 0600, flushed and
renamed; never through a link). This module only keeps the name.
"""

from __future__ import annotations

from db.files import atomic_file as atomic_text

__all__ = ["atomic_text"]
