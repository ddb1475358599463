"""Acknowledging a patient's open alerts, from the patient screen or the session screen alike."""

from __future__ import annotations

from typing import Any

import db
from outcomes_app.modals import AcknowledgeModal
from outcomes_app.saving import write_off_thread


def acknowledge_open_alerts(screen: Any) -> None:
    """Ask which open alerts to acknowledge and save them, all or none in one transaction.

    `screen` shows one patient: it has `status`, `clinic`, `patient_id` and `reload()`.
    """
    status = screen.status
    if status is None or not status.open_alerts:
        screen.notify("No open alerts for this patient.")
        return

    async def save(answer) -> str | None:
        keys, who, note = answer
        return (
            await write_off_thread(
                screen.app,
                lambda: db.acknowledge_alerts(
                    screen.clinic.database, screen.patient_id, keys, who, note
                ),
            )
        )[1]

    def done(answer) -> None:
        if answer:
            screen.reload()

    screen.app.push_screen(AcknowledgeModal(status, screen.clinic.clinician, save=save), done)
