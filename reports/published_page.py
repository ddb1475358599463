"""The page that sets a clinic's (or a network's) rates beside published real-world cohorts.

Used by the cohort report and the pooled report. The published figures and
their definitions live in `outcomes.published`; this page only draws them.
"""

from __future__ import annotations

from typing import Sequence

from outcomes.associations import rate
from outcomes.drugs import KETAMINE
from outcomes.published import comparison_rows, published_for
from outcomes.scales import get_scale
from outcomes.status import PatientStatus
from outcomes.verdict import NON_RESPONDER, RESPONDER
from reports.layout import Cursor
from reports.style import SMALL_SIZE

#: (heading, the rows of `outcomes.published.comparison_rows`)
Table = tuple[str, list[dict]]


def published_rows(summary, statuses: Sequence[PatientStatus]) -> list[Table]:
    """The clinic's ketamine completers beside the published ketamine cohorts (none: no page)."""
    if not published_for(KETAMINE, summary.scale):
        return []
    completers = [
        s
        for s in statuses
        if s.course is not None
        and s.course.drug == KETAMINE
        and s.verdict.value in (RESPONDER, NON_RESPONDER)
    ]
    if not completers:
        return []
    responded = sum(1 for s in completers if s.verdict.value == RESPONDER)
    remitted = sum(1 for s in completers if s.first_remission)
    rows = comparison_rows(
        KETAMINE,
        summary.scale,
        rate("response", responded, len(completers)),
        rate("remission", remitted, len(completers)),
        "this clinic",
    )
    return [(f"ketamine, judged on {get_scale(summary.scale).name}", rows)]


def _cells(row: dict) -> tuple[str, ...]:
    low, high = row["ci"]
    ci = "-" if low is None else f"{low:.1f}-{high:.1f}"
    percent = "-" if row["percent"] is None else f"{row['percent']:.1f}"
    return (row["source"], row["measure"], percent, ci, str(row["n"]), row["differs"] or "-")


def published_page(fig, tables: Sequence[Table], who: str) -> None:
    """The tables, the definitions, and the sources in full."""
    cur = Cursor(fig, y=0.95, left=0.06, right=0.94)
    cur.title("Beside published real-world cohorts")
    cur.paragraph(
        f"{who}'s response and remission with Wilson 95% intervals, beside published figures "
        "read from each paper's abstract; where a definition differs from this program's, the "
        "row says so. Different patients, places and times: a comparison, not a ranking."
    )
    citations: list[str] = []
    for title, rows in tables:
        cur.heading(title)
        cur.table(
            ["source", "measure", "%", "95% CI", "n", "what differs from this program's figure"],
            [_cells(r) for r in rows],
            [0.22, 0.09, 0.06, 0.11, 0.06, 0.46],
            size=SMALL_SIZE,
        )
        for r in rows:
            if r["citation"] and r["citation"] not in citations:
                citations.append(r["citation"])
        ours = [r for r in rows if not r["citation"]]
        for r in ours:
            cur.paragraph(f"{r['source']}, {r['measure']}: {r['definition']}.", size=SMALL_SIZE)
    if not tables:
        cur.paragraph("No published real-world figure for these drugs and scales.")
        return
    cur.heading("Sources")
    for citation in citations:
        cur.paragraph(citation, size=SMALL_SIZE)
