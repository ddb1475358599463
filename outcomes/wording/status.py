"""One patient's status in words: the status sentence, best improvement, milestones,
trend, reliable change, the next follow-up (handed in, never computed here).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from outcomes.followup import DUE, OVERDUE
from outcomes.not_drawn import BEFORE_WINDOW, EARLIER, OTHER_COURSE
from outcomes.response import NO_BASELINE
from outcomes.scales import get_scale
from outcomes.trend import BETTER, SAME, TREND_PERCENT, WORSE, Trend
from outcomes.wording.course import noun_of, score_place
from outcomes.wording.numbers import STARTING_SCORE, percent_change, plural, points_change, words
from outcomes.wording.verdicts import verdict_reason

if TYPE_CHECKING:
    from outcomes.followup import FollowUp
    from outcomes.reliable_change import ReliableChange
    from outcomes.status import Milestone, PatientStatus


#: A session chart's panel when the session has no reading of its kind.
NOT_RECORDED_IN_SESSION = "not recorded in this session"
#: Said after an export or a report from an encrypted clinic: those files are never encrypted.
PLAIN_EXPORT_WARNING = (
    "note: the clinic's database is encrypted, but these files are not (exports and reports "
    "are plain files by nature): keep them on an encrypted disk, and delete them when done"
)


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


def _scores_listed(scale_name: str, scores: list, limit: int = 2) -> str:
    """ "PHQ-9 16 on 2025-11-20 and 14 on 2025-12-01" (then "and 3 more")."""
    shown = [f"{s.total} on {s.day.isoformat()}" for s in scores[:limit]]
    text = f"{scale_name} " + " and ".join(shown)
    if len(scores) > limit:
        text += f" and {len(scores) - limit} more"
    return text


def not_drawn_words(
    scale_name: str, not_drawn, window_days: int, noun: str, for_patient: bool = False
) -> str | None:
    """Why scores the timeline lists are not on the chart (`outcomes.chart_marks.NotDrawn`).

    None when every score is drawn. A clinician reads the rule and its
    setting; a patient reads it in plain words.
    """
    by_reason = {r: [n for n in not_drawn if n.reason == r] for r in (BEFORE_WINDOW, EARLIER)}
    others = [n for n in not_drawn if n.reason == OTHER_COURSE]
    if for_patient:
        parts = []
        early = by_reason[BEFORE_WINDOW] + by_reason[EARLIER]
        if early:
            parts.append(
                f"Your {_scores_listed(scale_name, early)} from before your treatment "
                "course began is not on this chart."
            )
        if others:
            parts.append("Scores from your other treatment courses are not on this chart.")
        return " ".join(parts) or None
    parts = []
    old = by_reason[BEFORE_WINDOW]
    if old:
        days = f"{old[0].days_before} days" if len(old) == 1 else f"more than {window_days} days"
        parts.append(
            f"{_scores_listed(scale_name, old)}: {days} before the first {noun}, so not a "
            f"baseline (at most {window_days} days before: baseline_window_days)"
        )
    if by_reason[EARLIER]:
        parts.append(
            f"{_scores_listed(scale_name, by_reason[EARLIER])}: before the baseline "
            f"(the last score before the first {noun} is the baseline)"
        )
    if others:
        parts.append(f"{plural(len(others), f'{scale_name} score')} of other courses")
    return ("Not on the chart: " + "; ".join(parts) + ".") if parts else None
