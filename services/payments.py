"""Paying invoices with a saved card, exactly once (DESIGN.md §5); reconciling; refunds.

1. `open_attempt`: one transaction checks the invoices and writes the attempt (`created`).
2. Create the PaymentIntent with the attempt's idempotency key; store its id (`submitted`).
3. Confirm it; record the outcome (Payment, allocations, invoices) in one transaction.
Any error after step 2 leaves `unknown`; `reconcile()` asks Stripe and finishes the record.
An intent is confirmed only after its id is stored, so a lost create can never have charged.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import stripe

from models import (
    IN_FLIGHT,
    AttemptInvoice,
    Client,
    Invoice,
    Payment,
    PaymentAttempt,
    PaymentMethod,
    Refund,
    lock_rows,
    utcnow,
    write_lock,
)
from services import payment_ledger as ledger
from services.audit import audit
from services.cards import card_label, decline_message
from services.config import Config
from services.money import format_money
from services.payment_ledger import PaymentError, reference_for
from services.receipts import ReceiptSender

__all__ = ["PaymentError", "PaymentResult", "PaymentService", "ReconcileReport"]

log = logging.getLogger(__name__)

UNKNOWN_MESSAGE = (
    "We could not confirm whether the payment went through. Do not pay again: "
    "it is being checked and you will get a receipt if it succeeded."
)
INTERRUPTED = "The payment was interrupted before the card was charged. Please try again."
ACTION_MESSAGE = (
    "Your bank wants to confirm this payment (3-D Secure), so the card was not charged. "
    "Try another card, or complete the payment on the card page."
)
NOT_AUTHENTICATED = (
    "The bank's confirmation (3-D Secure) was not completed, so the card was not charged."
)
ACTION_TIMEOUT = timedelta(hours=24)


def attempt_was_action(attempt_id: int) -> bool:
    return PaymentAttempt.get_by_id(attempt_id).status == "requires_action"


@dataclass(frozen=True)
class PaymentResult:
    """What happened to one payment, for the kiosk, the CLI and the auto-bill job."""

    status: str  # succeeded | failed | requires_action | unknown
    message: str
    amount: int
    currency: str
    reference: str | None
    card_label: str
    invoice_numbers: tuple[str, ...]
    attempt_id: int | None
    decline_code: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == "succeeded"


@dataclass
class ReconcileReport:
    """What `reconcile()` found: attempts it settled, by outcome."""

    checked: int = 0
    succeeded: int = 0
    failed: int = 0
    requires_action: int = 0
    unknown: int = 0
    refunds: int = 0
    receipts: int = 0
    lines: list[str] = field(default_factory=list)


def pause_point(name: str) -> None:
    """Fault injection for the crash tests, off unless PAYDESK_PAUSE_AT names this point.

    The process writes its pid to PAYDESK_PAUSE_FILE and sleeps, so a test can SIGKILL it
    exactly between two steps of the payment. Points: after_insert, after_create (the intent
    exists, its id not yet stored), after_submit, after_confirm.
    """
    if os.environ.get("PAYDESK_PAUSE_AT") != name:
        return
    marker = os.environ.get("PAYDESK_PAUSE_FILE")
    if marker:
        Path(marker).write_text(f"{os.getpid()}\n")
    while True:
        time.sleep(60)


class PaymentService:
    """Charges saved cards for invoices, reconciles what is unsettled, refunds."""

    def __init__(
        self,
        stripe_client: stripe.StripeClient,
        mailer,
        config: Config,
        background_receipts: bool = True,
    ) -> None:
        self.stripe = stripe_client
        self.mailer = mailer
        self.config = config
        self.receipts = ReceiptSender(mailer, background=background_receipts)

    def flush_receipts(self, timeout: float = 30.0) -> bool:
        """Wait until the receipts of payments made so far are sent (tests, CLI)."""
        return self.receipts.flush(timeout)

    # -- paying ---------------------------------------------------------------------------
    def pay(
        self,
        client_id: int,
        invoice_ids: list[int],
        card_id: int,
        source: str = "kiosk",
        actor: str = "",
        address: str = "",
        off_session: bool = False,
        guard: Callable[[], None] | None = None,
    ) -> PaymentResult:
        """Pay these invoices in full with a saved card. Declines come back as a result.

        `guard`, if given, runs inside the write-lock transaction that writes the attempt,
        after the payability checks: raising aborts the payment (nothing written, nothing
        charged) and the exception reaches the caller. The auto-bill job uses it to re-read
        the client's auto-bill choice and claim the invoice in the same lock as the charge.
        """
        if not invoice_ids:
            raise PaymentError("Choose at least one invoice to pay.")
        card = (
            PaymentMethod.select(
                PaymentMethod.id,
                PaymentMethod.stripe_pm_id,
                PaymentMethod.brand,
                PaymentMethod.last4,
                Client.stripe_customer_id,
            )
            .join(Client)
            .where((PaymentMethod.id == card_id) & (PaymentMethod.client == client_id))
            .objects()
            .first()
        )
        if card is None:
            raise PaymentError("That card is not saved for this client.")
        try:
            customer = card.stripe_customer_id or self._customer(client_id)
        except stripe.StripeError as exc:
            reason = _safe(exc)
            message = f"Stripe could not be reached ({reason}); nothing was charged."
            raise PaymentError(message) from None
        for _ in range(3):
            try:
                opened = ledger.open_attempt(
                    client_id, invoice_ids, card, source, off_session, actor, address, guard
                )
                break
            except ledger.PendingAction as pending:
                for attempt_id in pending.attempt_ids:
                    self._settle(PaymentAttempt.get_by_id(attempt_id), cancel_action=True)
        else:
            raise PaymentError("An earlier payment for these invoices is still being settled.")
        label = card_label(card.brand, card.last4)
        pause_point("after_insert")

        # Step 2: the intent, with the attempt's idempotency key.
        params: Any = {
            "amount": opened.amount,
            "currency": opened.currency.lower(),
            "customer": customer,
            "payment_method": opened.stripe_pm_id,
            "payment_method_types": ["card"],
            "metadata": {
                "paydesk_attempt": str(opened.id),
                "paydesk_key": opened.idempotency_key,
                "paydesk_invoices": ",".join(str(i) for i in opened.invoice_ids),
                "paydesk_numbers": ",".join(opened.invoice_numbers),
            },
        }
        try:
            intent = self.stripe.v1.payment_intents.create(
                params=params, options={"idempotency_key": opened.idempotency_key}
            )
        except (stripe.APIConnectionError, stripe.APIError, stripe.RateLimitError) as exc:
            ledger.set_unknown(opened.id, _safe(exc))
            return self._result_for(opened.id, label)
        except stripe.StripeError as exc:  # refused: nothing was created
            ledger.set_outcome(opened.id, "failed", _refusal(exc), code=exc.code)
            return self._result_for(opened.id, label)
        pause_point("after_create")
        if not ledger.set_submitted(opened.id, intent.id):
            self._cancel_quietly(intent.id)  # the reconciler closed it meanwhile
            return self._result_for(opened.id, label)
        pause_point("after_submit")

        # Step 3: confirm; the outcome is recorded in one transaction.
        confirm_params: Any = {"off_session": True} if off_session else {}
        try:
            intent = self.stripe.v1.payment_intents.confirm(intent.id, params=confirm_params)
        except stripe.CardError as exc:
            self._card_error(opened.id, exc)
            return self._result_for(opened.id, label)
        except stripe.StripeError as exc:
            ledger.set_unknown(opened.id, _safe(exc))
            self._try_settle(opened.id)
            return self._result_for(opened.id, label)
        pause_point("after_confirm")
        if intent.status != "succeeded":
            self._apply(opened.id, intent)
            return self._result_for(opened.id, label)
        payment = self._record_success(opened.id, intent, card)
        return PaymentResult(
            status="succeeded",
            message=_paid_message(payment.amount, payment.currency, label, payment.reference),
            amount=payment.amount,
            currency=payment.currency,
            reference=payment.reference,
            card_label=label,
            invoice_numbers=opened.invoice_numbers,
            attempt_id=opened.id,
        )

    # -- reconciling ----------------------------------------------------------------------
    def reconcile(self, min_age_seconds: float = 60.0) -> ReconcileReport:
        """Settle attempts left `created`/`submitted`/`unknown` (and stale 3-D Secure ones).

        Attempts younger than `min_age_seconds` are left to the process paying them; settling
        one early is still safe (Stripe's answer decides), it only interrupts that payment.
        """
        report = ReconcileReport()
        cutoff = utcnow() - timedelta(seconds=min_age_seconds)
        open_attempts = (
            PaymentAttempt.select()
            .where(
                PaymentAttempt.status.in_(IN_FLIGHT + ("requires_action",))
                & (PaymentAttempt.created_at <= cutoff)
            )
            .order_by(PaymentAttempt.id)
        )
        for attempt in list(open_attempts):
            report.checked += 1
            stale_action = (
                attempt.status == "requires_action"
                and attempt.created_at <= utcnow() - ACTION_TIMEOUT
            )
            if attempt.status == "requires_action" and not stale_action:
                continue
            self._settle(attempt, cancel_action=stale_action)
            status = PaymentAttempt.get_by_id(attempt.id).status
            if status == "succeeded":
                report.succeeded += 1
            elif status == "failed":
                report.failed += 1
            elif status == "requires_action":
                report.requires_action += 1
            else:
                report.unknown += 1
            report.lines.append(f"{reference_for(attempt.id)}: {attempt.status} -> {status}")
        report.refunds = self._reconcile_refunds()
        report.receipts = self.receipts.send_missing()
        return report

    def sync_intent(self, intent_id: str) -> PaymentResult | None:
        """Apply what Stripe says about one intent (for webhooks); None if it is not ours."""
        attempt = PaymentAttempt.get_or_none(PaymentAttempt.stripe_intent_id == intent_id)
        if attempt is None:
            return None
        self._settle(attempt, cancel_action=False)
        return self._result_for(attempt.id, "")

    def result(self, attempt_id: int) -> PaymentResult:
        return self._result_for(attempt_id, "")

    # -- refunds --------------------------------------------------------------------------
    def refund(self, payment_id: int, amount: int, actor: str, reason: str = "") -> int:
        """Refund part or all of a payment; never more than was captured. Returns the refund id."""
        with write_lock():
            payment = lock_rows(Payment.select().where(Payment.id == payment_id)).first()
            if payment is None:
                raise PaymentError("That payment does not exist.")
            pending = sum(
                r.amount
                for r in Refund.select().where(
                    (Refund.payment == payment_id) & Refund.status.in_(("created", "unknown"))
                )
            )
            left = payment.amount - payment.amount_refunded - pending
            if amount <= 0 or amount > left:
                raise PaymentError(
                    f"At most {format_money(left, payment.currency)} of "
                    f"{payment.reference} can be refunded."
                )
            row = Refund.create(
                payment=payment_id,
                amount=amount,
                reason=reason,
                idempotency_key=f"paydesk-refund-{ledger.new_key()}",
            )
            audit(actor, "refund.created", payment.reference, {"amount": amount, "reason": reason})
        try:
            refund = self.stripe.v1.refunds.create(
                params={
                    "payment_intent": payment.stripe_intent_id,
                    "amount": amount,
                    "metadata": {"paydesk_refund": row.idempotency_key},
                },
                options={"idempotency_key": row.idempotency_key},
            )
        except (stripe.APIConnectionError, stripe.APIError, stripe.RateLimitError) as exc:
            Refund.update(status="unknown").where(Refund.id == row.id).execute()
            raise PaymentError(
                f"Stripe did not answer ({_safe(exc)}); `paydesk reconcile` will finish it."
            ) from None
        except stripe.StripeError as exc:
            Refund.update(status="failed").where(Refund.id == row.id).execute()
            raise PaymentError(f"Stripe refused the refund: {_refusal(exc)}") from None
        self._finish_refund(row.id, refund.id, refund.status)
        return row.id

    # -- internals ------------------------------------------------------------------------
    def _customer(self, client_id: int) -> str:
        client = Client.get_by_id(client_id)
        if client.stripe_customer_id:
            return client.stripe_customer_id
        from services.cards import CardService

        return CardService(self.stripe, self.config).ensure_customer(client_id)

    def _card_error(self, attempt_id: int, exc: stripe.CardError) -> None:
        err = exc.error
        decline = getattr(err, "decline_code", None) if err else None
        if exc.code == "authentication_required":
            ledger.set_outcome(attempt_id, "requires_action", ACTION_MESSAGE, code=exc.code)
        else:
            message = decline_message(exc.code, decline, exc.user_message or "")
            ledger.set_outcome(attempt_id, "failed", message, exc.code, decline)

    def _record_success(
        self, attempt_id: int, intent, card: PaymentMethod | None = None
    ) -> Payment:
        received = getattr(intent, "amount_received", None) or intent.amount
        payment, created = ledger.record_success(
            attempt_id,
            intent.id,
            int(received),
            card.brand if card else None,
            card.last4 if card else None,
        )
        if created:
            self.receipts.submit(payment.id)
        return payment

    def _apply(self, attempt_id: int, intent) -> None:
        """Record what an intent's status means for its attempt."""
        status = intent.status
        if status == "succeeded":
            self._record_success(attempt_id, intent)
        elif status == "requires_action":
            ledger.set_outcome(attempt_id, "requires_action", ACTION_MESSAGE)
        elif status in ("requires_payment_method", "canceled"):
            closable = IN_FLIGHT + ("requires_action",)
            error = getattr(intent, "last_payment_error", None)
            code = getattr(error, "code", None) if error else None
            decline = getattr(error, "decline_code", None) if error else None
            if code == "authentication_required":
                if status == "requires_payment_method":  # the bank wants the client
                    ledger.set_outcome(attempt_id, "requires_action", ACTION_MESSAGE, code=code)
                else:  # 3-D Secure was never completed and the intent is canceled
                    ledger.set_outcome(
                        attempt_id, "failed", NOT_AUTHENTICATED, code, from_statuses=closable
                    )
            elif error:
                message = decline_message(code, decline, getattr(error, "message", "") or "")
                ledger.set_outcome(
                    attempt_id, "failed", message, code, decline, from_statuses=closable
                )
            else:
                message = NOT_AUTHENTICATED if attempt_was_action(attempt_id) else INTERRUPTED
                ledger.set_outcome(attempt_id, "failed", message, from_statuses=closable)
        else:  # processing, requires_capture: not settled yet
            ledger.set_unknown(attempt_id, f"Stripe reports {status}")

    def _settle(self, attempt: PaymentAttempt, cancel_action: bool) -> None:
        """Ask Stripe about one attempt and finish its record."""
        intent_id = attempt.stripe_intent_id or self._find_intent(attempt)
        if intent_id is None:
            # The create never reached Stripe, or its answer was lost; we never confirm an
            # intent whose id is not stored, so no card was charged.
            ledger.set_outcome(attempt.id, "failed", INTERRUPTED, code="interrupted")
            return
        if attempt.stripe_intent_id is None:
            ledger.set_submitted(attempt.id, intent_id)
        try:
            intent = self.stripe.v1.payment_intents.retrieve(intent_id)
            if intent.status == "requires_confirmation" or (
                cancel_action and intent.status in ("requires_action", "requires_payment_method")
            ):
                # Never confirmed by us (crash before step 3), or 3-D Secure abandoned:
                # cancel so it can never be charged later, then record what Stripe says.
                intent = self._cancel(intent)
        except stripe.StripeError as exc:
            ledger.set_unknown(attempt.id, _safe(exc))
            return
        self._apply(attempt.id, intent)

    def _try_settle(self, attempt_id: int) -> None:
        try:
            self._settle(PaymentAttempt.get_by_id(attempt_id), cancel_action=False)
        except Exception:  # noqa: BLE001 - the reconciler finishes it later
            log.exception("could not settle payment attempt %s now", attempt_id)

    def _cancel(self, intent):
        try:
            return self.stripe.v1.payment_intents.cancel(intent.id)
        except stripe.InvalidRequestError:
            # It moved on meanwhile (e.g. succeeded): what it is now decides.
            return self.stripe.v1.payment_intents.retrieve(intent.id)

    def _cancel_quietly(self, intent_id: str) -> None:
        try:
            self.stripe.v1.payment_intents.cancel(intent_id)
        except stripe.StripeError as exc:
            log.warning("could not cancel orphan intent %s: %s", intent_id, _safe(exc))

    def _find_intent(self, attempt: PaymentAttempt) -> str | None:
        """The intent of an attempt whose create answer was lost, by its metadata."""
        query = f"metadata['paydesk_key']:'{attempt.idempotency_key}'"
        try:
            found = self.stripe.v1.payment_intents.search(params={"query": query, "limit": 1})
        except stripe.StripeError as exc:  # the sandbox has no search
            log.info("intent search unavailable (%s); the attempt was never confirmed", _safe(exc))
            return None
        for intent in found.data:
            return intent.id
        return None

    def _result_for(self, attempt_id: int, label: str) -> PaymentResult:
        attempt = PaymentAttempt.get_by_id(attempt_id)
        numbers = tuple(
            inv.number
            for inv in Invoice.select(Invoice.number)
            .join(AttemptInvoice)
            .where(AttemptInvoice.attempt == attempt_id)
            .order_by(Invoice.id)
        )
        if not label:
            card = PaymentMethod.get_or_none(PaymentMethod.stripe_pm_id == attempt.stripe_pm_id)
            label = card_label(card.brand, card.last4) if card else "card"
        status = attempt.status
        if status == "succeeded":
            message = _paid_message(
                attempt.amount, attempt.currency, label, reference_for(attempt_id)
            )
        elif status in ("failed", "requires_action"):
            message = attempt.failure_message or INTERRUPTED
        else:
            status = "unknown"
            message = UNKNOWN_MESSAGE
        return PaymentResult(
            status=status,
            message=message,
            amount=attempt.amount,
            currency=attempt.currency,
            reference=reference_for(attempt_id) if status == "succeeded" else None,
            card_label=label,
            invoice_numbers=numbers,
            attempt_id=attempt_id,
            decline_code=attempt.decline_code,
        )

    def _finish_refund(self, refund_id: int, stripe_id: str, status: str | None) -> None:
        with write_lock():
            row = lock_rows(Refund.select().where(Refund.id == refund_id)).get()
            if row.status == "succeeded":
                return
            if status in ("succeeded", "pending"):
                Refund.update(status="succeeded", stripe_refund_id=stripe_id).where(
                    Refund.id == refund_id
                ).execute()
                Payment.update(amount_refunded=Payment.amount_refunded + row.amount).where(
                    Payment.id == row.payment_id
                ).execute()
                audit("system", "refund.succeeded", str(refund_id), {"amount": row.amount})
            else:
                Refund.update(status="failed", stripe_refund_id=stripe_id).where(
                    Refund.id == refund_id
                ).execute()

    def _reconcile_refunds(self) -> int:
        done = 0
        for row in Refund.select().where(Refund.status.in_(("created", "unknown"))):
            payment = Payment.get_by_id(row.payment_id)
            try:
                params: Any = {"payment_intent": payment.stripe_intent_id, "limit": 100}
                listed = self.stripe.v1.refunds.list(params=params)
            except stripe.StripeError as exc:
                log.warning("could not list refunds: %s", _safe(exc))
                continue
            match = next(
                (
                    r
                    for r in listed.auto_paging_iter()
                    if _metadata(r).get("paydesk_refund") == row.idempotency_key
                ),
                None,
            )
            if match is not None:
                self._finish_refund(row.id, match.id, match.status)
            else:
                Refund.update(status="failed").where(Refund.id == row.id).execute()
            done += 1
        return done


def _paid_message(amount: int, currency: str, label: str, reference: str) -> str:
    return f"Paid {format_money(amount, currency)} with {label}. Reference {reference}."


def _metadata(obj: Any) -> dict[str, str]:
    return dict(getattr(obj, "metadata", None) or {})


def _safe(exc: stripe.StripeError) -> str:
    """An error to store or show: Stripe's user message, never a key or a raw body."""
    return exc.user_message or type(exc).__name__


def _refusal(exc: stripe.StripeError) -> str:
    return exc.user_message or "Stripe refused the request."
