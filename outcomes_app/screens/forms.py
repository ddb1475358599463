"""The clinician app's forms: a patient, an infusion, an assessment (new or corrected).

Each form checks with `outcomes.validation`, refuses inline (every problem
named, every named field marked, nothing written), asks for confirmation of
an unusual dose and for a blood-pressure warning, and writes through `db/`.
A correction needs a reason, kept in the audit trail.
"""

from __future__ import annotations

from typing import Any

from rich.markup import escape
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, VerticalScroll
from textual.screen import Screen
from textual.validation import Integer
from textual.widgets import (
    Button,
    Header,
    Input,
    Label,
    Select,
    SelectionList,
    Static,
)

import db
from outcomes import wording
from outcomes.course import courses_of, new_session_problem
from outcomes.drugs import DRUGS, ESKETAMINE, ESKETAMINE_ROUTE, KETAMINE
from outcomes.readings import follow_session
from outcomes.records import ROUTES, SIDE_EFFECTS, Assessment, Infusion, PatientData
from outcomes.response import improvement
from outcomes.safety import safety_item_positive
from outcomes.scales import SCALES, get_scale
from outcomes.status import PatientStatus, analyse_patient
from outcomes.timepoints import TimeFormatError, Timepoint
from outcomes.validation import (
    Checked,
    Problem,
    check_assessment,
    check_infusion,
    check_patient,
    item_problems,
    parse_decimal,
    reason_problems,
)
from outcomes_app.audit_text import describe_record
from outcomes_app.clinic import Clinic
from outcomes_app.errors import NotDone, ProgramError
from outcomes_app.footer import KeyFooter
from outcomes_app.markup import NO_VALUE, problem_lines, words
from outcomes_app.messages import RowChanged
from outcomes_app.modals import ConfirmModal
from outcomes_app.rems_fields import RemsFields
from outcomes_app.saving import write_off_thread
from outcomes_app.widgets import AlertBanner, TickList, key_hint


class FormScreen(Screen["bool | str"]):
    """A form for one patient: alert banner, fields, inline errors, Save/Cancel.

    Dismissed with False when cancelled; when saved, with True (a patient) or
    the saved record's timeline key, "infusion:<id>" or "assessment:<id>", so
    that the patient's screen can select it (a correction has a new id).
    """

    BINDINGS = [
        Binding("ctrl+s", "save", "Save"),
        Binding("escape", "cancel", "Cancel"),
    ]
    TITLE_TEXT = ""

    def __init__(self, clinic: Clinic, status: PatientStatus | None = None) -> None:
        super().__init__()
        self.clinic = clinic
        self.status = status
        #: True while a save is being checked or written (it may wait for another program's lock).
        self.saving = False

    def buttons(self) -> ComposeResult:
        yield Static("", id="errors", classes="errors")
        with Horizontal(classes="buttons"):
            yield Button(
                f"Save ({key_hint(self, 'save')})", variant="primary", id="save", compact=True
            )
            yield Button(f"Cancel ({key_hint(self, 'cancel')})", id="cancel", compact=True)

    def on_mount(self) -> None:
        banner = self.query("#banner")
        if banner:
            banner.first(AlertBanner).show(self.status)

    def value(self, field: str) -> str:
        return self.query_one(f"#f-{field}", Input).value.strip()

    def reason(self, needed: object) -> tuple[str, list[Problem]]:
        """The reason typed for a change or correction, and its problems (none when not `needed`)."""
        if not needed:
            return "", []
        reason = self.value("reason")
        return reason, reason_problems(reason)

    def show_problems(self, problems: list[Problem]) -> None:
        """Refuse inline: list every problem and mark the fields it names."""
        for widget in self.query(".field-invalid"):
            widget.remove_class("field-invalid")
        for p in problems:
            for widget in self.query(f"#f-{p.field}"):
                widget.add_class("field-invalid")
        errors = self.query_one("#errors", Static)
        # Text, not markup: a message quotes what was typed, which may hold "[".
        errors.update(
            Text("Not saved — please correct:\n" + problem_lines(problems)) if problems else ""
        )
        if problems:
            # After the refresh: the message's new height is laid out only then, and
            # scrolling earlier showed the first line and cut the reasons off.
            self.call_after_refresh(errors.scroll_visible, animate=False)

    def show_failure(self, error: str, field: str = "date") -> None:
        """A write that failed: a refusal is shown as a problem with `field`; a program error as it stands."""
        if isinstance(error, NotDone):
            self.show_problems([])
            self.query_one("#errors", Static).update(
                Text(f"Not saved: {error}. What you typed is kept: press ctrl+s to save again.")
            )
        elif isinstance(error, ProgramError):
            self.show_problems([])
            self.query_one("#errors", Static).update(Text(error))
        else:
            self.show_problems([Problem(field, error)])

    @on(Button.Pressed, "#save")
    def _save_pressed(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)

    def action_save(self) -> None:
        """Check and save on a worker; a second ctrl+s while one save is under way does nothing."""
        if not self.saving:
            self.saving = True
            self.run_worker(self._save_once(), group="save")

    async def _save_once(self) -> None:
        try:
            await self.save_flow()
        finally:
            self.saving = False

    async def save_flow(self) -> None:  # pragma: no cover - every form defines it
        raise NotImplementedError


