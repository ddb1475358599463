"""Command-palette providers of the clinician app."""

from __future__ import annotations

from textual.command import DiscoveryHit, Hit, Hits, Provider

from outcomes.wording import verdict_words
from outcomes_app.messages import OpenPatient


class PatientCommands(Provider):
    """Command-palette entries "Open patient <id> <name>" for every patient.

    Textual builds providers itself (no constructor argument), so this one
    reads the rows from the app's clinic and posts `OpenPatient` like a screen.
    """

    def _rows(self) -> list:
        return self.app.clinic.rows or []

    def _open(self, pid: str) -> None:
        self.app.post_message(OpenPatient(pid))

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        found = 0
        for row in self._rows():
            text = f"Open patient {row.patient_id} {row.name}".strip()
            score = matcher.match(text)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(text),
                    lambda pid=row.patient_id: self._open(pid),
                    help=f"{row.progress} · {verdict_words(row.verdict)}",
                )
                found += 1
                if found >= 50:
                    break

    async def discover(self) -> Hits:
        for row in self._rows()[:10]:
            yield DiscoveryHit(
                f"Open patient {row.patient_id} {row.name}".strip(),
                lambda pid=row.patient_id: self._open(pid),
            )
