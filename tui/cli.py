"""The `paydesk` command line: one clear line and a non-zero exit on any error."""

from __future__ import annotations

import argparse
import importlib
import io
import logging
import os
import sys
import traceback
from typing import TextIO

from services import data_dir
from services.config import load_config
from services.errors import PaydeskError
from services.text import visible
from tui.cli_output import VisibleOutput

# Each module adds its sub-commands with register(subparsers); "module:function" names another
# register function, so a module's commands can sit apart in `paydesk --help`.
COMMAND_MODULES = [
    "tui.commands.setup",
    "tui.commands.admin",
    "tui.commands.clients",
    "tui.commands.invoices",
    "tui.commands.payments",
    "tui.commands.exports",
    "tui.commands.run",
    "tui.commands.recurring",
    "tui.commands.run:register_failures",
    "tui.commands.ssh",
    "tui.commands.web",
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
    stdout, sys.stdout = sys.stdout, VisibleOutput(sys.stdout)  # stored text may hold ESC …
    try:
        with data_dir.private_files():  # whatever the umask: the data dir is the owner's alone
            code = _run(args)
        sys.stdout.flush()
        return code
    except BrokenPipeError:  # `paydesk … | head` stopped reading: end quietly, as Unix tools do
        return _reader_gone(stdout)
    finally:
        sys.stdout = stdout


def _reader_gone(stdout: TextIO) -> int:
    """Exit 141 (128 + SIGPIPE, what a shell sees of a tool killed by it), with nothing left
    to flush into the closed pipe at exit."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), stdout.fileno())
    except (OSError, ValueError, io.UnsupportedOperation):
        pass
    return 141


def _run(args: argparse.Namespace) -> int:
    try:
        config = load_config()
        data_dir.check_writable(config.home)
    except PaydeskError as exc:  # a wrong setting, a data dir that cannot be written
        print(f"paydesk: {exc}", file=sys.stderr)
        return 2
    warning = data_dir.make_private(config.home)
    if warning:
        print(f"paydesk: warning: {warning}", file=sys.stderr)
    try:
        return int(args.handler(args, config) or 0)
    except PaydeskError as exc:  # CommandError and every service error a person can act on
        print(f"paydesk: {visible(str(exc))}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        raise  # main() ends quietly
    except Exception as exc:  # the last guard before a traceback
        where = _log_crash(config.home)
        name = type(exc).__name__
        print(f"paydesk: unexpected error: {name} (details in {where})", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
