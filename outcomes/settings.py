"""The clinic settings: every tunable rule of `clinical-spec.md`, with its default.

One `Settings` object carries them all; `SETTING_SPECS` describes each one
(type, allowed values, meaning, source) so that the CLI, the TUI settings
screen and the README list the same thing. Values arrive as text from the
command line or the database and are validated here, once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields, replace
from typing import Any, Mapping, NamedTuple

from outcomes.kiosk import CODE_MIN, StaffCode
from outcomes.scales import OUTCOME_SCALE_IDS, SCALES, SELF_REPORT_SCALE_IDS
from outcomes.typed_text import text_problem

DEFAULT_CRISIS_TEXT = (
    "If you are having thoughts of harming yourself, you are not alone and help "
    "is available now. Tell a member of the clinic team today, call your local "
    "emergency number, or contact a crisis line (in the US call or text 988; in "
    "the UK and Ireland call Samaritans on 116 123)."
)


class Pressure(NamedTuple):
    """A blood-pressure threshold, written and read as "140/90"."""

    systolic: int
    diastolic: int

    def __str__(self) -> str:
        return f"{self.systolic}/{self.diastolic}"


@dataclass(frozen=True, slots=True)
class SettingSpec:
    """What one setting means and which values it accepts."""

    key: str
    kind: str  # "int", "float", "bool", "text", "scale", "days", "choice", "secret"
    description: str
    source: str
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    optional: bool = False  # may be unset (None)


SETTING_SPECS: tuple[SettingSpec, ...] = (
    SettingSpec(
        "primary_scale",
        "scale",
        "Scale used when none is chosen",
        "the clinic's choice",
        choices=OUTCOME_SCALE_IDS,
    ),
    SettingSpec(
        "induction_sessions",
        "int",
        "Infusions in the induction; later ones are boosters",
        "clinical-spec 2 (common clinic practice)",
        1,
        20,
    ),
    SettingSpec(
        "baseline_window_days",
        "int",
        "A baseline may be at most this many days before the first infusion",
        "clinical-spec 2 (convention)",
        0,
        365,
    ),
    SettingSpec(
        "verdict_window_days",
        "int",
        "Days after the last induction infusion whose assessments still count for the verdict",
        "clinical-spec 4 (convention)",
        0,
        90,
    ),
    SettingSpec(
        "incomplete_after_days",
        "int",
        "Days after its last infusion that a course short of the induction, without response, "
        "becomes incomplete",
        "clinical-spec 4 (convention)",
        1,
        365,
    ),
    SettingSpec(
        "relapse_confirmations",
        "int",
        "Failing assessments in a row that make a loss of response (1 or 2)",
        "clinical-spec 5 (convention)",
        1,
        2,
    ),
    SettingSpec(
        "booster_ends_relief",
        "bool",
        "A booster before relapse counts as loss of relief (else the patient is censored there)",
        "clinical-spec 5 (clinic practice)",
    ),
    SettingSpec(
        "madrs_remission_cut",
        "int",
        "MADRS total at or below this is remission",
        "clinical-spec 1 (KetECT)",
        0,
        60,
    ),
    SettingSpec(
        "bdi2_remission_cut",
        "int",
        "BDI-II total at or below this is remission",
        "Beck 1996 (minimal band)",
        0,
        63,
    ),
    SettingSpec(
        "qids_sr16_suicide_alert_min",
        "int",
        "QIDS-SR16 item 12 at or above this raises a suicidality alert (0 = never)",
        "clinical-spec 8",
        0,
        3,
    ),
    SettingSpec(
        "madrs_suicide_alert_min",
        "int",
        "MADRS item 10 at or above this raises a suicidality alert (0 = never)",
        "clinical-spec 8",
        0,
        6,
    ),
    SettingSpec(
        "hamd17_suicide_alert_min",
        "int",
        "HAM-D item 3 at or above this raises a suicidality alert (0 = never)",
        "clinical-spec 8",
        0,
        4,
    ),
    SettingSpec(
        "bdi2_suicide_alert_min",
        "int",
        "BDI-II item 9 at or above this raises a suicidality alert (0 = never)",
        "clinical-spec 8",
        0,
        3,
    ),
    SettingSpec(
        "bp_hold_systolic",
        "int",
        "Systolic pressure before the infusion or dose at or above this warns",
        "clinical-spec 8 (clinic hold threshold)",
        90,
        250,
    ),
    SettingSpec(
        "bp_hold_diastolic",
        "int",
        "Diastolic pressure before the infusion or dose at or above this warns",
        "clinical-spec 8 (clinic hold threshold)",
        50,
        150,
    ),
    SettingSpec(
        "esketamine_induction_sessions",
        "int",
        "Esketamine sessions in the induction (twice weekly for four weeks); later ones are boosters",
        "clinical-spec 11 (Spravato label)",
        1,
        20,
    ),
    SettingSpec(
        "esketamine_bp_caution",
        "pressure",
        "Esketamine: pressure before dosing above this (either number) warns before saving",
        "clinical-spec 11 (label's example of elevated pressure; verify against the current label)",
        40,
        250,
    ),
    SettingSpec(
        "spo2_alert_below",
        "int",
        "Oxygen saturation (%) below this during a session alerts",
        "clinical-spec 11 (convention)",
        50,
        100,
    ),
    SettingSpec(
        "resp_rate_low",
        "int",
        "Respiratory rate (/min) below this during a session alerts",
        "clinical-spec 11 (convention)",
        0,
        60,
    ),
    SettingSpec(
        "resp_rate_high",
        "int",
        "Respiratory rate (/min) above this during a session alerts",
        "clinical-spec 11 (convention)",
        0,
        60,
    ),
    SettingSpec(
        "sedation_alert_at_or_below",
        "int",
        "Sedation (MOAA/S) at or below this during a session alerts (deep sedation)",
        "clinical-spec 11 (convention)",
        0,
        5,
    ),
    SettingSpec(
        "recovery_minutes",
        "int",
        "Ketamine: ready to leave sooner than this many minutes after the infusion ended warns",
        'clinical-spec 11 ("a recovery time of about 30 minutes")',
        0,
        600,
    ),
    SettingSpec(
        "followup_schedule_days",
        "days",
        "Follow-up assessments due on these days after the last induction infusion",
        "clinic practice",
        0,
        3650,
    ),
    SettingSpec("crisis_text", "text", "Crisis-resource text shown in patient mode", "clinic"),
    SettingSpec("clinic_name", "text", "Clinic name printed on reports", "clinic"),
    SettingSpec(
        "kiosk_always",
        "bool",
        "Patient mode always runs as a kiosk (leaving needs the staff code), as with --kiosk",
        "issue 23 (the clinic's choice)",
    ),
    SettingSpec(
        "kiosk_staff_code",
        "secret",
        "Staff code that closes a kiosk; stored as a salted hash, never shown "
        "(`outcomes settings kiosk_staff_code -` asks for it)",
        "issue 23 (the clinic's choice)",
        optional=True,
    ),
    SettingSpec(
        "kiosk_idle_minutes",
        "int",
        "A kiosk goes back to its start screen after this many minutes without a key or touch",
        "issue 23 (a waiting room: long enough to read, short enough for the next person)",
        1,
        60,
    ),
    SettingSpec(
        "registry_site_id",
        "text",
        "This clinic's site id in a network's registry (`outcomes export registry`); "
        "given by the network",
        "issue 27 (the network's choice)",
        optional=True,
    ),
    SettingSpec(
        "registry_min_cell",
        "int",
        "A counts-only registry export leaves out verdict counts under this number",
        "issue 27 (small-cell suppression; 5 is a common rule)",
        1,
        100,
    ),
    SettingSpec(
        "self_report_scales",
        "scales",
        "Questionnaires a patient fills in alone with `outcomes tui --patient ID --self-report`, "
        "in this order",
        "issue 14 (PHQ-9 and GAD-7: wording free to show)",
        choices=SELF_REPORT_SCALE_IDS,
    ),
    SettingSpec(
        "checkin_link_days",
        "int",
        "Days a check-in link stays open once issued (or from the follow-up's day)",
        "issue 25 (Greenspace and Blueprint: about four days)",
        1,
        60,
    ),
    SettingSpec(
        "checkin_base_url",
        "text",
        "Public address of `outcomes serve` that check-in links start with "
        "(e.g. https://checkin.example.org)",
        "clinic IT",
    ),
    SettingSpec(
        "checkin_show_progress",
        "bool",
        "After a web check-in the patient may see their own progress chart and words",
        "the clinic's choice (off by default)",
    ),
    SettingSpec(
        "checkin_reminder_days",
        "int",
        "Days after an emailed link is unused that `outcomes checkin send --due` sends a "
        "reminder with a fresh link (0 = never)",
        "issue 25 (Osmind: reminders for three days)",
        0,
        30,
    ),
    SettingSpec("smtp_host", "text", "Mail server for check-in emails", "clinic IT", optional=True),
    SettingSpec("smtp_port", "int", "Mail server port (587 with STARTTLS)", "clinic IT", 1, 65535),
    SettingSpec(
        "smtp_starttls", "bool", "Use STARTTLS with the mail server", "clinic IT (keep it on)"
    ),
    SettingSpec("smtp_user", "text", "Mail server login name", "clinic IT", optional=True),
    SettingSpec(
        "smtp_sender",
        "text",
        "From address of check-in emails (password: $OUTCOMES_SMTP_PASSWORD, never stored)",
        "clinic IT",
        optional=True,
    ),
) + tuple(
    SettingSpec(
        f"rc_{param}_{scale}",
        "float",
        f"{SCALES[scale].name} {words} for reliable change (unset: not computed)",
        "Jacobson & Truax 1991 (from your reference population)",
        low,
        high,
        optional=True,
    )
    # PHQ-9 and GAD-7 use fixed NHS Talking Therapies thresholds instead.
    for scale in ("madrs", "hamd17", "qids_sr16", "bdi2")
    for param, words, low, high in (
        ("sd", "standard deviation", 0.0001, 1000),
        ("r", "test-retest reliability", 0.0, 0.9999),
    )
)

SPECS_BY_KEY: dict[str, SettingSpec] = {s.key: s for s in SETTING_SPECS}


@dataclass(frozen=True)
class Settings:
    """Every clinic setting, with the defaults of `clinical-spec.md`."""

    primary_scale: str = "phq9"
    induction_sessions: int = 6
    baseline_window_days: int = 30
    verdict_window_days: int = 7
    incomplete_after_days: int = 21
    relapse_confirmations: int = 1
    booster_ends_relief: bool = True
    madrs_remission_cut: int = 10
    bdi2_remission_cut: int = 13
    qids_sr16_suicide_alert_min: int = 1
    madrs_suicide_alert_min: int = 4
    hamd17_suicide_alert_min: int = 2
    bdi2_suicide_alert_min: int = 1
    bp_hold_systolic: int = 160
    bp_hold_diastolic: int = 100
    esketamine_induction_sessions: int = 8
    esketamine_bp_caution: Pressure = Pressure(140, 90)
    spo2_alert_below: int = 90
    resp_rate_low: int = 8
    resp_rate_high: int = 30
    sedation_alert_at_or_below: int = 2
    recovery_minutes: int = 30
    followup_schedule_days: tuple[int, ...] = (1, 7, 14, 30, 60, 90)
    crisis_text: str = DEFAULT_CRISIS_TEXT
    clinic_name: str = "Ketamine clinic"
    kiosk_always: bool = False
    kiosk_staff_code: StaffCode | None = None
    kiosk_idle_minutes: int = 3
    registry_site_id: str | None = None
    registry_min_cell: int = 5
    self_report_scales: tuple[str, ...] = ("phq9", "gad7")
    checkin_link_days: int = 4
    checkin_base_url: str = "http://127.0.0.1:8000"
    checkin_show_progress: bool = False
    checkin_reminder_days: int = 1
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_starttls: bool = True
    smtp_user: str | None = None
    smtp_sender: str | None = None
    rc_sd_madrs: float | None = None
    rc_r_madrs: float | None = None
    rc_sd_hamd17: float | None = None
    rc_r_hamd17: float | None = None
    rc_sd_qids_sr16: float | None = None
    rc_r_qids_sr16: float | None = None
    rc_sd_bdi2: float | None = None
    rc_r_bdi2: float | None = None
    #: Not a setting: the clinic's own `induction_sessions` when this copy was made for an
    #: esketamine course (`outcomes.drugs.settings_for_drug`), so reports print the clinic's value.
    clinic_induction_sessions: int | None = None

    def __hash__(self) -> int:
        # Settings key the caches of rules worked out once per clinic (`lru_cache`), asked for
        # every patient: the fields are hashed once, not at every lookup (50 of them, 1.4 us).
        cached = self.__dict__.get("_hash")
        if cached is None:
            cached = hash(tuple(getattr(self, f.name) for f in fields(self)))
            object.__setattr__(self, "_hash", cached)
        return cached

    def __getstate__(self) -> dict[str, Any]:
        # A string's hash differs from one interpreter to the next: a copy sent to a worker
        # process hashes itself afresh.
        return {k: v for k, v in self.__dict__.items() if k != "_hash"}

    def clinic_value(self, key: str) -> Any:
        """The clinic's value of setting `key` (as set, whatever the course's drug)."""
        if key == "induction_sessions" and self.clinic_induction_sessions is not None:
            return self.clinic_induction_sessions
        return getattr(self, key)

    def with_values(self, values: Mapping[str, Any]) -> "Settings":
        """A copy with `values` (already typed) applied."""
        return replace(self, **values)

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name not in NOT_SETTINGS}

    def suicide_alert_min(self, scale_id: str) -> int | None:
        """The item score at which a scale's suicidality item alerts.

        PHQ-9 item 9 >= 1 always alerts (not a setting); None means the scale
        has no suicidality item or its alert is switched off.
        """
        if scale_id == "phq9":
            return 1
        value = getattr(self, f"{scale_id}_suicide_alert_min", None)
        return value or None


#: Fields of `Settings` that are not clinic settings (bookkeeping of a per-course copy).
NOT_SETTINGS = frozenset({"clinic_induction_sessions"})


class SettingError(ValueError):
    """A setting name or value was refused; the message says why."""


def parse_value(key: str, text: str, *, stored: bool = False) -> Any:
    """Turn the text a user typed into a valid value for setting `key`.

    `stored`: from the database (text stored before the control-character rule still loads).

    Raises:
        SettingError: naming the setting, the value and what is allowed.
    """
    spec = SPECS_BY_KEY.get(key)
    if spec is None:
        raise SettingError(f"unknown setting {key!r}; known settings: {', '.join(SPECS_BY_KEY)}")
    raw = text.strip()
    if spec.optional and raw.lower() in ("", "none", "unset", "null"):
        return None
    if spec.kind == "secret":
        return _secret(key, text, stored)
    try:
        if spec.kind == "int":
            value: Any = int(_plain_number(raw, whole=True))
        elif spec.kind == "float":
            value = float(_plain_number(raw, whole=False))
        elif spec.kind == "bool":
            lowered = raw.lower()
            if lowered in ("true", "yes", "on", "1"):
                return True
            if lowered in ("false", "no", "off", "0"):
                return False
            raise ValueError
        elif spec.kind in ("scale", "choice"):
            if raw not in spec.choices:
                raise SettingError(
                    f"setting {key}: {raw!r} is not allowed; choose one of {', '.join(spec.choices)}"
                )
            return raw
        elif spec.kind == "scales":
            return _scale_list(spec, raw)
        elif spec.kind == "pressure":
            return _pressure(spec, raw)
        elif spec.kind == "days":
            parts = [p for p in raw.replace(";", ",").replace(" ", ",").split(",") if p]
            days = tuple(sorted({int(_plain_number(p, whole=True)) for p in parts}))
            if not days:
                raise ValueError
            for day in days:
                _check_range(spec, day)
            return days
        else:
            return _text_value(key, raw, stored)
    except SettingError:
        raise
    except ValueError:
        raise SettingError(f"setting {key}: {raw!r} is not {_kind_words(spec)}") from None
    _check_range(spec, value)
    return value


#: A registry site id: read in file names, chart legends and a network's tables.
SITE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,39}")
SITE_ID_WORDS = "1-40 letters, digits, '.', '_' or '-', starting with a letter or digit"
#: Longest text of each text setting, in characters: the take-home page and the reports must fit
#: it (issue 21: a crisis text of about 1,100 characters did not fit the page).
TEXT_LIMITS = {"crisis_text": 700, "clinic_name": 80}


#: A number as plain decimal digits: an optional sign, digits, at most one decimal point.
_PLAIN_WHOLE = re.compile(r"[+-]?[0-9]+")
_PLAIN_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")


def _plain_number(raw: str, whole: bool) -> str:
    """`raw` when it is plain decimal digits (whole: no decimal point), else ValueError:
    "5e-1", "1_000", "0x10", "inf" and non-ASCII digits are not numbers a clinic types."""
    pattern = _PLAIN_WHOLE if whole else _PLAIN_DECIMAL
    if len(raw) > 12 or not pattern.fullmatch(raw):
        raise ValueError(raw)
    return raw


def _text_value(key: str, raw: str, stored: bool) -> str:
    """A text setting: not empty, not too long; as typed, no control characters (`outcomes.typed_text`)."""
    if not raw:
        raise SettingError(f"setting {key}: the text may not be empty")
    if key == "registry_site_id" and not SITE_ID.fullmatch(raw):
        raise SettingError(f"setting {key}: {raw!r} is not a usable site id; {SITE_ID_WORDS}")
    limit = TEXT_LIMITS.get(key)
    if limit is not None and len(raw) > limit and not stored:
        raise SettingError(
            f"setting {key}: the text is {len(raw):,} characters; at most {limit:,} are allowed "
            "(the printed pages must fit it)"
        )
    problem = None if stored else text_problem(raw, f"setting {key}")
    if problem:
        raise SettingError(problem)
    return raw


def _secret(key: str, text: str, stored: bool) -> StaffCode:
    """A staff code: typed, it is checked and hashed; stored, its hash is read back.

    Neither the code nor its hash is ever part of a refusal.
    """
    try:
        return StaffCode(text.strip()) if stored else StaffCode.from_code(text)
    except ValueError as exc:
        raise SettingError(
            f"setting {key}: the stored value is not a staff code; set the code again"
            if stored
            else str(exc)
        ) from None


def _scale_list(spec: SettingSpec, raw: str) -> tuple[str, ...]:
    """A comma-separated list of allowed scale ids, in the order given, each once."""
    parts = [
        p.strip().lower().replace("-", "")
        for p in raw.replace(";", ",").replace(" ", ",").split(",")
        if p.strip()
    ]
    unknown = [p for p in parts if p not in spec.choices]
    if unknown or not parts:
        raise SettingError(
            f"setting {spec.key}: {raw!r} is not allowed; give one or more of "
            f"{', '.join(spec.choices)}, separated by commas"
            + (
                f" ({', '.join(repr(u) for u in unknown)} cannot be filled in by a patient alone)"
                if unknown
                else ""
            )
        )
    return tuple(dict.fromkeys(parts))


def _pressure(spec: SettingSpec, raw: str) -> Pressure:
    """ "140/90" as a `Pressure` (ValueError when it is not two whole numbers)."""
    systolic, diastolic = (
        int(_plain_number(p.strip(), whole=True)) for p in raw.replace(",", "/").split("/")
    )
    _check_range(spec, systolic)
    _check_range(spec, diastolic)
    if diastolic >= systolic:
        raise SettingError(
            f"setting {spec.key}: {raw!r}: the diastolic number must be below the systolic"
        )
    return Pressure(systolic, diastolic)


def format_value(value: Any) -> str:
    """The text form of a setting value, as `parse_value` reads it back (a staff code: only
    that it is set; `stored_text` gives its stored form)."""
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Pressure):
        return str(value)
    if isinstance(value, tuple):
        return ",".join(str(v) for v in value)
    return str(value)


def stored_text(value: Any) -> str:
    """The form a setting value is stored in: `format_value`'s, and a staff code's hash."""
    if isinstance(value, StaffCode):
        return value.stored
    return format_value(value)


def audit_text(key: str, stored: str | None) -> str | None:
    """A setting's stored text as the audit trail keeps it: a staff code only as "set"."""
    spec = SPECS_BY_KEY.get(key)
    if stored is None or spec is None or spec.kind != "secret":
        return stored
    return "unset" if stored == "unset" else "set (a new code; not kept here)"


