"""After a card is saved: say nothing was paid, and offer to pay what is owed with it."""

from __future__ import annotations

from collections.abc import Callable

from textual.screen import Screen

from screens.kiosk.confirm import ConfirmDialog
from screens.widgets.formats import Formats
from services.invoices.views import OwedSummary
from services.payments.cards import CardView

NOT_PAID_YET = (
    "Card saved — nothing has been paid yet.\n\n"
    "Saving a card does not pay an invoice. You owe {total} on {count} invoice{s}."
    "\n\nPay {it} now with {card}?"
)


def offer_to_pay_owed(
    screen: Screen[None],
    fmt: Formats,
    card: CardView,
    owed: OwedSummary | None,
    pay: Callable[[], object],
) -> None:
    """The seed's pitfall as a guard rail: a saved card pays nothing until the client pays.

    With invoices owed, ask whether to pay them all now with `card` (`pay()` on yes).
    """
    if owed is None or owed.count == 0:
        screen.notify(
            "Card saved. Saving a card does not pay an invoice; you owe nothing now.",
            markup=False,
        )
        return
    total = fmt.money(owed.total, owed.currency)
    body = NOT_PAID_YET.format(
        total=total,
        count=owed.count,
        s="s" if owed.count != 1 else "",
        it="them" if owed.count != 1 else "it",
        card=card.label,
    )
    dialog = ConfirmDialog(
        "Your invoices are not paid yet", body, yes=f"Pay {total} now", no="Not now"
    )

    def answered(yes: bool | None) -> None:
        if yes:
            pay()

    screen.app.push_screen(dialog, answered)
