"""The REMS form's fields on the esketamine session form (issue 26): one widget, shown for esketamine only.

Enrolment and first treatment; the five medicine classes, ticked from the
course's last confirmation and confirmed for this session with one answer;
the devices' lot numbers; sedation, dissociation and respiratory depression
observed and resolved by discharge; a serious adverse event and what
happened. `raw()` hands what is typed to `outcomes.rems.check_rems` under the
same names as the CSV columns; every field's id is `f-<name>`, so the form's
refusals mark it.
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import Grid, Horizontal, Vertical
from textual.widgets import Input, Label, Select, SelectionList

from outcomes.rems import CONCOMITANT, EFFECTS, NONE_TAKEN, RemsForm
from outcomes_app.widgets import TickList

_YES_NO = [("yes", "yes"), ("no", "no")]


def _answer(value: bool | None):
    return Select.NULL if value is None else ("yes" if value else "no")


class RemsFields(Vertical):
    """The REMS Patient Monitoring Form's own fields (what the session does not already record)."""

    DEFAULT_CSS = """
    RemsFields { height: auto; }
    RemsFields .rems-title { text-style: bold; padding: 0 1; }
    RemsFields #f-concomitant_medicines { height: 7; }
    """

    def __init__(self, form: RemsForm | None, course: tuple[str, ...] | None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.form, self.course = form, course

    def _select(self, name: str, value: bool | None) -> Select:
        return Select(_YES_NO, id=f"f-{name}", compact=True, value=_answer(value), prompt="-")

    def compose(self) -> ComposeResult:
        f = self.form
        yield Label("Spravato REMS monitoring form (due within 7 days)", classes="rems-title")
        with Grid(classes="fields fields-4"):
            yield Label("Enrolled in the REMS")
            yield self._select("rems_enrolled", getattr(f, "rems_enrolled", None))
            yield Label("First treatment")
            yield self._select("first_treatment", getattr(f, "first_treatment", None))
            for observed, resolved, words in EFFECTS:
                yield Label(f"{words.capitalize()} observed")
                yield self._select(observed, getattr(f, observed, None))
                yield Label("resolved by discharge")
                yield self._select(resolved, getattr(f, resolved, None))
            yield Label("Serious adverse event")
            yield self._select("serious_adverse_event", getattr(f, "serious_adverse_event", None))
            yield Label("Device lot number(s)")
            lots = "; ".join(f.device_lots) if f is not None else ""
            yield Input(lots, id="f-device_lots", compact=True, placeholder="e.g. LOT1; LOT2")
        with Horizontal(classes="cadss"):
            yield Label("What happened (event)")
            text = (f.serious_adverse_event_text or "") if f is not None else ""
            yield Input(text, id="f-serious_adverse_event_text", compact=True, placeholder="if yes")
        confirmed = getattr(f, "concomitant_medicines", None)
        ticked = confirmed if confirmed is not None else (self.course or ())
        course = "" if self.course is None else " (ticked: the course's last confirmation)"
        yield Label(f"Medicines taken that can add sedation or raise blood pressure{course}")
        yield TickList(
            *[(words, name, name in ticked) for name, words in CONCOMITANT.items()],
            id="f-concomitant_medicines",
        )
        with Horizontal(classes="cadss"):
            yield Label("Confirmed this session")
            yield Select(
                [("yes, as ticked", "yes")],
                id="f-medicines_confirmed",
                compact=True,
                value="yes" if confirmed is not None else Select.NULL,
                prompt="- (not yet asked)",
            )

    def raw(self) -> dict[str, Any]:
        """The typed values, as the CSV columns name them (blank: not answered)."""
        raw: dict[str, Any] = {}
        for select in self.query(Select):
            name = select.id.removeprefix("f-")
            raw[name] = "" if select.value in (Select.NULL, Select.BLANK) else select.value
        for box in self.query(Input):
            raw[box.id.removeprefix("f-")] = box.value.strip()
        ticked = list(self.query_one("#f-concomitant_medicines", SelectionList).selected)
        confirmed = raw.pop("medicines_confirmed") == "yes"
        raw["concomitant_medicines"] = (";".join(ticked) or NONE_TAKEN) if confirmed else ""
        return raw
