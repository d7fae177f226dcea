"""A table that shows one page of rows a service reads in SQL, with "51–100 of 12,408".

Rows come from `fetch(offset, limit)` in a thread worker, so a slow query never freezes the
console; every cell is shown literally (a `Text`: stored text is never markup).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Static

from screens.admin.worker_errors import ReportsWorkerFailures
from screens.widgets.literal import lit

Cell = Text | str | int | None
Layout = tuple[tuple[int, str, int | None], ...]  # (index in the row, label, width)
PADDING = 2  # a DataTable cell's padding, one each side
SCROLLBAR = 2
FILL_MIN = 12


@dataclass(frozen=True)
class TablePage:
    """Rows (key, cells) from `offset`, out of `total`; `note` follows the count."""

    rows: Sequence[tuple[str, Sequence[Cell]]]
    offset: int
    total: int
    note: str = ""
    summary: str = ""  # said instead of the count (a list that is not paged)


def _cut(cell: Cell) -> Text:
    """A cell drawn on one line, cut with "…" where its column is too narrow (free text only:
    amounts, numbers and dates are given columns wide enough)."""
    text = _shown(cell).copy()
    text.no_wrap, text.overflow = True, "ellipsis"
    return text


def _shown(cell: Cell) -> Text:
    return cell if isinstance(cell, Text) else lit(cell)


def money_cell(text: str, style: str = "") -> Text:
    return Text(text, style=style, justify="right")


def count_line(page: TablePage, noun: str) -> str:
    """ "1–50 of 12,408 clients", "No clients", with the page's note after it."""
    if page.summary:
        return page.summary
    if not page.rows:
        head = f"No {noun}" if page.total == 0 else f"Nothing past {page.total:,} {noun}"
    else:
        last = page.offset + len(page.rows)
        head = f"{page.offset + 1:,}–{last:,} of {page.total:,} {noun}"
    return f"{head}, {page.note}" if page.note else head


class PagedTable(ReportsWorkerFailures, Vertical):
    """A DataTable over pages of `fetch`; n/p (or ]/[) move a page; Enter posts Selected."""

    DEFAULT_CSS = """
    PagedTable { height: 1fr; }
    PagedTable > .paged-count { height: 1; color: $text-muted; }
    PagedTable > DataTable { height: 1fr; }
    """
    BINDINGS = [
        Binding("n,right_square_bracket", "page(1)", "Next"),
        Binding("p,left_square_bracket", "page(-1)", "Prev"),
    ]

    @dataclass
    class Selected(Message):
        """A row was chosen (Enter or click)."""

        table: PagedTable
        key: str

        @property
        def control(self) -> PagedTable:
            return self.table

    @dataclass
    class Loaded(Message):
        """A page arrived and is on screen."""

        table: PagedTable
        page: TablePage

        @property
        def control(self) -> PagedTable:
            return self.table

    def __init__(
        self,
        columns: Sequence[tuple[str, int | None]],
        fetch: Callable[[int, int], TablePage],
        *,
        noun: str = "rows",
        page_size: int = 50,
        id: str | None = None,
        narrow: Layout | None = None,
        fill: bool = False,
        load: bool = True,
    ) -> None:
        super().__init__(id=id)
        self.columns = columns
        self.narrow = narrow
        self.fill = fill
        self._layout: Layout = ()
        self.fetch = fetch
        self.noun = noun
        self.page_size = page_size
        self.page: TablePage | None = None
        self._generation = 0
        self._load_on_mount = load  # False: the screen hands the first page in (`show_page`)

    def compose(self) -> ComposeResult:
        yield Static("Loading…", classes="paged-count", markup=False)
        yield DataTable(cursor_type="row", zebra_stripes=True)

    @property
    def table(self) -> DataTable:
        return self.query_one(DataTable)

    def on_mount(self) -> None:
        self._lay_out()
        if self._load_on_mount:
            self.reload(0)

    def on_resize(self) -> None:
        if self._lay_out() and self.page is not None:
            self._show(self.page, self._generation)

    def layout_for(self, width: int) -> Layout:
        """The columns shown in `width` cells: `columns`, or where they would not fit `narrow`
        (cell index, label, width: fewer columns, or cells the rows give past `columns` in a
        narrower format); with `fill`, the last column takes what is left (cut with "…")."""

        def needs(columns: Layout) -> int:
            return sum((w or FILL_MIN) + PADDING for _, _, w in columns)

        wide: Layout = tuple((n, label, w) for n, (label, w) in enumerate(self.columns))
        columns = wide
        if self.narrow is not None and needs(wide) > width:
            columns = tuple(self.narrow)
        if self.fill and columns:
            n, label, _ = columns[-1]
            rest = width - needs(columns[:-1]) - PADDING
            columns = (*columns[:-1], (n, label, max(FILL_MIN, rest)))
        return columns

    def _lay_out(self) -> bool:
        """Rebuild the columns for the present width; False when they stay as they are."""
        table = self.table
        width = (self.size.width or self.app.size.width) - SCROLLBAR
        layout = self.layout_for(width)
        if layout == self._layout:
            return False
        self._layout = layout
        table.clear(columns=True)
        for _, label, w in layout:
            table.add_column(label, width=w)
        return True

    def reload(self, offset: int | None = None) -> None:
        """Read the page at `offset` (default: the one shown) again."""
        if offset is None:
            offset = self.page.offset if self.page else 0
        self._generation += 1
        self._load(max(0, offset), self._generation)

    def show_page(self, page: TablePage) -> None:
        """Show a page the screen read itself (with its other figures, shown together)."""
        self._generation += 1
        self._show(page, self._generation)

    @work(thread=True, exit_on_error=False, group="page")
    def _load(self, offset: int, generation: int) -> None:
        page = self.fetch(offset, self.page_size)
        self.app.call_from_thread(self._show, page, generation)

    def _show(self, page: TablePage, generation: int) -> None:
        if generation != self._generation:
            return  # an older read finished after a newer one began (typing in a search)
        self.page = page
        table = self.table
        table.clear()
        for column in table.columns.values():  # fit this page, not the widest page seen before
            if column.auto_width:
                column.content_width = column.label.cell_len
        fits = self.narrow is not None or self.fill
        for key, cells in page.rows:
            shown = (_cut(cells[n]) if fits else _shown(cells[n]) for n, _, _ in self._layout)
            table.add_row(*shown, key=key)
        self.query_one(".paged-count", Static).update(Text(count_line(page, self.noun)))
        self.post_message(self.Loaded(self, page))

    def action_page(self, step: int) -> None:
        page = self.page
        if page is None:
            return
        offset = page.offset + step * self.page_size
        if 0 <= offset < page.total:
            self.reload(offset)

    @on(DataTable.RowSelected)
    def _selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key.value is not None:
            self.post_message(self.Selected(self, event.row_key.value))


class BracketPagedTable(PagedTable, inherit_bindings=False):
    """The paged table with ] and [ (or PgDn, PgUp) for pages, so `n` can mean New."""

    BINDINGS = [
        Binding("right_square_bracket,pagedown", "page(1)", "Next"),
        Binding("left_square_bracket,pageup", "page(-1)", "Prev"),
    ]
