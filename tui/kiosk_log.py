"""While the kiosk draws the terminal, log records go to the error log file, never to it."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ERROR_LOG = "paydesk-errors.log"


@contextmanager
def logging_to_error_log(home: Path) -> Iterator[Path]:
    """Send the root logger to `home`/paydesk-errors.log (a worker's trace included) for as
    long as the kiosk owns the terminal; the handlers it had come back afterwards."""
    path = home / ERROR_LOG
    path.touch(mode=0o600, exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    saved = root.handlers[:]
    root.handlers = [handler]
    try:
        yield path
    finally:
        root.handlers = saved
        handler.close()
