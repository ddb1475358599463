"""A reproducible synthetic clinic for demonstrations and tests.

`make_demo` returns plain rows shaped like the CSV files of interface.md
(text and numbers, one dict per row); the caller checks them with
`outcomes.validation` and writes them through `db/`, exactly as an import
would. Nothing here touches a file or a database.

The cohort looks like a real clinic: early and late responders,
non-responders, courses stopped early and courses still running; relief that
lasts from days to about three months, boosters when it fades; PHQ-9 for
everyone (with items, so item 9 is real), MADRS and GAD-7 for some, CADSS at
infusions, side effects and vital signs; a few positive suicidality items,
some overdue follow-ups, a total-only record or two and one patient without a
baseline. About one patient in seven has a course of esketamine nasal spray
(eight sessions twice weekly, 56 mg or 28 mg from 65, some raised to 84 mg)
instead of racemic ketamine; every session has its readings, end and
discharge (`outcomes_cli.demo_sessions`). Dates count back from `today`, so
follow-ups look current, and the same seed and the same day give the same
clinic. No date is in the future.

`demo_batches` yields the clinic a thousand patients at a time (the same
rows, whatever the batch size), so that a network-sized demo is written in
bounded memory; `make_demo` returns it whole.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Iterator

from outcomes.drugs import ESKETAMINE, ESKETAMINE_ROUTE, KETAMINE
from outcomes.scales import SCALES
from outcomes.settings import Settings
from outcomes_cli.demo_sessions import KETAMINE_MINUTES, session_end, session_readings

DEFAULT_PATIENTS = 60
DEFAULT_SEED = 1
#: Patients per batch of `demo_batches` (what is held in memory at once).
BATCH_PATIENTS = 1_000
#: Share of patients whose course is esketamine nasal spray rather than racemic ketamine.
ESKETAMINE_SHARE = 0.15

# Profiles and their share of the cohort (what a ketamine clinic's list looks
# like; the literature in clinical-spec.md section 5 has about 70% response).
PROFILES = (
    ("early_responder", 0.32),
    ("late_responder", 0.22),
    ("non_responder", 0.20),
    ("incomplete", 0.12),
    ("in_progress", 0.14),
)
INDUCTION_DAYS = (0, 2, 4, 7, 9, 11)  # six infusions over about two weeks
ESKETAMINE_DAYS = (0, 3, 7, 10, 14, 17, 21, 24)  # twice weekly for four weeks (Spravato label)
FOLLOWUP_DAYS = Settings().followup_schedule_days  # the default schedule
SIDE_EFFECTS = (
    "dissociation",
    "nausea",
    "dizziness",
    "headache",
    "drowsiness",
    "blurred_vision",
    "anxiety",
    "elevated_bp",
)
FIRST_NAMES = (
    "Alex",
    "Sam",
    "Jordan",
    "Maria",
    "Ahmed",
    "Li",
    "Priya",
    "Tom",
    "Elena",
    "Kofi",
    "Hannah",
    "Mateo",
    "Aisha",
    "Jonas",
    "Grace",
    "Ravi",
    "Sofia",
    "Daniel",
    "Yuki",
    "Noor",
)
LAST_NAMES = (
    "Keller",
    "Okafor",
    "Nguyen",
    "Silva",
    "Novak",
    "Brennan",
    "Haddad",
    "Larsen",
    "Moreau",
    "Tanaka",
    "Fischer",
    "Mensah",
    "Rossi",
    "Kowalski",
    "Ortiz",
    "Walsh",
)
RATERS = ("Dr. Demo Avery", "Dr. Demo Brooks", "RN Demo Chen")


@dataclass
class DemoClinic:
    """The synthetic clinic as CSV-shaped rows.

    Infusion rows carry `course`; an assessment taken at an infusion (CADSS)
    carries `infusion_index`, the position of that infusion in `infusions`.
    `readings` are vitals.csv rows.
    """

    patients: list[dict] = field(default_factory=list)
    infusions: list[dict] = field(default_factory=list)
    assessments: list[dict] = field(default_factory=list)
    profiles: dict[str, str] = field(default_factory=dict)
    readings: list[dict] = field(default_factory=list)


def _items_for(
    scale_id: str, total: int, rng: random.Random, fixed: dict[int, int] | None = None
) -> list[int]:
    """Item scores adding up to `total` (clamped to what the items allow)."""
    scale = SCALES[scale_id]
    items = [0] * scale.n_items
    fixed = fixed or {}
    for number, value in fixed.items():
        items[number - 1] = min(value, scale.item_max[number - 1])
    free = [i for i in range(scale.n_items) if (i + 1) not in fixed]
    room = sum(scale.item_max[i] for i in free)
    remaining = max(0, min(total - sum(items), room))
    tops, n_free, draw = scale.item_max, len(free), rng.random
    while remaining > 0:
        i = free[int(draw() * n_free)]  # rng.choice's pick, without its cost per point
        if items[i] < tops[i]:
            items[i] += 1
            remaining -= 1
    return items


def _score(baseline: int, improvement: float, top: int, rng: random.Random) -> int:
    value = round(baseline * (1 - improvement / 100) + rng.gauss(0, 0.8))
    return max(0, min(top, value))


class _Builder:
    def __init__(self, today: date, rng: random.Random, seed: int = 0):
        self.today = today
        self.rng = rng
        self.clinic = DemoClinic()
        # Names come from their own stream, drawn without replacement, so a
        # small clinic has no two patients of the same name.
        self.names = [f"{first} {last}" for first in FIRST_NAMES for last in LAST_NAMES]
        random.Random(f"ketamine-outcomes-demo-names:{seed}").shuffle(self.names)

    def patient(self, number: int, width: int) -> str:
        rng = self.rng
        pid = f"P{number:0{width}d}"
        age_days = rng.randint(20 * 365, 70 * 365)
        self.clinic.patients.append(
            {
                "patient_id": pid,
                "name": f"{self.names[(number - 1) % len(self.names)]} (demo)",
                "birth_date": (self.today - timedelta(days=age_days)).isoformat(),
                "weight_kg": f"{rng.uniform(52, 112):.1f}",
                "notes": rng.choice(
                    [
                        "",
                        "",
                        "Referred by GP",
                        "Two prior antidepressant trials",
                        "Also in psychotherapy",
                    ]
                ),
            }
        )
        return pid

    def infusion(
        self,
        pid: str,
        day: date,
        course: int,
        weight: str,
        dose: float,
        high_bp: bool = False,
        drug: str = KETAMINE,
    ) -> int:
        rng = self.rng
        at = time(rng.choice((8, 9, 10, 11, 13, 14)), rng.choice((0, 15, 30, 45)))
        systolic = rng.randint(160, 168) if high_bp else rng.randint(108, 148)
        diastolic = rng.randint(100, 104) if high_bp else rng.randint(66, 92)
        if drug == ESKETAMINE and not high_bp:  # pressure checked before dosing: at most 140/90
            systolic, diastolic = min(systolic, 138), min(diastolic, 88)
        effects = rng.sample(SIDE_EFFECTS, rng.choice((0, 1, 1, 2, 3)))
        start = datetime.combine(day, at)
        dosing = (
            {"drug": ESKETAMINE, "dose_mg": f"{dose:g}", "route": ESKETAMINE_ROUTE}
            if drug == ESKETAMINE
            else {
                "dose_mg_per_kg": f"{dose:g}",
                "route": "iv",
                "duration_min": str(KETAMINE_MINUTES),
            }
        )
        self.clinic.infusions.append(
            {
                "patient_id": pid,
                "date": start.isoformat(timespec="minutes"),
                "course": str(course),
                **dosing,
                "weight_kg": weight,
                "bp_systolic_pre": str(systolic),
                "bp_diastolic_pre": str(diastolic),
                "bp_systolic_post": str(min(systolic + rng.randint(2, 18), 200)),
                "bp_diastolic_post": str(min(diastolic + rng.randint(0, 10), 120)),
                "heart_rate_pre": str(rng.randint(60, 92)),
                "heart_rate_post": str(rng.randint(62, 100)),
                "side_effects": ";".join(effects),
                "notes": "",
                **session_end(rng, start, drug),
            }
        )
        self.clinic.readings.extend(session_readings(rng, pid, start, drug, systolic, diastolic))
        return len(self.clinic.infusions) - 1

    def assessment(
        self,
        pid: str,
        when: date | datetime,
        scale: str,
        total: int,
        *,
        item9: int = 0,
        total_only: bool = False,
        rater: str = "self",
        infusion_index: int | None = None,
        madrs10: int | None = None,
    ) -> None:
        scale_def = SCALES[scale]
        total = max(0, min(scale_def.total_max, total))
        fixed = {}
        if scale == "phq9":
            fixed = {9: item9}
        elif scale == "madrs":
            fixed = {10: madrs10 if madrs10 is not None else min(2, total // 12)}
        items = _items_for(scale, total, self.rng, fixed)
        text = (
            when.isoformat(timespec="minutes") if isinstance(when, datetime) else when.isoformat()
        )
        self.clinic.assessments.append(
            {
                "patient_id": pid,
                "date": text,
                "scale": scale,
                "items": "" if total_only else " ".join(map(str, items)),
                "total": str(sum(items)) if not total_only else str(total),
                "rater": rater,
                "notes": "",
                "infusion_index": infusion_index,
            }
        )


def _pick_profile(rng: random.Random) -> str:
    roll = rng.random()
    upto = 0.0
    for name, share in PROFILES:
        upto += share
        if roll < upto:
            return name
    return PROFILES[-1][0]


def make_demo(
    patients: int = DEFAULT_PATIENTS,
    seed: int = DEFAULT_SEED,
    today: date | None = None,
    start: int = 1,
) -> DemoClinic:
    """A synthetic clinic of `patients` patients, the same for the same seed and day.

    Args:
        patients: How many patients.
        seed: Any integer; the same seed (and day) gives the same clinic.
        today: The day the clinic is seen from (default: today).
        start: Number of the first patient id (P001 for 1), so a second demo
            cohort can sit beside the first.
    """
    return next(demo_batches(patients, seed, today, start, batch=max(patients, 1)))


def demo_batches(
    patients: int = DEFAULT_PATIENTS,
    seed: int = DEFAULT_SEED,
    today: date | None = None,
    start: int = 1,
    *,
    batch: int = BATCH_PATIENTS,
) -> Iterator[DemoClinic]:
    """The clinic of `make_demo`, `batch` patients at a time (each batch's `infusion_index` counts
    within that batch); the rows are the same whatever the batch size."""
    if patients < 1:
        raise ValueError("a demo clinic needs at least one patient")
    today = today or date.today()
    rng = random.Random(f"ketamine-outcomes-demo:{seed}")
    b = _Builder(today, rng, seed)
    width = max(3, len(str(start + patients - 1)))
    for number in range(1, patients + 1):
        pid = b.patient(start + number - 1, width)
        profile = _pick_profile(rng)
        # Fixed roles, so that every demo shows them whatever the seed.
        if number == 2:
            profile = "no_baseline"
        b.clinic.profiles[pid] = profile
        _course(b, pid, profile, number)
        if number % batch == 0 or number == patients:
            yield b.clinic
            b.clinic = DemoClinic()


def _dose_plan(
    rng: random.Random, respond_at: int | None, drug: str = KETAMINE, older: bool = False
):
    """Dose by session. Ketamine (mg/kg): most start at 0.5; slow and non-responders are often
    titrated up by 0.25 mg/kg at session 3 or 4, as clinics do. Esketamine (mg): 56 (28 from
    age 65, the label's starting doses), raised to 84 (56 from 28) for some slow responders."""
    if drug == ESKETAMINE:
        start, step = (28, 28) if older else (56, 28)
    else:
        start, step = rng.choice((0.5, 0.5, 0.5, 0.5, 0.4, 0.6)), 0.25
    slow = respond_at is None or respond_at >= 4
    rise_at = rng.choice((3, 4)) if rng.random() < (0.7 if slow else 0.1) else None
    return lambda session: round(start + step, 2) if rise_at and session >= rise_at else start


def _course(b: _Builder, pid: str, profile: str, number: int) -> None:
    rng, today = b.rng, b.today
    weight = b.clinic.patients[-1]["weight_kg"]
    drug = ESKETAMINE if rng.random() < ESKETAMINE_SHARE else KETAMINE
    schedule = ESKETAMINE_DAYS if drug == ESKETAMINE else INDUCTION_DAYS
    older = (today - date.fromisoformat(b.clinic.patients[-1]["birth_date"])).days >= 65 * 365.25
    start = _course_start(rng, today, profile)
    baseline = rng.randint(14, 25)
    suicidal = number % 11 == 3  # a few positive item-9 answers at baseline
    madrs = rng.random() < 0.45
    gad = rng.random() < 0.4
    cadss = rng.random() < 0.6
    total_only_baseline = number % 29 == 7
    madrs_base = min(52, round(baseline * 2.0 + rng.gauss(4, 3)))
    gad_base = rng.randint(9, 18)

    def rate(when, improvement, suicide=0):
        b.assessment(pid, when, "phq9", _score(baseline, improvement, 27, rng), item9=suicide)
        if madrs:
            m10 = 4 if suicide >= 2 else None
            b.assessment(
                pid,
                when,
                "madrs",
                _score(madrs_base, improvement, 60, rng),
                rater=rng.choice(RATERS),
                madrs10=m10,
            )
        if gad and rng.random() < 0.6:
            b.assessment(pid, when, "gad7", _score(gad_base, improvement * 0.8, 21, rng))

    base_day = start - timedelta(days=rng.randint(0, 6))
    if profile != "no_baseline":
        if total_only_baseline:
            b.assessment(pid, base_day, "phq9", baseline, total_only=True, rater="paper form")
        else:
            rate(base_day, 0.0, suicide=rng.choice((1, 2)) if suicidal else 0)

    # Where response comes, and how long it lasts.
    respond_at = {
        "early_responder": rng.randint(1, 3),
        "late_responder": rng.randint(4, len(schedule)),
    }.get(profile)
    if profile in ("no_baseline", "in_progress") and rng.random() < 0.6:
        respond_at = rng.randint(1, 4)
    n_infusions = {"incomplete": rng.randint(2, 4)}.get(profile, len(schedule))
    relief_days = int(min(120, max(3, rng.lognormvariate(3.4, 0.8))))
    plateau = rng.uniform(55, 85)
    improvement_at = _improvement_curve(rng, profile, respond_at, plateau)
    dose_at = _dose_plan(rng, respond_at, drug, older)
    # Dissociation: a level of the patient's own, a little higher in those who
    # go on to respond (a modest positive association, as reported in the
    # literature) and with the dose.
    dissociation = rng.uniform(8, 26) + {"early_responder": 5, "late_responder": 2}.get(profile, 0)

    days = [start + timedelta(days=d) for d in schedule[:n_infusions]]
    # Nothing on today itself: a time of day later than now would lie in the future.
    days = [d for d in days if d < today]
    _induction(
        b,
        pid,
        days,
        weight,
        rate,
        improvement_at,
        dose_at,
        dissociation if cadss else None,
        high_bp=number % 17 == 5,
        drug=drug,
    )
    if len(days) == len(schedule):
        _followups(
            b,
            pid,
            days[-1],
            weight,
            rate,
            improvement_at,
            dose_at,
            respond_at,
            relief_days,
            plateau,
            drug,
        )


def _course_start(rng: random.Random, today: date, profile: str) -> date:
    """The first infusion's day: recent for a course in progress, long ago for one stopped short."""
    if profile == "in_progress":
        return today - timedelta(days=rng.randint(1, 10))
    if profile == "incomplete":
        return today - timedelta(days=rng.randint(40, 150))
    return today - timedelta(days=rng.randint(20, 170))


def _improvement_curve(rng: random.Random, profile: str, respond_at: int | None, plateau: float):
    """Percent improvement at a session, drawn afresh at each call."""

    def improvement_at(session: int) -> float:
        # Early improvement tends to come before response (so the clinic's
        # early-improvement figures have something to show).
        if respond_at is None:
            if profile == "non_responder":
                return rng.uniform(0, 30) * min(1.0, (session + 1) / 4)
            return rng.uniform(5, 35)
        if session < respond_at:
            return rng.uniform(15, 45) * (session / respond_at) ** 0.5
        return plateau + rng.uniform(-4, 6)

    return improvement_at


def _induction(
    b: _Builder,
    pid: str,
    days: list[date],
    weight: float,
    rate,
    improvement_at,
    dose_at,
    dissociation: float | None,
    high_bp: bool,
    drug: str = KETAMINE,
) -> None:
    """The induction infusions, a rating before each after the first, CADSS at each when rated."""
    rng = b.rng
    for k, day in enumerate(days, start=1):
        if k >= 2:
            # Pre-dose rating on the infusion day belongs to session k-1.
            rate(day, improvement_at(k - 1))
        index = b.infusion(pid, day, 1, weight, dose_at(k), high_bp=(high_bp and k == 2), drug=drug)
        if dissociation is not None:
            moment = datetime.fromisoformat(b.clinic.infusions[index]["date"]) + timedelta(
                minutes=50
            )
            relative = dose_at(k) / (0.5 if drug == KETAMINE else 56)  # to the usual starting dose
            level = dissociation * (1 - 0.06 * k) * relative**0.5 + rng.gauss(0, 2)
            b.assessment(
                pid,
                moment,
                "cadss",
                max(2, round(level)),
                rater=rng.choice(RATERS),
                infusion_index=index,
            )


def _followups(
    b: _Builder,
    pid: str,
    last: date,
    weight: float,
    rate,
    improvement_at,
    dose_at,
    respond_at: int | None,
    relief_days: int,
    plateau: float,
    drug: str = KETAMINE,
) -> None:
    """Follow-up ratings on the default schedule; relief fades for some, and a booster may follow."""
    rng, today = b.rng, b.today
    booster_day = None
    booster_given = False
    overdue = rng.random() < 0.15  # stops coming back: follow-ups fall overdue
    for offset in FOLLOWUP_DAYS:
        day = last + timedelta(days=offset)
        if day >= today or (overdue and offset >= 14):
            break
        if booster_day is not None and day > booster_day:
            improvement = plateau - rng.uniform(0, 8)
        elif respond_at is not None and offset >= relief_days:
            improvement = rng.uniform(5, 40)  # relief has faded
            if booster_day is None and rng.random() < 0.55 and day + timedelta(days=3) < today:
                booster_day = min(
                    day + timedelta(days=rng.randint(2, 5)), today - timedelta(days=1)
                )
        else:
            improvement = improvement_at(
                len(ESKETAMINE_DAYS if drug == ESKETAMINE else INDUCTION_DAYS)
            )
        rate(day, improvement)
        if booster_day is not None and not booster_given:
            b.infusion(pid, booster_day, 1, weight, dose_at(99), drug=drug)
            booster_given = True
