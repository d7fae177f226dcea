"""Pay Now's choice → (add a card →) confirm → receipt, shared by every page that can pay."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from textual.screen import Screen

from screens.kiosk.add_card import AddCardDialog
from screens.kiosk.context import Desk, KioskContext
from screens.kiosk.pay_dialog import PayDialog, PayOutcome
from screens.widgets.pay_now import NEW_CARD, PayNowChoice
from services.invoices.views import InvoiceDetail, InvoiceSummary
from services.payments.cards import CardView


def start_payment(
    screen: Screen[None],
    ctx: KioskContext[Desk],
    invoices: Sequence[InvoiceSummary | InvoiceDetail],
    choice: PayNowChoice,
    cards: Sequence[CardView],
    on_done: Callable[[PayOutcome | None], None],
) -> None:
    """Run the payment dialogs for `invoices` with the chosen card (or a new one)."""
    payable = [inv for inv in invoices if inv.payable]
    if not payable:
        screen.notify("Nothing to pay: these invoices are already paid.", severity="warning")
        return

    def pay_with(card: CardView | None) -> None:
        if card is None:
            on_done(None)
            return
        screen.app.push_screen(PayDialog(ctx, payable, card), on_done)

    if choice == NEW_CARD:
        screen.app.push_screen(AddCardDialog(ctx), pay_with)
        return
    card = next((c for c in cards if c.id == choice), None)
    pay_with(card)
