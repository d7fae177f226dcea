"""The invoice list: an OptionList of one-line rows (checkbox, number, status, amount, due date)
whose columns are as wide as the page's widest value, and which is exactly as wide as its rows."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.message import Message
from textual.widgets import OptionList

from screens.widgets.literal import join, lit

MARK_WIDTH = 2
"""The checkbox ("☐ ") at the start of every row."""
NUMBER_MOST = 14
"""An invoice number longer than this is cut short with "…" (a long prefix)."""


@dataclass(frozen=True)
class Cells:
    """One row's cells as shown, with their styles."""

    mark: str
    number: str
    status: str
    status_style: str
    amount: str
    date: str


@dataclass(frozen=True)
class RowWidths:
    """Every column as wide as the widest cell of the page (numbers up to NUMBER_MOST)."""

    number: int = 8
    status: int = 9
    amount: int = 10
    date: int = 12

    @classmethod
    def fit(cls, rows: Iterable[Cells]) -> RowWidths:
        rows = list(rows)
        if not rows:
            return cls()
        return cls(
            number=min(max(cell_len(r.number) for r in rows), NUMBER_MOST),
            status=max(cell_len(r.status) for r in rows),
            amount=max(cell_len(r.amount) for r in rows),
            date=max(cell_len(r.date) for r in rows),
        )

    @property
    def total(self) -> int:
        return MARK_WIDTH + self.number + 1 + self.status + 1 + self.amount + 1 + self.date


def row_text(cells: Cells, widths: RowWidths) -> Text:
    """One row, its columns padded to `widths`; stored text stays literal."""
    number = lit(cells.number, "bold")
    number.truncate(widths.number, overflow="ellipsis", pad=True)
    return join(
        (cells.mark, "bold"),
        number,
        " ",
        (cells.status.ljust(widths.status), cells.status_style),
        " ",
        (cells.amount.rjust(widths.amount), ""),
        " ",
        (cells.date.ljust(widths.date), "dim"),
    )


class InvoiceList(OptionList):
    """Clicking a row's checkbox marks it (MarkClicked); clicking elsewhere opens it."""

    @dataclass
    class MarkClicked(Message):
        index: int

    def fit(self, widths: RowWidths) -> None:
        """Be as wide as a row plus padding, border and the scroll bar's place (kept always,
        so a scroll bar coming or going never narrows the rows into wrapping)."""
        styles = self.styles
        self.styles.width = widths.total + styles.gutter.width + styles.scrollbar_size_vertical

    async def _on_click(self, event: events.Click) -> None:
        clicked = event.style.meta.get("option")
        offset = event.get_content_offset(self)
        if clicked is not None and offset is not None and offset.x < MARK_WIDTH:
            event.prevent_default()  # OptionList's own click handler would open the row
            self.highlighted = clicked
            self.post_message(self.MarkClicked(clicked))
