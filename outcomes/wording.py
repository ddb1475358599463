"""Every sentence about a status, once (clinical-spec section 10).

The clinician app, patient mode, the command line and the reports all word a
status through these functions, so that they say the same thing and never
contradict the numbers beside them:

- change is worded by its direction ("60% below the starting score", "60%
  above the starting score"), never as a negative percentage "below";
- reliable change reads "better by 8 points" / "worse by 2 points";
- counts agree in number ("1 day", "2 days");
- relief reads the same everywhere: a relief censored at a booster is "still
  holding when a booster was given", never "still holding at the latest
  score", and a response lost during the induction says so.

The functions return plain strings: markup (bold, colour) is the app's
business. "Session k of N" takes N from the status (`induction_size`), never a
fixed 6. The patient-facing sentences (section "patient mode") avoid jargon.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from outcomes.drugs import ESKETAMINE, KETAMINE, drug_of, verdict_name
from outcomes.relief import BOOSTER, LOST_IN_INDUCTION, RELAPSE
from outcomes.response import (
    NO_BASELINE,
    NON_RESPONSE,
    PARTIAL_MIN_IMPROVEMENT,
    PARTIAL_RESPONSE,
    REMISSION,
    RESPONSE,
    RESPONSE_MIN_IMPROVEMENT,
    is_remission,
    is_response,
    remission_cut,
    response_level,
)
from outcomes.scales import get_scale
from outcomes.trend import BETTER, SAME, TREND_PERCENT, WORSE, Trend
from outcomes.verdict import (
    IN_PROGRESS,
    INCOMPLETE,
    LATER_ASSESSMENT,
    LATER_SESSION,
    NO_USABLE_BASELINE,
    NOT_STARTED,
    RESPONDER,
    RESPONSE_REACHED,
    STOPPED_SHORT,
    WINDOW_CLOSED,
    WINDOW_OPEN,
    ZERO_BASELINE,
    Verdict,
)
from outcomes.verdict import NO_BASELINE as NO_BASELINE_VERDICT

if TYPE_CHECKING:
    from outcomes.cohort import CohortSummary
    from outcomes.followup import FollowUp
    from outcomes.reliable_change import ReliableChange
    from outcomes.status import Milestone, PatientStatus, ScorePoint

#: How the starting score is named to a clinician.
STARTING_SCORE = "the starting score"
#: A session chart's panel when the session has no reading of its kind.
NOT_RECORDED_IN_SESSION = "not recorded in this session"
#: Said after an export or a report from an encrypted clinic: those files are never encrypted.
PLAIN_EXPORT_WARNING = (
    "note: the clinic's database is encrypted, but these files are not (exports and reports "
    "are plain files by nature): keep them on an encrypted disk, and delete them when done"
)


# ----- what a session is called -----------------------------------------------
def session_noun(drug: str | None) -> str:
    """What one treatment session of `drug` is called: an esketamine session is a
    nasal spray, never an "infusion" (clinical-spec section 11)."""
    return "session" if drug_of(drug) == ESKETAMINE else "infusion"


def drug_of_status(status: PatientStatus) -> str:
    """The drug of the status's course (ketamine before any session is given)."""
    return status.course.drug if status.course is not None else KETAMINE


def noun_of(status: PatientStatus) -> str:
    """`session_noun` of the status's course: "infusion" or "session"."""
    return session_noun(drug_of_status(status))


def patient_noun(status: PatientStatus) -> str:
    """A session as a patient calls it: "infusion", or "nasal spray session" for esketamine."""
    return "nasal spray session" if drug_of_status(status) == ESKETAMINE else "infusion"


# ----- numbers in words -----------------------------------------------------
def plural(count: int, word: str, many: str | None = None) -> str:
    """ "1 day", "2 days", "0 days"; `many` for an irregular plural ("1 was", "2 were")."""
    return f"{count} {word if count == 1 else many or word + 's'}"


#: One record of each import kind, for counts ("Imported 1 patient", "2 readings").
RECORD_NOUNS = {
    "patients": "patient",
    "infusions": "infusion",
    "assessments": "assessment",
    "vitals": "reading",
}


