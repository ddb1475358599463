"""Command-palette providers of the clinician app."""

from __future__ import annotations

from textual.command import DiscoveryHit, Hit, Hits, Provider

from outcomes_app.markup import words


class PatientCommands(Provider):
    """Command-palette entries "Open patient <id> <name>" for every patient."""

    async def search(self, query: str) -> Hits:
        app = self.app
        matcher = self.matcher(query)
        found = 0
        for row in app.rows or []:
            text = f"Open patient {row.patient_id} {row.name}".strip()
            score = matcher.match(text)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(text),
                    lambda pid=row.patient_id: app.open_patient(pid),
                    help=f"{row.progress} · {words(row.verdict)}",
                )
                found += 1
                if found >= 50:
                    break

    async def discover(self) -> Hits:
        for row in (self.app.rows or [])[:10]:
            yield DiscoveryHit(
                f"Open patient {row.patient_id} {row.name}".strip(),
                lambda pid=row.patient_id: self.app.open_patient(pid),
            )
