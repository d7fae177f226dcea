"""Many payers, one invoice: exactly one PaymentIntent confirmed and one Payment.

Threads share one process (and its connection pool); processes are real `paydesk pay`
commands. Both run on SQLite and PostgreSQL (the `db_url` fixture).
"""

from __future__ import annotations

import subprocess
import sys
import threading

from models import Payment, PaymentAllocation, db
from services.payments.payments import PaymentError
from tests.fixtures.cli import ROOT, cli_env
from tests.fixtures.payments import intents

THREADS = 8


def test_eight_threads_pay_one_invoice_once(shop, stripe_api):
    svc = shop.services
    card = svc.cards.add_test_card(shop.client_id, "success")
    invoice = shop.invoice(20_000)
    barrier = threading.Barrier(THREADS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def payer() -> None:
        try:
            barrier.wait()
            try:
                result = svc.payments.pay(shop.client_id, [invoice.id], card.id)
                outcome = result.status
            except PaymentError as exc:
                outcome = f"refused: {exc}"
            with lock:
                outcomes.append(outcome)
        finally:
            db.close()

    threads = [threading.Thread(target=payer) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)

    assert len(outcomes) == THREADS
    assert outcomes.count("succeeded") == 1, outcomes
    refused = [o for o in outcomes if o != "succeeded"]
    assert all("already paid" in o or "already in progress" in o for o in refused), refused
    at_stripe = intents(stripe_api)
    assert [i.status for i in at_stripe] == ["succeeded"]
    assert at_stripe[0].amount == 20_000
    assert Payment.select().count() == 1
    assert [a.amount for a in PaymentAllocation.select()] == [20_000]
    assert svc.invoices.get(invoice.id).status == "paid"


def test_two_processes_pay_one_invoice_once(shop, stripe_api, pay_config):
    svc = shop.services
    svc.cards.add_test_card(shop.client_id, "success")
    invoices = [shop.invoice(1_000 + i) for i in range(3)]
    env = cli_env(pay_config)
    db.close()  # the subprocesses own the database now
    for invoice in invoices:
        # Both start at once: each waits on a shared go-file before paying.
        go = pay_config.home / f"go-{invoice.id}"
        script = (
            "import os, sys, time\n"
            f"while not os.path.exists({str(go)!r}): time.sleep(0.001)\n"
            "from tui.cli import main\n"
            f"sys.exit(main(['pay', {invoice.number!r}, '--card', 'default']))\n"
        )
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", script],
                env=env,
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        go.write_text("go")
        results = [(p.wait(timeout=120), *p.communicate()) for p in procs]
        codes = sorted(code for code, _, _ in results)
        assert codes == [0, 1], results
        loser = next(err for code, _, err in results if code == 1)
        assert "already paid" in loser or "already in progress" in loser
        assert "Traceback" not in loser and len(loser.strip().splitlines()) == 1

    at_stripe = intents(stripe_api)
    assert sorted(i.amount for i in at_stripe) == [1_000, 1_001, 1_002]
    assert {i.status for i in at_stripe} == {"succeeded"}
    assert Payment.select().count() == 3
    assert {svc.invoices.get(i.id).status for i in invoices} == {"paid"}
