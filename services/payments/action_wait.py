"""A payment waiting for the client's 3-D Secure: which invoices it covers, and its state.

The kiosk cannot run 3-D Secure in a terminal; it shows a link to the hosted invoice page
(`/i/CODE`), which finishes the payment (`confirmCardPayment`), and watches the attempt here
until the page, a webhook or Stripe itself says how it ended.
"""

from __future__ import annotations

from models import AttemptInvoice, PaymentAttempt
from models.states import AttemptStatus
from services.payments.payments import PaymentError, PaymentService
from services.payments.settle import PaymentResult

NOT_WAITING = "This payment is no longer waiting for your bank."


def attempt_of_client(client_id: int, attempt_id: int) -> PaymentAttempt | None:
    """The attempt, if it is this client's (None for any other)."""
    return PaymentAttempt.get_or_none(
        (PaymentAttempt.id == attempt_id) & (PaymentAttempt.client == client_id)
    )


def covered_invoices(attempt_id: int) -> list[int]:
    """The invoices an attempt pays, oldest first."""
    rows = (
        AttemptInvoice.select(AttemptInvoice.invoice)
        .where(AttemptInvoice.attempt == attempt_id)
        .order_by(AttemptInvoice.invoice)
    )
    return [int(row.invoice_id) for row in rows]


def waiting_invoices(attempt: PaymentAttempt) -> list[int]:
    """The invoices of an attempt the bank still wants to confirm; PaymentError otherwise."""
    if attempt.status != AttemptStatus.REQUIRES_ACTION or not attempt.stripe_intent_id:
        raise PaymentError(NOT_WAITING)
    return covered_invoices(attempt.id)


def attempt_state(
    payments: PaymentService, attempt: PaymentAttempt, check_stripe: bool
) -> PaymentResult:
    """The attempt's outcome as the ledger has it; `check_stripe` also asks Stripe about one
    still waiting (a page closed before it reported back, and no webhook), never cancelling."""
    if check_stripe and attempt.status == AttemptStatus.REQUIRES_ACTION:
        payments.settler.settle(attempt, cancel_action=False)
    return payments.result(attempt.id)
