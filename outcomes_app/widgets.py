"""Small widgets more than one screen shows: a table, a tick list, the alert banner; `key_hint`.

They import no screen of `outcomes_app.screens`, so every screen can import
them at module level without a cycle. The dialogs are in `outcomes_app.modals`.
"""

from __future__ import annotations

from typing import Any, Sequence

from rich.cells import cell_len
from rich.segment import Segment
from rich.text import Text
from textual.screen import Screen
from textual.strip import Strip
from textual.widgets import DataTable, SelectionList, Static
from textual.widgets.option_list import OptionDoesNotExist

from outcomes.status import PatientStatus
from outcomes_app.markup import safe_markup, words

#: The narrowest a wrapped last column gets, and the column a vertical scroll bar may take.
WRAP_MIN, SCROLLBAR = 10, 2


def _plain(cell: Any) -> str:
    return cell.plain if isinstance(cell, Text) else str(cell)


class Table(DataTable):
    """A DataTable that repaints its rows once it has measured their columns.

    Textual 8's DataTable measures new rows' column widths when idle but keeps
    the rows it painted before that, at the old widths, in its render cache:
    when a paint came in between (a timing matter), the list showed "P0 Ada
    sessio" until the next key. Clearing the cache after measuring fixes it.
    """

    def _update_dimensions(self, new_rows) -> None:
        super()._update_dimensions(new_rows)
        self._clear_caches()

    def add_wrapped_rows(self, rows: Sequence[tuple[Any, Sequence[Any]]], width: int) -> None:
        """Add `rows` ((key, cells) pairs), the last cell wrapped to fit `width` cells in all.

        The other columns keep their widest cell; the last one gets the rest
        (at least WRAP_MIN), and a row grows a line for each line its last
        cell wraps to, so that free text (a meaning, side effects, a record)
        is read in full rather than cut at the edge.
        """
        labels = [column.label for column in self.columns.values()]
        fixed = [
            max([cell_len(str(label))] + [cell_len(_plain(cells[i])) for _, cells in rows])
            for i, label in enumerate(labels[:-1])
        ]
        padding = 2 * self.cell_padding * len(labels)
        room = max(WRAP_MIN, width - sum(fixed) - padding - SCROLLBAR)
        for key, cells in rows:
            last = cells[-1] if isinstance(cells[-1], Text) else Text(str(cells[-1]))
            lines = last.wrap(self.app.console, room, overflow="fold")
            self.add_row(*cells[:-1], Text("\n").join(lines), key=key, height=len(lines) or 1)


class TickList(SelectionList):
    """A SelectionList whose boxes read "[x]" ticked and "[ ]" not, without relying on colour.

    Textual draws every box as a coloured "X", ticked or not; a clinician on
    a monochrome terminal (or colour-blind) could not tell them apart.
    """

    def render_line(self, y: int) -> Strip:
        strip = super().render_line(y)
        segments = list(strip)
        try:
            selection = self.get_option_at_index(self.scroll_offset.y + y)
        except OptionDoesNotExist:
            return strip
        if len(segments) < 4:
            return strip
        left, inner, right = segments[:3]
        mark = "x" if selection.value in self._selected else " "
        return Strip(
            [
                Segment("[", left.style),
                Segment(mark, inner.style),
                Segment("]", right.style),
                *segments[3:],
            ],
            strip.cell_length,
        )


def key_hint(node: Any, action: str) -> str:
    """The key bound to `action` where `node` is, as the footer shows it ("a", "^k").

    Every key named in a banner, a summary line or a button comes from here,
    so that a hint can never name a key the screen does not have: the binding
    is the one home of its key. Looks in the node's screen, then the app.

    Raises:
        LookupError: when nothing there is bound to `action` (a programming error).
    """
    app = node.app
    screen = app.screen if node is app else node if isinstance(node, Screen) else node.screen
    for owner in (screen, app):
        for bindings in owner._bindings.key_to_bindings.values():
            for binding in bindings:
                if binding.action == action:
                    return app.get_key_display(binding)
    raise LookupError(f"no key is bound to {action!r} on {type(screen).__name__}")


class AlertBanner(Static):
    """Open safety alerts of one patient; hidden when there are none.

    The hint names the key of the screen's `acknowledge` action: "a" on the
    patient screen, ctrl+k on the session screen (where "a" is typed into fields).
    """

    def show(self, status: PatientStatus | None) -> None:
        alerts = status.open_alerts if status else []
        self.display = bool(alerts)
        if alerts:
            try:
                how = f"press [b]{safe_markup(key_hint(self, 'acknowledge'))}[/b] to acknowledge"
            except LookupError:  # a form: alerts are acknowledged from the patient screen
                how = "acknowledge on the patient screen"
            lines = [f"⚠ SAFETY ALERT ({len(alerts)} open) — {how}"]
            lines += [
                f"  {a.when.day.isoformat()}  {words(a.kind)}: {safe_markup(a.detail)}"
                for a in alerts[:3]
            ]
            if len(alerts) > 3:
                lines.append(f"  … and {len(alerts) - 3} more")
            self.update("\n".join(lines))
