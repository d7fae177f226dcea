"""A server's log: one logger writing to a file in the data dir's logs/ and to stderr."""

from __future__ import annotations

import logging
from pathlib import Path


def log_to_file_and_stderr(name: str, path: Path, level: int = logging.INFO) -> logging.Logger:
    """Send logger `name` (not its parents) to `path` and stderr, replacing its handlers."""
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    logger = logging.getLogger(name)
    logger.setLevel(level)
    logger.propagate = False
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
    for handler in (logging.FileHandler(path), logging.StreamHandler()):
        handler.setFormatter(fmt)
        logger.addHandler(handler)
    return logger
