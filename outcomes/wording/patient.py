"""Patient mode's sentences: plain language, no jargon (what a patient reads).

The next check-in is handed in (`outcomes.followup.next_followup`), never computed here.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from outcomes.followup import DUE, OVERDUE
from outcomes.relief import BOOSTER, LOST_IN_INDUCTION, RELAPSE
from outcomes.response import (
    NON_RESPONSE,
    PARTIAL_MIN_IMPROVEMENT,
    PARTIAL_RESPONSE,
    REMISSION,
    RESPONSE,
    RESPONSE_MIN_IMPROVEMENT,
    is_remission,
    is_response,
    remission_cut,
    response_score,
)
from outcomes.scales import get_scale
from outcomes.wording.course import patient_noun
from outcomes.wording.numbers import day_text, plural, share_words

if TYPE_CHECKING:
    from outcomes.followup import FollowUp
    from outcomes.status import PatientStatus


def response_line_label(score: int, for_patient: bool) -> str:
    """The response line's name on a chart, at the highest whole score that is a response."""
    if for_patient:
        return f"{score} or lower: response (half your starting score or lower)"
    return f"response: {score} or lower ({RESPONSE_MIN_IMPROVEMENT:g}% below baseline)"


def what_it_measures(scale_id: str) -> str:
    """What a scale measures, without the parenthesis: "depression"."""
    return get_scale(scale_id).purpose.split(" (")[0]


def patient_change(improvement: float, noun: str = "infusion") -> str:
    """The change since before the first session (`patient_noun`), for a patient, by direction."""
    shown = round(improvement)
    before = f"before your first {noun}"
    if shown > 0:
        return f"{shown}% lower than {before}"
    if shown < 0:
        return f"{-shown}% higher than {before}"
    return f"about the same as {before}"


def headline(status: PatientStatus | None, scale_id: str | None) -> str:
    """The one sentence a patient reads first."""
    if status is None or scale_id is None:
        return "There are no questionnaire scores for you yet."
    scale = get_scale(scale_id)
    base, latest, noun = status.baseline, status.latest, patient_noun(status)
    if not status.points:
        return f"There are no {scale.name} scores for you yet."
    if base is None:
        last = status.points[-1].assessment
        return (
            f"Your latest {scale.name} score is {last.total} ({scale.band(last.total)}). "
            "It cannot be compared with how you were before treatment: there is no "
            f"score from shortly before your first {noun}."
        )
    start = f"{base.total} ({scale.band(base.total)})"
    if latest is None:
        return (
            f"Your {scale.name} score before your first {noun} was {start}. "
            f"There is no score since your first {noun} yet."
        )
    now = f"{latest.assessment.total} ({latest.band})"
    return f"Your {scale.name} score went from {start} to {now}: {patient_change(latest.improvement or 0.0, noun)}."


def scale_line(scale_id: str) -> str:
    """What the scale measures, in one sentence."""
    name = get_scale(scale_id).name
    return f"The {name} measures {what_it_measures(scale_id)}. A lower score means fewer symptoms."


def first_reached(status: PatientStatus, kind: str) -> tuple[int, int] | None:
    """(infusions before, days since the first infusion) of the first response or remission.

    The domain's milestones count only scores within the verdict window; a
    patient who got there later (after boosters, say) has still reached it,
    so later scores are searched too, with the domain's own tests.
    """
    milestone = status.first_response if kind == RESPONSE else status.first_remission
    if milestone is not None:
        return milestone.session, milestone.days_from_first_infusion
    b = status.baseline.total if status.baseline else None
    for p in status.points:
        if b is None or p.session < 1 or p.day is None:
            continue
        if kind == RESPONSE and is_response(b, p.assessment.total):
            return p.session, p.day
        if kind == REMISSION and p.status == REMISSION:
            return p.session, p.day
    return None


def _reached_line(what: str, reached: tuple[int, int], meaning: str, noun: str) -> str:
    return (
        f"[x] {what} reached after {noun} {reached[0]}, "
        f"{plural(reached[1], 'day')} after your first {noun}. {meaning}."
    )


def milestone_lines(status: PatientStatus) -> list[str]:
    """Response and remission: reached or not, what each means, and where the latest score is."""
    if status.baseline is None:
        return []
    b = status.baseline.total
    half = share_words(RESPONSE_MIN_IMPROVEMENT)
    lines = []
    meaning = f"Response means your score dropped by at least {half} from where you started"
    reached = first_reached(status, RESPONSE)
    if reached:
        lines.append(_reached_line("Response", reached, meaning, patient_noun(status)))
    else:
        level = response_score(b)  # a whole score: "to 9 or lower", never "to 9.5"
        lines.append(f"[ ] Response not reached yet. {meaning} (here: to {level} or lower).")
    cut = remission_cut(status.scale, status.settings)
    # A score at the cut would count only if the baseline was above it.
    if cut is not None and is_remission(b, cut, cut):
        meaning = (
            f"Remission means your score is {cut} or lower, the range where few "
            "or no symptoms are left"
        )
        reached = first_reached(status, REMISSION)
        if reached:
            lines.append(_reached_line("Remission", reached, meaning, patient_noun(status)))
        else:
            lines.append(f"[ ] Remission not reached yet. {meaning}.")
    now = latest_line(status)
    if now:
        lines.append(now)
    return lines


