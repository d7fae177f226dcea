"""The `paydesk` command line: one clear line and a non-zero exit on any error."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
import traceback

from services.config import ConfigError, load_config
from services.errors import PaydeskError

# Each module adds its sub-commands with register(subparsers); "module:function" names another
# register function, so a module's commands can sit apart in `paydesk --help`.
COMMAND_MODULES = [
    "tui.commands.setup",
    "tui.commands.clients",
    "tui.commands.invoices",
    "tui.commands.payments",
    "tui.commands.run",
    "tui.commands.recurring",
    "tui.commands.run:register_failures",
    "tui.commands.ssh",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="paydesk", description="Self-hosted billing with a terminal kiosk."
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for entry in COMMAND_MODULES:
        name, _, function = entry.partition(":")
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue
            raise
        getattr(module, function or "register")(sub)
    return parser


def _log_crash(home) -> str:
    path = home / "paydesk-errors.log"
    with path.open("a") as out:
        out.write(traceback.format_exc())
    return str(path)


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        config = load_config()
    except ConfigError as exc:
        print(f"paydesk: {exc}", file=sys.stderr)
        return 2
    try:
        return int(args.handler(args, config) or 0)
    except PaydeskError as exc:  # CommandError and every service error a person can act on
        print(f"paydesk: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # the last guard before a traceback
        where = _log_crash(config.home)
        name = type(exc).__name__
        print(f"paydesk: unexpected error: {name} (details in {where})", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