def records_words(count: int, kind: str) -> str:
    """ "1 patient", "3 assessments", "2 readings" (vitals) for an import's count."""
    return plural(count, RECORD_NOUNS.get(kind, kind))


def percent_change(improvement: float, reference: str = STARTING_SCORE) -> str:
    """An improvement % by its direction: "60% below the starting score", "10% above it".

    Rounded to a whole percent first, so that what is read agrees with the
    number: -0.4% is "the same as the starting score", never "0% above".
    """
    shown = round(improvement)
    if shown > 0:
        return f"{shown}% below {reference}"
    if shown < 0:
        return f"{-shown}% above {reference}"
    return f"the same as {reference}"


def percent_short(improvement: float) -> str:
    """The list's compact, unsigned change by direction: "60% better", "10% worse", "same"."""
    shown = round(improvement)
    if shown > 0:
        return f"{shown}% better"
    if shown < 0:
        return f"{-shown}% worse"
    return "same"


def points_change(change: int) -> str:
    """Points lower (better) or higher (worse): "better by 8 points", "worse by 1 point"."""
    if change > 0:
        return f"better by {plural(change, 'point')}"
    if change < 0:
        return f"worse by {plural(-change, 'point')}"
    return "no change in points"


def item_change_words(change: int) -> str:
    """One item's change in points, by direction (higher is worse): "2 lower", "1 higher", "same"."""
    if change < 0:
        return f"{-change} lower"
    if change > 0:
        return f"{change} higher"
    return "same"


def words(value: str | None) -> str:
    """A stored code as words: "partial_response" -> "partial response"."""
    return "" if value is None else str(value).replace("_", " ")


# ----- the verdict's rule in words -------------------------------------------------
#: What counts as a response, as the verdict's reasons say it.
RESPONSE_RULE = f"response (>= {RESPONSE_MIN_IMPROVEMENT:g}% below baseline)"


#: Why the verdict window of a non-responder is closed (clinical-spec section 4).
_WINDOW_CLOSED_BY = {
    LATER_ASSESSMENT: " (closed early by an assessment dated after the verdict window)",
    LATER_SESSION: " (closed early by a session given after the induction)",
}


def verdict_reason(verdict: Verdict) -> str:
    """The rule that decided the verdict, with its numbers and setting, for the verdict's drug:
    "all 8 induction sessions given and no response ... by 7 days after session 8"."""
    noun, n, limit = session_noun(verdict.drug), verdict.induction, verdict.limit_days
    induction = f"induction {noun}s"
    text = {
        NOT_STARTED: f"no {noun} given and no course started yet",
        NO_USABLE_BASELINE: (
            f"no usable baseline: no score on or before the first {noun} within "
            f"{plural(limit or 0, 'day')} (baseline_window_days), or a baseline of 0"
        ),
        ZERO_BASELINE: f"the baseline on {verdict.zero_baseline_at} is 0: there is nothing to improve on",
        RESPONSE_REACHED: (
            f"{RESPONSE_RULE} at session {verdict.session}, "
            f"day {verdict.days} after the first {noun}"
        ),
        WINDOW_CLOSED: (
            f"all {n} {induction} given and no {RESPONSE_RULE} "
            f"by {plural(limit or 0, 'day')} after {noun} {n}"
            + _WINDOW_CLOSED_BY.get(verdict.closed_by, "")
        ),
        WINDOW_OPEN: (
            f"all {n} {induction} given; the verdict window is open until "
            f"{plural(limit or 0, 'day')} after {noun} {n}"
        ),
        STOPPED_SHORT: (
            f"{verdict.given} of {n} {induction}, the last {plural(verdict.days or 0, 'day')} "
            f"ago (more than {limit}, incomplete_after_days), no response"
        ),
    }.get(verdict.rule, f"session {verdict.given} of {n}, no response yet")
    if verdict.nothing_measured:
        text += (
            f"; note: no score was recorded between the first {noun} "
            "and the end of the verdict window"
        )
    return text


