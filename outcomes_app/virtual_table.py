"""A table that draws only the rows on screen, for the patient list of a clinic network.

Textual's `DataTable` keeps a row object, a key and measured cells for every
row it holds: filling it with 50,000 patients costs seconds and hundreds of
megabytes before anything is painted. `VirtualTable` holds a plain sequence
of rows and a function that turns one row into its cells; `render_line`
(Textual's Line API) asks for the cells of the rows on screen only, so
painting, scrolling, sorting and refilling cost the same at 100 rows as at
50,000. The columns have fixed widths chosen by the screen (which knows how
wide its values get), so nothing is ever measured row by row here.

It keeps the parts of `DataTable` the list uses, under the same names: a row
cursor (`cursor_row`, `move_cursor`), `row_count`, `get_row_at`, Enter or a
click on the highlighted row posting `RowSelected`, a click on a header
posting `HeaderSelected`, zebra stripes, and the same look (its component
classes mirror `DataTable`'s, with the same theme variables).
"""

from __future__ import annotations

import threading
from typing import Any, Callable, ClassVar, Sequence

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

Cells = Callable[[Any], Sequence[Any]]
#: Rendered lines kept (a few screens' worth: scrolling back is free).
LINE_CACHE_SIZE = 400


class VirtualTable(ScrollView, can_focus=True):
    """Rows drawn on demand from a sequence, with a fixed header, a row cursor and sortable headers."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select_cursor", "Select", show=False),
        Binding("up", "cursor_up", "Cursor up", show=False),
        Binding("down", "cursor_down", "Cursor down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home,ctrl+home", "first", "First row", show=False),
        Binding("end,ctrl+end", "last", "Last row", show=False),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "vtable--header",
        "vtable--cursor",
        "vtable--even-row",
        "vtable--odd-row",
        "vtable--hover",
    }

    # DataTable's look (Textual 8's DEFAULT_CSS), so the list reads as before.
    DEFAULT_CSS = """
    VirtualTable {
        background: $surface;
        color: $foreground;
        height: auto;
        max-height: 100%;
        &:focus {
            background-tint: $foreground 5%;
            & > .vtable--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
            & > .vtable--header {
                background-tint: $foreground 5%;
            }
        }
        &:dark > .vtable--even-row {
            background: $surface-darken-1 40%;
        }
        & > .vtable--header {
            text-style: bold;
            background: $panel;
            color: $foreground;
        }
        &:ansi > .vtable--header {
            background: ansi_bright_blue;
            color: ansi_default;
        }
        & > .vtable--even-row {
            background: $surface-lighten-1 50%;
        }
        & > .vtable--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
        & > .vtable--hover {
            background: $block-hover-background;
        }
    }
    """

    cursor_row: reactive[int] = reactive(0, always_update=True)
    hover_row: reactive[int] = reactive(-1)

    class RowSelected(Message):
        """Enter, or a click on the highlighted row."""

        def __init__(self, table: "VirtualTable", row_index: int) -> None:
            super().__init__()
            self.table, self.row_index = table, row_index

        @property
        def control(self) -> "VirtualTable":
            return self.table

    class HeaderSelected(Message):
        """A click on a column's header."""

        def __init__(self, table: "VirtualTable", column_index: int, label: str) -> None:
            super().__init__()
            self.table, self.column_index, self.label = table, column_index, label

        @property
        def control(self) -> "VirtualTable":
            return self.table

    def __init__(
        self,
        *,
        zebra_stripes: bool = True,
        rows_drawn: threading.Event | None = None,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.zebra_stripes = zebra_stripes
        #: Set whenever a row (not the header) is drawn: a worker waiting on it starts once rows are on screen.
        self._rows_drawn = rows_drawn
        self._labels: list[Text] = []
        self._widths: list[int] = []
        self._rows: Sequence[Any] = ()
        self._cells: Cells = tuple
        #: Bumped whenever what a line shows may have changed: cached lines of older generations go unused.
        self._generation = 0
        self._lines: LRUCache[tuple, Strip] = LRUCache(LINE_CACHE_SIZE)

    # ----- what the table shows ---------------------------------------------
    def set_columns(self, columns: Sequence[tuple[Text | str, int]]) -> None:
        """The header labels and each column's width in cells (its text and one space either side)."""
        self._labels = [label if isinstance(label, Text) else Text(label) for label, _ in columns]
        self._widths = [width for _, width in columns]
        self._changed()

    def set_rows(self, rows: Sequence[Any], cells: Cells) -> None:
        """Show `rows` (kept, not copied); `cells(row)` gives a row's cells, asked only for rows on screen."""
        self._rows, self._cells = rows, cells
        self._changed()
        if self.cursor_row >= len(rows):
            self.cursor_row = max(0, len(rows) - 1)

    def refresh_rows(self) -> None:
        """Draw again after rows changed in place (the sequence given to `set_rows` was updated)."""
        self._changed()

    def _changed(self) -> None:
        self._generation += 1
        self.virtual_size = Size(sum(self._widths), len(self._rows) + 1)
        self.refresh()

    @property
    def row_count(self) -> int:
        return len(self._rows)

    @property
    def labels(self) -> list[str]:
        """The header labels as shown, left to right."""
        return [label.plain for label in self._labels]

    def get_row_at(self, index: int) -> Sequence[Any]:
        """The cells of the row at `index` (as `DataTable.get_row_at`)."""
        return self._cells(self._rows[index])

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._generation += 1  # a theme or focus change restyles every line

    def on_focus(self) -> None:
        self._generation += 1  # the cursor's colours differ with and without focus

    def on_blur(self) -> None:
        self._generation += 1

    def on_resize(self) -> None:
        self._scroll_to_cursor()  # a shorter table keeps the cursor's row on screen

    # ----- drawing ------------------------------------------------------------
    @property
    def _page_height(self) -> int:
        """Rows visible below the header."""
        return max(1, self.scrollable_content_region.height - 1)

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.scrollable_content_region.width
        index = None if y == 0 else scroll_y + y - 1
        if index is not None and index >= len(self._rows):
            return Strip.blank(width, self.rich_style)
        if index is not None and self._rows_drawn is not None and not self._rows_drawn.is_set():
            self._rows_drawn.set()
        key = (
            index,
            scroll_x,
            width,
            self._generation,
            index == self.cursor_row,
            index == self.hover_row,
        )
        strip = self._lines.get(key)
        if strip is None:
            style = self._line_style(index)
            strip = self._cells_line(index, style)
            if (
                index == self.cursor_row
            ):  # the cursor's colours over the cells' own (as DataTable's)
                cursor = self.get_component_rich_style("vtable--cursor")
                strip = Strip(Segment.apply_style(strip, post_style=cursor), strip.cell_length)
            # The line's background runs to the table's edge, past the last column (as DataTable's).
            strip = strip.crop(scroll_x, scroll_x + width).extend_cell_length(width, style)
            self._lines[key] = strip
        return strip

    def _cells_line(self, index: int | None, style: Style) -> Strip:
        """The header's labels (`index` None) or a row's cells, each in its column's width."""
        cells = self._labels if index is None else self._cells(self._rows[index])
        row = -1 if index is None else index  # in each cell's meta: what a click landed on
        segments: list[Segment] = []
        for column, (cell, width) in enumerate(zip(cells, self._widths, strict=False)):
            segments += _cell_segments(self, cell, width, style, {"row": row, "column": column})
        return Strip(segments)

    def _line_style(self, index: int | None) -> Style:
        """The header's style, or a row's: zebra stripe, then hover, then cursor on top."""
        style = self.rich_style
        if index is None:
            return style + self.get_component_rich_style("vtable--header")
        if self.zebra_stripes:
            style += self.get_component_rich_style(
                "vtable--even-row" if index % 2 == 0 else "vtable--odd-row"
            )
        if index == self.hover_row:
            style += self.get_component_rich_style("vtable--hover")
        if index == self.cursor_row:
            style += self.get_component_rich_style("vtable--cursor")
        return style

    # ----- the cursor -----------------------------------------------------------
    def validate_cursor_row(self, row: int) -> int:
        return max(0, min(row, len(self._rows) - 1))

    def watch_cursor_row(self) -> None:
        self._scroll_to_cursor()
        self.refresh()

    def watch_hover_row(self) -> None:
        self.refresh()

    def move_cursor(self, *, row: int) -> None:
        """Put the cursor on `row` (clamped to the rows there are) and bring it on screen."""
        self.cursor_row = row

    def _scroll_to_cursor(self) -> None:
        top, page = round(self.scroll_y), self._page_height
        if self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=False, force=True)
        elif self.cursor_row >= top + page:
            self.scroll_to(y=self.cursor_row - page + 1, animate=False, force=True)

    def action_cursor_up(self) -> None:
        self.cursor_row -= 1

    def action_cursor_down(self) -> None:
        self.cursor_row += 1

    def action_page_up(self) -> None:
        self.scroll_to(y=self.scroll_y - self._page_height, animate=False, force=True)
        self.cursor_row -= self._page_height

    def action_page_down(self) -> None:
        self.scroll_to(y=self.scroll_y + self._page_height, animate=False, force=True)
        self.cursor_row += self._page_height

    def action_first(self) -> None:
        self.cursor_row = 0

    def action_last(self) -> None:
        self.cursor_row = len(self._rows) - 1

    def action_select_cursor(self) -> None:
        if self._rows:
            self.post_message(self.RowSelected(self, self.cursor_row))

    # ----- the mouse --------------------------------------------------------------
    def _on_click(self, event: events.Click) -> None:
        meta = event.style.meta
        if "row" not in meta:
            return
        row, column = meta["row"], meta["column"]
        if row == -1:
            self.post_message(self.HeaderSelected(self, column, self._labels[column].plain))
        elif row < len(self._rows):
            # As DataTable: the first click highlights a row, a click on the highlighted row selects it.
            if row == self.cursor_row:
                self.post_message(self.RowSelected(self, row))
            self.cursor_row = row
        event.stop()

    def _on_mouse_move(self, event: events.MouseMove) -> None:
        self.hover_row = event.style.meta.get("row", -1)

    def _on_leave(self, event: events.Leave) -> None:
        self.hover_row = -1


def _cell_segments(
    table: VirtualTable, cell: Any, width: int, style: Style, meta: dict
) -> list[Segment]:
    """One cell: its text cut or padded to the column's width less a space either side, on the row's style."""
    inner = max(0, width - 2)
    base = style + Style.from_meta(meta)
    if type(cell) is str and cell.isascii() and cell.isprintable() and len(cell) <= inner:
        return [
            Segment(f" {cell:<{inner}} ", base)
        ]  # most cells: plain text that fits, no Text needed
    console = table.app.console
    text = cell.copy() if isinstance(cell, Text) else Text(str(cell))
    text.truncate(inner, overflow="ellipsis", pad=True)
    # `Text.render` gives the spans' styles only; the text's own style ("bold red") goes under them.
    own = base + console.get_style(text.style) if text.style else base
    segments = [Segment(" ", base)]
    segments += [
        Segment(s.text, own + s.style if s.style else own)
        for s in text.render(console)
        if s.text != "\n"
    ]
    segments.append(Segment(" ", base))
    return segments
