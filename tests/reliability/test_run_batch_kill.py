"""`paydesk run` SIGKILLed in the middle of a batch: inside the generate transaction, and
at each step of a Maildir batch delivery (claimed, written to tmp/, moved into new/) →
the next passes finish or redo the batch: exactly one invoice and one email per period."""

from __future__ import annotations

import os
import signal
import time
from datetime import date

import pytest

from models import AccessCode, EmailLog, Invoice
from services.invoices.views import LineInput
from tests.fixtures.billing_run import check_exactly_once, kill_run_at, paused_run, run_to_end

pytestmark = pytest.mark.slow

POINTS = ["run:generate_batch", "mail:claimed", "mail:written", "mail:delivered"]


@pytest.mark.parametrize("point", POINTS)
def test_killed_in_the_middle_of_a_batch(billing, pay_config, stripe_api, tmp_path, point):
    kill_run_at(pay_config, tmp_path, point)
    if point == "run:generate_batch":
        assert Invoice.select().count() == 0  # the batch's transaction was rolled back
    else:  # the invoice emails' batch was claimed: its rows wait, pending
        pending = EmailLog.select().where(EmailLog.status == "pending").count()
        assert pending == Invoice.select().count() == 9
    run_to_end(pay_config)
    run_to_end(pay_config)
    check_exactly_once(billing, stripe_api)
    assert not list((pay_config.home / "mail-claims").glob("*.claim"))
    if point == "mail:claimed":  # undone, then sent anew with a fresh code
        assert AccessCode.select().count() == 2 * Invoice.select().count()
    else:
        assert AccessCode.select().count() == Invoice.select().count()


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                stat = handle.read()
        except OSError:
            continue
        if int(stat.rpartition(")")[2].split()[1]) == pid:
            found.append(int(entry))
    return found


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rpartition(")")[2].split()[0] != "Z"
    except OSError:
        return False


def test_killed_with_a_pdf_worker_leaves_no_process_behind(shop, pay_config, tmp_path):
    """The forked PDF worker must not outlive a killed pass: it holds the pass's database
    connection (on PostgreSQL the backend, and any transaction it had open, stay alive)."""
    (pay_config.home / "paydesk.toml").write_text("reconcile_min_age = 0\npdf_workers = 1\n")
    for n in range(10):  # 30 invoice emails: enough for the PDF pool (MIN_JOBS)
        shop.services.recurring.add(
            shop.client_id, f"Plan {n}", "monthly", date(2026, 1, 10), [LineInput("S", 100)]
        )
    proc = paused_run(pay_config, tmp_path, "mail:claimed")
    workers = _children(proc.pid)
    assert workers, "the pass forked no PDF worker"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = [pid for pid in workers if _alive(pid)]
    for pid in left:
        os.kill(pid, signal.SIGKILL)  # this test's own orphans
    proc.communicate(timeout=30)  # an orphan held the pass's stdout and stderr open
    assert left == []
