"""The console's sections and the bar that switches between them.

A section is listed here once it exists; the bar and the app's keys follow this list.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.style import Style
from rich.text import Text
from textual import events
from textual.message import Message
from textual.widget import Widget

# (target, label, key): in the order of the bar.
SECTIONS = (
    ("overview", "Overview", "f1"),
    ("clients", "Clients", "f2"),
    ("invoices", "Invoices", "f3"),
    ("recurring", "Recurring", "f4"),
    ("payments", "Payments", "f5"),
    ("receivables", "Receivables", "f6"),
    ("revenue", "Revenue", "f7"),
    ("outbox", "Outbox", "f8"),
    ("audit", "Audit", "f9"),
    ("settings", "Settings", "f10"),
)


NAMES = {target: text for target, text, _ in SECTIONS}  # the tooltip over a section's key
# Where the names do not all fit (100 columns): three letters, the current section in full.
SHORT = {
    "overview": "Ovw",
    "clients": "Cli",
    "invoices": "Inv",
    "recurring": "Rec",
    "payments": "Pay",
    "receivables": "A/R",
    "revenue": "Rev",
    "outbox": "Out",
    "audit": "Aud",
    "settings": "Set",
}
FIND = "^p"  # the command palette's key, then " Find"
WHERE_ROOM = 12  # columns kept for who and where the owner is signed in, a space before


class SectionBar(Widget):
    """One line: each section's key and name, the current one highlighted, then ^p Find and
    who is signed in. A click on a section posts Navigate; on Find, opens the palette.

    One widget draws it all (a button per section made every screen's first frame slower)."""

    ALLOW_SELECT = False
    COMPONENT_CLASSES = {"section-bar--key", "section-bar--current", "section-bar--where"}
    DEFAULT_CSS = """
    SectionBar {
        height: 1; width: 100%; background: $primary-background; color: $foreground;
        .section-bar--key { text-style: bold; }
        .section-bar--current { text-style: bold reverse; }
        .section-bar--where { color: $text-muted; }
    }
    """

    @dataclass
    class Navigate(Message):
        """The owner asked for another section."""

        target: str

    def __init__(self, current: str, where: str = "") -> None:
        super().__init__()
        self.current = current
        self.where = where
        self._spans: list[tuple[int, int, str]] = []  # start, end, target ("find": the palette)

    def names(self, width: int) -> list[tuple[str, str, str]]:
        """(target, key, name) of every section: full names where they all fit in `width`,
        else three letters, else keys alone (80 columns); the current one always in full."""
        find = len(f" {FIND} Find")
        for level in ("full", "short", "keys"):
            shown = []
            for target, text, key in SECTIONS:
                name = text
                if target != self.current and level != "full":
                    name = SHORT[target] if level == "short" else ""
                shown.append((target, key.upper(), name))
            # " F2 Cli" each, and the current one padded on the right too
            used = sum(1 + len(key) + (len(name) + 1 if name else 0) for _, key, name in shown)
            if used + find + WHERE_ROOM <= width:
                break
        return shown

    def render(self) -> Text:
        key_style = self.get_component_rich_style("section-bar--key", partial=True)
        current = self.get_component_rich_style("section-bar--current", partial=True)
        line = Text(no_wrap=True, overflow="crop")
        spans = []
        for target, key, name in self.names(self.size.width):
            start = line.cell_len
            style = current if target == self.current else Style()
            line.append(" ", style)
            line.append(key, style + key_style)
            if name:
                line.append(f" {name}", style)
            if target == self.current:
                line.append(" ", style)
            spans.append((start, line.cell_len, target))
        start = line.cell_len
        line.append(" ")
        line.append(FIND, key_style)
        line.append(" Find")
        spans.append((start, line.cell_len, "find"))
        room = self.size.width - line.cell_len
        if room > 1 and self.where:
            where = Text(self.where, style=self.get_component_rich_style("section-bar--where"))
            where.truncate(room - 1, overflow="ellipsis")
            line.append(" " * (room - where.cell_len))
            line.append_text(where)
        self._spans = spans
        return line

    def on_resize(self) -> None:
        self.refresh()

    def on_mouse_move(self, event: events.MouseMove) -> None:
        target = self._target_at(event.x)
        self.tooltip = (
            "Jump to a client or an invoice, or run a command (Ctrl+P)"
            if target == "find"
            else NAMES.get(target or "")
        )

    def on_click(self, event: events.Click) -> None:
        target = self._target_at(event.x)
        if target == "find":
            self.app.action_command_palette()
        elif target is not None:
            self.post_message(self.Navigate(target))

    def _target_at(self, x: int) -> str | None:
        for start, end, target in self._spans:
            if start <= x < end:
                return target
        return None
