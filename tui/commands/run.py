"""`paydesk run` (one billing pass, or a loop of them) and `paydesk failures`."""

from __future__ import annotations

import argparse
import json
import logging
import re
import signal
import sys
import time
from typing import TYPE_CHECKING

from services.config import Config
from services.container import Services, build_services
from services.doors.run import BillingRunDoor
from tui.commands import CommandError
from tui.commands.common import _date

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


def register_failures(sub: argparse._SubParsersAction) -> None:
    """`paydesk failures`, listed after `paydesk recurring` in the help."""
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


def _one_pass(services: Services, args: argparse.Namespace, tty: bool) -> int:
    with _Progress(tty and not args.json) as progress:
        summary = BillingRunDoor(services).run_pass(args.as_of, args.dry_run, progress)
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


# --- paydesk failures -------------------------------------------------------------------------


def cmd_failures(args: argparse.Namespace, config: Config) -> int:
    rows = BillingRunDoor(build_services(config)).failures()
    if args.json:
        print(json.dumps([r.__dict__ for r in rows], default=str))
        return 0
    if not rows:
        print("no failed charges or emails")
        return 0
    for r in rows:
        print(
            f"{r.when}  {r.kind:<6} {r.subject:<14} {r.client[:24]:<24} {r.state_words:<13} "
            f"{r.reason[:60]}  → {r.next_step}"
        )
    return 0
