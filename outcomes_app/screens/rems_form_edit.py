"""Filling in an esketamine session's REMS form from the session screen (ctrl+g; issue 26).

The nurse answers the form's own fields as the session goes (enrolment,
medicines, lot numbers at dosing; the effects and their resolution at
discharge); each save keeps a new version of the form, audited, with no
reason asked: completing the form is not correcting it.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Header, Label, Static

from outcomes.rems import check_rems
from outcomes_app.footer import KeyFooter
from outcomes_app.markup import problem_lines
from outcomes_app.modals import ConfirmModal
from outcomes_app.rems_fields import RemsFields
from outcomes_app.saving import write_off_thread
from outcomes_app.screens.forms import FormScreen
from outcomes_app.widgets import AlertBanner


class RemsFormEdit(FormScreen):
    """The REMS form's fields of one esketamine session; ctrl+s saves them."""

    def __init__(self, clinic, patient_id: str, infusion, rems, status=None) -> None:
        super().__init__(clinic, status)
        self.patient_id, self.infusion, self.rems = patient_id, infusion, rems

    def compose(self) -> ComposeResult:
        yield Header()
        yield AlertBanner(id="banner")
        with VerticalScroll(classes="form"):
            when = self.infusion.when.iso().replace("T", " ")
            yield Label(
                f"REMS monitoring form: {self.patient_id}, esketamine {self.infusion.dose_mg:g} mg "
                f"at {when}",
                classes="form-title",
            )
            yield Static(
                "Blood pressures, pulse oximetry, minutes and the ready-to-leave time come from "
                "the session's readings and discharge (ctrl+e).",
                classes="intro",
            )
            yield RemsFields(self.rems.form, self.rems.medicines_confirmed(), id="rems-fields")
            yield from self.buttons()
        yield KeyFooter()

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#f-rems_enrolled").focus()

    async def save_flow(self) -> None:
        raw = self.query_one("#rems-fields", RemsFields).raw()
        checked = check_rems(raw, "esketamine", self.infusion.dose_mg)
        self.show_problems(checked.errors)
        if checked.errors:
            return
        if checked.warnings and not await self.app.push_screen_wait(
            ConfirmModal("Please check", problem_lines(checked.warnings), yes="Save anyway")
        ):
            self.query_one("#errors", Static).update(Text("Not saved: cancelled at the warning."))
            return
        from db.rems import save_form

        clinic, at = self.clinic, self.infusion.when.iso()
        _, error = await write_off_thread(
            self.app,
            lambda: save_form(
                clinic.database, self.patient_id, at, checked.values, clinic.clinician
            ),
        )
        if error:
            self.show_failure(error, "rems_enrolled")
            return
        self.dismiss(True)


__all__ = ["RemsFormEdit"]
