"""`paydesk export KIND`: a CSV of invoices, payments, clients (every kind in
services/exports/kinds.py) to a file or to standard output."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from models import utcnow
from services.clock import business_today
from services.config import Config
from services.container import build_services
from services.exports.csv_file import write_file, write_table
from services.exports.kind import ExportAsk, ExportRefused
from services.exports.kinds import KINDS
from tui.commands import CommandError
from tui.commands.common import _business, _date


def register(sub: argparse._SubParsersAction) -> None:
    kinds = "; ".join(f"{k.name}: {k.help}" for k in KINDS.values())
    export = sub.add_parser(
        "export",
        help="write a CSV of invoices, payments, clients or the aging",
        description="A CSV (RFC 4180, UTF-8) whose first line, a # comment, says which rows "
        "it holds, that a --from/--to range includes both its days, and the time zone of its "
        f"days and times. Amounts are numbers in major units. Kinds: {kinds}.",
    )
    export.add_argument("kind", choices=list(KINDS), metavar="KIND", help=" | ".join(KINDS))
    export.add_argument("--from", dest="since", type=_date, metavar="DAY", help="first day")
    export.add_argument("--to", dest="until", type=_date, metavar="DAY", help="last day, included")
    export.add_argument("--as-of", dest="as_of", type=_date, metavar="DAY", help="as of this day")
    export.add_argument("-o", "--output", metavar="FILE", help="the file (default: stdout)")
    export.set_defaults(handler=cmd_export)


def cmd_export(args: argparse.Namespace, config: Config) -> int:
    kind = KINDS[args.kind]
    ask = ExportAsk(since=args.since, until=args.until, as_of=args.as_of)
    try:
        kind.check(ask)
        build_services(config)
        business = _business()
        table = kind.open(business, ask.as_of or business_today(business.timezone), ask)
    except ExportRefused as exc:
        raise CommandError(str(exc)) from None
    if args.output:
        rows = write_file(Path(args.output), table, utcnow())
        print(f"{rows:,} {table.noun} written to {args.output}", file=sys.stderr)
        return 0
    # A terminal shows stored control characters as symbols (sys.stdout does that); a pipe or
    # a redirect gets the exact file.
    out = sys.stdout if sys.stdout.isatty() else getattr(sys.stdout, "stream", sys.stdout)
    write_table(out, table, utcnow())
    return 0
