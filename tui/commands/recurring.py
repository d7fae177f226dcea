"""`paydesk recurring add|list|show|pause|resume|cancel`: the owner's recurring invoices."""

from __future__ import annotations

import argparse

from services.billing.backfill import add_with_backfill
from services.billing.recurring import RecurringError
from services.billing.recurring_views import AUTOBILL_LABELS
from services.billing.schedule import STEPS, ScheduleError
from services.clock import business_today
from services.config import Config
from services.container import build_services
from services.money import format_money
from tui.commands import CommandError
from tui.commands.common import _business, _date, find_client, parse_line


def register(sub: argparse._SubParsersAction) -> None:
    rec = sub.add_parser("recurring", help="recurring invoices").add_subparsers(
        dest="recurring_command", metavar="ACTION", required=True
    )
    add = rec.add_parser(
        "add",
        help="start a recurring invoice",
        description="Lines are DESCRIPTION=PRICE[xQTY][@TAX%]. Frequencies: "
        + ", ".join(STEPS)
        + ". Auto-bill modes: always, optout (charged unless the client turns it off: the "
        "default unless the console's Settings say otherwise), optin, off.",
    )
    add.add_argument("--client", required=True, help="client id or email")
    add.add_argument("--description", required=True)
    add.add_argument("--frequency", default="monthly", help="weekly, 2weeks, … yearly")
    add.add_argument("--anchor", type=_date, required=True, help="anchor date YYYY-MM-DD")
    add.add_argument("--first", type=_date, default=None, help="first period to bill (anchor)")
    add.add_argument("--end", type=_date, default=None, help="last possible period date")
    add.add_argument("--count", type=int, default=None, help="number of invoices, then stop")
    add.add_argument("--due-days", type=int, default=None, help="days to pay (business terms)")
    add.add_argument("--autobill", default=None, choices=list(AUTOBILL_LABELS))
    add.add_argument("--line", action="append", required=True, help="DESCRIPTION=PRICE[xQTY]")
    add.add_argument(
        "--backfill",
        nargs="?",
        const="email",
        choices=["email", "charge"],
        default=None,
        help="with a first period in the past: bill the past periods too, now (emailed as past "
        "due by the next run, not auto-charged; `--backfill charge` auto-charges them too). "
        "Without it, billing starts at the next period.",
    )
    add.set_defaults(handler=cmd_add)
    listing = rec.add_parser("list", help="list recurring invoices")
    listing.add_argument("--client", help="client id or email")
    listing.add_argument("--all", action="store_true", help="include cancelled ones")
    listing.set_defaults(handler=cmd_list)
    for name, text in (
        ("show", "show one, with its next 6 dates"),
        ("pause", "pause (no invoices until resumed)"),
        ("resume", "resume from the next period on or after today"),
        ("cancel", "cancel for good"),
    ):
        p = rec.add_parser(name, help=text)
        p.add_argument("id", type=int)
        p.set_defaults(handler=cmd_action, action=name)


# --- paydesk recurring ------------------------------------------------------------------------


def cmd_add(args: argparse.Namespace, config: Config) -> int:
    services = build_services(config)
    business = _business()
    client = find_client(args.client)
    lines = [parse_line(text, business.currency) for text in args.line]
    today = business_today(business.timezone)
    start = args.first or args.anchor
    past = start < today
    if args.backfill and not past:
        raise CommandError(
            f"--backfill: the first period ({start}) is not in the past; nothing to back-fill"
        )
    schedule = {
        "client_id": client.id,
        "description": args.description,
        "frequency": args.frequency,
        "anchor_date": args.anchor,
        "lines": lines,
        "end_date": args.end,
        "max_count": args.count,
        "due_days": args.due_days,
        "autobill_mode": args.autobill,
        # A past start without --backfill: the next period on or after today.
        "first_date": today if past and not args.backfill else args.first,
    }
    backfilled: list[str] = []
    try:
        if args.backfill:
            detail, backfilled = add_with_backfill(
                services.recurring, today, args.backfill == "charge", **schedule
            )
        else:
            detail = services.recurring.add(**schedule)
    except (RecurringError, ScheduleError) as exc:
        raise CommandError(str(exc)) from None
    view = detail.view
    print(
        f"recurring {view.id}: {view.description} for {view.client_name}, "
        f"{view.frequency_label.lower()}, {format_money(view.amount, view.currency)}; "
        f"next {', '.join(str(d) for d in detail.upcoming[:3])}"
    )
    if past and not args.backfill:
        print(
            f"  {start} is in the past: billing starts with the next period, not before; "
            "give --backfill to bill the past periods too"
        )
    elif backfilled:
        charged = (
            "and auto-charged"
            if args.backfill == "charge"
            else "not auto-charged (--backfill charge would)"
        )
        print(
            f"  back-filled {len(backfilled)} past period(s): {_span(backfilled)}, emailed as "
            f"past due by the next `paydesk run`, {charged}"
        )
    return 0


def _span(numbers: list[str]) -> str:
    return numbers[0] if len(numbers) == 1 else f"{numbers[0]} … {numbers[-1]}"


def cmd_list(args: argparse.Namespace, config: Config) -> int:
    services = build_services(config)
    client_id = find_client(args.client).id if args.client else None
    rows = services.recurring.list(client_id, include_cancelled=args.all)
    if not rows:
        print("no recurring invoices")
        return 0
    for v in rows:
        auto = "auto-bill on" if v.autobill_enabled else "auto-bill off"
        print(
            f"{v.id:>4}  {v.status:<9} {v.client_name[:20]:<20} {v.description[:28]:<28} "
            f"{v.frequency_label:<15} {format_money(v.amount, v.currency):>12}  "
            f"next {v.next_date or '-'}  {auto} ({v.autobill_mode})"
        )
    return 0


def cmd_action(args: argparse.Namespace, config: Config) -> int:
    services = build_services(config)
    rec = services.recurring
    try:
        if args.action == "show":
            _show(rec.show(args.id))
        elif args.action == "pause":
            rec.pause(args.id)
            print(f"recurring {args.id} paused")
        elif args.action == "resume":
            nxt = rec.resume(args.id)
            print(f"recurring {args.id} resumed; next invoice {nxt}")
        elif args.action == "cancel":
            rec.cancel(args.id)
            print(f"recurring {args.id} cancelled")
    except RecurringError as exc:
        raise CommandError(str(exc)) from None
    return 0


def _show(detail) -> None:
    v = detail.view
    print(f"recurring {v.id}: {v.description}")
    print(f"  client     {v.client_name}")
    print(f"  status     {v.status}")
    print(f"  frequency  {v.frequency_label} from {detail.anchor_date}")
    if detail.end_date or detail.max_count:
        limits = []
        if detail.end_date:
            limits.append(f"until {detail.end_date}")
        if detail.max_count:
            limits.append(f"{detail.max_count} invoices ({detail.generated_count} made)")
        print(f"  ends       {', '.join(limits)}")
    print(f"  amount     {format_money(v.amount, v.currency)} (due after {detail.due_days} days)")
    state = "on" if v.autobill_enabled else "off"
    print(f"  auto-bill  {state} — mode {v.autobill_mode}: {AUTOBILL_LABELS[v.autobill_mode]}")
    for line in detail.lines:
        qty = line.quantity_milli / 1000
        print(
            f"  line       {line.description} {qty:g} × {format_money(line.unit_price, v.currency)}"
        )
    if detail.upcoming:
        print("  next dates " + ", ".join(str(d) for d in detail.upcoming))
    for number, period, status in detail.invoices:
        print(f"  invoice    {number} for {period} ({status})")
