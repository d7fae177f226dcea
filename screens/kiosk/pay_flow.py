"""Pay Now's choice → (add a card →) confirm → receipt, shared by every page that can pay."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from textual.screen import Screen

from screens.kiosk.add_card import AddCardDialog
from screens.kiosk.context import KioskContext
from screens.kiosk.pay_dialog import PayDialog, PayOutcome
from screens.widgets.pay_now import NEW_CARD


def start_payment(
    screen: Screen,
    ctx: KioskContext,
    invoices: Sequence[Any],
    choice: Any,
    cards: Sequence[Any],
    on_done: Callable[[PayOutcome | None], None],
) -> None:
    """Run the payment dialogs for `invoices` with the chosen card (or a new one)."""
    payable = [inv for inv in invoices if inv.payable]
    if not payable:
        screen.notify("Nothing to pay: these invoices are already paid.", severity="warning")
        return

    def pay_with(card: Any) -> None:
        if card is None:
            on_done(None)
            return
        screen.app.push_screen(PayDialog(ctx, payable, card), on_done)

    if choice == NEW_CARD:
        screen.app.push_screen(AddCardDialog(ctx), pay_with)
        return
    card = next((c for c in cards if c.id == choice), None)
    pay_with(card)
