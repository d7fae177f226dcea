"""Benchmark: what paydesk adds to the Stripe calls of one payment.

Pays N invoices through paydesk (`PaymentService.pay`: ledger, two Stripe calls, outcome,
allocations, receipt email, audit rows) and, interleaved in the same run against the same
sandbox with the same StripeClient, makes the same two Stripe calls bare (create the
PaymentIntent with an idempotency key, confirm it). Prints per-payment times and paydesk's
overhead as a ratio of the bare time. Goal: under 15 %.

A third kind, the floor, makes the same bare calls with the least DESIGN §5 asks of the
database around them (a one-row write transaction before the first call, the intent id
stored before the confirm, a write transaction after it): how close paydesk's three
transactions come to the minimum. The three kinds rotate which goes first.

    .venv/bin/python bench/pay.py [-n 200] [--database-url URL]

With no STRIPE_API_KEY this runs against a localstripe sandbox in a temporary data dir.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import peewee  # noqa: E402

from models import BaseModel, Business, Client, db, run_sql, write_lock  # noqa: E402
from services.config import Config  # noqa: E402
from services.container import build_services  # noqa: E402
from services.invoices.views import LineInput
from services.payments.ledger import new_key  # noqa: E402
from services.stripe_client.sandbox import stop_sandbox  # noqa: E402


class FloorRow(BaseModel):
    """A scratch table for the floor measurement (the bench's own, in its temporary database)."""

    note = peewee.CharField()


class StripeTimer:
    """Adds up the time spent inside the SDK's requests (HTTP round trip + parsing)."""

    def __init__(self) -> None:
        import stripe._api_requestor as requestor

        self.total = 0.0
        original = requestor._APIRequestor.request
        timer = self

        def request(self, *args, **kwargs):
            started = time.perf_counter()
            try:
                return original(self, *args, **kwargs)
            finally:
                timer.total += time.perf_counter() - started

        requestor._APIRequestor.request = request  # type: ignore[method-assign]


class StatementCounter(logging.Handler):
    """Counts the SQL statements Peewee runs (it logs each one at DEBUG on "peewee")."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.count = 0
        self.logger = logging.getLogger("peewee")
        self.logger.propagate = False
        self.logger.addHandler(self)

    def on(self, enabled: bool) -> None:
        """Counting makes every statement a log record: kept off while payments are timed."""
        self.logger.setLevel(logging.DEBUG if enabled else logging.WARNING)

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=200, help="payments of each kind")
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument(
        "--gap", type=float, default=0.1, help="seconds of quiet before every measurement"
    )
    parser.add_argument("--database-url", help="default: SQLite in a temporary data dir")
    parser.add_argument("--show", type=int, default=10, help="per-payment lines to print")
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="paydesk-bench-"))
    url = args.database_url or f"sqlite:///{home}/paydesk.db"
    config = Config(home=home, database_url=url)
    services = build_services(config)
    try:
        business = Business.create(name="Bench IT", billing_email="billing@example.com")
        client = Client.create(business=business, name="Bench client", email="c@example.com")
        card = services.cards.add_test_card(client.id, "success")
        customer = services.cards.ensure_customer(client.id)
        counted_payments = 5  # untimed, after the timed ones, to count SQL statements
        total = args.warmup + args.n + counted_payments
        invoices = [
            services.invoices.create(
                client.id, [LineInput(f"Support {i}", 1_000 + i)], issue_date=date.today()
            ).id
            for i in range(total)
        ]
        stripe = services.payments.stripe.client  # the very client paydesk uses

        def bare(amount: int, between=lambda intent: None) -> float:
            key = f"bench-{new_key()}"
            started = time.perf_counter()
            intent = stripe.v1.payment_intents.create(
                params={
                    "amount": amount,
                    "currency": "usd",
                    "customer": customer,
                    "payment_method": card.stripe_pm_id,
                    "payment_method_types": ["card"],
                    "metadata": {
                        "paydesk_attempt": "0",
                        "paydesk_key": key,
                        "paydesk_invoices": "0",
                        "paydesk_numbers": "INV-0000",
                    },
                },
                options={"idempotency_key": key},
            )
            between(intent)
            intent = stripe.v1.payment_intents.confirm(intent.id)
            elapsed = time.perf_counter() - started
            assert intent.status == "succeeded", intent.status
            return elapsed

        db.create_tables([FloorRow])

        def floor(amount: int) -> float:
            """The bare calls plus the least DESIGN §5 asks of the database: a one-row write
            transaction before the first call, the intent id stored before the confirm, and
            one after it."""
            started = time.perf_counter()
            with write_lock():
                (row,) = run_sql(
                    "INSERT INTO floor_row (note) VALUES (?) RETURNING id", ("created",)
                ).fetchone()

            def store(intent) -> None:
                run_sql("UPDATE floor_row SET note = ? WHERE id = ?", (intent.id, row))

            bare(amount, store)
            with write_lock():
                run_sql("UPDATE floor_row SET note = ? WHERE id = ?", ("succeeded", row))
            return time.perf_counter() - started

        receipt_times: list[float] = []

        timer = StripeTimer()
        inside_stripe: list[float] = []

        statements = StatementCounter()
        per_payment: list[int] = []

        def paid(invoice_id: int) -> float:
            counted = statements.count
            before = timer.total
            started = time.perf_counter()
            result = services.payments.pay(client.id, [invoice_id], card.id, source="cli")
            elapsed = time.perf_counter() - started
            inside_stripe.append(timer.total - before)
            per_payment.append(statements.count - counted)
            assert result.status == "succeeded", result.message
            # The receipt goes out from a background worker; time it apart (untimed for
            # the payment); `quiet()` then pads the gap to the same length for every kind.
            started = time.perf_counter()
            services.payments.flush_receipts()
            receipt_times.append(time.perf_counter() - started)
            return elapsed

        rows: list[tuple[float, float]] = []
        floors: list[float] = []
        statements.on(False)
        timed, counted = invoices[:-counted_payments], invoices[-counted_payments:]

        def quiet(ended: float) -> None:
            """The same pause before every measurement, whichever kind came before: a
            payment's receipt is sent in it (so it never overlaps the next measurement)."""
            services.payments.flush_receipts()
            time.sleep(max(0.0, ended + args.gap - time.perf_counter()))

        for i, invoice_id in enumerate(timed):
            # Rotate which goes first; each starts after the same quiet gap.
            kinds = [("paid", paid, invoice_id), ("bare", bare, 1_000 + i)]
            kinds.append(("floor", floor, 1_000 + i))
            kinds = kinds[i % 3 :] + kinds[: i % 3]
            took = {}
            for name, run, arg in kinds:
                took[name] = run(arg)
                quiet(time.perf_counter())
            if i >= args.warmup:
                rows.append((took["paid"], took["bare"]))
                floors.append(took["floor"])
        statements.on(True)
        per_payment.clear()
        for invoice_id in counted:
            paid(invoice_id)
        del inside_stripe[len(timed) :], receipt_times[len(timed) :]

        print(f"paydesk pay vs bare StripeClient calls, {args.n} payments each")
        print(f"database: {url.split(':')[0]}, Stripe: {'sandbox' if config.sandbox else 'live'}")
        print(f"{'#':>4} {'paydesk ms':>11} {'bare ms':>9} {'overhead':>9}")
        for i, (p, b) in enumerate(rows[: args.show]):
            print(f"{i + 1:>4} {p * 1000:>11.2f} {b * 1000:>9.2f} {(p - b) / b:>8.1%}")
        pay_times = [p for p, _ in rows]
        bare_times = [b for _, b in rows]
        for name, fn in (("median", statistics.median), ("mean", statistics.fmean)):
            p, b = fn(pay_times), fn(bare_times)
            print(
                f"{name:>6}: paydesk {p * 1000:.2f} ms, bare {b * 1000:.2f} ms, "
                f"overhead {(p - b) * 1000:.2f} ms = {(p - b) / b:.1%}"
            )
        p90p, p90b = percentile(pay_times, 90), percentile(bare_times, 90)
        print(f"   p90: paydesk {p90p * 1000:.2f} ms, bare {p90b * 1000:.2f} ms")
        own = [p - st for p, st in zip(pay_times, inside_stripe[args.warmup :], strict=True)]
        own_ms = statistics.median(own) * 1000
        inside_ms = statistics.median(inside_stripe[args.warmup :]) * 1000
        print(
            f"inside paydesk pay: Stripe calls {inside_ms:.2f} ms, paydesk's own work "
            f"{own_ms:.2f} ms (median) = {own_ms / (statistics.median(bare_times) * 1000):.1%} "
            "of the bare calls"
        )
        print(f"SQL statements per paydesk payment: {statistics.median(per_payment):.0f}")
        receipts = statistics.median(receipt_times[args.warmup :]) * 1000
        print(f"receipt email (background, after the payment returns): median {receipts:.2f} ms")
        floor_ms = statistics.median(floors) * 1000
        print(
            f"floor (the bare calls + three one-row write transactions where DESIGN §5 puts "
            f"paydesk's): median {floor_ms:.2f} ms = "
            f"{floor_ms / (statistics.median(bare_times) * 1000):.3f} of the bare calls; "
            f"paydesk / floor {statistics.median(pay_times) * 1000 / floor_ms:.3f}"
        )
        ratio = statistics.median(pay_times) / statistics.median(bare_times)
        print(f"ratio paydesk/bare (median): {ratio:.3f}  (goal < 1.15)")
    finally:
        db.close()
        stop_sandbox(home)
    return 0


if __name__ == "__main__":
    sys.exit(main())