def latest_line(status: PatientStatus) -> str | None:
    """Where the latest score stands against the start, never contradicting its direction."""
    latest = status.latest
    if latest is None or latest.improvement is None:
        return None
    half, quarter = share_words(RESPONSE_MIN_IMPROVEMENT), share_words(PARTIAL_MIN_IMPROVEMENT)
    if status.status == REMISSION:
        return "Your latest score is in the remission range (few or no symptoms left)."
    if status.status == RESPONSE:
        return f"Your latest score is at least {half} lower than where you started."
    if status.status == PARTIAL_RESPONSE:
        return (
            f"Your latest score is between {quarter} and {half} lower than where you "
            "started (a partial response)."
        )
    if status.status != NON_RESPONSE:
        return None
    shown = round(latest.improvement)
    if shown > 0:
        return f"Your latest score is lower than where you started, by less than {quarter}."
    if shown < 0:
        return f"Your latest score is higher than where you started, by {shown * -1}%."
    return "Your latest score is about the same as where you started."


def patient_relief_line(status: PatientStatus) -> str | None:
    """How long the response held after the first infusions, in plain words (responders only)."""
    relief = status.relief
    if relief is None:
        return None
    n, noun = status.induction_size, patient_noun(status)
    half = share_words(RESPONSE_MIN_IMPROVEMENT)
    after = f"after your last of the first {n} {noun}s"
    if relief.ended_by == LOST_IN_INDUCTION:
        return (
            f"Your score came down by at least {half}, but was no longer that low by "
            f"the end of your first {n} {noun}s."
        )
    if relief.ended_by == RELAPSE:
        return f"Your score stayed at least {half} lower for {plural(relief.days, 'day')} {after}."
    if relief.ended_by == BOOSTER:
        return (
            f"Your score stayed at least {half} lower for {plural(relief.days, 'day')} {after}, "
            f"until you had a booster {noun}."
        )
    if relief.measured_to is None:
        return (
            f"There is no score since your last of the first {n} {noun}s yet, so how long "
            "the improvement lasts is not known yet."
        )
    return f"Your score has stayed at least {half} lower for {plural(relief.days, 'day')} {after} so far."


def session_lines(status: PatientStatus, follow: FollowUp | None, today: date) -> list[str]:
    """Infusions done, days since the last one, and the next check-in due (`followup_line`)."""
    n, noun = status.induction_size, patient_noun(status)
    infusions = status.infusions
    if not infusions:
        return [f"You have not had {'an' if noun[0] in 'aeiou' else 'a'} {noun} yet."]
    course = "this treatment course" if status.course_count > 1 else "your treatment course"
    text = f"You have had {status.induction_given} of the {n} {noun}s of {course}"
    if status.boosters:
        text += (
            f", and {plural(status.boosters, 'booster')} since (a booster is an extra "
            f"{noun} after the first {n})"
        )
    lines = [text + "."]
    last = infusions[-1].when.day
    ago = (today - last).days
    when = "today" if ago == 0 else "yesterday" if ago == 1 else f"{plural(ago, 'day')} ago"
    lines.append(f"Your last {noun} was {when}, on {day_text(last)}.")
    lines.append(followup_line(status, follow, today))
    return lines


def followup_line(status: PatientStatus, follow: FollowUp | None, today: date) -> str:
    """When the next check-in questionnaire is due: `follow` is the status's next
    follow-up as of `today` (`outcomes.followup.next_followup`), None when none is."""
    n = status.induction_size
    name = get_scale(status.scale).name
    if follow is None:
        if status.sessions_completed < n:
            return (
                f"Check-in questionnaires ({name}) start once all {n} "
                f"{patient_noun(status)}s are done."
            )
        return f"You have done all the planned check-in questionnaires ({name})."
    if follow.state == OVERDUE:
        return (
            f"Your {name} check-in questionnaire was due on {day_text(follow.due_on)}: "
            "please ask the clinic team for it."
        )
    if follow.state == DUE:
        return f"Your {name} check-in questionnaire is due now (from {day_text(follow.due_on)})."
    days = (follow.due_on - today).days
    return (
        f"Your next {name} check-in questionnaire is due on {day_text(follow.due_on)}, "
        f"in {plural(days, 'day')}."
    )
