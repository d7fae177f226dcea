"""Add a card: a link and QR code to the hosted card page; in sandbox mode also Stripe's test
cards."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, OptionList, Static
from textual.widgets.option_list import Option

from screens.kiosk.base import WorkerErrors
from screens.kiosk.card_link import CardLinkView, CardSaved, next_step
from screens.kiosk.context import Desk, KioskContext
from screens.widgets.too_small import TooSmall
from services.errors import PaydeskError
from services.payments.cards import CardView

log = logging.getLogger("paydesk.kiosk")

TEST_CARDS = (
    ("success", "Visa 4242 4242 4242 4242 — pays"),
    ("declined", "Visa 4000 0000 0000 0341 — declined when charged"),
    ("insufficient_funds", "Visa 4000 0000 0000 9995 — insufficient funds"),
    ("3ds", "Visa 4000 0027 6000 3184 — asks for 3-D Secure"),
)

TRY_ANOTHER = "Try another card: pick one above and press Save card."
NOT_SAVED = (
    "Card not saved: something went wrong on our side. Nothing was charged; "
    "please try again in a moment."
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
        self.saved: CardView | None = None  # the card the card page saved
        self.following = False  # the list is scrolled into view once the client moves in it

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog", id="add-card"):
            yield Static("Add a card", classes="dialog-title")
            yield CardLinkView(self.ctx, id="card-link")
            if self.sandbox:
                yield Static(
                    "Or, in test mode: pick one of Stripe's test cards (no real money moves).",
                    markup=False,
                    id="test-cards-title",
                )
                yield OptionList(
                    *(Option(label, id=kind) for kind, label in TEST_CARDS), id="test-cards"
                )
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
            # Focused but not scrolled to: the card link and its QR code, first, stay in view.
            options.focus(scroll_visible=False)
            self.call_after_refresh(self._follow_the_list)

    def _follow_the_list(self) -> None:
        self.following = True

    @on(OptionList.OptionHighlighted)
    def _highlighted(self) -> None:
        if self.following:  # the client moves in the list: bring it into view
            self.query_one(OptionList).scroll_visible()

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
        self._say("Saving the card at Stripe…")
        self._add(kind)

    def _say(self, text: str) -> Static:
        """Show a line under the test cards, scrolled into view (the dialog may be taller
        than the screen: the card link and its QR code come first)."""
        status = self.query_one("#add-status", Static)
        status.update(text)
        status.scroll_visible()
        return status

    @work(thread=True, exit_on_error=False, group="cards")
    def _add(self, kind: str) -> None:
        try:
            card = self.ctx.desk.add_test_card(kind)
        except PaydeskError as exc:  # a decline: the client's to act on, said once
            self.post_message(self.Failed(f"Card not saved. {exc} {TRY_ANOTHER}"))
            return
        except Exception:  # noqa: BLE001 - one line on screen, the trace to the log only
            log.exception("adding a card failed")
            self.post_message(self.Failed(NOT_SAVED))
            return
        self.post_message(self.Added(card))

    @on(Added)
    def _added(self, event: Added) -> None:
        self.dismiss(event.card)

    @on(Failed)
    def _failed(self, event: Failed) -> None:
        self.busy = False
        self.query_one("#save", Button).disabled = False
        self._say(event.message).add_class("error")
        self.query_one(OptionList).focus()  # ready for another card

    @on(CardLinkView.Saved)
    async def _link_saved(self, event: CardLinkView.Saved) -> None:
        """The card page saved a card: say so by itself (and what is owed), then go on."""
        self.saved = event.card
        box = self.query_one("#add-card")
        await box.remove_children()
        await box.mount(
            Static("Add a card", classes="dialog-title"),
            CardSaved(event.card, next_step(self.ctx, event.owed)),
        )

    @on(Button.Pressed, "#card-saved-ok")
    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        if not self.busy:
            self.dismiss(self.saved)
