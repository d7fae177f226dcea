"""`paydesk run` SIGKILLed in the middle of a batch: inside the generate transaction, and
at each step of a Maildir batch delivery (claimed, written to tmp/, moved into new/) →
the next passes finish or redo the batch: exactly one invoice and one email per period."""

# ruff: noqa: F811  (pytest fixtures are imported by name)

from __future__ import annotations

import os
import signal
import time

import pytest
from test_run_idempotency import (  # noqa: F401
    _check_exactly_once,
    _run,
    _start,
    billing,
)

from models import AccessCode, EmailLog, Invoice

pytestmark = pytest.mark.slow

POINTS = ["run:generate_batch", "mail:claimed", "mail:written", "mail:delivered"]


def _kill_at(config, tmp_path, point):
    marker = tmp_path / "paused"
    proc = _start(config, pause_at=point, marker=marker)
    deadline = time.monotonic() + 120
    while not marker.exists():
        assert proc.poll() is None, proc.communicate()[1]
        assert time.monotonic() < deadline, f"never reached {point}"
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)


@pytest.mark.parametrize("point", POINTS)
def test_killed_in_the_middle_of_a_batch(billing, pay_config, stripe_api, tmp_path, point):
    _kill_at(pay_config, tmp_path, point)
    if point == "run:generate_batch":
        assert Invoice.select().count() == 0  # the batch's transaction was rolled back
    else:  # the invoice emails' batch was claimed: its rows wait, pending
        pending = EmailLog.select().where(EmailLog.status == "pending").count()
        assert pending == Invoice.select().count() == 9
    _run(pay_config)
    _run(pay_config)
    _check_exactly_once(billing, stripe_api)
    assert not list((pay_config.home / "mail-claims").glob("*.claim"))
    if point == "mail:claimed":  # undone, then sent anew with a fresh code
        assert AccessCode.select().count() == 2 * Invoice.select().count()
    else:
        assert AccessCode.select().count() == Invoice.select().count()
