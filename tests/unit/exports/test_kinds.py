"""Each export read back with the csv module equals the database, on a business with more
rows than a page; the filters of the console's lists are respected; text that looks like a
formula comes back neutralised, amounts as exact numbers."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from models import Business, Client, Invoice, Payment
from models.states import InvoiceStatus
from services.console.aging import aging_rows, aging_totals
from services.console.client_list import ClientQuery, client_page
from services.console.invoice_list import InvoiceQuery, invoice_page
from services.console.payment_list import PaymentQuery, payment_page
from services.exports.csv_file import FORMULA_STARTS, write_table
from services.exports.kind import PAGE, ExportAsk, ExportRefused
from services.exports.kinds import KINDS
from tests.fixtures.volume import add_volume

TODAY = date(2026, 3, 16)
ZONE = "America/New_York"
MADE = datetime(2026, 3, 16, 15, 0)
NAMES = ["=HYPERLINK(\"http://evil\",\"pay\")", "+1 Ltd", "-minus", "@at", "\ttab", "\rcr",
         'Comma, "Quote" Ltd', "Two\nlines"]  # fmt: skip


@pytest.fixture
def business(database) -> Business:
    business = Business.create(name="B", billing_email="b@example.com", timezone=ZONE)
    add_volume(business.id, 900, 3, TODAY)  # 2,700 invoices: more than a page
    for n, name in enumerate(NAMES):
        client = Client.create(business=business, name=name, email=f"odd{n}@example.com",
                               address=f"{n}, Main St\nTown")  # fmt: skip
        Invoice.create(business=business, client=client, number=f"ODD-{n}", currency="USD",
                       issue_date=TODAY - timedelta(days=n), due_date=TODAY + timedelta(days=n),
                       status=InvoiceStatus.PARTIAL, subtotal=1001, tax_total=82, total=1083,
                       amount_paid=7, notes="=1+1" if n % 2 else "")  # fmt: skip
        Payment.create(client=client, reference=f"CHK-{n}", amount=7 + n, currency="USD",
                       amount_refunded=n % 3, method="check", method_reference="@ref",
                       created_at=datetime(2026, 3, 1, 3, 30) + timedelta(days=n))  # fmt: skip
    assert Invoice.select().count() > PAGE
    return business


def export(business: Business, kind: str, ask: ExportAsk | None = None) -> list[dict]:
    out = io.StringIO(newline="")
    table = KINDS[kind].open(business, TODAY, ask or ExportAsk())
    assert write_table(out, table, MADE) == table.total
    comment, _, body = out.getvalue().partition("\r\n")
    assert comment.startswith(f"# paydesk export of {kind}; ") and f"in {ZONE}" in comment
    return list(csv.DictReader(io.StringIO(body, newline="")))


def stored(cell: str) -> str:
    """The stored text of a neutralised cell."""
    return cell[1:] if cell.startswith("'") and cell[1:].startswith(FORMULA_STARTS) else cell


def cents(text: str) -> int:
    value = Decimal(text).scaleb(2)
    assert value == value.to_integral_value()
    return int(value)


def test_invoices_read_back_equal_the_database(business):
    rows = export(business, "invoices")
    invoices = list(Invoice.select(Invoice, Client).join(Client).order_by(Invoice.id))
    assert len(rows) == len(invoices)
    for row, inv in zip(rows, invoices, strict=True):
        assert stored(row["number"]) == inv.number
        assert stored(row["client"]) == inv.client.name
        assert row["client_email"] == inv.client.email
        owed = inv.total - inv.amount_paid
        overdue = inv.status in ("sent", "partial") and owed > 0 and inv.due_date < TODAY
        assert row["status"] == ("overdue" if overdue else inv.status)
        assert (row["issue_date"], row["due_date"]) == (str(inv.issue_date), str(inv.due_date))
        assert [cents(row[k]) for k in ("subtotal", "tax", "total", "paid", "balance")] == [
            inv.subtotal, inv.tax_total, inv.total, inv.amount_paid, owed]  # fmt: skip
        assert stored(row["notes"]) == inv.notes


def test_payments_read_back_equal_the_database(business):
    rows = export(business, "payments")
    payments = list(Payment.select(Payment, Client).join(Client).order_by(Payment.id))
    assert len(rows) == len(payments)
    for row, pay in zip(rows, payments, strict=True):
        local = pay.created_at.replace(tzinfo=UTC).astimezone(ZoneInfo(ZONE))
        assert row["received_at"] == local.isoformat(timespec="seconds")
        assert stored(row["reference"]) == pay.reference
        assert stored(row["client"]) == pay.client.name
        assert stored(row["method_reference"]) == pay.method_reference
        assert row["card"] == (f"{pay.card_brand} {pay.card_last4}" if pay.card_last4 else "")
        assert [cents(row[k]) for k in ("amount", "refunded", "net")] == [
            pay.amount, pay.amount_refunded, pay.amount - pay.amount_refunded]  # fmt: skip


def test_clients_read_back_equal_the_database_with_what_they_owe(business):
    rows = export(business, "clients")
    clients = list(Client.select().where(Client.archived == False).order_by(Client.id))  # noqa: E712
    assert len(rows) == len(clients)
    for row, client in zip(rows, clients, strict=True):
        open_ = [i for i in client.invoices if i.status in ("sent", "partial")]
        owed = sum(i.total - i.amount_paid for i in open_)
        overdue = sum(i.total - i.amount_paid for i in open_ if i.due_date < TODAY)
        assert int(row["id"]) == client.id
        assert (stored(row["name"]), row["email"]) == (client.name, client.email)
        assert row["address"] == client.address
        assert (cents(row["owed"]), cents(row["overdue"])) == (owed, overdue)


def test_formula_text_is_neutralised_and_amounts_are_not(business):
    rows = {r["client_email"]: r for r in export(business, "payments")}
    odd = [rows[f"odd{n}@example.com"] for n in range(len(NAMES))]
    assert [r["client"] for r in odd[:6]] == ["'" + name for name in NAMES[:6]]
    assert odd[6]["client"] == 'Comma, "Quote" Ltd' and odd[7]["client"] == "Two\nlines"
    assert {r["method_reference"] for r in odd} == {"'@ref"}
    assert odd[0]["net"] == "0.07" and odd[2]["refunded"] == "0.02"


def test_the_lists_filters_are_respected(business):
    b = business.id
    for query in (InvoiceQuery(filter_by="overdue"), InvoiceQuery(search="ODD-"),
                  InvoiceQuery(filter_by="paid", search="Client 0001")):  # fmt: skip
        rows = export(business, "invoices", ExportAsk(screen=query))
        assert len(rows) == invoice_page(b, TODAY, query, 0, 5000).total > 0, query
    since = date(2026, 3, 3)
    for pq in (PaymentQuery(method="offline"), PaymentQuery(status="part_refunded"),
               PaymentQuery(client="client0002"), PaymentQuery(since=since)):  # fmt: skip
        rows = export(business, "payments", ExportAsk(screen=pq))
        assert len(rows) == payment_page(b, ZONE, pq, 0, 5000).total > 0, pq
    for cq in (ClientQuery(filter_by="overdue"), ClientQuery(search="odd")):
        rows = export(business, "clients", ExportAsk(screen=cq))
        page = client_page(b, TODAY, cq, 0, 5000)
        assert [int(r["id"]) for r in rows] == sorted(r.id for r in page.rows), cq


def test_a_date_range_includes_both_its_days_in_the_business_zone(business):
    # CHK-n was received 2026-03-01 03:30 UTC + n days: the evening before, in New York.
    ask = ExportAsk(since=date(2026, 3, 2), until=date(2026, 3, 4))
    rows = export(business, "payments", ask)
    assert [r["reference"] for r in rows] == ["CHK-2", "CHK-3", "CHK-4"]
    rows = export(business, "invoices", ExportAsk(since=TODAY - timedelta(days=1), until=TODAY))
    assert {r["number"] for r in rows if r["number"].startswith("ODD")} == {"ODD-0", "ODD-1"}


def test_options_a_kind_does_not_take_are_refused():
    with pytest.raises(ExportRefused, match="clients export takes no --from/--to"):
        KINDS["clients"].check(ExportAsk(since=TODAY))
    with pytest.raises(ExportRefused, match="invoices export takes no --as-of"):
        KINDS["invoices"].check(ExportAsk(as_of=TODAY))
    with pytest.raises(ExportRefused, match="--from is after --to"):
        KINDS["payments"].check(ExportAsk(since=TODAY, until=TODAY - timedelta(days=1)))


@pytest.mark.parametrize("day", [TODAY, date(2026, 2, 10)])
def test_aging_read_back_equals_the_aging_totals(business, monkeypatch, day):
    monkeypatch.setattr("services.exports.kind.PAGE", 100)  # 900 clients: several pages
    out = io.StringIO(newline="")
    table = KINDS["aging"].open(business, day, ExportAsk(as_of=day))
    assert write_table(out, table, MADE) == table.total
    comment, _, body = out.getvalue().partition("\r\n")
    assert comment.startswith(f"# paydesk export of aging; owed at the end of {day} ")
    assert f"in {ZONE}" in comment
    rows = list(csv.DictReader(io.StringIO(body, newline="")))
    totals = aging_totals(business.id, day, ZONE)
    buckets = ("current", "days_1_30", "days_31_60", "days_61_90", "days_over_90")
    assert len(rows) == totals.clients > 100
    assert sum(cents(r["owed"]) for r in rows) == totals.owed > 0
    assert [sum(cents(r[b]) for r in rows) for b in buckets] == list(totals.buckets)
    assert sum(int(r["open_invoices"]) for r in rows) == totals.open_count
    assert [int(r["client_id"]) for r in rows] == sorted({int(r["client_id"]) for r in rows})
    assert all(cents(r["owed"]) == sum(cents(r[b]) for b in buckets) for r in rows)
    page = {r.client_id: r for r in aging_rows(business.id, day, ZONE, 0, 5000)}
    for row in rows:
        want, client = page[int(row["client_id"])], Client.get_by_id(int(row["client_id"]))
        assert (stored(row["client"]), row["email"]) == (client.name, client.email)
        assert [cents(row[b]) for b in buckets] == list(want.buckets)
    odd = {r["email"]: r for r in rows}.get("odd0@example.com")
    assert odd is None or odd["client"] == "'" + NAMES[0]


def test_aging_of_a_future_day_is_refused(business):
    with pytest.raises(ExportRefused, match="--as-of is in the future"):
        KINDS["aging"].open(business, TODAY, ExportAsk(as_of=date(2999, 1, 1)))
    with pytest.raises(ExportRefused, match="aging export takes no --from/--to"):
        KINDS["aging"].check(ExportAsk(since=TODAY))
