"""Money the owner received outside Stripe (a check, a bank transfer), recorded against one
invoice: a Payment (method check or bank_transfer, no attempt, no intent) with its
allocation, and the invoice's paid amount and status, in one transaction — the ledger's
record of a card payment, so balances and statuses (partial, paid) follow everywhere.

Partial payments are allowed; more than the balance is refused, as is a payment while a card
payment of the invoice is in flight (it may still succeed and would pay it twice)."""

from __future__ import annotations

from models import (
    AttemptInvoice,
    Invoice,
    Payment,
    PaymentAllocation,
    PaymentAttempt,
    lock_rows,
    utcnow,
    write_lock,
)
from models.states import ATTEMPT_OPEN, InvoiceStatus
from services.audit import audit, before_after
from services.invoices.views import is_payable, status_for
from services.money import format_money
from services.payments.ledger import PaymentError, RecordedPayment, new_key
from services.text import refuse_controls

METHODS = {"check": "Check", "bank_transfer": "Bank transfer"}
MAX_REFERENCE = 100


def offline_reference(payment_id: int) -> str:
    return f"OFF-{payment_id:06d}"


def record_offline(
    invoice_id: int,
    amount: int,
    method: str,
    reference: str,
    actor: str,
    address: str = "",
) -> RecordedPayment:
    """Record `amount` received by `method` (METHODS) with the payer's `reference`."""
    if method not in METHODS:
        raise PaymentError(
            f"a payment received offline is a check or a bank transfer, not {method!r}"
        )
    refuse_controls(PaymentError, {"reference": reference})
    reference = reference.strip()
    if len(reference) > MAX_REFERENCE:
        raise PaymentError(f"the reference is longer than {MAX_REFERENCE} characters")
    if amount <= 0:
        raise PaymentError("the amount received must be more than 0")
    now = utcnow()
    with write_lock():
        # Locked like `open_attempt` locks it: no card payment starts in between.
        inv = lock_rows(Invoice.select().where(Invoice.id == invoice_id)).first()
        if inv is None:
            raise PaymentError(f"no invoice with id {invoice_id}")
        balance = inv.total - inv.amount_paid
        if inv.status == InvoiceStatus.VOID:
            raise PaymentError(f"{inv.number} is void; it cannot be paid.")
        if inv.status == InvoiceStatus.DRAFT:
            raise PaymentError(f"{inv.number} has not been sent yet.")
        if not is_payable(inv.status, balance):
            raise PaymentError(f"{inv.number} is already paid.")
        if amount > balance:
            raise PaymentError(
                f"{format_money(amount, inv.currency)} is more than the "
                f"{format_money(balance, inv.currency)} {inv.number} still owes"
            )
        in_flight = (
            AttemptInvoice.select()
            .join(PaymentAttempt)
            .where((AttemptInvoice.invoice == inv.id) & PaymentAttempt.status.in_(ATTEMPT_OPEN))
            .exists()
        )
        if in_flight:
            raise PaymentError(
                f"A card payment for {inv.number} is in progress; wait for it to finish."
            )
        payment = Payment.create(
            client=inv.client_id,
            reference=f"OFF-{new_key()}",
            amount=amount,
            currency=inv.currency,
            method=method,
            method_reference=reference,
            created_at=now,
        )
        ours = offline_reference(payment.id)
        Payment.update(reference=ours).where(Payment.id == payment.id).execute()
        PaymentAllocation.create(payment=payment.id, invoice=inv.id, amount=amount)
        paid = inv.amount_paid + amount
        status = status_for(inv.total, paid, inv.status)
        Invoice.update(
            amount_paid=paid,
            status=status,
            paid_at=now if status == InvoiceStatus.PAID else inv.paid_at,
        ).where(Invoice.id == inv.id).execute()
        audit(
            actor,
            "payment.offline",
            ours,
            {
                "invoice": inv.number,
                "amount": amount,
                "method": method,
                "reference": reference,
                "changes": before_after(
                    {"amount_paid": inv.amount_paid, "status": inv.status},
                    {"amount_paid": paid, "status": status},
                ),
            },
            address,
        )
    return RecordedPayment(payment.id, ours, amount, inv.currency)
