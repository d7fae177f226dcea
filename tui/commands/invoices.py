"""`paydesk invoice …`: issue, list and show invoices from the command line."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from datetime import date
from decimal import Decimal

from services.config import Config
from services.container import Services, build_services
from services.invoices.invoices import InvoiceError
from services.invoices.views import InvoiceSummary
from services.money import format_money
from tui.commands import CommandError
from tui.commands.common import _date, find_client, parse_line


def register(sub: argparse._SubParsersAction) -> None:
    invoice = sub.add_parser("invoice", help="add, list or show invoices").add_subparsers(
        dest="action", metavar="ACTION", required=True
    )
    add = invoice.add_parser(
        "add",
        help="issue an invoice",
        description="Lines are DESCRIPTION=PRICE[xQUANTITY][@TAX%], "
        "e.g. 'Support=95.00x3.5@8.25%'.",
    )
    add.add_argument("--client", required=True, help="client id or email")
    add.add_argument(
        "--line", action="append", required=True, help="DESCRIPTION=PRICE[xQTY][@TAX%%]"
    )
    add.add_argument("--issue", type=_date, default=None, help="issue date YYYY-MM-DD (today)")
    add.add_argument("--due", type=_date, default=None, help="due date YYYY-MM-DD")
    add.add_argument("--notes", default="")
    add.set_defaults(handler=cmd_invoice_add)
    listing = invoice.add_parser("list", help="list invoices")
    listing.add_argument("--client", help="client id or email")
    listing.add_argument("--owed", action="store_true", help="only invoices with a balance")
    listing.set_defaults(handler=cmd_invoice_list)
    show = invoice.add_parser("show", help="show one invoice")
    show.add_argument("number", help="invoice number, e.g. INV-0042")
    show.set_defaults(handler=cmd_invoice_show)


def cmd_invoice_add(args: argparse.Namespace, config: Config) -> int:
    services = build_services(config)
    client = find_client(args.client)
    currency = services.invoices.business_of_client(client.id).currency
    lines = [parse_line(text, currency) for text in args.line]
    issue = args.issue or date.today()
    if args.due and args.due < issue:
        raise CommandError("the due date is before the issue date")
    try:
        invoice = services.invoices.create(
            client.id, lines, issue_date=issue, due_date=args.due, notes=args.notes, actor="cli"
        )
    except InvoiceError as exc:
        raise CommandError(str(exc)) from exc
    print(
        f"{invoice.number}: {format_money(invoice.total, invoice.currency)} due {invoice.due_date}"
    )
    return 0


def cmd_invoice_list(args: argparse.Namespace, config: Config) -> int:
    services = build_services(config)
    clients = [find_client(args.client)] if args.client else services.clients.list()
    for client in clients:
        for inv in _all_invoices(services, client.id):
            if args.owed and not inv.payable:
                continue
            flag = " OVERDUE" if inv.overdue else ""
            print(
                f"{inv.number:<12} {client.name:<20} {inv.status:<8} "
                f"{format_money(inv.total, inv.currency):>12} "
                f"balance {format_money(inv.balance, inv.currency):>12} due {inv.due_date}{flag}"
            )
    return 0


def _all_invoices(services: Services, client_id: int) -> Iterator[InvoiceSummary]:
    offset = 0
    while page := services.invoices.list_for_client(client_id, offset=offset, limit=500):
        yield from page
        offset += len(page)


def cmd_invoice_show(args: argparse.Namespace, config: Config) -> int:
    services = build_services(config)
    invoice_id = services.invoices.find_by_number(args.number)
    if invoice_id is None:
        raise CommandError(f"no invoice {args.number!r}")
    inv = services.invoices.get(invoice_id)

    def money(amount: int) -> str:
        return format_money(amount, inv.currency, inv.locale)

    print(f"{inv.number}  {inv.status.upper()}{'  OVERDUE' if inv.overdue else ''}")
    print(f"From {inv.business.name}  To {inv.client.name} <{inv.client.email}>")
    print(f"Issued {inv.issue_date}  Due {inv.due_date}")
    for line in inv.lines:
        qty = Decimal(line.quantity_milli) / 1000
        price, amount = money(line.unit_price), money(line.amount)
        print(f"  {line.description:<40} {qty:>8} × {price:>10} = {amount:>12}")
    print(f"  {'Subtotal':<63} {money(inv.subtotal):>12}")
    print(f"  {'Tax':<63} {money(inv.tax_total):>12}")
    print(f"  {'Total':<63} {money(inv.total):>12}")
    print(f"  {'Paid':<63} {money(inv.amount_paid):>12}")
    print(f"  {'Balance due':<63} {money(inv.balance):>12}")
    return 0
