"""How long relief lasted, in the same words in the app, the command line and the reports."""

from __future__ import annotations

from typing import TYPE_CHECKING

from outcomes.relief import BOOSTER, LOST_IN_INDUCTION, RELAPSE
from outcomes.verdict import RESPONDER
from outcomes.wording.course import noun_of
from outcomes.wording.numbers import plural

if TYPE_CHECKING:
    from outcomes.status import PatientStatus


def relief_words(status: PatientStatus) -> str:
    """How long relief lasted, the same words in the app, the CLI and the reports."""
    relief = status.relief
    if relief is None:
        return _no_relief_words(status)
    day0 = relief.day0.day
    end = day0.fromordinal(day0.toordinal() + relief.days)
    noun = noun_of(status)
    since = f"after the last induction {noun} ({day0})"
    if relief.ended_by == LOST_IN_INDUCTION:
        return lost_in_induction_words(status)
    if relief.ended_by == RELAPSE:
        return f"{plural(relief.days, 'day')} {since}, ended by loss of response on {end}"
    if relief.ended_by == BOOSTER and not relief.censored:
        return (
            f"{plural(relief.days, 'day')} {since}, ended by a booster on {end} "
            "(a booster counts as the end of relief: booster_ends_relief)"
        )
    if relief.ended_by == BOOSTER:
        return (
            f"at least {plural(relief.days, 'day')} {since}: still holding when a booster "
            f"was given on {end}, where observation stops (booster_ends_relief is off)"
        )
    if relief.measured_to is None:
        return (
            f"not measured yet: no score since the last induction {noun} ({day0}); "
            "relief is counted from it once a score comes"
        )
    return (
        f"at least {plural(relief.days, 'day')} {since}: still holding at the latest score "
        f"({relief.measured_to.day})"
    )


def relief_label(status: PatientStatus) -> str:
    """The short label of the relief span on a chart, agreeing with `relief_words`."""
    relief = status.relief
    if relief is None:
        return ""
    if relief.ended_by == LOST_IN_INDUCTION:
        return f"no relief: response lost by the last induction {noun_of(status)}"
    days = plural(relief.days, "day")
    if relief.ended_by == RELAPSE:
        return f"relief {days}, until loss of response"
    if relief.ended_by == BOOSTER and not relief.censored:
        return f"relief {days}, until a booster (counted as loss of relief)"
    if relief.ended_by == BOOSTER:
        return f"relief at least {days}, still holding at a booster"
    if relief.measured_to is None:
        return "relief not measured yet: no score since the induction"
    return f"relief at least {days} so far, still holding"


def _no_relief_words(status: PatientStatus) -> str:
    if status.verdict.value != RESPONDER:
        return "not measured: relief is measured for responders only"
    return (
        f"not measured yet: counted from the last induction {noun_of(status)}, once all "
        f"{status.induction_size} are given ({status.induction_given} so far)"
    )


def lost_in_induction_words(status: PatientStatus) -> str:
    """ "no relief after the induction: the response reached at session 2 was lost by the last
    induction infusion (score 14 on 2026-01-15, confirmed by 13 on 2026-01-20)"."""
    first = status.first_response
    relief = status.relief
    at = f" reached at session {first.session}" if first is not None else ""
    text = f"no relief after the induction: the response{at} was lost by the last induction {noun_of(status)}"
    if relief is None or relief.relapse_when is None:
        return text
    scores = {p.assessment.when: p.assessment.total for p in status.points}
    lost = f"score {scores.get(relief.relapse_when, '?')} on {relief.relapse_when.iso()}"
    if relief.measured_to is not None:
        confirmed = (
            f"confirmed by {scores.get(relief.measured_to, '?')} on {relief.measured_to.iso()}"
        )
    else:
        confirmed = "no score in the verdict window after it"
    return f"{text} ({lost}, {confirmed})"


#: The patient list's relief cell for a response lost during the induction (never a bare 0).
RELIEF_LOST_SHORT = "lost"
