"""Peewee models and database set-up. No business rules, no Textual."""

from models.billing import (
    AUTOBILL_MODES,
    FREQUENCIES,
    Invoice,
    InvoiceLine,
    RecurringInvoice,
    RecurringLine,
)
from models.billing_state import (
    CHARGE_WAITING,
    BillingRun,
    InvoiceBilling,
)
from models.business import Business, Client, Contact
from models.db import (
    BaseModel,
    db,
    is_sqlite,
    lock_rows,
    placeholders,
    run_sql,
    utcnow,
    write_lock,
)
from models.mail import EmailAttempt, EmailLog, EmailText
from models.payments import (
    IN_FLIGHT,
    AttemptInvoice,
    CardLink,
    Payment,
    PaymentAllocation,
    PaymentAttempt,
    PaymentMethod,
    Refund,
    WebhookEvent,
)
from models.schema import SCHEMA_VERSION, SchemaError, init_database, migrate, schema_version
from models.security import AccessCode, AuditLog, PasswordReset, Throttle
from models.settings import StoredSetting

__all__ = [
    "AUTOBILL_MODES",
    "FREQUENCIES",
    "IN_FLIGHT",
    "SCHEMA_VERSION",
    "AccessCode",
    "AttemptInvoice",
    "BillingRun",
    "CardLink",
    "CHARGE_WAITING",
    "AuditLog",
    "BaseModel",
    "Business",
    "Client",
    "Contact",
    "EmailAttempt",
    "EmailLog",
    "EmailText",
    "Invoice",
    "InvoiceBilling",
    "InvoiceLine",
    "PasswordReset",
    "Payment",
    "PaymentAllocation",
    "PaymentAttempt",
    "PaymentMethod",
    "RecurringInvoice",
    "RecurringLine",
    "Refund",
    "SchemaError",
    "StoredSetting",
    "Throttle",
    "WebhookEvent",
    "db",
    "init_database",
    "is_sqlite",
    "lock_rows",
    "placeholders",
    "run_sql",
    "migrate",
    "schema_version",
    "utcnow",
    "write_lock",
]
