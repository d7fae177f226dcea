"""The invoice page's reads written out (models.run_sql): a GET of `/i/CODE` is six short
statements (the code's two in services/accounts/access_codes.py, then these three or four).

Through Peewee's query compiler the same reads cost ≈ 5 ms of sync work per GET on the
shared 2-core machine, which 50 concurrent clients turned into ≈ 300 ms of queueing
(bench/web.py); running them costs tens of µs. The views are built by the same code as
InvoiceService.get and CardService.list (`detail_of`, `view_of`).
"""

from __future__ import annotations

from models import Business, Client, Invoice, InvoiceLine, PaymentMethod, run_sql
from models.states import AttemptStatus
from services.clock import business_today
from services.invoices.views import InvoiceDetail, detail_of
from services.payments.cards import CardView, view_of
from services.sql_rows import as_model, columns_of

_INVOICE = (
    f"SELECT {columns_of(Invoice, 'i')}, {columns_of(Business, 'b')}, {columns_of(Client, 'c')}"
    " FROM invoice i JOIN business b ON b.id = i.business_id JOIN client c ON c.id = i.client_id"
    " WHERE i.id = ?"
)
_LINES = (
    f"SELECT {columns_of(InvoiceLine, 'l')} FROM invoice_line l WHERE l.invoice_id = ?"
    " ORDER BY l.position"
)
# CardService.list's order (CARD_ORDER): the default first, then the newest.
_CARDS = (
    f"SELECT {columns_of(PaymentMethod, 'p')} FROM payment_method p WHERE p.client_id = ?"
    " ORDER BY p.is_default DESC, p.id DESC"
)
_WAITING = (
    "SELECT a.id FROM payment_attempt a JOIN attempt_invoice ai ON ai.attempt_id = a.id"
    " WHERE ai.invoice_id = ? AND a.status = ? AND a.stripe_intent_id IS NOT NULL"
    " ORDER BY a.id DESC LIMIT 1"
)
_INVOICE_END = len(Invoice._meta.sorted_fields)
_BUSINESS_END = _INVOICE_END + len(Business._meta.sorted_fields)


def invoice_detail(invoice_id: int) -> InvoiceDetail | None:
    """What InvoiceService.get(invoice_id) gives, in two statements; None if there is none."""
    row = run_sql(_INVOICE, (invoice_id,)).fetchone()
    if row is None:
        return None
    invoice = as_model(Invoice, row)
    business = as_model(Business, row, _INVOICE_END)
    client = as_model(Client, row, _BUSINESS_END)
    lines = [as_model(InvoiceLine, line) for line in run_sql(_LINES, (invoice_id,))]
    return detail_of(invoice, business, client, lines, business_today(business.timezone))


def cards_of(client_id: int) -> list[CardView]:
    """CardService.list(client_id), in one statement."""
    return [view_of(as_model(PaymentMethod, row)) for row in run_sql(_CARDS, (client_id,))]


def waiting_attempt(invoice_id: int) -> int | None:
    """The newest attempt for the invoice waiting for the bank (3-D Secure), if any."""
    row = run_sql(_WAITING, (invoice_id, str(AttemptStatus.REQUIRES_ACTION))).fetchone()
    return int(row[0]) if row else None
