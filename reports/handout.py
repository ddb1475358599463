"""The take-home page: one patient's progress on one A4 page, in plain words.

`outcomes report --patient ID --handout`, patient mode (key `p`) and the
clinician app (key `p` on a patient) write it. It holds the words patient
mode shows (built by the app layer from `outcomes/` and handed in as a
`Handout`), a large simple chart of the scores, the milestones, the sessions
done, the next check-in and, where a suicidality item was positive, the
clinic's crisis text. Every mark is black or grey with its own line style or
marker and every line is named in words beside it, so the page reads the same
printed in greyscale; the type is larger than the clinician's report.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

from matplotlib.patches import Rectangle
from matplotlib.ticker import MaxNLocator

from outcomes.chart_marks import ChartData
from outcomes.wording import response_line_label
from reports.layout import (
    Cursor,
    ems_across,
    fitted_lines,
    footer,
    line_height,
    text_lines,
    wrap,
)
from reports.names import inside, patient_stem
from reports.style import A4_PORTRAIT, BLACK, GREY, new_figure, open_pdf

BIG = 12
BODY = 11
HEAD = 13
TITLE = 20
CHART_LEFT, CHART_WIDTH = 0.12, 0.83
CHART_TOP, CHART_BOTTOM = 0.73, 0.515  # the top comes down under a crisis box
#: A long crisis text gets smaller type (down to 8 pt) before the chart gets lower than this.
CHART_MIN_HEIGHT = 0.08
#: How far the chart's foot rises at a time when the words below it need more room.
CHART_STEP = 0.02
CRISIS_SIZES = (BIG, 11, 10, 9, 8)
FOOTER = (
    "This page shows only your own results. Please ask your clinic team about anything on it; "
    "it does not replace talking with them."
)


@dataclass(frozen=True)
class Handout:
    """What the page says, worked out by the caller from the domain's results.

    Attributes:
        patient_id: Used for the file name only.
        who: The patient's name (or id) printed at the top.
        clinic: The clinic's name.
        day: The day the page is for.
        headline: The first sentence patient mode shows.
        about: What the questionnaire measures.
        milestones: Response and remission, reached or not, with their meaning.
        sessions: Infusions done, the last one, the next check-in.
        crisis: The clinic's crisis text where a suicidality item was positive.
        glossary: (word, meaning) pairs for every term on the page.
        marks: The chart's points and lines (None: no scores yet).
        checkin: The next check-in's link and its words (None: no link on this page).
    """

    patient_id: str
    who: str
    clinic: str
    day: date
    headline: str
    about: str
    milestones: list[str] = field(default_factory=list)
    sessions: list[str] = field(default_factory=list)
    crisis: str | None = None
    glossary: list[tuple[str, str]] = field(default_factory=list)
    marks: ChartData | None = None
    checkin: CheckinPrint | None = None


@dataclass(frozen=True)
class CheckinPrint:
    """The next check-in's one-time link, printed as a QR code, and the words beside it."""

    url: str
    words: str
    code: str  # printed on a line of its own, never broken


class _NoRoomBelow(ValueError):
    """The words under the chart run past the page's foot."""


def handout_path(folder: Path, patient_id: str, day: date) -> Path:
    """``<folder>/<id>-<hash>-handout-<day>.pdf``, safe whatever the id holds."""
    return inside(folder, f"{patient_stem(patient_id)}-handout-{day.isoformat()}.pdf")


def write_handout(handout: Handout, path: Path) -> Path:
    """Draw the page and write it as a one-page PDF (atomically).

    When the words and the next check-in's QR code do not fit on one page
    together, the page goes out without the code (its words stay: the short
    code can still be typed). A long crisis text is set in smaller type until
    the chart keeps `CHART_MIN_HEIGHT`: any crisis text the setting allows
    (`outcomes.settings.TEXT_LIMITS`) fits the page.
    """
    try:
        fig = _page(handout)
    except ValueError:
        if handout.checkin is None:
            raise
        sessions = [*handout.sessions, f"{handout.checkin.words} {handout.checkin.code}"]
        fig = _page(replace(handout, checkin=None, sessions=sessions))
    with open_pdf(path) as pdf:
        pdf.savefig(fig)
    return path


