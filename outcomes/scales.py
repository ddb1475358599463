"""The rating-scale registry: every scale the program knows, as data.

Each scale is one self-describing `Scale` record (items, ranges, scoring,
severity bands, remission cut, safety item, item labels and export codes),
after the idea of CamCOPS' one-module-per-task, but kept as data rather than a
class per scale. Everything else in the program asks this module about a
scale; no other module spells out a range, a band or a cut.

Sources are in `clinical-spec.md` section 1. PHQ-9 and GAD-7 are in the public
domain, so their full item text is shipped; the other scales get short item
names only (never the copyrighted BDI-II wording).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

#: The project's own code system for scores that have no verified LOINC code.
LOCAL_CODE_SYSTEM = "urn:ketamine-outcomes:scale-scores"
LOINC_SYSTEM = "http://loinc.org"


@dataclass(frozen=True, slots=True)
class Band:
    """A severity band; `upper` is inclusive."""

    upper: int
    label: str


@dataclass(frozen=True, slots=True)
class Scale:
    """One rating scale, described completely.

    Attributes:
        id: Stable identifier used in files and on the command line.
        name: Display name.
        purpose: What the scale measures, in plain words.
        rater: Who rates it and over which period.
        item_labels: Full text (PHQ-9, GAD-7) or a short name per item.
        item_max: Highest allowed score of each item (all items start at 0).
        total_max: Highest possible total.
        bands: Severity bands in ascending order (empty for CADSS).
        remission_cut: A total at or below this is remission (None: not an
            outcome measure). MADRS and BDI-II cuts can be changed in settings.
        safety_item: 1-based number of the suicidality item, if any.
        is_outcome: False for side-effect measures (CADSS).
        loinc_total / loinc_panel / loinc_items: verified LOINC codes only.
        loinc_form: The LOINC panel of the whole form, which a FHIR
            QuestionnaireResponse of a patient's own answers names (PHQ-9
            44249-1, GAD-7 69737-5).
        option_labels: Answer wording, where it is free to reproduce.
        stem: The instrument's own question above its items, where it is free
            to reproduce (a patient answering it alone reads it on every item).
        citation: Source of the bands.
    """

    id: str
    name: str
    purpose: str
    rater: str
    item_labels: tuple[str, ...]
    item_max: tuple[int, ...]
    total_max: int
    bands: tuple[Band, ...]
    remission_cut: int | None
    safety_item: int | None
    is_outcome: bool = True
    loinc_total: str | None = None
    loinc_panel: str | None = None
    loinc_items: tuple[tuple[int, str], ...] = ()
    loinc_form: str | None = None
    option_labels: tuple[str, ...] = ()
    citation: str = ""
    stem: str = ""
    scorer: Callable[[Sequence[int]], int] = sum
    #: Items whose answers carry a letter (BDI-II 16 and 18: 1a/1b): the number is stored.
    lettered_items: tuple[int, ...] = ()
    _band_of: tuple[str, ...] = field(init=False, repr=False, compare=False)

    @property
    def n_items(self) -> int:
        return len(self.item_max)

    def total(self, items: Sequence[int]) -> int:
        """The total of a complete, valid set of items (no proration)."""
        return self.scorer(items)

    def __post_init__(self) -> None:
        # The band of every possible total, looked up once per score.
        table = []
        for total in range(self.total_max + 1):
            label = next((b.label for b in self.bands if total <= b.upper), "")
            table.append(label)
        object.__setattr__(self, "_band_of", tuple(table))

    def band(self, total: int) -> str:
        """The severity band of a total ("" for a scale without bands)."""
        if 0 <= total <= self.total_max:
            return self._band_of[total]
        return ""

    def item_label(self, number: int) -> str:
        """The label of item `number` (1-based)."""
        return self.item_labels[number - 1]

    def local_code(self, what: str = "total") -> str:
        """A code in the project's code system, e.g. ``madrs-total``."""
        return f"{self.id}-{what}"


def _qids_total(items: Sequence[int]) -> int:
    # Rush 2003: the highest of the sleep items (1-4), sad mood (5), the highest
    # of the appetite/weight items (6-9), items 10-14, and the highest of the
    # psychomotor items (15-16).
    return max(items[0:4]) + items[4] + max(items[5:9]) + sum(items[9:14]) + max(items[14:16])


