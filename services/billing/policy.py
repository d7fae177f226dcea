"""The auto-bill policy, one rule each: on or off, the charge date, which card, its label.

The run (generate, charge, remind), the client's next-charge line on the dashboard, the
emails and the recurring service all ask here, so they never disagree:
* a series is auto-billed when its mode is `always`, or the client chooses (`optin`/`optout`)
  and has it on; a one-off invoice follows its own flag;
* the charge date is the due date, or the issue date when the business says so;
* the card is the first of the client's saved cards as the card list orders them (the
  default, else the newest: services/payments/cards.CARD_ORDER);
* a card reads "American Express •••• 0005" (the brand names of services/payments/cards.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from models import Business, PaymentMethod, RecurringInvoice
from models.states import ChargeState, InvoiceStatus
from services.payments.cards import CARD_ORDER, card_label
from services.payments.cards import default_card as default_card  # the rule lives with cards

CLIENT_CHOOSES = ("optin", "optout")
OWED = (InvoiceStatus.SENT, InvoiceStatus.PARTIAL)  # the invoices auto-billing may charge


def autobill_effective(mode: str, client_choice: bool) -> bool:
    """Whether a series' invoices are charged automatically right now."""
    if mode == "always":
        return True
    if mode in CLIENT_CHOOSES:
        return bool(client_choice)
    return False


def invoice_autobill_on(
    in_series: bool, mode: str | None, client_choice: bool, own_flag: bool
) -> bool:
    """A series' invoice follows its series (off if the series is gone); a one-off, its flag."""
    if in_series:
        return mode is not None and autobill_effective(mode, client_choice)
    return bool(own_flag)


def first_charge_state(rec: RecurringInvoice) -> tuple[bool, ChargeState]:
    """A new invoice of the series: auto-billed or not, and its billing row's first state."""
    on = autobill_effective(rec.autobill_mode, rec.client_autobill)
    if rec.autobill_mode == "off":
        return on, ChargeState.NONE
    return on, ChargeState.SCHEDULED if on else ChargeState.DISABLED


def charge_date(business: Business, issue: date, due: date) -> date:
    """Auto-charge on the due date (default) or on the issue date (business setting)."""
    return issue if business.autobill_on == "issue" else due


def next_series_charge(business: Business, rec: RecurringInvoice) -> date | None:
    """When the series' next invoice will be charged; None if it is not auto-billed or ended."""
    if not autobill_effective(rec.autobill_mode, rec.client_autobill):
        return None
    if rec.max_count is not None and rec.generated_count >= rec.max_count:
        return None
    if rec.end_date is not None and rec.next_date > rec.end_date:
        return None
    return charge_date(business, rec.next_date, rec.next_date + timedelta(days=rec.due_days))


def default_cards(client_ids: Iterable[int]) -> dict[int, PaymentMethod]:
    """`default_card` for many clients in one query (clients with no card are left out)."""
    found: dict[int, PaymentMethod] = {}
    ids = set(client_ids)
    if ids:
        for card in (
            PaymentMethod.select()
            .where(PaymentMethod.client.in_(ids))
            .order_by(PaymentMethod.client, *CARD_ORDER)
        ):
            found.setdefault(card.client_id, card)
    return found


def saved_card_label(card: PaymentMethod | None) -> str:
    """ "Visa •••• 4242" for a saved card; "" for none."""
    if card is None:
        return ""
    return card_label(card.brand or "", card.last4)
