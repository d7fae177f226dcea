"""The console's footer: the screen's keys on one line, drawn by one widget.

Textual's `Footer` makes a widget per key and remakes them all whenever the bindings change
(every focus move, every screen): on a console screen that was half the time of a step. This
one draws the same line (key in bold, then its description) and redraws it in place; a click
on a key presses it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.style import Style
from rich.text import Text
from textual import events
from textual.widget import Widget

if TYPE_CHECKING:
    from textual.screen import Screen


class KeysFooter(Widget, can_focus=False):
    """The keys of the focused widget, its screen and the app, as Textual's footer shows them."""

    ALLOW_SELECT = False
    COMPONENT_CLASSES = {"keys-footer--key", "keys-footer--description"}
    DEFAULT_CSS = """
    KeysFooter {
        dock: bottom;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
        .keys-footer--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        .keys-footer--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
    }
    """

    def __init__(self) -> None:
        super().__init__()
        self._spans: list[tuple[int, int, str, bool]] = []  # start, end, key, enabled

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: Screen) -> None:
        if screen is self.screen:
            self.refresh()

    def render(self) -> Text:
        key_style = self.get_component_rich_style("keys-footer--key")
        description_style = self.get_component_rich_style("keys-footer--description")
        off = Style(dim=True)
        line = Text(no_wrap=True, overflow="crop")
        spans = []
        actions = set()
        for _node, binding, enabled, _tooltip in self.screen.active_bindings.values():
            if not binding.show or binding.action in actions:
                continue  # one key per action, the first, as Textual's footer does
            actions.add(binding.action)
            start = line.cell_len
            shown = key_style if enabled else key_style + off
            line.append(f" {self.app.get_key_display(binding)} ", shown)
            if binding.description:
                line.append(
                    f"{binding.description} ",
                    description_style if enabled else description_style + off,
                )
            spans.append((start, line.cell_len, binding.key, enabled))
        self._spans = spans
        return line

    def on_mouse_down(self, event: events.MouseDown) -> None:
        for start, end, key, enabled in self._spans:
            if start <= event.x < end:
                if enabled:
                    self.app.simulate_key(key)
                else:
                    self.app.bell()
                return
