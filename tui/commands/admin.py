"""`paydesk admin`: the owner's console in this terminal."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from services.config import Config
from services.container import build_services
from tui.commands import CommandError


def register(sub: argparse._SubParsersAction) -> None:
    admin = sub.add_parser("admin", help="open the owner's console in this terminal")
    admin.set_defaults(handler=cmd_admin)


def cmd_admin(args: argparse.Namespace, config: Config) -> int:
    if not sys.stdout.isatty():
        raise CommandError("the console needs a terminal (run it in a terminal or with ssh -t)")
    from tui.admin_app import make_admin_app

    app = make_admin_app(build_services(config))
    with log_to_file(config.home / "logs" / "admin.log"):
        app.run()
    return int(app.return_code or 0)


@contextmanager
def log_to_file(path: Path) -> Iterator[None]:
    """While the console draws, log lines go to `path`, never onto the terminal."""
    path.parent.mkdir(parents=True, exist_ok=True)
    root = logging.getLogger()
    saved = root.handlers[:]
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.handlers = [handler]
    try:
        yield
    finally:
        root.handlers = saved
        handler.close()