def verdict_title(status: PatientStatus) -> str:
    """The verdict's name for a heading: "Six-session verdict", "Eight-session verdict"."""
    return verdict_name(status.induction_size).removeprefix("the ").capitalize()


# ----- where the course stands ---------------------------------------------
def progress_words(status: PatientStatus, short: bool = False) -> str:
    """ "session 3 of 6", "session 6 of 6 + 2 boosters", "no infusions yet".

    With `short`, the list's compact form: "3/6", "6/6 +2 boosters", "none yet".
    """
    if not status.infusions:
        return "none yet" if short else f"no {session_noun(drug_of_status(status))}s yet"
    given, n = status.induction_given, status.induction_size
    if short:
        return course_counts_short(given, status.boosters, n)
    text = f"session {given} of {n}"
    if status.boosters:
        text += " + " + plural(status.boosters, "booster")
    return text


def session_place(k: int, induction: int) -> str:
    """Session k of a course whose induction has `induction` sessions:
    "session 3 of 8", and past the induction "booster 1 (session 9)"."""
    if k <= induction:
        return f"session {k} of {induction}"
    return f"booster {k - induction} (session {k})"


def score_place(status: PatientStatus, point: ScorePoint) -> str:
    """Where a score sits in the course: "session 3", "booster 1 (session 7)", or for a score
    after the last induction session and past the verdict window, "follow-up, day 49 after the
    last induction infusion" (never "session 6" for a score seven weeks later)."""
    n = status.induction_size
    if point.session < 1:
        return f"before the first {noun_of(status)}"
    if point.session > n:
        return f"booster {point.session - n} (session {point.session})"
    if point.session == n and not point.in_verdict_window:
        last = status.infusions[n - 1].when.day
        days = (point.assessment.when.day - last).days
        return f"follow-up, day {days} after the last induction {noun_of(status)}"
    return f"session {point.session}"


def progress_short(status: PatientStatus) -> str:
    """The compact form of `progress_words` for a list."""
    return progress_words(status, short=True)


def course_counts_short(induction_given: int, boosters: int, induction: int) -> str:
    """The list's course cell from counts: "3/6", "6/6 +1 booster", "8/8 +2 boosters"."""
    text = f"{induction_given}/{induction}"
    if boosters:
        text += " +" + plural(boosters, "booster")
    return text


def course_of_counts(given: int, induction: int) -> str:
    """The list's course cell from the number of sessions given ("none yet" for none)."""
    if not given:
        return "none yet"
    return course_counts_short(min(given, induction), max(0, given - induction), induction)


def status_sentence(status: PatientStatus) -> str:
    """The status and the numbers behind it, in plain words."""
    if status.baseline is None or status.status == NO_BASELINE:
        return verdict_reason(status.verdict)
    base = status.baseline.total
    latest = status.latest
    if latest is None:
        return (
            f"starting score {base} on {status.baseline.when.day}; "
            f"no score since the first {noun_of(status)}"
        )
    scale = get_scale(status.scale)
    return (
        f"{words(status.status) or 'unknown'}: {scale.name} {latest.assessment.total} "
        f"({latest.band}) at {score_place(status, latest)}, "
        f"{percent_change(latest.improvement, f'{STARTING_SCORE} of {base}')}"
    )


def best_words(status: PatientStatus) -> str | None:
    """The best improvement within the verdict window, by direction; None without one."""
    if status.best_improvement is None:
        return None
    return percent_change(status.best_improvement)


def milestone_words(milestone: Milestone | None, noun: str = "infusion") -> str | None:
    """ "session 2, 2026-01-07 (day 2 after the first infusion)"; None when not reached.

    `noun` is what a session of the course is called (`noun_of`).
    """
    if milestone is None:
        return None
    return (
        f"session {milestone.session}, {milestone.when.when.iso()} "
        f"(day {milestone.days_from_first_infusion} after the first {noun})"
    )


