"""The `outcomes status --json` document of one status (interface.md): a contract.

Its keys and values are the interface's; the one sentence in it, the rule
behind the verdict, is `outcomes.wording`'s. Given the same status, the
document is the same to the byte.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from outcomes.reliable_change import NO_PARAMETERS
from outcomes.relief import RELAPSE
from outcomes.wording.verdicts import verdict_reason

if TYPE_CHECKING:
    from outcomes.reliable_change import ReliableChange
    from outcomes.status import Milestone, PatientStatus


def status_json(status: PatientStatus) -> dict:
    """The `outcomes status --json` document (interface.md)."""
    base = status.baseline
    latest = status.latest
    first_inf = status.course.first_infusion if status.course else None
    relief = status.relief
    return {
        "patient_id": status.patient_id,
        "scale": status.scale,
        "course": status.course.number if status.course else None,
        "baseline": {"date": base.when.day.isoformat(), "score": base.total} if base else None,
        "first_infusion": first_inf.when.day.isoformat() if first_inf else None,
        "sessions_completed": status.sessions_completed,
        "boosters": status.boosters,
        "latest": {
            "date": latest.assessment.when.day.isoformat(),
            "score": latest.assessment.total,
            "percent_change": None if latest.improvement is None else round(latest.improvement, 1),
            "band": latest.band,
            "session": latest.session,
        }
        if latest
        else None,
        "status": status.status,
        "first_response": _milestone_json(status.first_response),
        "first_remission": _milestone_json(status.first_remission),
        "best_improvement": None
        if status.best_improvement is None
        else round(status.best_improvement, 1),
        "six_session_verdict": status.verdict.value,
        "verdict_reason": verdict_reason(status.verdict),
        "relapse": {
            "date": relief.relapse_when.day.isoformat(),
            "days_after_last_infusion": relief.days,
        }
        if relief and relief.ended_by == RELAPSE and relief.relapse_when
        else None,
        "relief_days": relief.days if relief else None,
        "relief_censored": relief.censored if relief else None,
        "relief_ended_by": relief.ended_by if relief else None,
        "response_at_end_of_induction": status.response_at_end_of_induction,
        "reliable_change": reliable_category(status.reliable),
        "reliable_change_reason": reliable_reason(status.reliable),
        "total_only_records": status.total_only_count,
        "safety_items_unchecked": status.safety_unchecked,
        "alerts": [a.as_json() for a in status.alerts],
    }


def reliable_category(reliable: ReliableChange | None) -> str | None:
    """The status JSON's `reliable_change`: recovered, improved, unchanged, deteriorated, or
    None (no score to compare yet, or no reliable-change parameters for the scale)."""
    if reliable is None or reliable.category == NO_PARAMETERS:
        return None
    return reliable.category


def reliable_reason(reliable: ReliableChange | None) -> str | None:
    """Why `reliable_change` is null, or the rule that decided it (`reliable_change_reason`)."""
    if reliable is None:
        return "no score after the first session to compare with the baseline yet"
    return reliable.detail


def _milestone_json(m: Milestone | None) -> dict | None:
    if m is None:
        return None
    return {
        "session": m.session,
        "date": m.when.when.day.isoformat(),
        "days_from_first_infusion": m.days_from_first_infusion,
    }
