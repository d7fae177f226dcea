"""Invoices, their lines, and the recurring schedules that generate them."""

from __future__ import annotations

import peewee as pw

from models.business import Business, Client
from models.db import BaseModel, utcnow
from models.states import InvoiceStatus

FREQUENCIES = ("weekly", "2weeks", "4weeks", "monthly", "2months", "3months", "6months", "yearly")
AUTOBILL_MODES = ("always", "optout", "optin", "off")


class RecurringInvoice(BaseModel):
    """A schedule that issues an invoice every period from its anchor date."""

    business = pw.ForeignKeyField(Business, on_delete="RESTRICT")
    business_id: int
    client = pw.ForeignKeyField(Client, backref="recurring_invoices", on_delete="RESTRICT")
    client_id: int
    description = pw.CharField()
    frequency = pw.CharField(default="monthly")
    anchor_date = pw.DateField()
    next_date = pw.DateField()
    end_date = pw.DateField(null=True)
    max_count = pw.IntegerField(null=True)
    generated_count = pw.IntegerField(default=0)
    due_days = pw.IntegerField(default=14)
    autobill_mode = pw.CharField(default="optout")
    # The client's own choice; only honoured where the mode lets the client choose.
    client_autobill = pw.BooleanField(default=True)
    status = pw.CharField(default="active")  # active | paused | cancelled | ended
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "recurring_invoice"


class RecurringLine(BaseModel):
    recurring = pw.ForeignKeyField(RecurringInvoice, backref="lines", on_delete="CASCADE")
    recurring_id: int
    position = pw.IntegerField(default=0)
    description = pw.CharField()
    quantity_milli = pw.IntegerField(default=1000)  # 1.000 = 1000
    unit_price = pw.BigIntegerField()  # minor units
    tax_rate_bp = pw.IntegerField(default=0)  # basis points: 825 = 8.25 %

    class Meta:
        table_name = "recurring_line"


class Invoice(BaseModel):
    """An invoice; amounts in the currency's minor units, status stored, overdue derived."""

    business = pw.ForeignKeyField(Business, on_delete="RESTRICT")
    business_id: int
    client = pw.ForeignKeyField(Client, backref="invoices", on_delete="RESTRICT")
    client_id: int
    number = pw.CharField()
    currency = pw.CharField(max_length=3)
    issue_date = pw.DateField()
    due_date = pw.DateField()
    status = pw.CharField(default=InvoiceStatus.DRAFT)
    subtotal = pw.BigIntegerField(default=0)
    tax_total = pw.BigIntegerField(default=0)
    # One discount per invoice, taken off before tax: "" (none), "percent" (value in basis
    # points: 1000 = 10 %) or "amount" (value in minor units); discount_total is what it
    # takes off the subtotal. The database's own defaults too: hand-written INSERTs name none.
    discount_kind = pw.CharField(default="", constraints=[pw.SQL("DEFAULT ''")])
    discount_value = pw.BigIntegerField(default=0, constraints=[pw.SQL("DEFAULT 0")])
    discount_total = pw.BigIntegerField(default=0, constraints=[pw.SQL("DEFAULT 0")])
    total = pw.BigIntegerField(default=0)  # subtotal − discount_total + tax_total
    amount_paid = pw.BigIntegerField(default=0)
    notes = pw.TextField(default="")
    recurring = pw.ForeignKeyField(
        RecurringInvoice, null=True, backref="invoices", on_delete="SET NULL"
    )
    recurring_id: int | None
    period_start = pw.DateField(null=True)
    autobill = pw.BooleanField(default=False)
    sent_at = pw.DateTimeField(null=True)
    paid_at = pw.DateTimeField(null=True)
    voided_at = pw.DateTimeField(null=True)
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "invoice"
        indexes = (
            (("business", "number"), True),
            (("recurring", "period_start"), True),
            (("client", "status", "due_date"), False),
        )

    @property
    def balance(self) -> int:
        return self.total - self.amount_paid


class InvoiceLine(BaseModel):
    invoice = pw.ForeignKeyField(Invoice, backref="lines", on_delete="CASCADE")
    invoice_id: int
    position = pw.IntegerField(default=0)
    description = pw.CharField()
    quantity_milli = pw.IntegerField(default=1000)
    unit_price = pw.BigIntegerField()
    tax_rate_bp = pw.IntegerField(default=0)
    amount = pw.BigIntegerField()  # quantity × unit price, rounded half-up once
    # this line's share of the invoice's discount (services.invoices.discount.spread)
    discount = pw.BigIntegerField(default=0, constraints=[pw.SQL("DEFAULT 0")])
    tax = pw.BigIntegerField(default=0)  # (amount − discount) × rate, rounded half-up once

    class Meta:
        table_name = "invoice_line"
