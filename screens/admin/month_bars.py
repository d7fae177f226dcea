"""A bar per month drawn with block characters, its amount beside it: the Revenue chart.

Horizontal bars in eighth blocks (▏▎▍▌▋▊▉█) give each month a row of its own with its name
and its figure on the same line, at any width from 80 columns up, in plain text that a
snapshot compares exactly. A month below zero (more refunded than received) has no bar and
its amount in red.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from rich.text import Text
from textual.widget import Widget

EIGHTHS = " ▏▎▍▌▋▊▉"
SPARKS = "▁▂▃▄▅▆▇█"


@dataclass(frozen=True)
class Bar:
    """One row: the month, its amount in minor units."""

    month: date
    amount: int


def bar_text(amount: int, top: int, width: int) -> str:
    """`amount` of `top` as a bar at most `width` cells long, to the nearest eighth."""
    if amount <= 0 or top <= 0:
        return ""
    eighths = (amount * width * 8 + top // 2) // top
    full, part = divmod(max(eighths, 1), 8)
    return "█" * full + (EIGHTHS[part] if part else "")


def sparkline(values: Sequence[int]) -> str:
    """One character per value, its height against the largest: "▁▁▃█", "·" for nothing,
    "-" below zero."""
    top = max(values, default=0)
    chars = []
    for value in values:
        if value < 0:
            chars.append("-")
        elif value == 0 or top <= 0:
            chars.append("·")
        else:
            chars.append(SPARKS[min(7, (value * 8 - 1) // top)])
    return "".join(chars)


class MonthBars(Widget):
    """The months' bars, each with its label and amount; the longest bar fills the width."""

    DEFAULT_CSS = "MonthBars { height: auto; }"

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.bars: tuple[Bar, ...] = ()
        self.label: Callable[[date], str] = date.isoformat
        self.money: Callable[[int], str] = str

    def show(
        self, bars: Sequence[Bar], label: Callable[[date], str], money: Callable[[int], str]
    ) -> None:
        self.bars, self.label, self.money = tuple(bars), label, money
        self.refresh(layout=True)

    def render(self) -> Text:
        if not self.bars:
            return Text("")
        labels = [self.label(b.month) for b in self.bars]
        amounts = [self.money(b.amount) for b in self.bars]
        label_width = max(len(x) for x in labels)
        amount_width = max(len(x) for x in amounts)
        width = max(1, self.size.width - label_width - amount_width - 2)
        top = max(b.amount for b in self.bars)
        text = Text(no_wrap=True, overflow="crop")
        for n, (bar, label, amount) in enumerate(zip(self.bars, labels, amounts, strict=True)):
            if n:
                text.append("\n")
            text.append(label.ljust(label_width) + " ", style="dim")
            text.append(bar_text(bar.amount, top, width).ljust(width), style="green")
            text.append(" " + amount.rjust(amount_width), style="red" if bar.amount < 0 else "")
        return text
