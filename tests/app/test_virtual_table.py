"""The patient list's table with 50,000 rows: only what is on screen is drawn, keys and clicks as DataTable's."""

from __future__ import annotations

from rich.text import Text
from textual.app import App, ComposeResult

from outcomes_app.virtual_table import VirtualTable

ROWS = [(f"P{n:05d}", f"Name {n}", n % 7) for n in range(1, 50_001)]
COLUMNS = [("ID", 8), ("Name", 14), ("Alerts", 8)]


class TableApp(App):
    """A bare app around one VirtualTable of 50,000 rows, recording what the table asks for."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: list[str] = []
        self.events: list[tuple] = []

    def cells(self, row: tuple) -> tuple:
        self.asked.append(row[0])
        return row[0], row[1], Text(f"⚠ {row[2]}", style="bold red") if row[2] else ""

    def compose(self) -> ComposeResult:
        yield VirtualTable(id="table")

    def on_mount(self) -> None:
        table = self.query_one(VirtualTable)
        table.set_columns(COLUMNS)
        table.set_rows(ROWS, self.cells)
        table.focus()

    def on_virtual_table_row_selected(self, event: VirtualTable.RowSelected) -> None:
        self.events.append(("row", event.row_index))

    def on_virtual_table_header_selected(self, event: VirtualTable.HeaderSelected) -> None:
        self.events.append(("header", event.column_index, event.label))


def screen_lines(app: App) -> list[str]:
    return [strip.text for strip in app.screen._compositor.render_strips()]


async def test_only_rows_on_screen_are_drawn_and_end_reaches_the_last_row():
    """50,000 rows: the first paint asks for one screen of rows; End shows the last row under the cursor."""
    app = TableApp()
    async with app.run_test(size=(60, 20)) as pilot:
        await pilot.pause()
        lines = screen_lines(app)
        assert lines[0].split() == ["ID", "Name", "Alerts"] and lines[1].startswith(
            " P00001  Name 1"
        )
        assert len(set(app.asked)) <= 20  # one screen, not 50,000
        app.asked.clear()
        await pilot.press("end")
        await pilot.pause()
        table = app.query_one(VirtualTable)
        assert table.cursor_row == 49_999
        assert screen_lines(app)[-1].startswith(" P50000  Name 50000")
        assert len(set(app.asked)) <= 20
        await pilot.press("pageup")
        await pilot.pause()
        assert table.cursor_row == 49_999 - 19  # a screen: the 19 rows below the header
        await pilot.press("home")
        await pilot.pause()
        assert table.cursor_row == 0 and screen_lines(app)[1].startswith(" P00001")


async def test_enter_and_clicks_select_rows_and_headers():
    """Enter selects the cursor's row; a first click highlights a row, a second opens it; a header click sorts."""
    app = TableApp()
    async with app.run_test(size=(60, 20)) as pilot:
        await pilot.pause()
        await pilot.press("down", "down", "enter")
        assert app.events == [("row", 2)]
        await pilot.click("#table", offset=(3, 5))  # the fifth row shown: index 4
        await pilot.pause()
        assert app.query_one(VirtualTable).cursor_row == 4 and app.events == [("row", 2)]
        await pilot.click("#table", offset=(3, 5))
        await pilot.pause()
        assert app.events[-1] == ("row", 4)
        await pilot.click("#table", offset=(10, 0))  # the Name header
        await pilot.pause()
        assert app.events[-1] == ("header", 1, "Name")


async def test_cells_are_cut_to_their_column_and_styles_kept():
    """A cell wider than its column ends in "…"; a styled cell keeps its style off the cursor's row."""
    app = TableApp()
    async with app.run_test(size=(60, 20)) as pilot:
        table = app.query_one(VirtualTable)
        table.set_rows([("P1", "Maximiliana Wolfeschlegel", 2), ("P2", "Bo", 3)], app.cells)
        await pilot.pause()
        assert screen_lines(app)[1].startswith(" P1      Maximiliana…  ⚠ 2")
        second = table.render_line(2)
        alert = next(segment for segment in second if "⚠" in segment.text)
        assert alert.style.bold and alert.style.color.name == "red"
