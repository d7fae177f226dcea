"""A question for the owner with its consequences spelled out; dismisses the chosen answer."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class AskDialog(ModalScreen[str]):
    """`answers` are (key, label); Escape answers "" (nothing done)."""

    DEFAULT_CSS = """
    AskDialog { align: center middle; }
    AskDialog > Vertical { width: 72; max-width: 100%; height: auto; border: round $warning;
        padding: 0 1; background: $surface; }
    AskDialog #ask-title { text-style: bold; }
    AskDialog Horizontal { height: auto; margin-top: 1; }
    AskDialog Button { margin-right: 1; }
    """
    BINDINGS = [Binding("escape", "answer('')", "Cancel")]

    def __init__(self, title: str, body: str, answers: tuple[tuple[str, str], ...]) -> None:
        super().__init__()
        self.title_text, self.body, self.answers = title, body, answers

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.title_text, id="ask-title", markup=False)
            yield Static(self.body, markup=False)
            with Horizontal():
                for n, (key, label) in enumerate(self.answers):
                    yield Button(label, id=f"ask-{key}", variant="primary" if n == 0 else "default")
                yield Button("Cancel", id="ask-")

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        assert event.button.id is not None
        self.dismiss(event.button.id.removeprefix("ask-"))

    def action_answer(self, key: str) -> None:
        self.dismiss(key)
