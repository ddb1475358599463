"""Writing the FHIR export as files, streamed: a Bundle, or Bulk Data NDJSON files.

Resources come from `db.fhir.clinic_resources` one at a time and are written
as they come, each with the C JSON encoder (no `indent`: that switches Python
to its pure-Python encoder, several times slower), so memory is one chunk of
patients whatever the size of the clinic. Files are owner-only and appear
under their final name only when complete (`db.outfiles`).
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import TYPE_CHECKING

from db.fhir import bundle_header, clinic_resources
from db.files import private_folder
from db.outfiles import atomic_text
from db.paths import new_file, output_folder

if TYPE_CHECKING:  # annotations only: loaded where a connection is made (db.connection)
    import sqlite_utils

#: The Bulk Data files, one per resource type (FHIR Bulk Data Access, NDJSON).
NDJSON_TYPES = ("Patient", "Procedure", "Observation", "QuestionnaireResponse")
#: Written even when empty (a clinic without web check-ins has no QuestionnaireResponse file).
ALWAYS_WRITTEN = ("Patient", "Procedure", "Observation")

_dumps = json.JSONEncoder(ensure_ascii=False).encode


def export_fhir(
    database: sqlite_utils.Database, target: str | Path, *, deidentify: bool = False
) -> dict:
    """Write the clinic as one R4 collection Bundle to the new file `target`; returns counts per type."""
    target = new_file(target, "the FHIR bundle")  # checked before any work
    counts = dict.fromkeys(NDJSON_TYPES, 0)
    with atomic_text(target) as out:
        out.write(_dumps(bundle_header())[:-1] + ', "entry": [')
        separator = "\n"
        for url, resource in clinic_resources(database, deidentify=deidentify):
            out.write(separator)
            out.write(_dumps({"fullUrl": url, "resource": resource}))
            separator = ",\n"
            counts[resource["resourceType"]] += 1
        out.write("\n]}\n")
    return {kind: n for kind, n in counts.items() if n}


def export_ndjson(
    database: sqlite_utils.Database, folder: str | Path, *, deidentify: bool = False
) -> dict:
    """Write Patient.ndjson, Procedure.ndjson and Observation.ndjson into `folder`; returns counts per type.

    QuestionnaireResponse.ndjson is written too when the clinic has web check-ins.

    One resource per line; references are relative (`Patient/<id>`), as a FHIR
    server's bulk import expects. The folder is created when missing; an
    existing file of the same name is never overwritten.
    """
    names = tuple(f"{kind}.ndjson" for kind in NDJSON_TYPES)
    folder = output_folder(folder, names)
    private_folder(folder)
    counts = dict.fromkeys(NDJSON_TYPES, 0)
    with contextlib.ExitStack() as stack:
        files = {
            kind: stack.enter_context(atomic_text(folder / f"{kind}.ndjson"))
            for kind in ALWAYS_WRITTEN
        }
        for _url, resource in clinic_resources(database, deidentify=deidentify, relative=True):
            kind = resource["resourceType"]
            if kind not in files:
                files[kind] = stack.enter_context(atomic_text(folder / f"{kind}.ndjson"))
            files[kind].write(_dumps(resource))
            files[kind].write("\n")
            counts[kind] += 1
    return {kind: n for kind, n in counts.items() if n or kind in ALWAYS_WRITTEN}