def trend_words(trend: Trend | None) -> str | None:
    """The latest score against the one before it, read once: "about the same as the score
    before: 11 then 7, 4 points lower; the threshold is 6 points (reliable change)"."""
    if trend is None:
        return None
    direction = {BETTER: "better than", WORSE: "worse than", SAME: "about the same as"}[
        trend.direction
    ]
    moved = trend.previous - trend.latest
    if moved > 0:
        change = f"{plural(moved, 'point')} lower"
    elif moved < 0:
        change = f"{plural(-moved, 'point')} higher"
    else:
        change = "no change"
    if trend.threshold_points is not None:
        rule = f"the threshold is {plural(trend.threshold_points, 'point')} (reliable change)"
    elif trend.reliable_rule:
        rule = "the threshold is a reliable change (RC above 1.96)"
    else:
        least = max(1, -(-trend.previous * TREND_PERCENT // 100))  # whole points, rounded up
        rule = f"the threshold is {plural(least, 'point')} ({TREND_PERCENT}% of the earlier score)"
    return f"{direction} the score before: {trend.previous} then {trend.latest}, {change}; {rule}"


def reliable_words(reliable: ReliableChange) -> str:
    """The reliable change since the starting score, read once (section 10's "better by 8
    points"): "no reliable change: better by 5 points since the starting score; a change of 6
    points or more is reliable (NHS Talking Therapies)"."""
    from outcomes.reliable_change import DETERIORATED, IMPROVED, RECOVERED, UNCHANGED

    if reliable.change is None:
        return f"not assessed: {reliable.detail}"
    headline = {
        RECOVERED: "recovered",
        IMPROVED: "reliable improvement",
        UNCHANGED: "no reliable change",
        DETERIORATED: "reliable deterioration",
    }.get(reliable.category, words(reliable.category))
    return f"{headline}: {points_change(reliable.change)} since {STARTING_SCORE}; {reliable.detail}"


def followup_words(follow: FollowUp | None) -> str | None:
    """ "day 30 overdue since 2026-02-15, 5 days late"; None when nothing is scheduled."""
    from outcomes.followup import DUE, OVERDUE  # followup reads the status, which reads this

    if follow is None:
        return None
    due = follow.due_on.isoformat()
    if follow.state == OVERDUE:
        return f"day {follow.day} overdue (due on {due}, {plural(follow.days_late, 'day')} late)"
    if follow.state == DUE:
        return f"day {follow.day} due now (from {due})"
    return f"day {follow.day} upcoming on {due}"


def total_only_words(count: int) -> str | None:
    """The note about records entered as a total only; None when there are none."""
    if not count:
        return None
    return f"{plural(count, 'total-only record')}: the item-based checks cannot look at them"


# ----- relief ----------------------------------------------------------------
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


# ----- patient mode (plain language) -------------------------------------------
def share_words(percent: float) -> str:
    """50 -> "half", 25 -> "a quarter"; other values as percentages."""
    return {50.0: "half", 25.0: "a quarter"}.get(float(percent), f"{percent:g}%")


def day_text(day: date) -> str:
    """A date as a patient reads it: "5 January 2026"."""
    return f"{day.day} {day:%B %Y}"


def number_text(value: float) -> str:
    """10.0 -> "10", 10.5 -> "10.5"."""
    return str(int(value)) if value == int(value) else f"{value:.1f}"


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
        level = number_text(response_level(b))
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


def session_lines(status: PatientStatus, today: date) -> list[str]:
    """Infusions done, days since the last one, and the next check-in due."""
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
    lines.append(followup_line(status, today))
    return lines


def followup_line(status: PatientStatus, today: date) -> str:
    """When the next check-in questionnaire is due."""
    from outcomes.followup import DUE, OVERDUE, next_followup

    n = status.induction_size
    name = get_scale(status.scale).name
    follow = next_followup(status, today)
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


# ----- cohort counts: every denominator and who is left out ---------------------
def induction_rule_words(inductions: dict[str, int]) -> str:
    """What "the induction" means in a cohort, per drug (clinical-spec section 11):
    "6 infusions for ketamine, 8 sessions for esketamine"."""
    return ", ".join(
        f"{plural(n, session_noun(drug))} for {drug}" for drug, n in inductions.items()
    )


def within_induction_words(inductions: dict[str, int]) -> str:
    """ "within the induction: 6 infusions for ketamine, 8 sessions for esketamine"."""
    return f"within the induction: {induction_rule_words(inductions)}"


def late_sessions_words(inductions: dict[str, int]) -> str | None:
    """Which sessions only one drug's course has, when a cohort mixes induction lengths:
    "sessions 7 and 8 count esketamine courses only (8 sessions)"; None otherwise."""
    if len(set(inductions.values())) < 2:
        return None
    shortest = min(inductions.values())
    longer = [(drug, n) for drug, n in inductions.items() if n > shortest]
    parts = []
    for drug, n in longer:
        if n == shortest + 1:
            which = f"session {n}"
        elif n == shortest + 2:
            which = f"sessions {shortest + 1} and {n}"
        else:
            which = f"sessions {shortest + 1} to {n}"
        parts.append(f"{which} count {drug} courses only ({plural(n, session_noun(drug))})")
    return "; ".join(parts)


def _left_out(parts: list[tuple[int, str]]) -> str:
    """ "; not counted: 3 still in the induction, 2 without a baseline" (zeros skipped)."""
    named = [f"{count} {why}" for count, why in parts if count]
    return f"; not counted: {', '.join(named)}" if named else ""


def _not_started(summary: CohortSummary) -> list[tuple[int, str]]:
    counts = summary.verdict_counts
    return [
        (counts.get(IN_PROGRESS, 0), "still in the induction or not started"),
        (counts.get(NO_BASELINE_VERDICT, 0), "without a usable baseline"),
    ]


def all_who_started_words(summary: CohortSummary) -> str:
    """The by-session and ITT denominator, and who is not in it."""
    incomplete = summary.verdict_counts.get(INCOMPLETE, 0)
    return (
        f"{summary.all_who_started} of {plural(summary.patients, 'patient')} "
        f"(responders, non-responders, {incomplete} incomplete)" + _left_out(_not_started(summary))
    )


def completers_words(summary: CohortSummary) -> str:
    """The completers' denominator of the headline rates, and who is not in it."""
    incomplete = summary.verdict_counts.get(INCOMPLETE, 0)
    return (
        f"{summary.completers} of {plural(summary.patients, 'patient')} "
        "(responders and non-responders)"
        + _left_out([(incomplete, "incomplete"), *_not_started(summary)])
    )


def median_relief_words(summary: CohortSummary) -> str:
    """ "22 days (95% CI 7 to not reached)"; an undefined limit is said so, never replaced."""
    if summary.curve is None:
        return "no responder yet"
    median = summary.median_relief_days
    if median is None:
        return "not reached"
    low, high = summary.median_relief_ci
    low_text = "undefined" if low is None else number_text(low)
    high_text = "not reached" if high is None else number_text(high)
    return f"{number_text(median)} days (95% CI {low_text} to {high_text})"


def relief_count_words(summary: CohortSummary) -> str:
    """ "27 responders whose induction is over; 1 still in the induction"."""
    text = f"{plural(summary.relief_responders, 'responder')} whose induction is over"
    if summary.responders_in_induction:
        text += f" ({summary.responders_in_induction} more still in the induction, not yet counted)"
    return text


def waterfall_words(summary: CohortSummary) -> str:
    """The waterfall's count against the patients with a baseline, and why they differ."""
    shown, with_baseline = len(summary.waterfall), summary.with_baseline
    return (
        f"{plural(shown, 'patient')} with a baseline and a score within the induction"
        + _left_out(
            [
                (with_baseline - shown, "with a baseline but no score within the induction yet"),
                (summary.patients - with_baseline, "without a usable baseline"),
            ]
        )
    )


def trajectories_words(drawn: int, with_baseline: int, patients: int) -> str:
    """The trajectories' count: patients with a baseline and a later score."""
    return f"{plural(drawn, 'patient')} with a baseline and a later score" + _left_out(
        [
            (with_baseline - drawn, "with a baseline but no later score yet"),
            (patients - with_baseline, "without a usable baseline"),
        ]
    )
