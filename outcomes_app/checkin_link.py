"""The clinician app's check-in link: issued from the patient screen (key k), shown once.

`issue` writes the link through `db.checkins` (one transaction, its audit
row); `CheckinLinkModal` shows the URL and the short code to read out, copy
or write down. They are shown this once: only their digests are stored.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from outcomes import checkin as words


def issue(database, patient_id: str, settings, who: str) -> tuple[str, str, str]:
    """(url, short code, until) of a new link for the patient's self-report scales."""
    from db.checkins import issue_link

    issued = issue_link(
        database, patient_id, settings.self_report_scales, who, days=settings.checkin_link_days
    )
    base = settings.checkin_base_url.rstrip("/")
    until = f"{issued.link.valid_until.astimezone():%Y-%m-%d %H:%M}"
    return f"{base}/c/{issued.token}", words.code_groups(issued.code), until


class CheckinLinkModal(ModalScreen[None]):
    """The new link, its short code and until when it works."""

    BINDINGS = [Binding("escape,enter", "dismiss", "Close")]
    # Wide enough for the whole URL on one line from 80 columns: a wrapped URL copies badly.
    DEFAULT_CSS = """
    CheckinLinkModal { align: center middle; }
    CheckinLinkModal > #checkin-dialog {
        width: 100%; max-width: 110; height: auto; max-height: 90%;
        border: thick $primary; background: $surface; padding: 1 1;
    }
    CheckinLinkModal #checkin-url { text-style: bold; margin: 1 0; }
    """

    def __init__(self, patient: str, url: str, code: str, until: str, code_page: str) -> None:
        super().__init__()
        self.patient, self.url, self.code, self.until, self.code_page = (
            patient,
            url,
            code,
            until,
            code_page,
        )

    def compose(self) -> ComposeResult:
        with Vertical(id="checkin-dialog"):
            yield Label(Text(f"Check-in link for {self.patient}"), classes="dialog-title")
            yield Static(Text(self.url), id="checkin-url")
            yield Static(
                Text(
                    f"Short code (typed at {self.code_page}): {self.code}\n"
                    f"Works once, until {self.until}. Shown only now: give it to the "
                    "patient, or revoke it with `outcomes checkin revoke`."
                ),
                id="checkin-code",
            )
            yield Button("Close (esc)", id="close")

    def on_button_pressed(self) -> None:
        self.dismiss()


def checkin_print(database, patient_id: str, settings, who: str, today):
    """The take-home page's next check-in (a new link, QR and short code), or None when none is due."""
    from db.checkins import issue_for_next_checkin
    from reports.handout import CheckinPrint

    issued = issue_for_next_checkin(database, patient_id, settings, who, today)
    if issued is None:
        return None
    base = settings.checkin_base_url.rstrip("/")
    return CheckinPrint(
        url=f"{base}/c/{issued.token}",
        words=words.handout_words(
            f"{base}/code",
            issued.link.valid_from.astimezone(),
            issued.link.valid_until.astimezone(),
        ),
        code=words.code_groups(issued.code),
    )
