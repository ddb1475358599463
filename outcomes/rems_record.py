"""The REMS Patient Monitoring Form of one esketamine session, as lines in the form's order (issue 26).

The form as modified on 2024-12-31 asks: enrolment and first treatment; the
medicines taken that can add sedation, dissociation, respiratory depression
or a blood-pressure rise; the dose and the devices' lot numbers; blood
pressure before dosing, at about 40 minutes and before discharge (kept from
the 2021 form); the total minutes from the first device to the end of
monitoring; pulse oximetry; sedation, dissociation and respiratory
depression observed and resolved by discharge; the time the patient was
ready to leave (2021); a serious adverse event. `form_lines` gives them in
that order as (label, value) for the session record PDF and the session
screen; `missing_fields` names the required ones a session still lacks.
Answers the clinician gave (`outcomes.rems.RemsForm`) are shown beside what
the readings say, never replaced by it.
"""

from __future__ import annotations

from outcomes.drugs import ESKETAMINE_DEVICE_MG
from outcomes.records import Reading
from outcomes.rems import RemsForm, devices_of
from outcomes.session_record import (
    REMS_MID_MINUTES,
    clock,
    minutes_text,
    pressure_text,
    sedation_text,
)
from outcomes.sessions import SessionSummary, minutes_after_start
from outcomes.wording.rems import concomitant_rows, yes_no_words

#: The doses the form names; any other is "other".
FORM_DOSES_MG = (56, 84)


def _pressure_at(summary: SessionSummary, r: Reading | None) -> str | None:
    if r is None:
        return None
    minutes = minutes_after_start(summary.infusion, r.when)
    when = "at dosing" if minutes == 0 else f"{minutes_text(minutes)} after dosing"
    return f"{pressure_text(r.bp_systolic, r.bp_diastolic)} at {clock(r.when)} ({when})"


def pressures(summary: SessionSummary) -> tuple[str | None, str | None, str | None]:
    """Blood pressure before dosing, at about 40 minutes, before discharge (None: not recorded)."""
    inf = summary.infusion
    with_bp = [r for r in summary.readings if r.bp_systolic is not None]
    before = [r for r in with_bp if r.when <= inf.when]
    pre = (
        pressure_text(inf.bp_systolic_pre, inf.bp_diastolic_pre) + " (recorded with the dose)"
        if inf.bp_systolic_pre is not None
        else _pressure_at(summary, before[-1] if before else None)
    )
    after = [r for r in with_bp if r.when > inf.when]
    mid = min(
        after,
        key=lambda r: abs((minutes_after_start(inf, r.when) or 0) - REMS_MID_MINUTES),
        default=None,
    )
    last = after[-1] if after and after[-1] is not mid else None
    return pre, _pressure_at(summary, mid), _pressure_at(summary, last)


def dose_words(dose_mg: float | None) -> str:
    """'56 mg (2 devices)', 'other: 28 mg (1 device)'."""
    if dose_mg is None:
        return "-"
    devices = devices_of(dose_mg)
    kind = "" if dose_mg in FORM_DOSES_MG else "other: "
    return f"{kind}{dose_mg:g} mg ({devices} device{'s' if devices != 1 else ''} of {ESKETAMINE_DEVICE_MG} mg)"


def oximetry_words(summary: SessionSummary) -> str | None:
    """'3 checks: 97% at 10:00, ...; lowest 95%' (None: no saturation recorded)."""
    checks = [r for r in summary.readings if r.spo2 is not None]
    if not checks:
        return None
    shown = ", ".join(f"{r.spo2}% at {clock(r.when)}" for r in checks[:6])
    more = f" and {len(checks) - 6} more" if len(checks) > 6 else ""
    return f"{len(checks)} check{'s' if len(checks) != 1 else ''}: {shown}{more}; lowest {summary.lowest_spo2}%"


def _evidence(summary: SessionSummary, words: str, cadss: int | None) -> str:
    """What the readings and ratings say about an effect, for beside the clinician's answer."""
    inf = summary.infusion
    if words == "sedation":
        return (
            ""
            if summary.deepest_sedation is None
            else f"deepest {sedation_text(summary.deepest_sedation)}"
        )
    if words == "dissociation":
        seen = [e for e in inf.side_effects if e in ("dissociation", "hallucinations")]
        parts = ([f"CADSS {cadss}"] if cadss is not None else []) + [e for e in seen]
        return ", ".join(parts)
    rates = [r.respiratory_rate for r in summary.readings if r.respiratory_rate is not None]
    parts = [f"lowest SpO2 {summary.lowest_spo2}%"] if summary.lowest_spo2 is not None else []
    if rates:
        parts.append(f"respiratory rate {min(rates)}-{max(rates)}/min")
    return ", ".join(parts)