_FREQUENCY_OPTIONS = ("Not at all", "Several days", "More than half the days", "Nearly every day")

PHQ9 = Scale(
    id="phq9",
    name="PHQ-9",
    purpose="depression (self-report, last 2 weeks)",
    rater="self",
    item_labels=(
        "Little interest or pleasure in doing things",
        "Feeling down, depressed, or hopeless",
        "Trouble falling or staying asleep, or sleeping too much",
        "Feeling tired or having little energy",
        "Poor appetite or overeating",
        "Feeling bad about yourself - or that you are a failure or have let "
        "yourself or your family down",
        "Trouble concentrating on things, such as reading the newspaper or watching television",
        "Moving or speaking so slowly that other people could have noticed? Or "
        "the opposite - being so fidgety or restless that you have been moving "
        "around a lot more than usual",
        "Thoughts that you would be better off dead or of hurting yourself in some way",
    ),
    item_max=(3,) * 9,
    total_max=27,
    bands=(
        Band(4, "minimal"),
        Band(9, "mild"),
        Band(14, "moderate"),
        Band(19, "moderately severe"),
        Band(27, "severe"),
    ),
    remission_cut=4,
    safety_item=9,
    loinc_total="44261-6",
    loinc_panel="44249-1",
    loinc_items=((9, "44260-8"),),
    loinc_form="44249-1",
    option_labels=_FREQUENCY_OPTIONS,
    citation="Kroenke 2001",
    stem="Over the last 2 weeks, how often have you been bothered by any of the following problems?",
)

GAD7 = Scale(
    id="gad7",
    name="GAD-7",
    purpose="anxiety (self-report, last 2 weeks)",
    rater="self",
    item_labels=(
        "Feeling nervous, anxious, or on edge",
        "Not being able to stop or control worrying",
        "Worrying too much about different things",
        "Trouble relaxing",
        "Being so restless that it's hard to sit still",
        "Becoming easily annoyed or irritable",
        "Feeling afraid as if something awful might happen",
    ),
    item_max=(3,) * 7,
    total_max=21,
    bands=(Band(4, "minimal"), Band(9, "mild"), Band(14, "moderate"), Band(21, "severe")),
    remission_cut=4,
    safety_item=None,
    loinc_total="70274-6",
    loinc_form="69737-5",
    option_labels=_FREQUENCY_OPTIONS,
    citation="Spitzer 2006",
    stem="Over the last 2 weeks, how often have you been bothered by the following problems?",
)

MADRS = Scale(
    id="madrs",
    name="MADRS",
    purpose="depression (clinician-rated, past week)",
    rater="clinician",
    item_labels=(
        "Apparent sadness",
        "Reported sadness",
        "Inner tension",
        "Reduced sleep",
        "Reduced appetite",
        "Concentration difficulties",
        "Lassitude",
        "Inability to feel",
        "Pessimistic thoughts",
        "Suicidal thoughts",
    ),
    item_max=(6,) * 10,
    total_max=60,
    bands=(Band(6, "normal"), Band(19, "mild"), Band(34, "moderate"), Band(60, "severe")),
    remission_cut=10,
    safety_item=10,
    citation="Snaith",
)

# Items 1-3, 7-11 and 15 are scored 0-4; items 4-6, 12-14, 16 and 17 are 0-2.
_HAMD_WIDE = {1, 2, 3, 7, 8, 9, 10, 11, 15}
HAMD17 = Scale(
    id="hamd17",
    name="HAM-D 17",
    purpose="depression (clinician-rated, past week)",
    rater="clinician",
    item_labels=(
        "Depressed mood",
        "Feelings of guilt",
        "Suicide",
        "Insomnia: early in the night",
        "Insomnia: middle of the night",
        "Insomnia: early hours of the morning",
        "Work and activities",
        "Retardation",
        "Agitation",
        "Anxiety: psychic",
        "Anxiety: somatic",
        "Somatic symptoms: gastro-intestinal",
        "General somatic symptoms",
        "Genital symptoms",
        "Hypochondriasis",
        "Loss of weight",
        "Insight",
    ),
    item_max=tuple(4 if n in _HAMD_WIDE else 2 for n in range(1, 18)),
    total_max=52,
    bands=(
        # The commonly cited APA-handbook cut-offs, as CamCOPS `hamd.py` uses them.
        Band(7, "none"),
        Band(13, "mild"),
        Band(18, "moderate"),
        Band(22, "severe"),
        Band(52, "very severe"),
    ),
    remission_cut=7,
    safety_item=3,
)

