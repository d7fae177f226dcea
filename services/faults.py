"""Fault injection for the crash tests; does nothing unless PAYDESK_PAUSE_AT is set."""

from __future__ import annotations

import os
import time
from pathlib import Path

# Read once, when the process starts (the tests set it in the environment of the process
# they start): the paying path passes four pause points per payment.
_PAUSE_AT = os.environ.get("PAYDESK_PAUSE_AT")


def pause_point(name: str) -> None:
    """With PAYDESK_PAUSE_AT=name, write this pid to PAYDESK_PAUSE_FILE and sleep for ever.

    A test waits for the file and SIGKILLs the process exactly at this point. The file is
    written whole (renamed into place), so the test never reads it half-written.
    Points: after_insert, after_create, after_submit, after_confirm (paying),
    refund:after_create (a refund Stripe made, not yet recorded), and the
    `run:*` phases of the billing run.
    """
    if _PAUSE_AT != name:
        return
    marker = os.environ.get("PAYDESK_PAUSE_FILE")
    if marker:
        tmp = Path(f"{marker}.{os.getpid()}.tmp")
        tmp.write_text(f"{os.getpid()}\n")
        os.replace(tmp, marker)
    while True:
        time.sleep(60)
