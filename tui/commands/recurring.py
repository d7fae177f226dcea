"""`paydesk run`, `paydesk recurring add|list|show|pause|resume|cancel`, `paydesk failures`."""

from __future__ import annotations

import argparse
import json
import logging
import re
import signal
import sys
import time
from typing import TYPE_CHECKING

from services.billing.autobill import failures
from services.billing.recurring import AUTOBILL_LABELS, RecurringError
from services.billing.run import make_runner
from services.billing.schedule import STEPS, ScheduleError
from services.config import Config
from services.container import build_services
from services.money import format_money
from tui.commands import CommandError
from tui.commands.common import _business, _date, find_client, parse_line

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

log = logging.getLogger("paydesk.run")


def register(sub: argparse._SubParsersAction) -> None:
    run = sub.add_parser(
        "run",
        help="generate, email and auto-charge recurring invoices (cron-safe)",
        description="One billing pass: reconcile unfinished payments, generate due recurring "
        "invoices (every missed period once), email them, auto-charge what is due, retry soft "
        "declines, send reminders. Safe to run as often as you like, even twice at once.",
    )
    run.add_argument("--dry-run", action="store_true", help="show what it would do; change nothing")
    run.add_argument(
        "--as-of", type=_date, default=None, metavar="DATE", help="run as if today were DATE"
    )
    run.add_argument("--json", action="store_true", help="print the summary as JSON")
    run.add_argument("--loop", action="store_true", help="keep running, one pass every --every")
    run.add_argument(
        "--every", default="5m", metavar="INTERVAL", help="loop interval: 30s, 5m, 1h (5m)"
    )
    run.set_defaults(handler=cmd_run)

    rec = sub.add_parser("recurring", help="recurring invoices").add_subparsers(
        dest="recurring_command", metavar="ACTION", required=True
    )
    add = rec.add_parser(
        "add",
        help="start a recurring invoice",
        description="Lines are DESCRIPTION=PRICE[xQTY][@TAX%]. Frequencies: "
        + ", ".join(STEPS)
        + ". Auto-bill modes: always, optout (default: charged unless the client turns it "
        "off), optin, off.",
    )
    add.add_argument("--client", required=True, help="client id or email")
    add.add_argument("--description", required=True)
    add.add_argument("--frequency", default="monthly", help="weekly, 2weeks, … yearly")
    add.add_argument("--anchor", type=_date, required=True, help="anchor date YYYY-MM-DD")
    add.add_argument("--first", type=_date, default=None, help="first period to bill (anchor)")
    add.add_argument("--end", type=_date, default=None, help="last possible period date")
    add.add_argument("--count", type=int, default=None, help="number of invoices, then stop")
    add.add_argument("--due-days", type=int, default=None, help="days to pay (business terms)")
    add.add_argument("--autobill", default="optout", choices=list(AUTOBILL_LABELS))
    add.add_argument("--line", action="append", required=True, help="DESCRIPTION=PRICE[xQTY]")
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

    fail = sub.add_parser(
        "failures", help="failed charges and emails that need attention (and pending retries)"
    )
    fail.add_argument("--json", action="store_true")
    fail.set_defaults(handler=cmd_failures)


# --- paydesk run ------------------------------------------------------------------------------


def parse_interval(text: str) -> float:
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*", text)
    if not match:
        raise CommandError(f"--every {text!r}: use a number with s, m or h, e.g. 5m")
    value = float(match[1]) * {"": 1, "s": 1, "m": 60, "h": 3600}[match[2]]
    if value < 1:
        raise CommandError("--every must be at least 1 second")
    return value


class _Progress:
    """A Rich progress bar per phase on a terminal; log lines otherwise."""

    def __init__(self, tty: bool) -> None:
        self.tty = tty
        self.bar: Progress | None = None
        self.tasks: dict[str, TaskID] = {}
        self.logged: dict[str, float] = {}

    def __enter__(self):
        if self.tty:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

            self.bar = Progress(
                TextColumn("{task.description:<10}"),
                BarColumn(),
                MofNCompleteColumn(),
                transient=False,
                console=None,
            )
            self.bar.start()
        return self

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.stop()

    def __call__(self, phase: str, done: int, total: int) -> None:
        if self.bar is not None:
            if phase not in self.tasks:
                self.tasks[phase] = self.bar.add_task(phase, total=max(total, 1))
            self.bar.update(self.tasks[phase], completed=done if total else 1, total=max(total, 1))
            return
        now = time.monotonic()
        if done == 0 or done == total or now - self.logged.get(phase, 0) >= 5:
            self.logged[phase] = now
            print(f"paydesk run: {phase} {done}/{total}", file=sys.stderr, flush=True)


def _one_pass(services, args, tty: bool) -> int:
    with _Progress(tty and not args.json) as progress:
        runner = make_runner(services, progress=progress)
        summary = runner.run(as_of=args.as_of, dry_run=args.dry_run)
    if args.json:
        print(summary.to_json())
    else:
        if args.dry_run:
            for line in summary.planned:
                print(f"  {line}")
        print(summary.line())
    return 1 if summary.errors else 0


def cmd_run(args: argparse.Namespace, config: Config) -> int:
    services = build_services(config)
    tty = sys.stdout.isatty()
    if not args.loop:
        return _one_pass(services, args, tty)
    if args.as_of or args.dry_run:
        raise CommandError("--loop runs on today's date; drop --as-of / --dry-run")
    interval = parse_interval(args.every)
    stop = {"now": False}

    def _stop(signum, frame):
        stop["now"] = True

    signal.signal(signal.SIGTERM, _stop)
    while not stop["now"]:
        try:
            _one_pass(services, args, tty)
        except Exception as exc:  # noqa: BLE001 - the daemon keeps going; the next pass retries
            log.exception("billing pass failed")
            print(f"paydesk run: pass failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        deadline = time.monotonic() + interval
        while not stop["now"] and time.monotonic() < deadline:
            time.sleep(min(1.0, deadline - time.monotonic()))
    return 0


# --- paydesk recurring ------------------------------------------------------------------------


def cmd_add(args: argparse.Namespace, config: Config) -> int:
    services = build_services(config)
    business = _business()
    client = find_client(args.client)
    lines = [parse_line(text, business.currency) for text in args.line]
    try:
        detail = services.recurring.add(
            client.id,
            args.description,
            args.frequency,
            args.anchor,
            lines,
            end_date=args.end,
            max_count=args.count,
            due_days=args.due_days,
            autobill_mode=args.autobill,
            first_date=args.first,
        )
    except (RecurringError, ScheduleError) as exc:
        raise CommandError(str(exc)) from None
    view = detail.view
    print(
        f"recurring {view.id}: {view.description} for {view.client_name}, "
        f"{view.frequency_label.lower()}, {format_money(view.amount, view.currency)}; "
        f"next {', '.join(str(d) for d in detail.upcoming[:3])}"
    )
    return 0


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


# --- paydesk failures -------------------------------------------------------------------------


def cmd_failures(args: argparse.Namespace, config: Config) -> int:
    build_services(config)
    rows = failures()
    if args.json:
        print(json.dumps([r.__dict__ for r in rows], default=str))
        return 0
    if not rows:
        print("no failed charges or emails")
        return 0
    for r in rows:
        print(
            f"{r.when}  {r.kind:<6} {r.subject:<14} {r.client[:24]:<24} {r.state:<13} "
            f"{r.reason[:60]}  → {r.next_step}"
        )
    return 0