def effect_words(
    form: RemsForm | None, summary: SessionSummary, words: str, cadss: int | None
) -> str:
    """'observed: yes; resolved by discharge: yes (readings: deepest MOAA/S 3 ...)'."""
    key = words.replace(" ", "_")
    observed = getattr(form, f"{key}_observed", None)
    resolved = getattr(form, f"{key}_resolved", None)
    text = f"observed: {yes_no_words(observed)}"
    if observed:
        text += f"; resolved by discharge: {yes_no_words(resolved)}"
    evidence = _evidence(summary, words, cadss)
    return text + (f" (recorded: {evidence})" if evidence else "")


def form_lines(
    summary: SessionSummary, cadss: int | None, form: RemsForm | None, describe_event: bool = True
) -> list[tuple[str, str]]:
    """Every field of the form, in its order, as (label, value); '-' marks an empty one.

    `describe_event=False`: a serious adverse event reads "yes, described below" (the page prints
    the description across its width)."""
    inf = summary.infusion
    pre, mid, last = pressures(summary)
    lots = "; ".join(form.device_lots) if form is not None and form.device_lots else "-"
    event = getattr(form, "serious_adverse_event", None)
    described = event and form.serious_adverse_event_text
    event_text = yes_no_words(event) + (
        ("" if not described else f": {form.serious_adverse_event_text}")
        if describe_event
        else (", described below" if described else "")
    )
    lines = [
        (
            "1. Patient enrolled in the Spravato REMS",
            yes_no_words(getattr(form, "rems_enrolled", None)),
        ),
        ("2. First treatment with Spravato", yes_no_words(getattr(form, "first_treatment", None))),
        ("3. Date of treatment session", inf.when.day.isoformat()),
    ]
    classes = getattr(form, "concomitant_medicines", None)
    lines += [
        (f"4{letter}. Takes {words}", answer)
        for letter, (words, answer) in zip("abcde", concomitant_rows(classes), strict=True)
    ]
    lines += [
        ("5. Dose administered", dose_words(inf.dose_mg)),
        ("6. Device lot number(s)", lots),
        ("7. Blood pressure before dosing", pre or "not recorded"),
        ("8. Blood pressure about 40 minutes after dosing", mid or "not recorded"),
        ("9. Blood pressure before discharge", last or "not recorded"),
        (
            "10. Total minutes, first device to end of monitoring",
            minutes_text(summary.minutes_monitored),
        ),
        ("11. Pulse oximetry", oximetry_words(summary) or "no saturation recorded"),
        ("12. Sedation", effect_words(form, summary, "sedation", cadss)),
        ("13. Dissociation", effect_words(form, summary, "dissociation", cadss)),
        (
            "14. Respiratory depression",
            effect_words(form, summary, "respiratory depression", cadss),
        ),
        ("15. Time the patient was ready to leave", _ready_words(summary)),
        ("16. Serious adverse event", event_text),
    ]
    return lines


def _ready_words(summary: SessionSummary) -> str:
    inf = summary.infusion
    if inf.ready_to_leave_at is None:
        return "not recorded"
    after = summary.minutes_to_discharge
    return clock(inf.ready_to_leave_at) + (
        f" ({minutes_text(after)} after dosing)" if after is not None else ""
    )


def missing_fields(summary: SessionSummary, form: RemsForm | None) -> list[str]:
    """The form's required fields this session lacks, in the form's order, in words."""
    inf = summary.infusion
    pre, mid, last = pressures(summary)
    f = form or RemsForm(inf.patient_id, inf.when.iso())
    missing = [
        words
        for absent, words in (
            (f.rems_enrolled is None, "patient enrolled in the REMS (yes/no)"),
            (f.first_treatment is None, "first treatment (yes/no)"),
            (f.concomitant_medicines is None, "concomitant medicines confirmed for this session"),
            (not f.device_lots, "device lot number(s)"),
            (pre is None, "blood pressure before dosing"),
            (mid is None, "blood pressure about 40 minutes after dosing"),
            (last is None, "blood pressure before discharge"),
            (
                summary.minutes_monitored is None,
                "total minutes of monitoring (a ready-to-leave time)",
            ),
            (summary.lowest_spo2 is None, "pulse oximetry (no saturation reading)"),
        )
        if absent
    ]
    for words in ("sedation", "dissociation", "respiratory depression"):
        key = words.replace(" ", "_")
        observed = getattr(f, f"{key}_observed")
        if observed is None:
            missing.append(f"{words} observed (yes/no)")
        elif observed and getattr(f, f"{key}_resolved") is None:
            missing.append(f"{words} resolved by discharge (yes/no)")
    if inf.ready_to_leave_at is None:
        missing.append("time the patient was ready to leave")
    if f.serious_adverse_event is None:
        missing.append("serious adverse event (yes/no)")
    elif f.serious_adverse_event and not f.serious_adverse_event_text:
        missing.append("a description of the serious adverse event")
    return missing