class PatientForm(FormScreen):
    """Add a patient, or edit one (with a reason for the audit trail)."""

    def __init__(
        self, clinic: Clinic, info: dict | None = None, status: PatientStatus | None = None
    ) -> None:
        super().__init__(clinic, status)
        self.info = info
        self.editing = info is not None

    def compose(self) -> ComposeResult:
        info = self.info or {}
        yield Header()
        if self.editing:
            yield AlertBanner(id="banner")
        with VerticalScroll(classes="form"):
            yield Label(
                f"Edit patient {info.get('patient_id')}" if self.editing else "Add a patient",
                classes="form-title",
            )
            with Grid(classes="fields"):
                for field, label in (
                    ("patient_id", "Patient id (1-64 characters)"),
                    ("name", "Name"),
                    ("birth_date", "Birth date (YYYY-MM-DD)"),
                    ("weight_kg", "Weight (kg)"),
                    ("notes", "Notes"),
                    ("email", "Email (check-in links)"),
                ):
                    value = info.get(field)
                    yield Label(label)
                    yield Input(
                        ""
                        if value is None
                        else (f"{value:g}" if isinstance(value, float) else str(value)),
                        id=f"f-{field}",
                        disabled=self.editing and field == "patient_id",
                        compact=True,
                    )
                if self.editing:
                    yield Label("Reason for the change")
                    yield Input(id="f-reason", placeholder="kept in the audit trail", compact=True)
            yield from self.buttons()
        yield KeyFooter()

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#f-name" if self.editing else "#f-patient_id", Input).focus()

    async def save_flow(self) -> None:
        fields = ("patient_id", "name", "birth_date", "weight_kg", "notes", "email")
        raw = {f: self.value(f) for f in fields}
        checked = check_patient(raw, self.clinic.today)
        reason, missing = self.reason(self.editing)
        problems = checked.errors + missing
        if problems:
            self.show_problems(problems)
            return
        database, who = self.clinic.database, self.clinic.clinician
        if self.editing:
            _, error = await write_off_thread(
                self.app,
                lambda: db.update_patient(
                    database, checked.values["patient_id"], checked.values, reason, who
                ),
            )
        else:
            _, error = await write_off_thread(
                self.app, lambda: db.add_patient(database, checked.values, who)
            )
        if error:
            self.show_failure(error, "patient_id")
            return
        # To the app, not this form: the form closes now, and its own queue with it.
        self.app.post_message(RowChanged(checked.values["patient_id"]))
        self.dismiss(True)


INFUSION_FIELDS = (
    ("date", "Date and time"),
    ("dose_mg_per_kg", "Dose (mg/kg)"),
    ("dose_mg", "Dose mg (28/56/84)"),
    ("weight_kg", "Weight (kg)"),
    ("duration_min", "Duration (min)"),
    ("bp_systolic_pre", "BP systolic before"),
    ("bp_diastolic_pre", "BP diastolic before"),
    ("heart_rate_pre", "Heart rate before"),
    ("bp_systolic_post", "BP systolic after"),
    ("bp_diastolic_post", "BP diastolic after"),
    ("heart_rate_post", "Heart rate after"),
)


#: Fields a session of each drug does not have: an esketamine dose is in mg (whole devices) and
#: has no infusion time; a ketamine dose is in mg/kg of the patient's weight.
NOT_FOR_DRUG = {
    ESKETAMINE: ("dose_mg_per_kg", "duration_min"),
    KETAMINE: ("dose_mg",),
}


