"""Pay Now's choice → (add a card →) confirm → receipt, shared by every page that can pay."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from textual.screen import Screen

from screens.kiosk.add_card import AddCardDialog
from screens.kiosk.context import Desk, KioskContext
from screens.kiosk.pay_dialog import PayDialog, PayOutcome
from screens.widgets.pay_now import NEW_CARD, PayNow, PayNowChoice
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

    def add_card_and_pay() -> None:
        screen.app.push_screen(AddCardDialog(ctx), pay_with)

    def closed(outcome: PayOutcome | None) -> None:
        if outcome is None:  # cancelled before paying
            on_done(None)
            return
        if not outcome.try_another:
            return  # the page was told the outcome (on_settled) when it came
        # Another card: the page's own Pay Now lists the saved cards (and "Add a new card…").
        pay_now = [p for p in screen.query(PayNow) if p.display]
        if pay_now:
            pay_now[0].focus()
            pay_now[0].action_show_overlay()
        else:
            add_card_and_pay()

    def pay_with(card: CardView | None) -> None:
        if card is None:
            on_done(None)
            return
        screen.app.push_screen(PayDialog(ctx, payable, card, on_settled=on_done), closed)

    if choice == NEW_CARD:
        add_card_and_pay()
        return
    card = next((c for c in cards if c.id == choice), None)
    pay_with(card)
