"""What the recurring-invoice editors share: the schedule's fields, the lines, the preview
beside them (read again as you type), Escape to go back."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Input, Label, Select, Static, TextArea

from screens.admin.base import AdminScreen
from screens.admin.context import AdminContext
from services.billing.recurring_views import AUTOBILL_LABELS

FIELDS = (
    ("description", "Description"),
    ("frequency", "Frequency"),
    ("anchor", "Anchor"),
    ("end", "Ends on"),
    ("count", "Or after"),
    ("due_days", "Days to pay"),
)
MODES = [(f"{key}: {label}", key) for key, label in AUTOBILL_LABELS.items()]
TYPING_DELAY = 0.3


def form_row(key: str, label: str, field: Widget) -> Horizontal:
    return Horizontal(
        Label(label, id=f"rec-label-{key}", classes="rec-label", markup=False),
        field,
        classes="rec-row",
    )


class RecurringFormScreen(AdminScreen):
    """A schedule's form and its preview; the editor of a plan and of a new one add the rest."""

    section = "recurring"
    BINDINGS = [Binding("escape", "back", "Back")]

    def __init__(self, ctx: AdminContext) -> None:
        super().__init__(ctx)
        self._typing: Timer | None = None

    def body(self) -> ComposeResult:
        yield Static("Loading…", id="rec-head", markup=False)
        yield Static("", id="rec-choice", markup=False)
        with Horizontal(id="rec-main"):
            with Vertical(id="rec-form"):
                yield from self.form_rows()
                yield Label(
                    "Lines: DESCRIPTION=PRICE[xQTY][@TAX%], one a line",
                    id="rec-label-lines",
                    markup=False,
                )
                yield TextArea(id="rec-lines", compact=True)
            yield Static("", id="rec-preview", markup=False)

    def form_rows(self) -> ComposeResult:
        """The one-line fields, each a label and its input."""
        for key, label in FIELDS:
            yield form_row(key, label, Input(id=f"rec-{key}", compact=True))
        yield form_row(
            "mode", "Auto-bill", Select(MODES, id="rec-mode", allow_blank=False, compact=True)
        )

    def _fields(self) -> dict[str, str]:
        fields = {key: self.query_one(f"#rec-{key}", Input).value for key, _ in FIELDS}
        fields["lines"] = self.query_one("#rec-lines", TextArea).text
        fields["mode"] = str(self.query_one("#rec-mode", Select).value)
        return fields

    @on(Input.Changed)
    @on(TextArea.Changed)
    def _typed(self) -> None:
        if self._typing is not None:
            self._typing.stop()
        self._typing = self.set_timer(TYPING_DELAY, self._preview_now)

    def _preview_now(self) -> None:
        """Show the preview of the form as it stands."""
        raise NotImplementedError

    def action_back(self) -> None:
        self.app.pop_screen()
