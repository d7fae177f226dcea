"""The console's sections and the bar that switches between them.

A section is listed here once it exists; the bar and the app's keys follow this list.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.message import Message
from textual.widgets import Button, Static

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


FIND = Content.assemble(("^p", "bold"), " Find")  # the command palette
WHERE_ROOM = 16  # columns kept for who and where the owner is signed in


class SectionBar(Horizontal):
    """The section buttons with their keys; the current one highlighted. Posts Navigate."""

    DEFAULT_CSS = """
    SectionBar { height: 1; width: 100%; background: $primary-background; }
    SectionBar Button { margin: 0 1 0 0; min-width: 0; }
    SectionBar Button.-current { text-style: bold reverse; }
    SectionBar #where {
        width: 1fr; min-width: 0; color: $text-muted;
        text-align: right; text-wrap: nowrap; text-overflow: ellipsis;
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

    def compose(self) -> ComposeResult:
        for target, text, key in SECTIONS:
            button = Button(_label(key, text), id=f"section-{target}", compact=True)
            button.can_focus = False
            button.tooltip = text
            if target == self.current:
                button.add_class("-current")
            yield button
        find = Button(FIND, id="find", compact=True)
        find.can_focus = False
        find.tooltip = "Jump to a client or an invoice, or run a command (Ctrl+P)"
        yield find
        yield Static(Content(self.where), id="where")

    def on_resize(self) -> None:
        """Every section's name where they all fit; where they do not (80 columns), the current
        one's name and the others' keys alone (their names are in the tooltips and ctrl+p)."""
        # A compact button pads its label by one column each side; one column of margin after.
        labels = [_label(key, text) for _, text, key in SECTIONS] + [FIND]
        full = sum(label.cell_length + 3 for label in labels) + WHERE_ROOM
        fits = full <= self.size.width
        for target, text, key in SECTIONS:
            button = self.query_one(f"#section-{target}", Button)
            named = fits or target == self.current
            button.label = _label(key, text) if named else Content.styled(key.upper(), "bold")

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        assert event.button.id is not None
        if event.button.id == "find":
            self.app.action_command_palette()
            return
        self.post_message(self.Navigate(event.button.id.removeprefix("section-")))


def _label(key: str, text: str) -> Content:
    return Content.assemble((key.upper(), "bold"), " ", text)
