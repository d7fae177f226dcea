"""The auto-charge's hand-written statements: the claim inside pay()'s lock, the card, paid.

Written out, like the paying path's statements (models.run_sql), because each runs once per
charge; their state literals come from models.states.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from models import InvoiceBilling, run_sql, utcnow
from models.states import ChargeState
from services.payments.cards import CARD_ORDER

# The billing row with the auto-bill choice it depends on (the recurring invoice's mode and
# the client's switch, or the invoice's own flag), locked for the claim.
_CLAIMABLE = (
    "SELECT ib.id, ib.charge_state, ib.charge_on, ib.next_try_on, ib.recurring_id,"
    " r.autobill_mode, r.client_autobill, i.autobill"
    " FROM invoice_billing ib JOIN invoice i ON i.id = ib.invoice_id"
    " LEFT JOIN recurring_invoice r ON r.id = ib.recurring_id"
    " WHERE ib.invoice_id = ? FOR UPDATE OF ib"
)
_CLAIM = (
    f"UPDATE invoice_billing SET charge_state = {ChargeState.CHARGING.sql}, tries = tries + 1,"
    " updated_at = ? WHERE id = ?"
)
# The ORDER BY of cards.CARD_ORDER (the card auto-billing charges), for the card subquery.
CARD_ORDER_SQL = ", ".join(f"pm.{order.node.column_name} {order.direction}" for order in CARD_ORDER)
_CLIENT_AND_CARD = (
    "SELECT i.client_id, (SELECT pm.id FROM payment_method pm WHERE pm.client_id = i.client_id"
    f" ORDER BY {CARD_ORDER_SQL} LIMIT 1) FROM invoice i WHERE i.id = ?"
)
_MARK_PAID = (
    f"UPDATE invoice_billing SET charge_state = {ChargeState.PAID.sql}, last_attempt_id = ?,"
    " last_code = NULL, last_message = '', updated_at = ?"
    f" WHERE invoice_id = ? AND charge_state = {ChargeState.CHARGING.sql}"
)
_as_date = InvoiceBilling.charge_on.python_value


@dataclass(frozen=True)
class Claimable:
    """An invoice's billing row, locked, with the auto-bill choice it depends on."""

    row_id: int
    state: str
    charge_on: date | None
    next_try_on: date | None
    recurring_id: int | None
    mode: str | None  # the series' auto-bill mode (None: no series, or it is gone)
    client_choice: bool
    own_flag: bool


def lock_claimable(invoice_id: int) -> Claimable | None:
    """The invoice's billing row, locked for the claim (None: there is none)."""
    row = run_sql(_CLAIMABLE, (invoice_id,)).fetchone()
    if row is None:
        return None
    row_id, state, charge_on, next_try_on, recurring_id, mode, client_choice, own = row
    return Claimable(
        row_id,
        state,
        _as_date(charge_on),
        _as_date(next_try_on),
        recurring_id,
        mode,
        bool(client_choice),
        bool(own),
    )


def claim(row_id: int) -> None:
    """The billing row is `charging`, one more try: committed with the attempt, or not at all."""
    run_sql(_CLAIM, (utcnow(), row_id))


def client_and_card(invoice_id: int) -> tuple[int, int | None]:
    """The invoice's client and the card auto-billing charges (None: no saved card)."""
    client_id, card_id = run_sql(_CLIENT_AND_CARD, (invoice_id,)).fetchone()
    return client_id, card_id


def mark_paid(invoice_id: int, attempt_id: int | None) -> bool:
    """A `charging` billing row becomes `paid`: one conditional UPDATE.

    Run by pay() inside the transaction that records the Payment, so the billing row and the
    payment commit together. False if the row was not `charging` (recorded already).
    """
    return bool(run_sql(_MARK_PAID, (attempt_id, utcnow(), invoice_id)).rowcount)
