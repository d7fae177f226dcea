"""Benchmark: one `paydesk run` pass with N recurring invoices due at once.

Sets up N recurring invoices (auto-bill on, default card, due the day they are issued) and
runs one pass: generate N invoices, email N (PDF attached, Maildir outbox), charge N through
`PaymentService.pay`. Prints each phase's time, own time and SQL statements per invoice,
the time the receipts took (sent together after the charges), the time spent inside
Stripe calls (measured around every SDK call), paydesk's own time per invoice (the pass
minus Stripe), and the charge phase's ratio to the bare Stripe calls the same N charges
need (create + confirm a PaymentIntent with the same StripeClient), made in the same run,
half before the pass and half after. The rate cap is lifted for that pass. A second pass
over `--cap-sample` more invoices runs with the configured cap (20 requests/s for the
sandbox and test keys, 80 for live keys) and reports the most requests seen in any
one-second window.

Goals: paydesk's own work <= 5 ms per invoice (PDF and email included); charge phase within
1.25x of the bare calls; the configured request rate never exceeded.

    .venv/bin/python bench/run.py [-n 2000 | --big] [--cap-sample 200] [--database-url URL]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from models import (  # noqa: E402
    Business,
    Client,
    Payment,
    RecurringInvoice,
    RecurringLine,
    db,
    is_sqlite,
)
from services.billing.run import make_runner  # noqa: E402
from services.config import Config  # noqa: E402
from services.container import build_services  # noqa: E402
from services.invoices.views import LineInput
from services.money import line_amount, line_tax  # noqa: E402
from services.payments.ledger import new_key  # noqa: E402
from services.stripe_client.rate_limit import default_rate  # noqa: E402
from services.stripe_client.sandbox import stop_sandbox  # noqa: E402

AS_OF = date(2026, 6, 1)
PLANS_PER_CLIENT = 20


def setup(services, n: int, anchor: date, clients: list[int], offset: int = 0) -> None:
    rec = services.recurring
    for i in range(n):
        rec.add(
            clients[i % len(clients)],
            f"Plan {offset + i}",
            "monthly",
            anchor,
            [LineInput("Managed IT support", 20_000 + (offset + i) % 997, 1000, 825)],
            due_days=0,
            autobill_mode="optout",
        )


def bare_charges(stripe_client, charges: list[tuple[str, str, int]]) -> float:
    """The same charges made straight with the SDK: create (idempotency key) + confirm."""
    started = time.perf_counter()
    for customer, pm, amount in charges:
        key = f"bench-bare-{new_key()}"
        intent = stripe_client.v1.payment_intents.create(
            params={
                "amount": amount,
                "currency": "usd",
                "customer": customer,
                "payment_method": pm,
                "payment_method_types": ["card"],
                "metadata": {
                    "paydesk_attempt": "0",
                    "paydesk_key": key,
                    "paydesk_invoices": "0",
                    "paydesk_numbers": "bench",
                },
            },
            options={"idempotency_key": key},
        )
        stripe_client.v1.payment_intents.confirm(intent.id, params={"off_session": True})
    return time.perf_counter() - started


class StatementCounter:
    """SQL statements per phase. On SQLite every statement the pass's connection runs
    (SQLite's trace hook: hand-written ones too); elsewhere those through Peewee."""

    def __init__(self) -> None:
        self.by_phase: dict[str, int] = {}
        self.phase = "set-up"
        self.count = 0

    def progress(self, phase: str, done: int, total: int) -> None:
        if phase != self.phase:
            self.by_phase[self.phase] = self.by_phase.get(self.phase, 0) + self.count
            self.phase, self.count = phase, 0

    def _hit(self, *_args) -> None:
        self.count += 1

    def start(self) -> None:
        database = db.obj
        if is_sqlite():
            database.connection().set_trace_callback(self._hit)
            return
        original = database.execute_sql

        def counting(sql, params=None, *args, **kwargs):
            self.count += 1
            return original(sql, params, *args, **kwargs)

        database.execute_sql = counting

    def stop(self) -> None:
        self.progress("done", 0, 0)
        if is_sqlite():
            db.obj.connection().set_trace_callback(None)
        db.obj.__dict__.pop("execute_sql", None)


def time_receipts(runner) -> list[float]:
    """Seconds spent sending the pass's receipts (they go out together, after the charges)."""
    spent = [0.0]
    sender = runner.payments.receipts
    send_many = getattr(sender, "send_many", None)
    if send_many is None:  # an older paydesk: receipts from background threads, not timed
        return spent

    def timed(payment_ids):
        t0 = time.perf_counter()
        try:
            return send_many(payment_ids)
        finally:
            spent[0] += time.perf_counter() - t0

    sender.send_many = timed
    return spent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=2000, help="recurring invoices due at once")
    parser.add_argument("--big", action="store_true", help="10,000 invoices")
    parser.add_argument("--cap-sample", type=int, default=200, help="invoices in the capped pass")
    parser.add_argument("--database-url", help="default: SQLite in a temporary data dir")
    args = parser.parse_args()
    n = 10_000 if args.big else args.n

    home = Path(tempfile.mkdtemp(prefix="paydesk-bench-run-"))
    url = args.database_url or f"sqlite:///{home}/paydesk.db"
    config = Config(home=home, database_url=url, ssh_host="billing.example.com")
    services = build_services(config)
    try:
        t0 = time.perf_counter()
        business = Business.create(
            name="Bench IT", billing_email="billing@bench.example", timezone="America/New_York"
        )
        clients = []
        for c in range(max(1, (n + args.cap_sample) // PLANS_PER_CLIENT)):
            client = Client.create(business=business, name=f"Client {c}", email=f"c{c}@example.com")
            card = services.cards.add_test_card(client.id, "success")
            services.cards.set_default(client.id, card.id)
            clients.append(client.id)
        setup(services, n, AS_OF, clients)
        setup(services, args.cap_sample, AS_OF + timedelta(days=1), clients, offset=n)
        print(
            f"set-up: {n} + {args.cap_sample} recurring invoices, {len(clients)} clients with a "
            f"card ({time.perf_counter() - t0:.1f} s); {url.split(':')[0]}, "
            f"{'Stripe' if config.stripe_api_key else 'sandbox'}, load {os.getloadavg()[0]:.1f}"
        )

        # The bare calls the same N charges need (same customers, cards and amounts, same
        # StripeClient): half before the pass and half after it, so the sandbox's growing
        # state weighs on both sides alike.
        plans = list(
            RecurringInvoice.select()
            .where(RecurringInvoice.anchor_date == AS_OF)
            .order_by(RecurringInvoice.id)
        )
        charges = []
        for plan in plans:
            lines = RecurringLine.select().where(RecurringLine.recurring == plan.id)
            amount = sum(
                line_amount(ln.quantity_milli, ln.unit_price)
                + line_tax(line_amount(ln.quantity_milli, ln.unit_price), ln.tax_rate_bp)
                for ln in lines
            )
            charges.append(
                (
                    Client.get_by_id(plan.client_id).stripe_customer_id,
                    services.cards.list(plan.client_id)[0].stripe_pm_id,
                    amount,
                )
            )
        half = len(charges) // 2
        bare = bare_charges(services.payments.stripe, charges[:half])

        # Pass 1: N invoices, rate cap lifted.
        statements = StatementCounter()
        runner = make_runner(services, rate=0, progress=statements.progress)
        receipts = time_receipts(runner)
        statements.start()
        began = time.perf_counter()
        summary = runner.run(as_of=AS_OF)
        total = time.perf_counter() - began
        statements.stop()
        stripe_s = runner.stripe.stats["seconds"]
        calls = runner.stripe.stats["calls"]
        assert summary.generated == summary.emailed == summary.charged == n, summary.line()
        print(f"\npass 1 (no rate cap): {summary.line()}")
        print("  phase        time     per invoice   own / invoice   SQL statements / invoice")
        for phase, seconds in summary.phases.items():
            own_s = seconds - (stripe_s if phase == "charge" else 0.0)
            print(
                f"  {phase:<10} {seconds:7.2f} s  {seconds / n * 1000:7.2f} ms  "
                f"{own_s / n * 1000:9.2f} ms  {statements.by_phase.get(phase, 0) / n:12.1f}"
            )
        print(
            f"  (receipts, sent in one go at the end of the charge phase: "
            f"{receipts[0] / n * 1000:.2f} ms per invoice)"
        )
        own = total - stripe_s
        print(f"  pass total {total:8.2f} s")
        each = stripe_s / calls * 1000
        print(f"  in Stripe  {stripe_s:8.2f} s   ({calls} calls, {each:.1f} ms each)")
        print(f"  paydesk's own work: {own:.2f} s = {own / n * 1000:.2f} ms per invoice (goal ≤ 5)")
        charge_own = summary.phases["charge"] - stripe_s
        gen_email = summary.phases["generate"] + summary.phases["email"]
        print(
            f"    of which generate+email (PDF, code, mail) {gen_email / n * 1000:.2f} ms, "
            f"charge bookkeeping {charge_own / n * 1000:.2f} ms per invoice"
        )
        mail_work = gen_email + receipts[0]
        print(
            f"    generate + email + receipts: {mail_work / n * 1000:.2f} ms per invoice "
            f"(their share of the goal: about 2.5)"
        )

        bare += bare_charges(services.payments.stripe, charges[half:])
        ratio = summary.phases["charge"] / bare
        print(
            f"\ncharge phase {summary.phases['charge']:.2f} s vs bare Stripe calls {bare:.2f} s "
            f"for the same {n} charges (half made before the pass, half after): "
            f"ratio {ratio:.2f} (goal ≤ 1.25)"
        )

        # Pass 2: the cap on.
        rate = default_rate(config)
        capped = make_runner(services)
        began = time.perf_counter()
        second = capped.run(as_of=AS_OF + timedelta(days=1))
        elapsed = time.perf_counter() - began
        limiter = capped.stripe.limiter
        busiest = limiter.max_in_window(1.0)
        print(
            f"\npass 2 (cap {rate:g}/s): {second.charged} charges, "
            f"{capped.stripe.stats['calls']} Stripe requests in {elapsed:.1f} s; most in any "
            f"1 s window: {busiest} ({'within' if busiest <= rate else 'OVER'} the cap); "
            f"waited {limiter.waited:.1f} s for the cap"
        )
        print(f"payments recorded: {Payment.select().count()} (expected {n + args.cap_sample})")
    finally:
        db.close()
        if not config.stripe_api_key:
            stop_sandbox(home)
    return 0


if __name__ == "__main__":
    sys.exit(main())