class InfusionForm(FormScreen):
    """Record (or correct) a session with the dose and blood-pressure rules.

    The form follows the session's drug (the course's, or the one chosen): a
    ketamine infusion in mg/kg with its duration and total; an esketamine
    session in mg, with no duration, and the REMS form's fields (issue 26).
    """

    def __init__(
        self,
        clinic: Clinic,
        patient_id: str,
        info: dict,
        status: PatientStatus | None,
        correcting: Infusion | None = None,
    ) -> None:
        super().__init__(clinic, status)
        self.patient_id, self.info, self.correcting = patient_id, info, correcting
        course = status.course if status is not None else None
        self.drug = correcting.drug if correcting else (course.drug if course else KETAMINE)
        self.rems_form, self.course_medicines = self.read_rems(course)

    def read_rems(self, course):
        """The REMS form stored for the session corrected, and the course's last confirmed medicines."""
        from db.rems import forms_of
        from outcomes.rems import course_medicines

        try:
            forms = forms_of(self.clinic.database, self.patient_id)
        except db.StorageError:  # the fields start empty; saving reports the storage problem
            return None, None
        form = forms.get(self.correcting.when.iso()) if self.correcting else None
        times = [i.when.iso() for i in course.infusions] if course is not None else []
        medicines = course_medicines(forms, times)
        return form, (medicines[0] if medicines else None)

    def last_dose_mg(self) -> str:
        """The esketamine course's last dose, offered for the next session (typing replaces it)."""
        course = self.status.course if self.status is not None else None
        doses = [i.dose_mg for i in course.infusions if i.dose_mg] if course else []
        return f"{doses[-1]:g}" if doses and self.drug == ESKETAMINE else ""

    def title_text(self) -> str:
        if self.correcting:
            return f"Correct the {describe_record(self.correcting)}"
        if self.drug == ESKETAMINE:
            return f"Record an esketamine session for {self.patient_id}"
        return f"Record an infusion for {self.patient_id}"

    def initial(self) -> dict[str, str]:
        inf = self.correcting
        if inf is None:
            weight = self.info.get("weight_kg")
            return {
                "date": self.clinic.today.isoformat(),
                # A ketamine infusion's usual length; an esketamine session has none.
                "duration_min": "40" if self.drug == KETAMINE else "",
                "dose_mg": self.last_dose_mg(),
                "weight_kg": "" if weight is None else f"{float(weight):g}",
            }
        out = {"date": inf.when.iso()}
        for field, _ in INFUSION_FIELDS[1:]:
            value = getattr(inf, field)
            out[field] = "" if value is None else f"{value:g}"
        return out

    def compose(self) -> ComposeResult:
        values = self.initial()
        yield Header()
        yield AlertBanner(id="banner")
        with VerticalScroll(classes="form"):
            yield Label(self.title_text(), id="form-title", classes="form-title")
            if self.correcting is not None:  # up front: a correction is refused without it
                with Horizontal(classes="cadss"):
                    yield Label("Reason for the correction")
                    yield Input(id="f-reason", placeholder="kept in the audit trail", compact=True)
            with Grid(classes="fields fields-4"):
                yield Label("Drug")
                yield Select(
                    [(d, d) for d in DRUGS],
                    allow_blank=False,
                    id="f-drug",
                    compact=True,
                    value=self.drug,
                )
                for field, label in INFUSION_FIELDS:
                    yield Label(label, classes=f"for-{field}")
                    yield Input(
                        values.get(field, ""),
                        id=f"f-{field}",
                        compact=True,
                        placeholder="YYYY-MM-DD[THH:MM]" if field == "date" else "",
                    )
                yield Label("Route")
                yield Select(
                    [(r, r) for r in ROUTES],
                    allow_blank=False,
                    value=(
                        self.correcting.route if self.correcting and self.correcting.route else "iv"
                    ),
                    id="f-route",
                    compact=True,
                )
                yield Label("Total dose", id="total-label")
                yield Static("", id="total-mg")
            yield RemsFields(self.rems_form, self.course_medicines, id="rems-fields")
            yield Label("Side effects (space to tick)")
            chosen = set(self.correcting.side_effects) if self.correcting else set()
            yield TickList(*[(words(e), e, e in chosen) for e in SIDE_EFFECTS], id="f-side_effects")
            if self.correcting is None:
                yield Label(
                    "CADSS (optional): 23 item scores 0-4 separated by spaces, or a total 0-92"
                )
                with Horizontal(classes="cadss"):
                    yield Input(id="f-cadss_items", placeholder="items, e.g. 0 1 0 …", compact=True)
                    yield Input(id="f-cadss_total", placeholder="or total", compact=True)
            with Horizontal(classes="cadss"):
                yield Label("Notes")
                yield Input(
                    (self.correcting.notes or "") if self.correcting else "",
                    id="f-notes",
                    compact=True,
                    placeholder="optional",
                )
            yield from self.buttons()
        yield KeyFooter()

    def on_mount(self) -> None:
        super().on_mount()
        self.update_total()
        self.follow_drug(self.drug)

    def follow_drug(self, drug: str) -> None:
        """Show the fields of `drug`'s session only, and title the form for it."""
        self.drug = drug
        for field in (*NOT_FOR_DRUG[ESKETAMINE], *NOT_FOR_DRUG[KETAMINE]):
            shown = field not in NOT_FOR_DRUG[drug]
            for widget in self.query(f"#f-{field}, #{field}, .for-{field}"):
                widget.display = shown
        self.query_one("#rems-fields", RemsFields).display = drug == ESKETAMINE
        self.query_one("#total-label", Label).update(
            "Devices" if drug == ESKETAMINE else "Total dose"
        )
        if drug == ESKETAMINE:
            self.update_devices()
        else:
            self.update_total()
        self.query_one("#form-title", Label).update(self.title_text())
        route = self.query_one("#f-route", Select)
        route.disabled = drug == ESKETAMINE  # intranasal only
        self.query_one("#f-dose_mg" if drug == ESKETAMINE else "#f-dose_mg_per_kg", Input).focus()

    @on(Input.Changed, "#f-dose_mg")
    def update_devices(self) -> None:
        """An esketamine dose's nasal spray devices (28 mg each), shown live."""
        from outcomes.rems import devices_of

        dose = parse_decimal(self.value("dose_mg"))
        devices = devices_of(float(dose)) if dose is not None and float(dose) > 0 else None
        # Short: the column is 14 characters wide at 80x24.
        shown = "28 mg each" if not devices else f"{devices} device{'s' if devices != 1 else ''}"
        self.query_one("#total-mg", Static).update(shown)

    @on(Input.Changed, "#f-dose_mg_per_kg, #f-weight_kg")
    def update_total(self) -> None:
        """Total mg from dose x weight, shown live (the record's own rule)."""
        if self.drug == ESKETAMINE:
            return
        # Read as the save reads them (plain decimal digits): "5e-1" shows no total.
        dose, weight = (
            parse_decimal(self.value("dose_mg_per_kg")),
            parse_decimal(self.value("weight_kg")),
        )
        total = None
        if dose is not None and weight is not None:
            probe = Infusion(
                self.patient_id,
                Timepoint(self.clinic.today),
                dose_mg_per_kg=float(dose),
                weight_kg=float(weight),
            )
            total = probe.total_mg
        self.query_one("#total-mg", Static).update(
            f"[b]{total:g} mg[/b]" if total is not None else "dose × weight"
        )

    @on(Select.Changed, "#f-drug")
    def _drug_changed(self, event: Select.Changed) -> None:
        # Esketamine is intranasal only: offer the route it must have.
        if event.value == ESKETAMINE:
            self.query_one("#f-route", Select).value = ESKETAMINE_ROUTE
        if event.value in DRUGS and event.value != self.drug:
            self.follow_drug(str(event.value))

    def raw(self) -> dict[str, Any]:
        # Only the chosen drug's fields: a hidden field's old text is not the session's.
        raw: dict[str, Any] = {
            field: self.value(field)
            for field, _ in INFUSION_FIELDS
            if field not in NOT_FOR_DRUG[self.drug]
        }
        raw["patient_id"] = self.patient_id
        raw["drug"] = self.query_one("#f-drug", Select).value
        if (
            self.correcting is not None
        ):  # the session's end is recorded on the session screen: keep it
            old = self.correcting
            raw["ended_at"] = self.follow(old.ended_at, raw["date"])
            raw["ready_to_leave_at"] = self.follow(old.ready_to_leave_at, raw["date"])
            raw["accompanied"] = {True: "yes", False: "no", None: ""}[old.accompanied]
        raw["route"] = self.query_one("#f-route", Select).value
        raw["side_effects"] = list(self.query_one("#f-side_effects", SelectionList).selected)
        raw["notes"] = self.value("notes")
        return raw

    def follow(self, when, start: str) -> str:
        """The session's end or discharge time, moved with a corrected start (as its readings are)."""
        if when is None:
            return ""
        try:
            return follow_session(when.iso(), self.correcting.when.iso(), start)
        except TimeFormatError:  # the typed start is refused with its own words
            return when.iso()

    def rems_check(self, checked: Checked) -> Checked:
        """The REMS form's fields of an esketamine session (nothing for a ketamine one)."""
        from outcomes.rems import check_rems

        if self.drug != ESKETAMINE:
            return Checked({}, [])
        raw = self.query_one("#rems-fields", RemsFields).raw()
        return check_rems(raw, ESKETAMINE, checked.values.get("dose_mg"))

    def cadss_check(self, when: str) -> Checked | None:
        if self.correcting is not None:
            return None
        items, total = self.value("cadss_items"), self.value("cadss_total")
        if not items and not total:
            return None
        return check_assessment(
            {
                "patient_id": self.patient_id,
                "date": when,
                "scale": "cadss",
                "items": items,
                "total": total,
            },
            self.clinic.today,
        )

    async def save_flow(self) -> None:
        """Check; refuse errors inline; ask for confirmation and show warnings; then save."""
        settings = self.clinic.settings
        checked = check_infusion(self.raw(), settings, self.clinic.today)
        rems = self.rems_check(checked)
        problems = list(checked.errors) + rems.errors
        if self.correcting is None and self.status is not None:  # the course it joins has one drug
            clash = new_session_problem(self.status.course, self.query_one("#f-drug", Select).value)
            problems += [Problem("drug", clash)] if clash else []
        cadss = self.cadss_check(self.value("date"))
        if cadss is not None:
            problems += [
                Problem(
                    f"cadss_{p.field}" if p.field in ("items", "total") else p.field,
                    "CADSS: " + p.message,
                )
                for p in cadss.errors
            ]
        reason, missing = self.reason(self.correcting)
        problems += missing
        self.show_problems(problems)
        if problems:
            return
        for problem in checked.confirmations:
            if not await self.app.push_screen_wait(
                ConfirmModal(
                    "Confirm an unusual dose", problem.message, yes="Yes, this dose is intended"
                )
            ):
                self.query_one("#errors", Static).update("Not saved: the dose was not confirmed.")
                return
        warnings = checked.warnings + rems.warnings
        if warnings:
            if not await self.app.push_screen_wait(
                ConfirmModal("Please check", problem_lines(warnings), yes="Save anyway")
            ):
                self.query_one("#errors", Static).update("Not saved: cancelled at the warning.")
                return
        from db.session_forms import save_session_with_form

        database, who = self.clinic.database, self.clinic.clinician
        saved_id, error = await write_off_thread(
            self.app,
            lambda: save_session_with_form(
                database,
                checked.values,
                who,
                rating=cadss.values if cadss is not None else None,
                form=rems.values,
                correcting=self.correcting.id if self.correcting is not None else None,
                reason=reason,
            ),
        )
        if error:
            self.show_failure(error)
            return
        self.dismiss(f"infusion:{saved_id}")


