"""What the billing run did to each invoice (email, auto-charge, retries) and each run."""

from __future__ import annotations

import peewee as pw

from models.billing import Invoice, RecurringInvoice
from models.db import BaseModel, utcnow
from models.states import CHARGE_WAITING_STATES, ChargeState

CHARGE_WAITING = CHARGE_WAITING_STATES  # the old name, still used by the billing run


class InvoiceBilling(BaseModel):
    """The billing run's bookkeeping for one invoice: written with the invoice, then advanced.

    Generation, email and charging are separate restartable steps (REC-06): a failed email
    never re-triggers generation, a failed charge never re-sends the invoice.
    """

    invoice = pw.ForeignKeyField(Invoice, unique=True, backref="billing", on_delete="CASCADE")
    invoice_id: int
    recurring = pw.ForeignKeyField(RecurringInvoice, null=True, on_delete="SET NULL")
    recurring_id: int | None
    emailed_at = pw.DateTimeField(null=True)
    email_tries = pw.IntegerField(default=0)
    email_error = pw.TextField(null=True)
    charge_state = pw.CharField(default=ChargeState.NONE)  # see ChargeState
    charge_on = pw.DateField(null=True)
    tries = pw.IntegerField(default=0)  # charge attempts made by the run
    first_failed_on = pw.DateField(null=True)
    next_try_on = pw.DateField(null=True)
    last_attempt_id = pw.IntegerField(null=True)
    last_code = pw.CharField(null=True)
    last_message = pw.TextField(null=True)
    updated_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "invoice_billing"
        indexes = ((("charge_state", "next_try_on"), False), (("emailed_at",), False))


class BillingRun(BaseModel):
    """One `paydesk run` pass: when, as of which day, and what it did (JSON summary)."""

    started_at = pw.DateTimeField(default=utcnow)
    finished_at = pw.DateTimeField(null=True)
    as_of = pw.DateField(null=True)
    dry_run = pw.BooleanField(default=False)
    status = pw.CharField(default="running")  # running | done | failed
    summary = pw.TextField(default="{}")
    error = pw.TextField(null=True)

    class Meta:
        table_name = "billing_run"
