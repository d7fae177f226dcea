"""Add a card: Stripe's test cards in sandbox mode; with live keys, the hosted card page."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, OptionList, Static
from textual.widgets.option_list import Option

from screens.kiosk.base import WorkerErrors
from screens.kiosk.context import Desk, KioskContext
from screens.widgets.too_small import TooSmall
from services.payments.cards import CardView

TEST_CARDS = (
    ("success", "Visa 4242 4242 4242 4242 — pays"),
    ("declined", "Visa 4000 0000 0000 0341 — declined when charged"),
    ("insufficient_funds", "Visa 4000 0000 0000 9995 — insufficient funds"),
    ("3ds", "Visa 4000 0027 6000 3184 — asks for 3-D Secure"),
)

LIVE_PLACEHOLDER = (
    "Cards are added on the secure card page, never typed into this terminal. "
    "The secure card page is not available yet on this server: please ask us for "
    "a card link, or pay with a saved card."
)


class AddCardDialog(WorkerErrors, ModalScreen[CardView | None]):
    """Adds a card and dismisses with its CardView (None when cancelled)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    @dataclass
    class Added(Message):
        card: CardView

    @dataclass
    class Failed(Message):
        message: str

    def __init__(self, ctx: KioskContext[Desk]) -> None:
        super().__init__()
        self.ctx = ctx
        self.sandbox = ctx.desk.sandbox
        self.busy = False

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="add-card"):
            yield Static("Add a card", classes="dialog-title")
            if self.sandbox:
                yield Static(
                    "Test mode: pick one of Stripe's test cards (no real money moves).",
                    markup=False,
                )
                yield OptionList(
                    *(Option(label, id=kind) for kind, label in TEST_CARDS), id="test-cards"
                )
            else:
                yield Static(LIVE_PLACEHOLDER, markup=False, id="live-placeholder")
            yield Static(
                "Your card is stored at Stripe; we only keep its last 4 digits.",
                markup=False,
                classes="hint",
            )
            yield Static("", id="add-status", markup=False)
            with Horizontal(classes="dialog-buttons"):
                if self.sandbox:
                    yield Button("Save card", id="save", variant="primary")
                yield Button("Cancel", id="cancel")
        yield TooSmall()

    def on_mount(self) -> None:
        if self.sandbox:
            options = self.query_one(OptionList)
            options.highlighted = 0
            options.focus()

    @on(OptionList.OptionSelected)
    @on(Button.Pressed, "#save")
    def _save(self) -> None:
        if self.busy:
            return
        options = self.query_one(OptionList)
        if options.highlighted is None:
            return
        kind = options.get_option_at_index(options.highlighted).id
        self.busy = True
        self.query_one("#save", Button).disabled = True
        self.query_one("#add-status", Static).update("Saving the card at Stripe…")
        self._add(kind)

    @work(thread=True, exit_on_error=False, group="cards")
    def _add(self, kind: str) -> None:
        try:
            card = self.ctx.desk.add_test_card(kind)
        except Exception as exc:  # noqa: BLE001 - shown as one line; traced in the log
            self.post_message(self.Failed(f"The card could not be saved: {exc}"))
            raise
        self.post_message(self.Added(card))

    @on(Added)
    def _added(self, event: Added) -> None:
        self.dismiss(event.card)

    @on(Failed)
    def _failed(self, event: Failed) -> None:
        self.busy = False
        self.query_one("#save", Button).disabled = False
        self.query_one("#add-status", Static).update(event.message)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        if not self.busy:
            self.dismiss(None)
