"""Published real-world figures, shown beside the clinic's own (issue 27).

Each figure was read from the paper's abstract; `quote` is the abstract's
sentence it came from, so a reader can check it. Only figures whose abstract
could be read are here: an esketamine registry (enTRD) was looked for, but its
abstract's response and remission figures could not be read, so it is left
out rather than copied from a summary. Where the paper's definition differs
from this program's (scale, time point, cut), `differs` says how.
"""

from __future__ import annotations

from dataclasses import dataclass

from outcomes.associations import Rate


@dataclass(frozen=True, slots=True)
class PublishedFigure:
    """One published rate and what it counts."""

    study: str
    citation: str
    drug: str
    scale: str
    measure: str  # "response" or "remission"
    percent: float
    n: int
    definition: str
    differs: str
    quote: str


_MCINNES = (
    "McInnes et al. 2022 (Osmind registry)",
    "McInnes LA, Qian JJ, Gargeya RS, DeBattista C, Heifets BD. A retrospective analysis of "
    "ketamine intravenous therapy for depression in real-world care settings. J Affect Disord "
    "2022. doi:10.1016/j.jad.2021.12.097",
)
_MCINNES_QUOTE = (
    "Among the 537 patients who underwent induction and had sufficient data, 53.6% of patients "
    "showed a response (≥ 50% reduction in PHQ-9 score) at 14-31 days post-induction and 28.9% "
    "remitted (PHQ-9 score drop to < 5)."
)
_OLIVER = (
    "Oliver et al. 2022 (chart review)",
    "Oliver PA, Snyder AD, Feinn R, Malov S, McDiarmid G, Arias AJ. Clinical effectiveness of "
    "intravenous racemic ketamine infusions in a large community sample of patients with "
    "treatment-resistant depression, suicidal ideation, and generalized anxiety symptoms: a "
    "retrospective chart review. J Clin Psychiatry 2022;83(6):21m14336",
)
_OLIVER_QUOTE = (
    "Based on PHQ-9 self-report data, within 6 weeks of infusion initiation, a 50% response "
    "rate and 20% remission rate for depressive symptoms were observed."
)

PUBLISHED: tuple[PublishedFigure, ...] = (
    PublishedFigure(
        *_MCINNES,
        drug="ketamine",
        scale="phq9",
        measure="response",
        percent=53.6,
        n=537,
        definition=">= 50% below baseline on PHQ-9, 14-31 days after the induction",
        differs="later time point: 14-31 days after the induction, not within the verdict window",
        quote=_MCINNES_QUOTE,
    ),
    PublishedFigure(
        *_MCINNES,
        drug="ketamine",
        scale="phq9",
        measure="remission",
        percent=28.9,
        n=537,
        definition="PHQ-9 below 5, 14-31 days after the induction",
        differs="same cut (PHQ-9 <= 4); later time point: 14-31 days after the induction",
        quote=_MCINNES_QUOTE,
    ),
    PublishedFigure(
        *_OLIVER,
        drug="ketamine",
        scale="phq9",
        measure="response",
        percent=50.0,
        n=424,
        definition="PHQ-9 response within 6 weeks of the first infusion",
        differs="time point: within 6 weeks of the first infusion; the abstract states no cut",
        quote=_OLIVER_QUOTE,
    ),
    PublishedFigure(
        *_OLIVER,
        drug="ketamine",
        scale="phq9",
        measure="remission",
        percent=20.0,
        n=424,
        definition="PHQ-9 remission within 6 weeks of the first infusion",
        differs="time point: within 6 weeks of the first infusion; the abstract states no cut",
        quote=_OLIVER_QUOTE,
    ),
)

#: This program's definitions, for the clinic's rows of the table.
OUR_DEFINITION = {
    "response": ">= 50% below baseline by the end of the verdict window, among completers",
    "remission": "at or below the scale's remission cut by then, among completers",
}


def published_for(drug: str, scale: str) -> tuple[PublishedFigure, ...]:
    """The published figures on the same drug (any scale: a different scale is said in the row)."""
    return tuple(f for f in PUBLISHED if f.drug == drug)


def scale_note(figure: PublishedFigure, scale: str) -> str:
    """What differs, including the scale when the clinic's is not the paper's."""
    if figure.scale == scale:
        return figure.differs
    return f"other scale ({figure.scale} in the paper); " + figure.differs


def comparison_rows(drug: str, scale: str, response: Rate, remission: Rate, who: str) -> list[dict]:
    """The table of `who`'s rates (with intervals) and the published ones beside them."""
    ours = [
        {
            "source": who,
            "measure": name,
            "percent": None if r.rate is None else round(100 * r.rate, 1),
            "ci": [
                None if r.low is None else round(100 * r.low, 1),
                None if r.high is None else round(100 * r.high, 1),
            ],
            "n": r.n,
            "definition": OUR_DEFINITION[name],
            "differs": "",
            "citation": "",
        }
        for name, r in (("response", response), ("remission", remission))
    ]
    theirs = [
        {
            "source": f.study,
            "measure": f.measure,
            "percent": f.percent,
            "ci": [None, None],  # the abstracts give no interval: none is made up
            "n": f.n,
            "definition": f.definition,
            "differs": scale_note(f, scale),
            "citation": f.citation,
        }
        for f in published_for(drug, scale)
    ]
    return ours + theirs
