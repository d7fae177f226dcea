"""The email a client gets when a refund of their payment succeeded (its text:
services/emails/receipts.py). Sent after the refund is committed, at most once per refund
(event key `refund:<idempotency key>`); a failure is logged and never undoes the refund."""

from __future__ import annotations

import logging

from models import Business, Client, Payment, Refund
from services.emails.receipts import RefundFacts, refund_email
from services.payments.cards import card_label

log = logging.getLogger(__name__)


def refund_receipt_key(refund: Refund) -> str:
    return f"refund:{refund.idempotency_key}"


def send_refund_receipt(mailer, refund_id: int) -> bool:
    """Email the client the receipt of one succeeded refund; whether it went out. Never raises."""
    try:
        refund = Refund.get_by_id(refund_id)
        payment = Payment.get_by_id(refund.payment_id)
        client = Client.get_by_id(payment.client_id)
        business = Business.get_by_id(client.business_id)
        subject, text = refund_email(
            RefundFacts(
                client_name=client.name,
                business_name=business.name,
                locale=business.locale,
                reference=payment.reference,
                amount=refund.amount,
                currency=payment.currency,
                card_label=card_label(payment.card_brand, payment.card_last4),
                refunded_at=refund.created_at,
                timezone=business.timezone,
            )
        )
        return bool(mailer.send(client.email, subject, text, event_key=refund_receipt_key(refund)))
    except Exception:  # noqa: BLE001 - a receipt never undoes a refund
        log.exception("could not send the receipt for refund %s", refund_id)
        return False
