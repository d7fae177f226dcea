"""`paydesk client …` and `paydesk invoice …`: clients and invoices from the command line."""

from __future__ import annotations

import argparse
import re
from datetime import date
from decimal import Decimal, InvalidOperation

from models import Business, Client, Contact, db
from services.accounts.accounts import AccountError, valid_email
from services.config import Config
from services.container import Services, build_services
from services.invoices.invoices import InvoiceError, LineInput
from services.money import Money, format_money
from tui.commands import CommandError

LINE_FORMAT = re.compile(
    r"^(?P<desc>.+?)=(?P<price>[0-9.,]+)(?:x(?P<qty>[0-9.]+))?(?:@(?P<tax>[0-9.]+)%)?$"
)


def register(sub: argparse._SubParsersAction) -> None:
    client = sub.add_parser("client", help="add or list clients").add_subparsers(
        dest="action", metavar="ACTION", required=True
    )
    add = client.add_parser("add", help="add a client (and its login)")
    add.add_argument("--name", required=True)
    add.add_argument("--email", required=True, help="billing email, also the login")
    add.add_argument("--password-stdin", action="store_true", help="create a login; read stdin")
    add.set_defaults(handler=cmd_client_add)
    client.add_parser("list", help="list clients").set_defaults(handler=cmd_client_list)

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


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-01-31") from exc


def _business() -> Business:
    business = Business.select().order_by(Business.id).first()
    if business is None:
        raise CommandError("no business yet: run `paydesk init` (or `paydesk demo --seed-only`)")
    return business


def find_client(ref: str) -> Client:
    query = Client.id == int(ref) if ref.isdigit() else Client.email == ref.strip().lower()
    client = Client.get_or_none(query)
    if client is None:
        raise CommandError(f"no client {ref!r} (see `paydesk client list`)")
    return client


def cmd_client_add(args: argparse.Namespace, config: Config) -> int:
    services = build_services(config)
    business = _business()
    email = args.email.strip().lower()
    if Contact.select().where(Contact.email == email).exists():
        raise CommandError(f"{email} already has a login")
    if not valid_email(email):
        raise CommandError(f"{args.email!r}: Enter a valid email address.")
    password = None
    if args.password_stdin:
        import sys

        password = sys.stdin.readline().rstrip("\n")
        problem = services.accounts.check_password_policy(password)
        if problem:
            raise CommandError(problem)
    try:
        with db.atomic():
            client = Client.create(business=business, name=args.name, email=email)
            if password is not None:
                services.accounts.create_contact(
                    business.id, client.id, email, password, name=args.name
                )
    except AccountError as exc:
        raise CommandError(exc.message) from None
    print(f"client {client.id}: {client.name} <{email}>{' with login' if password else ''}")
    return 0


def cmd_client_list(args: argparse.Namespace, config: Config) -> int:
    build_services(config)
    for client in Client.select().order_by(Client.id):
        print(f"{client.id:>5}  {client.name}  <{client.email}>")
    return 0


def parse_line(text: str, currency: str) -> LineInput:
    match = LINE_FORMAT.match(text.strip())
    if not match:
        raise CommandError(f"line {text!r}: expected DESCRIPTION=PRICE[xQUANTITY][@TAX%]")
    try:
        price = Money.parse(match["price"], currency).amount
        qty = Decimal(match["qty"] or "1")
        tax = Decimal(match["tax"] or "0")
    except (ValueError, InvalidOperation) as exc:
        raise CommandError(f"line {text!r}: {exc}") from exc
    qty_milli, tax_bp = qty * 1000, tax * 100
    if qty_milli != int(qty_milli) or tax_bp != int(tax_bp) or qty <= 0:
        raise CommandError(f"line {text!r}: quantity takes 3 decimals, tax 2, quantity > 0")
    return LineInput(match["desc"].strip(), price, int(qty_milli), int(tax_bp))


def cmd_invoice_add(args: argparse.Namespace, config: Config) -> int:
    services = build_services(config)
    client = find_client(args.client)
    currency = Business.get_by_id(client.business_id).currency
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
    clients = [find_client(args.client)] if args.client else list(Client.select())
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


def _all_invoices(services: Services, client_id: int):
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
