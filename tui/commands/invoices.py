"""`paydesk invoice …`: issue, list and show invoices from the command line."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from decimal import Decimal

from models.states import InvoiceStatus
from services.billing.sending import InvoiceSender
from services.config import Config
from services.container import Services, build_services
from services.emails.billing import Door
from services.invoices.discount import parse_discount
from services.invoices.invoices import InvoiceError
from services.invoices.views import InvoiceSummary, total_rows
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
    add.add_argument(
        "--discount",
        default="",
        help="off the subtotal before tax: a percentage (10%%) or an amount (25.00)",
    )
    add.add_argument(
        "--draft",
        action="store_true",
        help="keep it as a draft, not emailed (send it later with `paydesk invoice send`)",
    )
    add.set_defaults(handler=cmd_invoice_add)
    listing = invoice.add_parser("list", help="list invoices")
    listing.add_argument("--client", help="client id or email")
    listing.add_argument("--owed", action="store_true", help="only invoices with a balance")
    listing.set_defaults(handler=cmd_invoice_list)
    show = invoice.add_parser("show", help="show one invoice")
    show.add_argument("number", help="invoice number, e.g. INV-0042")
    show.set_defaults(handler=cmd_invoice_show)
    send = invoice.add_parser(
        "send",
        help="email an invoice (a draft, or one whose email failed); again: a copy",
        description="Emails the invoice to its client with a [View Invoice] code and the PDF. "
        "A draft becomes sent once its email went out. An invoice emailed before gets a copy "
        "with a new code.",
    )
    send.add_argument("number", help="invoice number, e.g. INV-0042")
    send.set_defaults(handler=cmd_invoice_send)


def cmd_invoice_add(args: argparse.Namespace, config: Config) -> int:
    services = build_services(config)
    client = find_client(args.client)
    currency = services.invoices.business_of_client(client.id).currency
    lines = [parse_line(text, currency) for text in args.line]
    issue = args.issue or services.invoices.today_for_client(client.id)
    discount, problem = parse_discount(args.discount, currency)
    if discount is None:
        raise CommandError(problem)
    try:
        invoice = services.invoices.create(
            client.id,
            lines,
            issue_date=issue,
            due_date=args.due,
            notes=args.notes,
            status=InvoiceStatus.DRAFT,  # sent once its email went out
            actor="cli",
            discount=discount,
        )
    except InvoiceError as exc:
        raise CommandError(str(exc)) from exc
    money = format_money(invoice.total, invoice.currency)
    head = f"{invoice.number}: {money} due {invoice.due_date}"
    if args.draft:
        print(f"{head}, a draft: `paydesk invoice send {invoice.number}` emails it")
        return 0
    return _send(services, invoice.id, head)


def cmd_invoice_send(args: argparse.Namespace, config: Config) -> int:
    services = build_services(config)
    invoice_id = services.invoices.find_by_number(args.number)
    if invoice_id is None:
        raise CommandError(f"no invoice {args.number!r}")
    return _send(services, invoice_id, services.invoices.get(invoice_id).number)


def _send(services: Services, invoice_id: int, head: str) -> int:
    sender = InvoiceSender(services.mailer, services.codes, Door.stored(services.config))
    try:
        sent = sender.send(invoice_id)
    except InvoiceError as exc:
        raise CommandError(str(exc)) from exc
    if sent.sent:
        print(f"{head}, {'a copy ' if sent.copy else ''}emailed to {sent.to}")
        return 0
    left = "" if sent.copy else ", left unsent (a draft)"
    raise CommandError(
        f"{head}: the email to {sent.to} could not be sent ({sent.error}){left}; "
        f"`paydesk invoice send {sent.number}` or the next `paydesk run` tries again"
    )


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
    yield from services.invoices.drafts_of(client_id)  # the owner sees what is not sent yet
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
    for label, figure in total_rows(inv):
        print(f"  {label:<63} {money(figure):>12}")
    print(f"  {'Paid':<63} {money(inv.amount_paid):>12}")
    print(f"  {'Balance due':<63} {money(inv.balance):>12}")
    return 0
