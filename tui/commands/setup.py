"""`paydesk init`, `paydesk demo`, `paydesk kiosk`: set up a data dir and open the kiosk."""

from __future__ import annotations

import argparse
import getpass
import sys

from models import Business, db
from services.accounts.identity import AccountError, normalize_email, valid_email
from services.config import Config
from services.container import Services, build_services
from services.text import refuse_controls
from tui.commands import CommandError


def register(sub: argparse._SubParsersAction) -> None:
    init = sub.add_parser("init", help="create the database and the business settings")
    init.add_argument("--business", required=True, help="the business's name")
    init.add_argument("--billing-email", required=True, help="address invoices are sent from")
    init.add_argument("--currency", default="USD", help="ISO 4217 code (default USD)")
    init.add_argument("--timezone", default="UTC", help="IANA time zone (default UTC)")
    init.add_argument("--locale", default="en_US", help="for amounts and dates (default en_US)")
    init.add_argument("--owner-email", help="create an owner login with this email")
    init.add_argument(
        "--password-stdin", action="store_true", help="read the owner's password from stdin"
    )
    init.set_defaults(handler=cmd_init)

    demo = sub.add_parser("demo", help="seed the demo data if absent, then open the kiosk")
    demo.add_argument("--seed-only", action="store_true", help="seed and exit")
    demo.set_defaults(handler=cmd_demo)

    kiosk = sub.add_parser("kiosk", help="open the client kiosk in this terminal")
    kiosk.add_argument("--code", help="open the invoice of this [View Invoice] code")
    kiosk.set_defaults(handler=cmd_kiosk)


def cmd_init(args: argparse.Namespace, config: Config) -> int:
    services = build_services(config)
    if Business.select().exists():
        raise CommandError(f"{config.home} already has a business; nothing changed")
    given = {"--business": args.business, "--billing-email": args.billing_email}
    refuse_controls(CommandError, given)
    from babel import Locale, UnknownLocaleError
    from babel.numbers import get_currency_name

    try:
        Locale.parse(args.locale)
    except (ValueError, UnknownLocaleError) as exc:
        raise CommandError(f"unknown locale {args.locale!r}") from exc
    currency = args.currency.upper()
    if get_currency_name(currency) == currency:
        raise CommandError(f"unknown currency {args.currency!r}")
    timezone = _check_timezone(args.timezone)
    password = None
    if args.owner_email:  # checked before anything is created: init cannot be run twice
        if not valid_email(normalize_email(args.owner_email)):
            raise CommandError(f"owner email {args.owner_email!r}: Enter a valid email address.")
        password = _read_password(args.password_stdin)
        problem = services.accounts.check_password_policy(password)
        if problem:
            raise CommandError(problem)
    try:
        with db.atomic():
            business = Business.create(
                name=args.business,
                billing_email=args.billing_email,
                currency=currency,
                timezone=timezone,
                locale=args.locale,
            )
            if args.owner_email and password is not None:
                services.accounts.create_contact(
                    business.id, None, args.owner_email, password, role="admin", name="Owner"
                )
    except AccountError as exc:
        raise CommandError(exc.message) from None
    print(f"paydesk: created {business.name} in {config.home}")
    if args.owner_email:
        print(f"paydesk: owner login {args.owner_email.lower()} created")
    return 0


def _check_timezone(name: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise CommandError(f"unknown time zone {name!r}") from exc
    return name


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Owner password: ")
    if first != getpass.getpass("Again: "):
        raise CommandError("the two passwords differ")
    return first


def cmd_demo(args: argparse.Namespace, config: Config) -> int:
    from services.demo import DEMO_CLIENT_EMAIL, DEMO_CLIENT_PASSWORD, seed_demo

    services = build_services(config)
    if seed_demo(services):
        print(f"paydesk: demo data seeded in {config.home}")
    if args.seed_only:
        print(f"paydesk: log in as {DEMO_CLIENT_EMAIL} / {DEMO_CLIENT_PASSWORD}")
        return 0
    return _run_kiosk(services, None)


def cmd_kiosk(args: argparse.Namespace, config: Config) -> int:
    return _run_kiosk(build_services(config), args.code)


def _run_kiosk(services: Services, code: str | None) -> int:
    if not sys.stdout.isatty():
        raise CommandError("the kiosk needs a terminal (run it in a terminal or with ssh -t)")
    from tui.kiosk_app import make_kiosk_app
    from tui.kiosk_log import logging_to_error_log

    app = make_kiosk_app(services, start_code=code)
    with logging_to_error_log(services.config.home):
        app.run()
    return int(app.return_code or 0)