def settings_from_text(stored: Mapping[str, str], base: Settings | None = None) -> Settings:
    """Settings from stored text values; unknown keys are ignored."""
    values = {k: parse_value(k, v, stored=True) for k, v in stored.items() if k in SPECS_BY_KEY}
    return (base or Settings()).with_values(values)


def _check_range(spec: SettingSpec, value: float) -> None:
    if (
        spec.minimum is not None
        and value < spec.minimum
        or (spec.maximum is not None and value > spec.maximum)
    ):
        raise SettingError(
            f"setting {spec.key}: {value} is out of range; allowed {_kind_words(spec)}"
        )


def _kind_words(spec: SettingSpec) -> str:
    bounds = ""
    if spec.minimum is not None and spec.maximum is not None:
        bounds = f" from {spec.minimum:g} to {spec.maximum:g}"
    return {
        "int": f"a whole number{bounds}",
        "float": f"a number{bounds}" + (" (or 'unset')" if spec.optional else ""),
        "bool": "true or false",
        "days": f"a comma-separated list of whole days{bounds}",
        "pressure": f"a pressure written systolic/diastolic (like 140/90), each{bounds}",
        "text": "text",
        "secret": f"a code of at least {CODE_MIN} characters, or 'unset'",
    }.get(spec.kind, "allowed")


def default_settings() -> Settings:
    return Settings()


__all__ = [
    "DEFAULT_CRISIS_TEXT",
    "NOT_SETTINGS",
    "Pressure",
    "SETTING_SPECS",
    "SPECS_BY_KEY",
    "SettingError",
    "SettingSpec",
    "Settings",
    "StaffCode",
    "audit_text",
    "default_settings",
    "format_value",
    "parse_value",
    "settings_from_text",
    "stored_text",
]
