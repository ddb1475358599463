"""Every sentence about a status, once (clinical-spec section 10).

The clinician app, patient mode, the command line and the reports all word a
status through these functions, so that they say the same thing and never
contradict the numbers beside them:

- change is worded by its direction ("60% below the starting score", "60%
  above the starting score"), never as a negative percentage "below";
- reliable change reads "better by 8 points" / "worse by 2 points";
- counts agree in number ("1 day", "2 days");
- relief reads the same everywhere: a relief censored at a booster is "still
  holding when a booster was given", never "still holding at the latest
  score", and a response lost during the induction says so;
- a status is one card of labelled lines (`status_card`), printed alike by
  the command line, the app's status panel and the patient report.

The functions return plain strings: markup (bold, colour) is the app's
business. "Session k of N" takes N from the status (`induction_size`), never a
fixed 6. The patient-facing sentences (`outcomes.wording.patient`) avoid jargon.

Wording is handed what it describes: a status, a verdict, a follow-up that
`outcomes.followup` computed; it computes no rule itself. Its modules, each
importing only those before it: `numbers` (counts, changes, dates), `course`
(what a session is called, where a course stands), `verdicts`, `status`,
`relief`, `patient` (patient mode), `cohort` (denominators) and `card` (the
status card). Every name is also here, as `wording.<name>`.
"""

from outcomes.wording.card import (
    CardLine,
    status_card,
)
from outcomes.wording.cohort import (
    all_who_started_words,
    completers_words,
    induction_rule_words,
    late_sessions_words,
    median_relief_words,
    relief_count_words,
    relief_share_words,
    trajectories_words,
    waterfall_words,
    within_induction_words,
)
from outcomes.wording.course import (
    course_counts_short,
    course_line,
    course_of_counts,
    drug_of_status,
    noun_of,
    patient_noun,
    progress_short,
    progress_words,
    score_place,
    session_noun,
    session_place,
)
from outcomes.wording.numbers import (
    RECORD_NOUNS,
    STARTING_SCORE,
    day_text,
    item_change_words,
    list_counts,
    number_text,
    percent_change,
    percent_short,
    plural,
    points_change,
    records_words,
    share_words,
    shown_of,
    words,
)
from outcomes.wording.patient import (
    first_reached,
    followup_line,
    headline,
    latest_line,
    milestone_lines,
    patient_change,
    patient_relief_line,
    response_line_label,
    scale_line,
    session_lines,
    what_it_measures,
)
from outcomes.wording.relief import (
    RELIEF_LOST_SHORT,
    lost_in_induction_words,
    relief_label,
    relief_words,
)
from outcomes.wording.status import (
    NOT_RECORDED_IN_SESSION,
    PLAIN_EXPORT_WARNING,
    best_words,
    followup_words,
    milestone_words,
    not_drawn_words,
    reliable_words,
    status_sentence,
    total_only_words,
    trend_words,
)
from outcomes.wording.verdicts import (
    RESPONSE_RULE,
    VERDICT_WORDS,
    verdict_reason,
    verdict_title,
    verdict_words,
)

__all__ = [
    "STARTING_SCORE",
    "plural",
    "shown_of",
    "list_counts",
    "RECORD_NOUNS",
    "records_words",
    "percent_change",
    "percent_short",
    "points_change",
    "item_change_words",
    "words",
    "share_words",
    "day_text",
    "number_text",
    "session_noun",
    "drug_of_status",
    "noun_of",
    "patient_noun",
    "progress_words",
    "course_line",
    "session_place",
    "score_place",
    "progress_short",
    "course_counts_short",
    "course_of_counts",
    "VERDICT_WORDS",
    "verdict_words",
    "RESPONSE_RULE",
    "verdict_reason",
    "verdict_title",
    "NOT_RECORDED_IN_SESSION",
    "PLAIN_EXPORT_WARNING",
    "status_sentence",
    "best_words",
    "milestone_words",
    "trend_words",
    "reliable_words",
    "followup_words",
    "total_only_words",
    "not_drawn_words",
    "relief_words",
    "relief_label",
    "lost_in_induction_words",
    "RELIEF_LOST_SHORT",
    "what_it_measures",
    "response_line_label",
    "patient_change",
    "headline",
    "scale_line",
    "first_reached",
    "milestone_lines",
    "latest_line",
    "patient_relief_line",
    "session_lines",
    "followup_line",
    "all_who_started_words",
    "completers_words",
    "median_relief_words",
    "relief_share_words",
    "relief_count_words",
    "waterfall_words",
    "trajectories_words",
    "induction_rule_words",
    "within_induction_words",
    "late_sessions_words",
    "ALERTS_NAMED",
    "CardLine",
    "status_card",
]