QIDS_SR16 = Scale(
    id="qids_sr16",
    name="QIDS-SR16",
    purpose="depression (self-report, last 7 days)",
    rater="self",
    item_labels=(
        "Falling asleep",
        "Sleep during the night",
        "Waking up too early",
        "Sleeping too much",
        "Feeling sad",
        "Decreased appetite",
        "Increased appetite",
        "Decreased weight",
        "Increased weight",
        "Concentration / decision making",
        "View of myself",
        "Thoughts of death or suicide",
        "General interest",
        "Energy level",
        "Feeling slowed down",
        "Feeling restless",
    ),
    item_max=(3,) * 16,
    total_max=27,
    bands=(
        Band(5, "none"),
        Band(10, "mild"),
        Band(15, "moderate"),
        Band(20, "severe"),
        Band(27, "very severe"),
    ),
    remission_cut=5,
    safety_item=12,
    citation="Rush 2003",
    scorer=_qids_total,
)

BDI2 = Scale(
    id="bdi2",
    name="BDI-II",
    purpose="depression (self-report, last 2 weeks)",
    rater="self",
    item_labels=(
        "Sadness",
        "Pessimism",
        "Past failure",
        "Loss of pleasure",
        "Guilty feelings",
        "Punishment feelings",
        "Self-dislike",
        "Self-criticalness",
        "Suicidal thoughts or wishes",
        "Crying",
        "Agitation",
        "Loss of interest",
        "Indecisiveness",
        "Worthlessness",
        "Loss of energy",
        "Changes in sleeping pattern (1a/1b etc.: enter the number)",
        "Irritability",
        "Changes in appetite (1a/1b etc.: enter the number)",
        "Concentration difficulty",
        "Tiredness or fatigue",
        "Loss of interest in sex",
    ),
    item_max=(3,) * 21,
    total_max=63,
    bands=(Band(13, "minimal"), Band(19, "mild"), Band(28, "moderate"), Band(63, "severe")),
    remission_cut=13,
    safety_item=9,
    citation="Beck 1996",
    lettered_items=(16, 18),
)

CADSS = Scale(
    id="cadss",
    name="CADSS",
    purpose="dissociation during or just after an infusion (clinician-rated)",
    rater="clinician",
    item_labels=tuple(f"Dissociation item {n}" for n in range(1, 24)),
    item_max=(4,) * 23,
    total_max=92,
    bands=(),
    remission_cut=None,
    safety_item=None,
    is_outcome=False,
)

SCALES: dict[str, Scale] = {s.id: s for s in (PHQ9, GAD7, MADRS, HAMD17, QIDS_SR16, BDI2, CADSS)}
SCALE_IDS: tuple[str, ...] = tuple(SCALES)
OUTCOME_SCALE_IDS: tuple[str, ...] = tuple(s.id for s in SCALES.values() if s.is_outcome)
#: Scales a patient may fill in alone: self-rated, with question and answers free to show.
SELF_REPORT_SCALE_IDS: tuple[str, ...] = tuple(
    s.id for s in SCALES.values() if s.rater == "self" and s.stem and s.option_labels
)


def get_scale(scale_id: str) -> Scale:
    """The scale with this id; raises KeyError naming the allowed ids."""
    try:
        return SCALES[scale_id]
    except KeyError:
        raise KeyError(f"unknown scale {scale_id!r}; allowed: {', '.join(SCALE_IDS)}") from None


def outcome_scale(scale_id: str) -> Scale:
    """The scale with this id, refused when it does not measure treatment response.

    CADSS measures dissociation, a side effect: judging it as "response"
    would be clinically misleading (clinical-spec section 1).

    Raises:
        KeyError: unknown id.
        ValueError: a side-effect measure; the message names the outcome scales.
    """
    scale = get_scale(scale_id)
    if not scale.is_outcome:
        raise ValueError(
            f"{scale.name} measures {scale.purpose}, not treatment response; choose one of "
            + ", ".join(OUTCOME_SCALE_IDS)
        )
    return scale
