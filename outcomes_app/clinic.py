"""The clinic the clinician app shows: `Clinic`, the one state the screens are handed."""

from __future__ import annotations

from outcomes.followup import DUE, OVERDUE, FollowUp


def followup_due(followup: FollowUp | None) -> bool:
    """Whether a patient's next follow-up is due or overdue (the list's filter, the follow-up screen)."""
    return followup is not None and followup.state in (DUE, OVERDUE)
