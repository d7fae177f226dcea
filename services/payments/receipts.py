"""Sending payment receipts, off the payment's critical path (their text: services/emails).

A payment is recorded first; its receipt follows from a background worker, so a slow mail
server never holds the Pay screen. The billing run instead `defer()`s them: its receipts
are queued and sent together, in batches, when it calls `flush()` after the charge phase.
The mailer's event key `receipt:<reference>` makes every send at most once;
`send_missing()` (run by the reconciler) sends any receipt a crash or a mail failure left
unsent.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
import weakref
from collections import defaultdict, deque
from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import cast

from models import Business, Client, EmailLog, Invoice, Payment, PaymentAllocation, db, utcnow
from models.bulk_rows import chunks
from services.emails.receipts import ReceiptFacts, receipt_email
from services.mail.batch import MailBatch, Outgoing
from services.payments.cards import card_label
from services.payments.offline import METHODS

log = logging.getLogger(__name__)
RESEND_WINDOW = timedelta(days=7)
START_DELAY = 0.05  # seconds between a payment and the start of its receipt
IDLE_LINGER = 5.0  # seconds a worker keeps looking for the next receipt before ending
BATCH = 100  # receipts per claim / delivery in send_many()


def receipt_key(reference: str) -> str:
    return f"receipt:{reference}"


_senders: weakref.WeakSet[ReceiptSender] = weakref.WeakSet()


@atexit.register
def _flush_all() -> None:
    for sender in list(_senders):
        sender.flush()


class ReceiptSender:
    """Sends payment receipts, in the background unless told otherwise.

    One worker thread per sender takes receipts from a queue and lingers a little when the
    queue is empty, so a payment only appends to the queue (starting a thread per payment
    cost more than the payment's own database work). The worker is a daemon; an `atexit`
    hook flushes the queue, so a process that paid still sends the receipt before exiting.
    """

    def __init__(self, mailer, background: bool = True) -> None:
        self.mailer = mailer
        self.background = background
        self._queue: deque[tuple[int, object, float]] = deque()
        self._pending = 0
        self._worker: threading.Thread | None = None
        self._changed = threading.Condition()
        self._deferred: list[int] | None = None  # deferred mode: sent together by flush()
        _senders.add(self)

    def defer(self) -> None:
        """From now on, keep receipts until `flush()` sends them together, in batches (the
        billing run: no work beside its charges; a crash leaves them to `send_missing()`)."""
        with self._changed:
            if self._deferred is None:
                self._deferred = []

    def submit(self, payment_id: int) -> None:
        with self._changed:
            if self._deferred is not None:
                self._deferred.append(payment_id)
                return
            if self.background:
                # No wake-up call: the worker looks at the queue every START_DELAY (waking
                # it cost the payment more than the append does).
                self._queue.append((payment_id, db.obj, time.monotonic()))
                self._pending += 1
                if self._worker is None:
                    self._worker = threading.Thread(target=self._work, name="receipts", daemon=True)
                    self._worker.start()
                return
        self.send(payment_id)

    def flush(self, timeout: float = 30.0) -> bool:
        """Wait until every receipt submitted so far is sent (or given up). True if so."""
        deadline = time.monotonic() + timeout
        with self._changed:
            deferred, self._deferred = self._deferred, ([] if self._deferred is not None else None)
        if deferred:
            self.send_many(deferred)
        with self._changed:
            while self._pending:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._changed.wait(left)
        return True

    def _work(self) -> None:
        try:
            idle = 0.0
            while True:
                with self._changed:
                    if not self._queue:
                        if idle >= IDLE_LINGER:
                            self._worker = None
                            return
                        self._changed.wait(START_DELAY)
                        idle += START_DELAY
                        continue
                    idle = 0.0
                    payment_id, database, queued = self._queue.popleft()
                # Let the payment's caller have the interpreter first: the receipt is CPU
                # work (queries, the message) that would otherwise hold up the paid answer.
                time.sleep(max(0.0, queued + START_DELAY - time.monotonic()))
                try:
                    self._send_from_worker(payment_id, database)
                finally:
                    with self._changed:
                        self._pending -= 1
                        self._changed.notify_all()
        finally:
            db.close()  # this thread's connection

    def _send_from_worker(self, payment_id: int, database: object) -> None:
        if db.obj is not database:
            # The process switched databases meanwhile (a test harness): never write a
            # receipt into another database; the reconciler sends what is missing.
            log.warning("database changed; receipt for payment %s left", payment_id)
            return
        self.send(payment_id)

    def send(self, payment_id: int) -> bool:
        """Send one payment's receipt (at most once). Never raises."""
        try:
            payment = Payment.get_by_id(payment_id)
            client = Client.get_by_id(payment.client_id)
            business = Business.get_by_id(client.business_id)
            numbers = [
                inv.number
                for inv in Invoice.select(Invoice.number)
                .join(PaymentAllocation)
                .where(PaymentAllocation.payment == payment.id)
                .order_by(Invoice.id)
            ]
            subject, text = _receipt(payment, client, business, numbers)
            return bool(
                self.mailer.send(
                    client.email, subject, text, event_key=receipt_key(payment.reference)
                )
            )
        except Exception:  # noqa: BLE001 - a receipt never undoes a payment
            log.exception("could not send the receipt for payment %s", payment_id)
            return False

    def send_many(self, payment_ids: Sequence[int]) -> int:
        """Send these payments' receipts (each at most once) in batches; how many went out.

        A few queries per batch read the payments, clients, businesses and invoice numbers;
        the mail goes out through `MailBatch.send` (one claim, one delivery, one record). Never
        raises: a batch that fails is logged, and `send_missing()` sends it later.
        """
        sent = 0
        for chunk in chunks(list(payment_ids), BATCH):
            try:
                sent += self._send_batch(chunk)
            except Exception:  # noqa: BLE001 - a receipt never undoes a payment
                log.exception("could not send the receipts for payments %s", list(chunk))
        return sent

    def _send_batch(self, payment_ids: Sequence[int]) -> int:
        payments = list(Payment.select().where(Payment.id.in_(payment_ids)).order_by(Payment.id))
        clients = {
            c.id: c for c in Client.select().where(Client.id.in_({p.client_id for p in payments}))
        }
        businesses = {
            b.id: b
            for b in Business.select().where(
                Business.id.in_({c.business_id for c in clients.values()})
            )
        }
        numbers: dict[int, list[str]] = defaultdict(list)  # what each payment paid
        found = (
            PaymentAllocation.select(PaymentAllocation.payment, Invoice.number)
            .join(Invoice)
            .where(PaymentAllocation.payment.in_([p.id for p in payments]))
            .order_by(Invoice.id)
            .tuples()
        )
        for payment_id, number in cast("Iterable[tuple[int, str]]", found):
            numbers[payment_id].append(number)
        batch = MailBatch(self.mailer)
        sender = self.mailer.default_sender()
        items = []
        for payment in payments:
            client = clients[payment.client_id]
            business = businesses[client.business_id]
            subject, text = _receipt(payment, client, business, numbers.get(payment.id, []))
            items.append(
                Outgoing(
                    receipt_key(payment.reference),
                    client.email,
                    subject,
                    sender,
                    extra={"text": text},
                )
            )
        rendered = [(item, batch.render(item, item.extra["text"])) for item in items]
        outcome = batch.send(rendered, reclaim=True)
        return sum(1 for error in outcome.values() if error is None)

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
        return self.send_many(
            [payment.id for payment in recent if receipt_key(payment.reference) not in sent]
        )


def paid_with(payment: Payment) -> str:
    """ "Visa •••• 4242" for a card; "Check (CHK 1042)" for a payment received offline."""
    if payment.method in METHODS:
        ref = payment.method_reference
        return f"{METHODS[payment.method]} ({ref})" if ref else METHODS[payment.method]
    return card_label(payment.card_brand or "", payment.card_last4 or "")


def _receipt(payment: Payment, client: Client, business: Business, numbers: list[str]):
    """(subject, text) of a payment's receipt."""
    return receipt_email(
        ReceiptFacts(
            client_name=client.name,
            business_name=business.name,
            locale=business.locale,
            reference=payment.reference,
            amount=payment.amount,
            currency=payment.currency,
            card_label=paid_with(payment),
            paid_at=payment.created_at,
            invoice_numbers=numbers,
            timezone=business.timezone,
        )
    )