def _page(handout: Handout):
    # The next check-in's QR code needs room below: the chart gives it up. So do words below
    # that need more room than the page leaves them (a patient with every milestone, a due
    # check-in and the glossary): the chart's foot rises a step at a time, down to its least height.
    bottom = CHART_BOTTOM + (CHECKIN_ROOM if handout.checkin else 0)
    while True:
        for size in CRISIS_SIZES:
            fig = new_figure(A4_PORTRAIT)
            top = min(CHART_TOP, _words_above(fig, handout, size) - 0.025)
            if top - bottom >= CHART_MIN_HEIGHT:
                break
        else:  # the caller's words must fit: refused, never a page drawn over itself
            raise ValueError("the handout's words do not fit on one page")
        _chart(fig, handout.marks, (CHART_LEFT, bottom, CHART_WIDTH, top - bottom))
        try:
            _words_below(fig, handout, bottom)
        except _NoRoomBelow:
            bottom += CHART_STEP
            continue
        footer(fig, FOOTER)
        return fig


def chart_png(marks: ChartData | None) -> bytes:
    """The page's chart alone, as PNG bytes (the web check-in's own-progress view shows it)."""
    import io

    fig = new_figure((6.4, 4.6))
    _chart(fig, marks, (0.13, 0.34, 0.82, 0.6))
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=100)
    return out.getvalue()


#: How much the chart gives up for the next check-in's QR code (figure height).
CHECKIN_ROOM = 0.09
#: The QR code's width as a share of the page (about 3.5 cm on A4: a phone reads it easily).
QR_WIDTH = 0.17


def _qr(fig, url: str, *, top: float, right: float) -> float:
    """Draw `url` as a QR code at the top right of a section; returns its bottom (figure units)."""
    import segno

    matrix = [list(row) for row in segno.make(url, error="m", boost_error=False).matrix]
    border = 2
    size = len(matrix) + 2 * border
    padded = [[0] * size for _ in range(border)]
    padded += [[0] * border + row + [0] * border for row in matrix]
    padded += [[0] * size for _ in range(border)]
    width = QR_WIDTH
    height = width * fig.get_figwidth() / fig.get_figheight()
    ax = fig.add_axes((right - width, top - height, width, height))
    ax.imshow(padded, cmap="Greys", interpolation="nearest", vmin=0, vmax=1)
    ax.set_axis_off()
    return top - height


def _words_above(fig, handout: Handout, crisis_size: float = BIG) -> float:
    page = Cursor(fig, y=0.965)
    page.y = text_lines(fig, page.left, page.y, ["Your treatment progress"], TITLE, weight="bold")
    page.y = text_lines(
        fig,
        page.left,
        page.y,
        fitted_lines(
            f"{handout.who}   ·   {handout.clinic}   ·   {handout.day.day} {handout.day:%B %Y}",
            ems_across(fig, page.right - page.left, BODY),
        ),
        BODY,
        color=GREY,
    )
    page.gap(0.8, BODY)
    if handout.crisis:
        _boxed(page, "Support is available", handout.crisis, linewidth=3, size=crisis_size)
        page.gap(0.5, BODY)
    _boxed(page, None, handout.headline, linewidth=1.2)
    page.gap(0.4, BODY)
    page.paragraph(handout.about, size=BODY)
    return page.y


def _boxed(page: Cursor, title: str | None, text: str, linewidth: float, size: float = BIG) -> None:
    """Bold text in a black frame (a heavier one for the crisis text)."""
    fig = page.fig
    width = int(page.chars_per_line * 9 / size) - 4
    lines = ([title] if title else []) + wrap(text, width)
    top = page.y
    page.y = text_lines(fig, page.left + 0.015, top - 0.006, lines, size, weight="bold")
    fig.add_artist(
        Rectangle(
            (page.left, page.y - 0.008),
            page.right - page.left,
            top - page.y + 0.008,
            transform=fig.transFigure,
            fill=False,
            edgecolor=BLACK,
            linewidth=linewidth,
        )
    )
    page.y -= 0.008


