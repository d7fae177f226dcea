"""`paydesk sandbox`, `paydesk pay` and `paydesk reconcile`: payments from the command line."""

from __future__ import annotations

import argparse
import getpass

from models import Invoice
from services.config import Config
from services.container import build_services
from services.payments.cards import CardView
from services.payments.payments import PaymentError
from services.payments.settle import status_words
from services.stripe_client.sandbox import (
    SandboxError,
    SandboxInfo,
    find_sandbox,
    register_webhook,
    run_foreground,
    sandbox_webhook_secret,
    stop_sandbox,
)
from tui.commands import CommandError


def register(sub: argparse._SubParsersAction) -> None:
    sandbox = sub.add_parser(
        "sandbox",
        help="run the Stripe sandbox (localstripe) of this data dir in the foreground",
        description="Without STRIPE_API_KEY paydesk uses a local Stripe sandbox, one per data "
        "dir, started in the background when needed. This runs it in the foreground instead.",
    )
    sandbox.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: a free one)")
    sandbox.add_argument("--stop", action="store_true", help="stop the background sandbox")
    sandbox.add_argument("--status", action="store_true", help="say whether one is running")
    sandbox.set_defaults(handler=cmd_sandbox)

    pay = sub.add_parser(
        "pay",
        help="pay invoices with a saved card",
        description="Charge the client's saved card for the whole balance of the invoices. "
        "Exits 0 when paid; otherwise prints why (declined, already paid, void, a payment "
        "already in flight) and exits 1.",
    )
    pay.add_argument("invoices", nargs="+", metavar="INVOICE", help="invoice number, e.g. INV-0042")
    pay.add_argument(
        "--card", default="default", help="'default' or the last four digits of a saved card"
    )
    pay.set_defaults(handler=cmd_pay)

    reconcile = sub.add_parser(
        "reconcile",
        help="settle payments left unfinished (crash, timeout) by asking Stripe",
    )
    reconcile.add_argument(
        "--min-age",
        type=float,
        default=None,
        metavar="SECONDS",
        help="leave attempts younger than this to the process paying them (default: the "
        "reconcile_min_age setting, 60; 0 after a crash when nothing else is paying)",
    )
    reconcile.add_argument(
        "--resolve",
        nargs=2,
        metavar=("PAY-…", "failed|succeeded"),
        help="settle a payment that needs review (`paydesk failures`) once you have checked "
        "the Stripe account: 'failed' (not charged) lets its invoices be paid again; "
        "'succeeded' (charged) records the payment and marks its invoices paid",
    )
    reconcile.set_defaults(handler=cmd_reconcile)


def cmd_sandbox(args: argparse.Namespace, config: Config) -> int:
    if args.stop:
        print("sandbox stopped" if stop_sandbox(config.home) else "no sandbox was running")
        return 0
    if args.status:
        info = find_sandbox(config.home)
        print(f"running at {info.url} (pid {info.pid})" if info else "not running")
        return 0
    if config.stripe_api_key:
        raise CommandError("STRIPE_API_KEY is set, so paydesk uses Stripe, not the sandbox")
    endpoint = f"{config.public_url.rstrip('/')}/webhooks/stripe"

    def register(info: SandboxInfo) -> None:
        try:
            register_webhook(info.url, endpoint, sandbox_webhook_secret(config.home))
            print(f"webhooks go to {endpoint} (`paydesk serve-web` receives them)", flush=True)
        except SandboxError as exc:
            print(f"paydesk: {exc}", flush=True)

    try:
        return run_foreground(config.home, port=args.port, on_start=register)
    except SandboxError as exc:
        raise CommandError(str(exc)) from None


def _pick_card(cards: list[CardView], choice: str, default: CardView | None) -> CardView:
    if not cards or default is None:
        raise CommandError("the client has no saved card")
    if choice == "default":
        return default
    matches = [c for c in cards if c.last4 == choice.strip()]
    if not matches:
        raise CommandError(f"no saved card ending {choice}")
    if len(matches) > 1:
        raise CommandError(f"several saved cards end {choice}; remove one or use 'default'")
    return matches[0]


def cmd_pay(args: argparse.Namespace, config: Config) -> int:
    services = build_services(config)
    invoices = []
    for number in args.invoices:
        invoice_id = services.invoices.find_by_number(number)
        if invoice_id is None:
            raise CommandError(f"no invoice {number!r} (see `paydesk invoice list`)")
        invoices.append(Invoice.get_by_id(invoice_id))
    clients = {inv.client_id for inv in invoices}
    if len(clients) > 1:
        raise CommandError("the invoices belong to different clients; pay them separately")
    client_id = clients.pop()
    cards = services.cards
    card = _pick_card(cards.list(client_id), args.card, cards.default(client_id))
    try:
        result = services.payments.pay(
            client_id, [inv.id for inv in invoices], card.id, source="cli", actor="cli"
        )
    except PaymentError as exc:
        raise CommandError(str(exc)) from None
    finally:
        services.payments.flush_receipts()
    if not result.ok:
        raise CommandError(f"{status_words(result.status)}: {result.message}")
    print(result.message)
    return 0


def _who() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no user name for this uid (a container)
        return "cli"


def cmd_resolve(reference: str, outcome: str, services) -> int:
    if outcome not in ("failed", "succeeded"):
        raise CommandError(f"--resolve {reference} {outcome}: say 'failed' or 'succeeded'")
    try:
        result = services.payments.resolve(reference, outcome, actor=_who())
    except PaymentError as exc:
        raise CommandError(str(exc)) from None
    finally:
        services.payments.flush_receipts()
    invoices = ", ".join(result.invoice_numbers)
    if result.ok:
        print(f"{result.message} Recorded for {invoices}.")
    else:
        print(f"{reference.upper()} marked not charged; {invoices} can be paid again.")
    return 0


def cmd_reconcile(args: argparse.Namespace, config: Config) -> int:
    services = build_services(config)
    if args.resolve:
        reference, outcome = args.resolve
        return cmd_resolve(reference, outcome, services)
    min_age = config.run.reconcile_min_age if args.min_age is None else args.min_age
    report = services.payments.reconcile(min_age_seconds=min_age)
    services.payments.flush_receipts()
    for line in report.lines:
        print(line)
    print(
        f"checked {report.checked}: {report.succeeded} paid, {report.failed} failed, "
        f"{report.requires_action} need 3-D Secure, {report.needs_review} need review "
        f"(see `paydesk failures`), {report.unknown} still unknown; "
        f"{report.refunds} refunds settled, {report.receipts} receipts sent"
    )
    return 0 if report.unknown == 0 and report.needs_review == 0 else 1
