"""The business, its clients and the people who log in."""

from __future__ import annotations

import peewee as pw

from models.db import BaseModel, utcnow


class Business(BaseModel):
    """Settings of the business that sends the invoices."""

    name = pw.CharField()
    currency = pw.CharField(max_length=3, default="USD")
    timezone = pw.CharField(default="UTC")
    locale = pw.CharField(default="en_US")
    invoice_prefix = pw.CharField(default="INV-")
    next_invoice_number = pw.IntegerField(default=1)
    billing_email = pw.CharField()
    address = pw.TextField(default="")
    # "due": auto-charge on the due date; "issue": on the day the invoice is issued.
    autobill_on = pw.CharField(default="due")
    payment_terms_days = pw.IntegerField(default=14)
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "business"


class Client(BaseModel):
    """A customer of the business; owns invoices, cards and contacts."""

    business = pw.ForeignKeyField(Business, backref="clients", on_delete="RESTRICT")
    business_id: int
    name = pw.CharField()
    email = pw.CharField()
    address = pw.TextField(default="")
    stripe_customer_id = pw.CharField(null=True, unique=True)
    archived = pw.BooleanField(default=False)
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "client"


class Contact(BaseModel):
    """A person who can log in: a client's contact, or the owner (role admin)."""

    business = pw.ForeignKeyField(Business, backref="contacts", on_delete="RESTRICT")
    business_id: int
    client = pw.ForeignKeyField(Client, backref="contacts", null=True, on_delete="RESTRICT")
    client_id: int | None
    email = pw.CharField(unique=True)  # stored lower-cased
    name = pw.CharField(default="")
    password_hash = pw.CharField(null=True)
    role = pw.CharField(default="client")  # client | admin
    disabled = pw.BooleanField(default=False)
    failed_logins = pw.IntegerField(default=0)
    locked_until = pw.DateTimeField(null=True)
    last_login_at = pw.DateTimeField(null=True)
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "contact"
