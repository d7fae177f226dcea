"""Receipt emails for payments, sent off the payment's critical path.

A payment is recorded first; its receipt follows from a short-lived thread, so a slow mail
server never holds the Pay screen. The mailer's event key `receipt:<reference>` makes every
send at most once; `send_missing()` (run by the reconciler) sends any receipt a crash or a
mail failure left unsent.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta

from models import AttemptInvoice, Business, Client, EmailLog, Invoice, Payment, db, utcnow
from services.cards import card_label
from services.money import format_money

log = logging.getLogger(__name__)
RESEND_WINDOW = timedelta(days=7)
START_DELAY = 0.05  # seconds


def receipt_key(reference: str) -> str:
    return f"receipt:{reference}"


class ReceiptSender:
    """Sends payment receipts, in the background unless told otherwise."""

    def __init__(self, mailer, background: bool = True) -> None:
        self.mailer = mailer
        self.background = background
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    def submit(self, payment_id: int) -> None:
        if not self.background:
            self.send(payment_id)
            return
        thread = threading.Thread(
            target=self._send_in_thread,
            args=(payment_id, db.obj),
            name=f"receipt-{payment_id}",
        )
        with self._lock:
            self._threads = [t for t in self._threads if t.is_alive()]
            self._threads.append(thread)
        thread.start()  # not a daemon: the process waits for it before exiting

    def flush(self, timeout: float = 30.0) -> bool:
        deadline = time.monotonic() + timeout
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        return not any(t.is_alive() for t in threads)

    def _send_in_thread(self, payment_id: int, database: object) -> None:
        # Let the payment's caller have the interpreter first: the receipt is CPU work
        # (queries, building the message) that would otherwise hold up the paid answer.
        time.sleep(START_DELAY)
        try:
            if db.obj is not database:
                # The process switched databases meanwhile (a test harness): never write a
                # receipt into another database; the reconciler sends what is missing.
                log.warning("database changed; receipt for payment %s left", payment_id)
                return
            self.send(payment_id)
        finally:
            db.close()  # this thread's connection

    def send(self, payment_id: int) -> bool:
        """Send one payment's receipt (at most once). Never raises."""
        try:
            payment = Payment.get_by_id(payment_id)
            client = Client.get_by_id(payment.client_id)
            business = Business.get_by_id(client.business_id)
            numbers = [
                inv.number
                for inv in Invoice.select(Invoice.number)
                .join(AttemptInvoice)
                .where(AttemptInvoice.attempt == payment.attempt_id)
                .order_by(Invoice.id)
            ]
            amount = format_money(payment.amount, payment.currency, business.locale)
            card = card_label(payment.card_brand, payment.card_last4)
            text = (
                f"Hello {client.name},\n\n"
                f"Thank you: we received your payment of {amount}.\n\n"
                f"Reference: {payment.reference}\n"
                f"Paid with: {card}\n"
                f"Date: {payment.created_at:%Y-%m-%d %H:%M} UTC\n"
                f"Invoices: {', '.join(numbers)}\n\n"
                f"{business.name}\n"
            )
            return bool(
                self.mailer.send(
                    client.email,
                    f"Receipt {payment.reference} from {business.name}",
                    text,
                    event_key=receipt_key(payment.reference),
                )
            )
        except Exception:  # noqa: BLE001 - a receipt never undoes a payment
            log.exception("could not send the receipt for payment %s", payment_id)
            return False

    def send_missing(self) -> int:
        """Send receipts that recent payments lack (crash before sending, mail failure)."""
        recent = Payment.select(Payment.id, Payment.reference).where(
            Payment.created_at >= utcnow() - RESEND_WINDOW
        )
        sent = {
            row.event_key
            for row in EmailLog.select(EmailLog.event_key).where(
                EmailLog.event_key.startswith("receipt:") & (EmailLog.status != "failed")
            )
        }
        count = 0
        for payment in recent:
            if receipt_key(payment.reference) not in sent and self.send(payment.id):
                count += 1
        return count
