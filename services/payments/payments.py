"""Paying invoices with a saved card, exactly once (DESIGN.md §5); reconciling; refunds.

1. `open_attempt`: one transaction checks the invoices and writes the attempt (`created`).
2. Create the PaymentIntent with the attempt's idempotency key; store its id (`submitted`).
3. Confirm it; record the outcome (Payment, allocations, invoices) in one transaction.
Any error after step 2 leaves `unknown`; `reconcile()` asks Stripe and finishes the record.
An intent is confirmed only after its id is stored, so a lost create can never have charged.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from models import AttemptInvoice, Client, PaymentAttempt, utcnow
from models.states import ATTEMPT_SETTLEABLE, AttemptStatus
from services.config import Config, RunSettings
from services.faults import pause_point
from services.payments import ledger, owner, review
from services.payments.cards import card_label
from services.payments.ledger import PaymentError, RecordedPayment, reference_for
from services.payments.receipts import ReceiptSender
from services.payments.refunds import RefundService
from services.payments.settle import (
    ACTION_TIMEOUT,
    PaymentResult,
    Settler,
    paid_message,
    status_words,
)
from services.stripe_client.client import refusal, safe_error, to_stripe_amount

if TYPE_CHECKING:
    import stripe
else:  # the SDK loads when first used (see services.stripe_client.sdk)
    from services.stripe_client import sdk as stripe

__all__ = ["PaymentError", "PaymentResult", "PaymentService", "ReconcileReport"]

log = logging.getLogger(__name__)


@dataclass
class ReconcileReport:
    """What `reconcile()` found: attempts it settled, by outcome."""

    checked: int = 0
    succeeded: int = 0
    failed: int = 0
    requires_action: int = 0
    needs_review: int = 0
    unknown: int = 0
    refunds: int = 0
    receipts: int = 0
    lines: list[str] = field(default_factory=list)


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
        self.settler = Settler(stripe_client, self.receipts)
        self.refunds = RefundService(stripe_client, mailer)

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
        on_paid: Callable[[int], None] | None = None,
    ) -> PaymentResult:
        """Pay these invoices in full with a saved card. Declines come back as a result.

        `guard`, if given, runs inside the write-lock transaction that writes the attempt,
        after the payability checks: raising aborts the payment (nothing written, nothing
        charged) and the exception reaches the caller. The auto-bill job uses it to re-read
        the client's auto-bill choice and claim the invoice in the same lock as the charge.
        `on_paid(attempt_id)`, if given, runs inside the transaction that records this
        payment's success (the auto-bill job marks its billing row paid with it).
        """
        if not invoice_ids:
            raise PaymentError("Choose at least one invoice to pay.")
        # 1. Open the attempt in the ledger: the invoices checked, the attempt `created`.
        opened = self._open_attempt(
            lambda reclaim: ledger.open_attempt(
                client_id,
                invoice_ids,
                card_id,
                source,
                off_session,
                actor,
                address,
                guard,
                reclaim=reclaim,
            )
        )
        label = card_label(opened.card.brand, opened.card.last4)
        pause_point("after_insert")
        # 2. Create the PaymentIntent with the attempt's idempotency key; store its id.
        intent_id = self._create_intent(client_id, opened)
        if intent_id is None:  # not created, or not stored: nothing can be charged
            return self.settler.result_for(opened.id, label)
        # 3. Confirm it, and record the outcome in one transaction.
        payment = self._confirm(opened, intent_id, off_session, on_paid)
        if payment is None:  # declined, 3-D Secure or unknown, as recorded
            return self.settler.result_for(opened.id, label)
        return PaymentResult(
            status=AttemptStatus.SUCCEEDED,
            message=paid_message(payment.amount, payment.currency, label, payment.reference),
            amount=payment.amount,
            currency=payment.currency,
            reference=payment.reference,
            card_label=label,
            invoice_numbers=opened.invoice_numbers,
            attempt_id=opened.id,
        )

    def _open_attempt(
        self, open_once: Callable[[bool], ledger.OpenedAttempt]
    ) -> ledger.OpenedAttempt:
        """Step 1, after settling earlier attempts for these invoices that wait for 3-D Secure
        or that no process is paying any more (a crashed payer: settled now, once)."""
        for round in range(3):
            try:
                return open_once(round == 0)
            except ledger.Orphaned as orphaned:
                for attempt_id in orphaned.attempt_ids:
                    self.settler.settle(PaymentAttempt.get_by_id(attempt_id), cancel_action=False)
            except ledger.PendingAction as pending:
                for attempt_id in pending.attempt_ids:
                    self.settler.settle(PaymentAttempt.get_by_id(attempt_id), cancel_action=True)
        raise PaymentError("An earlier payment for these invoices is still being settled.")

    def _create_intent(self, client_id: int, opened: ledger.OpenedAttempt) -> str | None:
        """Step 2: the intent's id, stored as `submitted`; None once the outcome is recorded
        (nothing sent, refused, no answer, or the reconciler closed the attempt meanwhile)."""
        card = opened.card
        try:
            customer = card.customer or self._customer(client_id)
        except stripe.StripeError as exc:  # nothing was sent for this attempt
            reason = safe_error(exc)
            message = f"Stripe could not be reached ({reason}); nothing was charged."
            # Not the card's failure: unreachable (no code) is a gateway error, tried again.
            code = exc.code or "api_connection_error"
            ledger.set_outcome(opened.id, AttemptStatus.FAILED, message, code=code)
            return None
        try:
            stripe_amount = to_stripe_amount(opened.amount, opened.currency)
        except ValueError as exc:  # nothing was sent to Stripe
            ledger.set_outcome(opened.id, AttemptStatus.FAILED, str(exc), code="amount")
            return None
        params: Any = {
            "amount": stripe_amount,
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
            ledger.set_unknown(opened.id, safe_error(exc))
            return None
        except stripe.StripeError as exc:  # refused: nothing was created
            ledger.set_outcome(opened.id, AttemptStatus.FAILED, refusal(exc), code=exc.code)
            return None
        pause_point("after_create")
        if not ledger.set_submitted(opened.id, intent.id):
            self.settler.cancel_quietly(intent.id)  # the reconciler closed it meanwhile
            return None
        pause_point("after_submit")
        return intent.id

    def _confirm(
        self,
        opened: ledger.OpenedAttempt,
        intent_id: str,
        off_session: bool,
        on_paid: Callable[[int], None] | None,
    ) -> RecordedPayment | None:
        """Step 3: the Payment if the charge succeeded; None once another outcome is recorded."""
        params: Any = {"off_session": True} if off_session else {}
        try:
            intent = self.stripe.v1.payment_intents.confirm(intent_id, params=params)
        except stripe.CardError as exc:
            self.settler.card_error(opened.id, exc)
            return None
        except stripe.StripeError as exc:
            ledger.set_unknown(opened.id, safe_error(exc))
            self.settler.try_settle(opened.id)
            return None
        pause_point("after_confirm")
        if intent.status != "succeeded":  # Stripe's status of the intent
            self.settler.apply(opened.id, intent)
            return None
        return self.settler.record_success(opened.id, intent, opened.card, on_paid)

    # -- reconciling ----------------------------------------------------------------------
    def reconcile(self, min_age_seconds: float = RunSettings.reconcile_min_age) -> ReconcileReport:
        """Settle attempts left `created`/`submitted`/`unknown` (and stale 3-D Secure ones).

        Attempts younger than `min_age_seconds` are left to the process paying them; settling
        one early is still safe (Stripe's answer decides), it only interrupts that payment.
        """
        report = ReconcileReport()
        for attempt, stale_action in self.reconcile_due(min_age_seconds):
            report.checked += 1
            self.settler.settle(attempt, cancel_action=stale_action)
            status = PaymentAttempt.get_by_id(attempt.id).status
            if status == AttemptStatus.SUCCEEDED:
                report.succeeded += 1
            elif status == AttemptStatus.FAILED:
                report.failed += 1
            elif status == AttemptStatus.REQUIRES_ACTION:
                report.requires_action += 1
            elif status == AttemptStatus.NEEDS_REVIEW:
                report.needs_review += 1
            else:
                report.unknown += 1
            report.lines.append(
                f"{reference_for(attempt.id)}: {status_words(attempt.status)} -> "
                f"{status_words(status)}"
            )
        report.refunds = self.refunds.reconcile(min_age_seconds)
        report.receipts = self.receipts.send_missing()
        return report

    def reconcile_due(
        self, min_age_seconds: float = RunSettings.reconcile_min_age
    ) -> list[tuple[PaymentAttempt, bool]]:
        """The attempts `reconcile` settles now, each with whether its 3-D Secure wait is over.

        Younger than `min_age_seconds` only when no process is paying it any more (its payer
        gave up on it, or has certainly ended: `ledger.is_orphaned`).
        """
        cutoff = utcnow() - timedelta(seconds=min_age_seconds)
        open_attempts = (
            PaymentAttempt.select()
            .where(PaymentAttempt.status.in_(ATTEMPT_SETTLEABLE))
            .order_by(PaymentAttempt.id)
        )
        due = []
        for attempt in open_attempts:
            if attempt.created_at > cutoff and not ledger.is_orphaned(
                attempt.status, attempt.owner
            ):
                continue  # left to the process paying it
            waiting = attempt.status == AttemptStatus.REQUIRES_ACTION
            stale_action = waiting and attempt.created_at <= utcnow() - ACTION_TIMEOUT
            if waiting and not stale_action:
                continue  # the client may still be completing 3-D Secure
            due.append((attempt, stale_action))
        return due

    def settle_crashed(self, invoice_ids: list[int]) -> int:
        """Settle now the attempts for these invoices whose paying process has ended (the
        kiosk opening an invoice a killed session was paying); returns how many. One query
        when there are none. (`unknown` ones, which Stripe did not answer about, are left to
        `pay` and the run: a screen does not wait on Stripe being down.)"""
        crashed = (AttemptStatus.CREATED, AttemptStatus.SUBMITTED)
        orphans = [
            attempt
            for attempt in PaymentAttempt.select(PaymentAttempt.id, PaymentAttempt.owner)
            .join(AttemptInvoice)
            .where(
                AttemptInvoice.invoice.in_(invoice_ids)
                & PaymentAttempt.status.in_(crashed)
                & PaymentAttempt.owner.is_null(False)
            )
            .order_by(PaymentAttempt.id)
            if owner.is_gone(attempt.owner)
        ]
        for attempt in orphans:
            self.settler.try_settle(attempt.id)
        return len(orphans)

    def resolve(self, reference: str, outcome: str, actor: str) -> PaymentResult:
        """The owner's word on an attempt in `needs_review`: `failed` frees its invoices,
        `succeeded` records the payment (invoices paid or partial, receipt sent)."""
        attempt_id = review.attempt_id_of(reference)
        if outcome == AttemptStatus.FAILED:
            review.resolve_failed(attempt_id, actor)
        elif outcome == AttemptStatus.SUCCEEDED:
            payment = review.resolve_succeeded(attempt_id, actor)
            self.receipts.submit(payment.id)
        else:
            raise PaymentError(f"resolve as 'failed' or 'succeeded', not {outcome!r}")
        return self.settler.result_for(attempt_id, "")

    def sync_intent(self, intent_id: str) -> PaymentResult | None:
        """Apply what Stripe says about one intent (for webhooks); None if it is not ours."""
        attempt = PaymentAttempt.get_or_none(PaymentAttempt.stripe_intent_id == intent_id)
        if attempt is None:
            return None
        self.settler.settle(attempt, cancel_action=False)
        return self.settler.result_for(attempt.id, "")

    def result(self, attempt_id: int) -> PaymentResult:
        return self.settler.result_for(attempt_id, "")

    # -- refunds --------------------------------------------------------------------------
    def refund(
        self, payment_id: int, amount: int, actor: str, reason: str = "", address: str = ""
    ) -> int:
        """Refund part or all of a payment; never more than was captured. Returns the refund id."""
        return self.refunds.refund(payment_id, amount, actor, reason, address)

    # -- internals ------------------------------------------------------------------------
    def _customer(self, client_id: int) -> str:
        client = Client.get_by_id(client_id)
        if client.stripe_customer_id:
            return client.stripe_customer_id
        from services.payments.cards import CardService

        return CardService(self.stripe, self.config).ensure_customer(client_id)
