"""The step guide: Log in → Invoices → Choose invoice → Pay Now → Receipt."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

STEPS = ("Log in", "Invoices", "Choose invoice", "Pay Now", "Receipt")


class StepGuide(Widget):
    """One line showing where the client is in the documented payment flow."""

    DEFAULT_CSS = """
    StepGuide {
        height: 1;
        width: 100%;
        padding: 0 1;
        background: $boost;
    }
    """

    step: reactive[int] = reactive(0)

    def __init__(self, step: int = 0, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.set_reactive(StepGuide.step, step)

    def render(self) -> Text:
        out = Text("Steps: ", style="dim")
        for index, name in enumerate(STEPS):
            if index:
                out.append(" → ", style="dim")
            if index < self.step:
                out.append(f"✓ {name}", style="green")
            elif index == self.step:
                out.append(f"▶ {name}", style="bold reverse")
            else:
                out.append(name, style="dim")
        return out
