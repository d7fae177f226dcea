"""Cards, the payment-attempt ledger, payments, allocations, refunds and webhook events."""

from __future__ import annotations

import peewee as pw

from models.billing import Invoice
from models.business import Client
from models.db import BaseModel, utcnow
from models.states import ATTEMPT_IN_FLIGHT, AttemptStatus, RefundStatus

IN_FLIGHT = ATTEMPT_IN_FLIGHT  # the old name, still used outside payments


class PaymentMethod(BaseModel):
    """A card saved at Stripe. Only its id and what a person needs to recognise it."""

    client = pw.ForeignKeyField(Client, backref="payment_methods", on_delete="CASCADE")
    client_id: int
    stripe_pm_id = pw.CharField(unique=True)
    brand = pw.CharField(default="card")
    last4 = pw.CharField(max_length=4)
    exp_month = pw.IntegerField()
    exp_year = pw.IntegerField()
    fingerprint = pw.CharField(null=True)
    is_default = pw.BooleanField(default=False)
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "payment_method"
        indexes = ((("client", "fingerprint"), True),)


class PaymentAttempt(BaseModel):
    """One try at charging a card, written before Stripe is called (DESIGN.md §5)."""

    client = pw.ForeignKeyField(Client, backref="payment_attempts", on_delete="RESTRICT")
    client_id: int
    idempotency_key = pw.CharField(unique=True)
    amount = pw.BigIntegerField()
    currency = pw.CharField(max_length=3)
    payment_method = pw.ForeignKeyField(PaymentMethod, null=True, on_delete="SET NULL")
    payment_method_id: int | None
    stripe_pm_id = pw.CharField()
    stripe_intent_id = pw.CharField(null=True, unique=True)
    status = pw.CharField(default=AttemptStatus.CREATED)
    source = pw.CharField(default="kiosk")  # kiosk | cli | autobill | code
    off_session = pw.BooleanField(default=False)
    failure_code = pw.CharField(null=True)
    decline_code = pw.CharField(null=True)
    failure_message = pw.TextField(null=True)
    # The process paying it (services.payments.owner): once that process is gone, the
    # attempt is settled at the next look at its invoices instead of after reconcile_min_age.
    owner = pw.CharField(null=True)
    created_at = pw.DateTimeField(default=utcnow)
    updated_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "payment_attempt"
        indexes = ((("status",), False),)


class AttemptInvoice(BaseModel):
    """Which invoices an attempt pays, and how much of each."""

    attempt = pw.ForeignKeyField(PaymentAttempt, backref="items", on_delete="CASCADE")
    attempt_id: int
    invoice = pw.ForeignKeyField(Invoice, backref="attempt_items", on_delete="RESTRICT")
    invoice_id: int
    amount = pw.BigIntegerField()

    class Meta:
        table_name = "attempt_invoice"
        indexes = ((("attempt", "invoice"), True),)


class Payment(BaseModel):
    """Money received: exactly one row per captured Stripe charge, or one per payment the
    owner recorded as received offline (no attempt, no intent)."""

    client = pw.ForeignKeyField(Client, backref="payments", on_delete="RESTRICT")
    client_id: int
    attempt = pw.ForeignKeyField(PaymentAttempt, null=True, unique=True, on_delete="RESTRICT")
    attempt_id: int | None
    reference = pw.CharField(unique=True)
    stripe_intent_id = pw.CharField(null=True, unique=True)
    amount = pw.BigIntegerField()
    amount_refunded = pw.BigIntegerField(default=0)
    currency = pw.CharField(max_length=3)
    card_brand = pw.CharField(default="")
    card_last4 = pw.CharField(default="")
    created_at = pw.DateTimeField(default=utcnow)
    # card (a Stripe charge), or money received outside Stripe: check, bank_transfer
    # (with the database's own default too: the paying path's INSERT names neither column)
    method = pw.CharField(default="card", constraints=[pw.SQL("DEFAULT 'card'")])
    # the check number, the transfer's reference
    method_reference = pw.CharField(default="", constraints=[pw.SQL("DEFAULT ''")])

    class Meta:
        table_name = "payment"


class PaymentAllocation(BaseModel):
    payment = pw.ForeignKeyField(Payment, backref="allocations", on_delete="CASCADE")
    payment_id: int
    invoice = pw.ForeignKeyField(Invoice, backref="allocations", on_delete="RESTRICT")
    invoice_id: int
    amount = pw.BigIntegerField()

    class Meta:
        table_name = "payment_allocation"
        indexes = ((("payment", "invoice"), True),)


class Refund(BaseModel):
    payment = pw.ForeignKeyField(Payment, backref="refunds", on_delete="RESTRICT")
    payment_id: int
    amount = pw.BigIntegerField()
    reason = pw.CharField(default="")
    idempotency_key = pw.CharField(unique=True)
    stripe_refund_id = pw.CharField(null=True, unique=True)
    status = pw.CharField(default=RefundStatus.CREATED)
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "refund"


class WebhookEvent(BaseModel):
    stripe_event_id = pw.CharField(unique=True)
    type = pw.CharField()
    received_at = pw.DateTimeField(default=utcnow)
    processed_at = pw.DateTimeField(null=True)

    class Meta:
        table_name = "webhook_event"


class CardLink(BaseModel):
    """A one-time link to the hosted card page: one client, one SetupIntent, 30 minutes.

    Only the token's SHA-256 is stored. `used_at` is set when the card it saved is stored
    (the POST after the browser confirmed); a GET never sets it.
    """

    client = pw.ForeignKeyField(Client, backref="card_links", on_delete="CASCADE")
    client_id: int
    token_hash = pw.CharField(unique=True)
    setup_intent_id = pw.CharField(unique=True)
    created_at = pw.DateTimeField(default=utcnow)
    expires_at = pw.DateTimeField()
    used_at = pw.DateTimeField(null=True)
    payment_method = pw.ForeignKeyField(PaymentMethod, null=True, on_delete="SET NULL")
    payment_method_id: int | None

    class Meta:
        table_name = "card_link"
