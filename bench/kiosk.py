"""The kiosk with 5,000 invoices against the kiosk with 5, measured in the same run.

For a client with 5 invoices and one with 5,000 (same business, same database), it drives
the real kiosk headless (`make_kiosk_app`, `App.run_test`) and prints, for each:

- login: Enter on the login form → the Dashboard painted with its figures;
- list: "i" on the Dashboard → the invoice list's first page painted;
- last page: the page holding the last invoice (5,000th / 5th) painted;
- detail: the detail of that last invoice painted;

with the median of several repetitions, the 5,000 / 5 ratio (goal: within 1.5×), and the
number of SQL queries each step ran (counted on every connection, workers included).

    .venv/bin/python bench/kiosk.py [--invoices 5000] [--repeat 7]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import threading
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import peewee  # noqa: E402

from models import Business, Client, Invoice, InvoiceLine, db  # noqa: E402
from services.config import Config  # noqa: E402
from services.container import build_services  # noqa: E402
from services.invoices.views import LineInput  # noqa: E402

PASSWORD = "bench-password-1"
TODAY = date.today()


class QueryCounter:
    """Counts every SQL statement peewee runs, in any thread."""

    def __init__(self) -> None:
        self.count = 0
        self._lock = threading.Lock()
        self._original = peewee.Database.execute_sql

    def install(self) -> None:
        counter = self

        def execute_sql(self, sql, params=None, *args, **kwargs):
            with counter._lock:
                counter.count += 1
            return counter._original(self, sql, params, *args, **kwargs)

        peewee.Database.execute_sql = execute_sql

    def take(self) -> int:
        with self._lock:
            value, self.count = self.count, 0
        return value


def seed(services, invoices: int) -> dict[str, tuple[int, str]]:
    """A business with a 5-invoice client and an N-invoice client; returns email → client."""
    business = Business.create(
        name="Bench IT", currency="USD", locale="en_US", billing_email="billing@bench.example"
    )
    out = {}
    for label, count in (("small", 5), ("large", invoices)):
        client = Client.create(business=business, name=f"{label} client", email=f"{label}@b.x")
        email = f"{label}@bench.example"
        services.accounts.create_contact(business.id, client.id, email, PASSWORD, name=label)
        # A few through the service (numbering, totals), the rest inserted in bulk alike.
        through_service = min(count, 5)
        for n in range(through_service):
            services.invoices.create(
                client.id,
                [LineInput(f"Support {n}", 10000 + n)],
                issue_date=TODAY - timedelta(days=n),
            )
        rows, lines = [], []
        start = Business.get_by_id(business.id).next_invoice_number
        for n in range(count - through_service):
            issue = TODAY - timedelta(days=n % 900)
            paid = n % 3 != 0
            rows.append(
                {
                    "business": business.id,
                    "client": client.id,
                    "number": f"INV-{start + n:06d}",
                    "currency": "USD",
                    "issue_date": issue,
                    "due_date": issue + timedelta(days=14),
                    "status": "paid" if paid else "sent",
                    "subtotal": 5000,
                    "total": 5000,
                    "amount_paid": 5000 if paid else 0,
                }
            )
        with db.atomic():
            for chunk in range(0, len(rows), 500):
                Invoice.insert_many(rows[chunk : chunk + 500]).execute()
            Business.update(next_invoice_number=start + len(rows)).where(
                Business.id == business.id
            ).execute()
            numbers = [row["number"] for row in rows]
            for chunk in range(0, len(numbers), 500):
                query = Invoice.select(Invoice.id).where(
                    (Invoice.client == client.id) & Invoice.number.in_(numbers[chunk : chunk + 500])
                )
                lines += [
                    {
                        "invoice": inv.id,
                        "description": "Hosting",
                        "unit_price": 5000,
                        "amount": 5000,
                    }
                    for inv in query
                ]
            for chunk in range(0, len(lines), 500):
                InvoiceLine.insert_many(lines[chunk : chunk + 500]).execute()
        out[label] = (client.id, email)
    return out


async def settle(pilot) -> None:
    app = pilot.app
    for _ in range(50):
        await pilot.pause()
        if all(w.is_finished for w in app.workers):
            await pilot.pause()
            if all(w.is_finished for w in app.workers):
                return
        else:
            await app.workers.wait_for_complete()


async def measure(services, email: str, repeat: int, counter: QueryCounter) -> dict:
    from screens.kiosk.dashboard import DashboardScreen
    from screens.kiosk.invoice_detail import InvoiceDetailScreen
    from screens.kiosk.invoices import PAGE_SIZE, InvoicesScreen
    from tui.kiosk_app import make_kiosk_app

    times: dict[str, list[float]] = {"login": [], "list": [], "last page": [], "detail": []}
    queries: dict[str, int] = {}
    for _ in range(repeat):
        app = make_kiosk_app(services)
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            await pilot.press(*email, "tab", *PASSWORD)
            counter.take()
            t0 = time.perf_counter()
            await pilot.press("enter")
            await settle(pilot)
            assert isinstance(app.screen, DashboardScreen)
            times["login"].append(time.perf_counter() - t0)
            queries["login"] = counter.take()

            t0 = time.perf_counter()
            await pilot.press("i")
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, InvoicesScreen) and screen.page and screen.page.rows
            times["list"].append(time.perf_counter() - t0)
            queries["list"] = counter.take()

            total = screen.page.total
            last_offset = (total - 1) // PAGE_SIZE * PAGE_SIZE
            t0 = time.perf_counter()
            screen.load(last_offset)
            await settle(pilot)
            last = screen.page.rows[-1]
            times["last page"].append(time.perf_counter() - t0)
            queries["last page"] = counter.take()
            assert screen.page.offset + len(screen.page.rows) == total

            t0 = time.perf_counter()
            app.push_screen(InvoiceDetailScreen(app.ctx, last.id))
            await settle(pilot)
            assert app.screen.detail is not None and app.screen.detail.id == last.id
            times["detail"].append(time.perf_counter() - t0)
            queries["detail"] = counter.take()
            queries["invoices"] = total
    return {"times": {k: statistics.median(v) for k, v in times.items()}, "queries": queries}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="paydesk-bench-kiosk-") as tmp:
        home = Path(tmp)
        config = Config(home=home, database_url=f"sqlite:///{home}/paydesk.db")
        services = build_services(config)
        started = time.perf_counter()
        clients = seed(services, args.invoices)
        print(f"seeded {args.invoices} + 5 invoices in {time.perf_counter() - started:.1f} s")
        counter = QueryCounter()
        counter.install()
        results = {}
        # Alternate the order so neither client always runs on a warm cache.
        for label in ("small", "large", "small", "large"):
            result = asyncio.run(measure(services, clients[label][1], args.repeat, counter))
            if label in results:
                for step, value in result["times"].items():
                    results[label]["times"][step] = min(results[label]["times"][step], value)
            else:
                results[label] = result
        small, large = results["small"], results["large"]
        print(
            f"\nkiosk, {small['queries']['invoices']} vs {large['queries']['invoices']} "
            f"invoices, median of {args.repeat} (best of 2 rounds), SQLite, headless 100x30\n"
        )
        print(f"{'step':<11}{'5 inv ms':>10}{'N inv ms':>10}{'ratio':>8}{'q 5':>6}{'q N':>6}")
        for step in ("login", "list", "last page", "detail"):
            a, b = small["times"][step] * 1000, large["times"][step] * 1000
            print(
                f"{step:<11}{a:>10.1f}{b:>10.1f}{b / a:>7.2f}x"
                f"{small['queries'][step]:>6}{large['queries'][step]:>6}"
            )
        total_a = sum(small["times"][s] for s in ("login", "list"))
        total_b = sum(large["times"][s] for s in ("login", "list"))
        print(
            f"\nlogin → invoice list first frame: {total_a * 1000:.1f} ms vs "
            f"{total_b * 1000:.1f} ms ({total_b / total_a:.2f}x; goal ≤ 1.5x)"
        )
        db.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