def _chart(fig, marks: ChartData | None, rect: tuple[float, float, float, float]) -> None:
    ax = fig.add_axes(rect)
    if marks is None or marks.empty:
        ax.set_axis_off()
        ax.text(
            0.5,
            0.5,
            "No questionnaire scores yet",
            ha="center",
            va="center",
            size=HEAD,
            transform=ax.transAxes,
        )
        return
    ax.plot(
        marks.days,
        marks.totals,
        color=BLACK,
        marker="o",
        markersize=8,
        linewidth=2.5,
        label="your score",
    )
    if marks.response_level is not None:
        ax.axhline(
            marks.response_level,
            color=GREY,
            linestyle="--",
            linewidth=2,
            label=response_line_label(marks.response_level, for_patient=True),
        )
    if marks.remission is not None:
        ax.axhline(
            marks.remission,
            color=GREY,
            linestyle=":",
            linewidth=2.5,
            label=f"{marks.remission} or lower: few or no symptoms left",
        )
    if marks.infusion_days:
        ax.plot(
            marks.infusion_days,
            [0] * len(marks.infusion_days),
            linestyle="none",
            marker="^",
            markersize=10,
            color=BLACK,
            label=f"a {marks.noun}" if marks.noun == "session" else f"an {marks.noun}",
            clip_on=False,
        )
    if marks.booster_days:
        ax.plot(
            marks.booster_days,
            [0] * len(marks.booster_days),
            linestyle="none",
            marker="D",
            markersize=8,
            markerfacecolor="white",
            markeredgecolor=BLACK,
            label="a booster",
            clip_on=False,
        )
    top = max([*marks.totals, marks.baseline or 0, marks.remission or 0]) + 4
    ax.set_ylim(0, min(top, marks.total_max + 2))
    ax.set_xlabel(marks.x_label, size=BODY)
    ax.set_ylabel(f"{marks.scale_name} score (lower is better)", size=BODY)
    ax.tick_params(labelsize=BODY)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(True, color="#DDDDDD", linewidth=0.8)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.legend(
        loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=2, fontsize=BODY - 1, frameon=False
    )
    _label_points(fig, ax, marks.days, marks.totals)


def _label_points(fig, ax, days, totals) -> None:
    """Write each score above its point, leaving out a label that would touch one already
    written (scores a day apart printed as "2120"); the latest score is always labelled."""
    renderer = fig.canvas.get_renderer()
    placed = []
    order = [len(totals) - 1, *range(len(totals) - 1)]  # the latest first: it always stays
    for i in order:
        label = ax.annotate(
            str(totals[i]),
            (days[i], totals[i]),
            textcoords="offset points",
            xytext=(0, 9),
            ha="center",
            size=BODY,
        )
        box = label.get_window_extent(renderer).expanded(1.15, 1.0)
        if any(box.overlaps(other) for other in placed):
            label.remove()
        else:
            placed.append(box)


def _words_below(fig, handout: Handout, chart_bottom: float = CHART_BOTTOM) -> None:
    page = Cursor(fig, y=chart_bottom - 0.12)
    sessions = handout.sessions + ([handout.checkin.words] if handout.checkin else [])
    code = handout.checkin.code if handout.checkin else None
    for heading, lines in (
        ("What you have reached", handout.milestones),
        ("Your sessions and your next check-in", sessions),
    ):
        if not lines:
            continue
        qr_bottom = None
        if handout.checkin and lines is sessions:
            qr_bottom = _qr(fig, handout.checkin.url, top=page.y, right=page.right)
            page.right -= QR_WIDTH + 0.03  # the words run beside the code
        page.y = text_lines(fig, page.left, page.y, [heading], HEAD, weight="bold")
        page.gap(0.2, BODY)
        for line in lines:
            page.paragraph(line, size=BODY)
            page.gap(0.2, BODY)
        if code and lines is sessions:
            page.y = text_lines(fig, page.left, page.y, [code], BIG, weight="bold")
            page.gap(0.3, BODY)
        if qr_bottom is not None:
            page.right += QR_WIDTH + 0.03
            page.y = min(page.y, qr_bottom - 0.01)
        page.gap(0.4, BODY)
    if handout.glossary:
        page.y = text_lines(
            fig, page.left, page.y, ["Words used on this page"], HEAD, weight="bold"
        )
        page.gap(0.2, BODY)
        for word, meaning in handout.glossary:
            page.labelled(word, meaning, label_width=0.16, size=BODY - 1)
    step = line_height(fig, BODY)
    if page.y < 0.04 + step:  # a page, never two: the chart makes room (`_page`)
        raise _NoRoomBelow("the handout's words do not fit on one page")