class AssessmentForm(FormScreen):
    """Enter (or correct) a rating scale item by item, with live total and band."""

    def __init__(
        self,
        clinic: Clinic,
        patient_id: str,
        patient: PatientData,
        status: PatientStatus | None,
        scale_id: str,
        correcting: Assessment | None = None,
    ) -> None:
        super().__init__(clinic, status)
        self.patient_id, self.patient, self.correcting = patient_id, patient, correcting
        self.scale_id = scale_id if scale_id in SCALES else "phq9"
        self._baselines: dict[str, Assessment | None] = {}

    def compose(self) -> ComposeResult:
        a = self.correcting
        yield Header()
        yield AlertBanner(id="banner")
        with Horizontal(classes="form-head"):
            yield Label(
                f"Correct the {describe_record(a)}"
                if a
                else f"Enter an assessment for {self.patient_id}",
                classes="form-title",
            )
            yield Select(
                [(s.name, s.id) for s in SCALES.values()],
                value=self.scale_id,
                allow_blank=False,
                id="f-scale",
                disabled=a is not None,
                compact=True,
            )
        with Horizontal(classes="assessment-top"):
            yield Label("Date")
            yield Input(
                a.when.iso() if a else self.clinic.today.isoformat(), id="f-date", compact=True
            )
            yield Label("Rater")
            yield Input((a.rater or "") if a else "", id="f-rater", compact=True)
            if a is not None:  # up front: a correction is refused without it
                yield Label("Reason")
                yield Input(id="f-reason", placeholder="why (audit trail)", compact=True)
        yield Static("", id="summary")
        yield Static("", id="safety-flag")
        items = VerticalScroll(id="items")
        items.can_focus = False  # tab goes from field to field, not to the scroll box
        yield items
        with Horizontal(classes="assessment-bottom"):
            yield Label("Total only")
            yield Input(
                str(a.total) if a and a.items is None else "",
                id="f-total",
                compact=True,
                placeholder="empty when items are entered",
            )
            yield Label("Notes")
            yield Input((a.notes or "") if a else "", id="f-notes", compact=True)
        yield from self.buttons()
        yield KeyFooter()

    async def on_mount(self) -> None:
        super().on_mount()
        await self.build_items()

    @property
    def scale(self):
        return get_scale(self.scale_id)

    async def build_items(self) -> None:
        """One row per item: number, text or name, an input with its allowed range."""
        scale = self.scale
        box = self.query_one("#items", VerticalScroll)
        await box.remove_children()
        initial = (
            self.correcting.items if self.correcting and self.correcting.scale == scale.id else None
        )
        rows = []
        for n in range(1, scale.n_items + 1):
            top = scale.item_max[n - 1]
            value = "" if initial is None else str(initial[n - 1])
            safety = " ⚠ safety item" if scale.safety_item == n else ""
            rows.append(
                Horizontal(
                    # Number and text apart, so that a long item (PHQ-9 item 8) wraps under its own text.
                    Label(f"{n:>2}.", classes="item-number"),
                    Label(f"{scale.item_label(n)}{safety}", classes="item-label"),
                    Input(
                        value,
                        id=f"item-{n}",
                        classes="item-input",
                        placeholder=f"0-{top}",
                        validators=[Integer(minimum=0, maximum=top)],
                        validate_on=["changed", "submitted"],
                        compact=True,
                    ),
                    Label(f"0-{top}", classes="item-range"),
                    Label("", id=f"item-error-{n}", classes="item-error"),
                    classes="item-row",
                    id=f"row-{n}",
                )
            )
        await box.mount_all(rows)
        self.update_summary()
        first = self.query(".item-input")
        if first:
            first.first(Input).focus()

    @on(Select.Changed, "#f-scale")
    async def _scale_changed(self, event: Select.Changed) -> None:
        if event.value in SCALES and event.value != self.scale_id:
            self.scale_id = event.value
            await self.build_items()

    def item_texts(self) -> list[str]:
        return [
            self.query_one(f"#item-{n}", Input).value.strip()
            for n in range(1, self.scale.n_items + 1)
        ]

    @on(Input.Changed, ".item-input")
    def _item_changed(self, event: Input.Changed) -> None:
        n = int(event.input.id.split("-")[1])
        text = event.value.strip()
        problems = item_problems(self.scale, n, text) if text else []
        self.query_one(f"#item-error-{n}", Label).update(
            Text(problems[0].message) if problems else ""
        )
        self.update_summary()

    @on(Input.Changed, "#f-total")
    def _total_changed(self) -> None:
        self.update_summary()

    @on(Input.Submitted, ".item-input")
    def _next_item(self) -> None:
        self.focus_next()

    def baseline(self) -> Assessment | None:
        """The baseline on this scale, from the domain's status.

        A correction is compared with the baseline of the record's own course,
        not of the latest one (an old course's score against a new baseline
        would read as a nonsense change).
        """
        course_number = None
        if self.correcting is not None:
            course = next(
                (c for c in courses_of(self.patient) if c.contains(self.correcting)), None
            )
            course_number = course.number if course is not None else None
        if (
            course_number is None
            and self.status is not None
            and self.status.scale == self.scale_id
            and self.correcting is None
        ):
            return self.status.baseline
        if self.scale_id not in self._baselines:  # once per scale, not on every keystroke
            status = analyse_patient(
                self.patient,
                self.scale_id,
                self.clinic.settings,
                self.clinic.today,
                course_number=course_number,
            )
            self._baselines[self.scale_id] = status.baseline
        return self._baselines[self.scale_id]

    def update_summary(self) -> None:
        """Total, severity band and improvement from baseline, as typed."""
        scale = self.scale
        texts = self.item_texts() if self.query(".item-input") else []
        filled = [t for t in texts if t]
        bad = any(item_problems(scale, n, t) for n, t in enumerate(texts, start=1) if t)
        total_text = self.value("total")
        total: int | None = None
        note = ""
        if filled and bad:
            note = "an item is out of range: see the message beside it"
        elif filled and len(filled) < scale.n_items:
            note = f"{len(filled)} of {scale.n_items} items entered (a total needs every item: no proration)"
        elif filled:
            total = scale.total([int(t) for t in texts])
        elif total_text:
            problems = check_assessment(
                {
                    "patient_id": self.patient_id,
                    "date": self.clinic.today.isoformat(),
                    "scale": scale.id,
                    "total": total_text,
                }
            ).errors
            if problems:
                note = escape(problems[0].message)  # it quotes what was typed
            else:
                total = int(float(total_text))
                note = "[b]total-only entry[/b]: no item scores, so item checks (safety item) are not possible"
        parts = [f"[b]{scale.name}[/b]"]
        if total is None:
            parts.append("total " + NO_VALUE)
        else:
            parts.append(f"total [b]{total}[/b] of {scale.total_max}")
            if scale.bands:
                parts.append(f"band {scale.band(total)}")
            base = self.baseline() if scale.is_outcome else None
            if base is not None and base.total:
                change = improvement(base.total, total)
                parts.append(wording.percent_change(change, f"the starting score of {base.total}"))
            elif scale.is_outcome:
                parts.append("no baseline yet")
        line = " · ".join(parts)
        self.query_one("#summary", Static).update(line + (f"\n{note}" if note else ""))
        self.flag_safety_item(texts)

    def flag_safety_item(self, texts: list[str]) -> None:
        """Flag a positive suicidality item as soon as it is typed, before anything is saved."""
        scale, flag = self.scale, self.query_one("#safety-flag", Static)
        number = scale.safety_item
        text = texts[number - 1] if number and len(texts) >= number else ""
        value = int(text) if text.isdigit() and not item_problems(scale, number, text) else None
        # The core's rule reads item scores; only the safety item's matters here.
        probe = None if value is None else (0,) * (number - 1) + (value,)
        positive = safety_item_positive(scale.id, probe, self.clinic.settings)
        flag.display = positive
        for row in self.query(".item-row"):
            row.set_class(positive and row.id == f"row-{number}", "-safety-positive")
        if positive:
            threshold = self.clinic.settings.suicide_alert_min(scale.id)
            flag.update(
                f"⚠ SUICIDALITY ITEM POSITIVE: {scale.name} item {number} = {value} "
                f"(alerts at {threshold} or more). Saving raises a safety alert; "
                "follow the clinic's safety protocol now."
            )

    async def save_flow(self) -> None:
        texts = self.item_texts()
        raw = {
            "patient_id": self.patient_id,
            "date": self.value("date"),
            "scale": self.scale_id,
            "items": " ".join(texts) if any(texts) else "",
            "total": self.value("total"),
            "rater": self.value("rater"),
            "notes": self.value("notes"),
        }
        checked = check_assessment(raw, self.clinic.today)
        problems = list(checked.errors)
        reason, missing = self.reason(self.correcting)
        problems += missing
        self.show_problems(problems)
        if problems:
            return
        database, who = self.clinic.database, self.clinic.clinician
        if self.correcting is not None:
            saved_id, error = await write_off_thread(
                self.app,
                lambda: db.correct_assessment(
                    database, self.correcting.id, checked.values, reason, who
                ),
            )
        else:
            saved_id, error = await write_off_thread(
                self.app, lambda: db.add_assessment(database, checked.values, who)
            )
        if error:
            self.show_failure(error)
            return
        self.dismiss(f"assessment:{saved_id}")
