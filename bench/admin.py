"""The owner's console for a business of 5,000 clients against one of 10, in the same run.

Two businesses, each in its own database (the console runs one business: the first),
built in this run with one multi-row INSERT per table and chunk (models/bulk_rows.py, as
tests/fixtures/volume.py does): a small one (10 clients, 50 invoices) and a large one
(5,000 clients, 100,000 invoices, 100,000 payments), both with saved cards, recurring
invoices, a few failed charges and an audit trail of every invoice and payment. For each,
the real console (`make_admin_app` + `App.run_test`, real thread workers, headless
100×30) is driven through, each step timed from its key (or the app's start) to the first
frame the console paints that shows its result (the app's display hook sees every frame; the
pilot's own idle waits, 20 ms or more each, are not the console's time):

- overview: the app started → the Overview painted with its figures, next run and
  needs-attention list;
- clients: F2 → the Clients list's first page painted;
- search: a client's name typed, Enter → the one matching row painted;
- detail: Enter on it → the client's detail painted (head, contacts, recurring, cards; its
  invoices, payments and audit trail are read when their tab is first opened);
- receivables: F6 → the aging as of today painted (totals and the first page of clients);
- statement: Enter on the client who owes most → its activity statement painted;
- then, through the console's door, the reports of bench/admin_reports.py: the aging as of
  a day, a statement with its PDF, and every invoice exported as CSV.

Each step is the median of `--repeat` runs, best of two rounds that alternate the
businesses; beside it, the SQL statements the step ran (every statement, in any thread,
counted in a separate round: Peewee logs each one), and the large / small ratio. Goal:
within 1.5× on every step and no step over 300 ms.

    .venv/bin/python bench/admin.py [--repeat 5] [--pg postgresql://postgres@127.0.0.1/x]

With `--pg URL` the two businesses go into two new PostgreSQL databases named after the
URL's (`<name>_small`, `<name>_large`, dropped at the end) instead of SQLite files.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pay  # noqa: E402 - bench/pay.py: its statement counter
from admin_reports import measure_reports, report  # noqa: E402 - bench/admin_reports.py
from kiosk import settle  # noqa: E402 - bench/kiosk.py: until the workers are done

from models import (  # noqa: E402
    AuditLog,
    Business,
    Client,
    Invoice,
    InvoiceBilling,
    Payment,
    PaymentMethod,
    RecurringInvoice,
    RecurringLine,
    db,
)
from models.bulk_rows import insert_rows  # noqa: E402
from models.states import ChargeState, InvoiceStatus  # noqa: E402
from services.clock import business_today  # noqa: E402
from services.config import Config  # noqa: E402
from services.container import build_services  # noqa: E402

STEPS = ("overview", "clients", "search", "detail", "receivables", "statement")
AGES = (-10, 5, 20, 45, 75, 120)  # days past due of open invoices, in turn
SIZES = {"small": (10, 5), "large": (5000, 20)}  # clients, invoices per client


class StatementCounter(pay.StatementCounter):
    """bench/pay.py's counter (Peewee logs every statement, in any thread, at DEBUG; the
    hand-written ones of `models.run_sql` alike), read a step at a time."""

    def take(self) -> int:
        value, self.count = self.count, 0
        return value


def seed(clients: int, per_client: int, today: date) -> dict[str, int]:
    """One business with `clients` clients of `per_client` invoices each (two of them
    open, one of those partly paid), as many payments as invoices, a saved card and a
    monthly series for every other client, a declined charge on one overdue invoice in
    100 (at least one), and the audit rows those would leave."""
    business = Business.create(
        name="Bench IT", currency="USD", locale="en_US", billing_email="billing@bench.example"
    )
    now = datetime.combine(today, datetime.min.time())
    with db.atomic():
        insert_rows(
            Client,
            [
                {
                    "business": business.id,
                    "name": f"Client {n:05d} Ltd",
                    "email": f"client{n:05d}@volume.example",
                }
                for n in range(clients)
            ],
        )
        ids = [c.id for c in Client.select(Client.id).order_by(Client.id)]
        cards, series, invoices, payments, audit = [], [], [], [], []
        for k, client_id in enumerate(ids):
            if k % 2 == 0:
                cards.append(
                    {
                        "client": client_id,
                        "stripe_pm_id": f"pm_bench_{client_id}",
                        "brand": "visa",
                        "last4": "4242",
                        "exp_month": 1 + k % 12,
                        "exp_year": today.year + k % 3,
                        "is_default": True,
                    }
                )
                series.append(
                    {
                        "business": business.id,
                        "client": client_id,
                        "description": "Managed IT, monthly",
                        "anchor_date": today - timedelta(days=400),
                        "next_date": today + timedelta(days=1 + k % 28),
                        "client_autobill": k % 20 != 0,
                    }
                )
            for i in range(per_client):
                # the first open, the second partly paid (one payment), the third paid in
                # two payments, the rest paid in one: as many payments as invoices
                kind = min(i, 3)
                total = 10000 + 100 * i
                if kind == 0:
                    due = today - timedelta(days=AGES[k % len(AGES)])
                elif kind == 1:
                    due = today - timedelta(days=AGES[(k + 3) % len(AGES)])
                else:
                    due = today - timedelta(days=20 + (k * 7 + i * 31) % 700)
                paid = {0: 0, 1: total // 2}.get(kind, total)
                number = f"B{client_id:05d}-{i:03d}"
                states = (InvoiceStatus.SENT, InvoiceStatus.PARTIAL, InvoiceStatus.PAID)
                status = states[min(kind, 2)]
                invoices.append(
                    {
                        "business": business.id,
                        "client": client_id,
                        "number": number,
                        "currency": "USD",
                        "issue_date": due - timedelta(days=14),
                        "due_date": due,
                        "status": status,
                        "subtotal": total,
                        "total": total,
                        "amount_paid": paid,
                    }
                )
                issued = datetime.combine(due - timedelta(days=14), datetime.min.time())
                audit += [
                    {"at": issued, "actor": "cli", "action": "invoice.created", "subject": number},
                    {"at": issued, "actor": "system", "action": "invoice.sent", "subject": number},
                ]
                parts = {0: [], 1: [paid], 2: [total // 2, total - total // 2]}.get(kind, [total])
                for n, amount in enumerate(parts):
                    reference = f"PAY-{number}-{n}"
                    at = min(now, issued + timedelta(days=3 + 5 * n, hours=k % 24))
                    payments.append(
                        {
                            "client": client_id,
                            "reference": reference,
                            "amount": amount,
                            "currency": "USD",
                            "card_brand": "visa",
                            "card_last4": "4242",
                            "created_at": at,
                        }
                    )
                    audit.append(
                        {
                            "at": at,
                            "actor": f"client:{client_id}",
                            "action": "payment.succeeded",
                            "subject": reference,
                        }
                    )
        insert_rows(PaymentMethod, cards)
        insert_rows(RecurringInvoice, series)
        insert_rows(
            RecurringLine,
            [
                {"recurring": r.id, "description": "Managed IT", "unit_price": 25000}
                for r in RecurringInvoice.select(RecurringInvoice.id)
            ],
        )
        insert_rows(Invoice, invoices)
        insert_rows(Payment, payments)
        audit.sort(key=lambda row: row["at"])
        insert_rows(AuditLog, audit)
        overdue = (
            Invoice.select(Invoice.id)
            .where((Invoice.status == InvoiceStatus.SENT) & (Invoice.due_date < today))
            .order_by(Invoice.id)
        )
        declined = [inv.id for n, inv in enumerate(overdue) if n % 100 == 0]
        insert_rows(
            InvoiceBilling,
            [
                {
                    "invoice": invoice_id,
                    "charge_state": ChargeState.DECLINED,
                    "last_message": "Your card was declined.",
                }
                for invoice_id in declined
            ],
        )
    middle = ids[len(ids) // 2]
    return {"business": business.id, "client": middle}


def check_overview(app) -> None:
    from textual.widgets import Static

    from screens.admin.overview import OverviewScreen
    from screens.admin.paged_table import PagedTable

    screen = app.screen
    assert isinstance(screen, OverviewScreen), screen
    assert screen.query_one(PagedTable).page is not None
    for panel in ("#receivables", "#next-run"):
        shown = str(screen.query_one(panel, Static).render())
        assert "Loading" not in shown and shown != "Next run…", shown


def check_list(app, cls, rows: int | None = None) -> None:
    from screens.admin.paged_table import PagedTable

    screen = app.screen
    assert isinstance(screen, cls), screen
    page = screen.query_one(PagedTable).page
    assert page is not None and page.rows, page
    if rows is not None:
        assert len(page.rows) == rows, page


def check_detail(app, client_id: int) -> None:
    from screens.admin.client_detail import ClientDetailScreen
    from screens.admin.paged_table import PagedTable

    screen = app.screen
    assert isinstance(screen, ClientDetailScreen), screen
    assert screen.card is not None and screen.card.client.id == client_id
    for table in screen.query(PagedTable):
        assert table.page is not None, table.id


def check_statement(app) -> None:
    from screens.admin.statement import StatementScreen

    screen = app.screen
    assert isinstance(screen, StatementScreen), screen
    assert screen.statement is not None


class FirstFrame:
    """When the app painted the first frame that passes a check.

    The app's display hook sees every frame the compositor makes (the headless driver
    writes none), so a step ends when its result is on screen, not when the pilot's idle
    waits end (each sleeps 20 ms or more, a step's keys and settling several of them)."""

    def __init__(self, app) -> None:
        self.app, self.check, self.at = app, None, None
        display = app._display

        def watched(screen, renderable) -> None:
            display(screen, renderable)
            if renderable is None or self.check is None or self.at is not None:
                return
            try:
                self.check(app)
            except Exception:  # not there yet: a check asserts or queries what is missing
                return
            self.at = time.perf_counter()

        app._display = watched

    def expect(self, check) -> None:
        self.check, self.at = check, None


class Steps:
    """Times a step (keys pressed → the first frame that shows its result) and counts its
    statements; the step then settles (every worker done) and is checked once more."""

    def __init__(self, frames: FirstFrame, counter, took: dict[str, float], queries: dict):
        self.frames, self.counter, self.took, self.queries = frames, counter, took, queries
        self.pilot = None

    async def step(self, name: str, keys: tuple[str, ...], check, since: float = 0.0) -> None:
        if not since:
            self.frames.expect(check)
        t0 = since or time.perf_counter()
        await self.pilot.press(*keys)
        await settle(self.pilot)
        check(self.pilot.app)
        assert self.frames.at is not None, f"{name}: no frame showed it"
        self.took[name] = self.frames.at - t0
        self.queries[name] = self.counter.take()


async def measure(services, search: str, client_id: int, repeat: int, counter) -> dict:
    """Each step's median over `repeat` console sessions, then one more session counted."""
    from screens.admin.clients import ClientsScreen
    from screens.admin.receivables import ReceivablesScreen
    from tui.admin_app import make_admin_app

    times: dict[str, list[float]] = {step: [] for step in STEPS}
    queries: dict[str, int] = {}
    for n in range(repeat + 1):
        counting = n == repeat
        counter.on(counting)
        counter.take()
        took: dict[str, float] = {}
        started = time.perf_counter()
        app = make_admin_app(services)
        run = Steps(FirstFrame(app), counter, took, queries)
        run.frames.expect(check_overview)  # from the start: the first frames come before the pilot
        async with app.run_test(size=(100, 30)) as pilot:
            run.pilot = pilot
            await run.step("overview", (), check_overview, since=started)
            await run.step("clients", ("f2",), partial(check_list, cls=ClientsScreen))
            await pilot.press("slash", *search)  # untimed: the typing
            await run.step("search", ("enter",), partial(check_list, cls=ClientsScreen, rows=1))
            await run.step("detail", ("enter",), partial(check_detail, client_id=client_id))
            await run.step("receivables", ("f6",), partial(check_list, cls=ReceivablesScreen))
            await run.step("statement", ("enter",), check_statement)
        if not counting:
            for name, value in took.items():
                times[name].append(value)
    counter.on(False)
    return {"times": {k: statistics.median(v) for k, v in times.items()}, "queries": queries}


def pg_databases(base: str, create: bool) -> dict[str, str]:
    """Two fresh PostgreSQL databases beside the one `base` names (or drop them)."""
    import psycopg2

    parts = urlsplit(base)
    name = parts.path.lstrip("/") or "paydesk"
    urls = {}
    admin = psycopg2.connect(base)
    admin.autocommit = True
    with admin.cursor() as cur:
        for label in SIZES:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}_{label}"')
            if create:
                cur.execute(f'CREATE DATABASE "{name}_{label}"')
            urls[label] = urlunsplit(parts._replace(path=f"/{name}_{label}"))
    admin.close()
    return urls


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--pg", metavar="URL", help="PostgreSQL instead of SQLite files")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="paydesk-bench-admin-") as tmp:
        urls = (
            pg_databases(args.pg, create=True)
            if args.pg
            else {label: f"sqlite:///{tmp}/{label}/paydesk.db" for label in SIZES}
        )
        built = {}
        for label, (clients, per_client) in SIZES.items():
            home = Path(tmp) / label
            home.mkdir()
            services = build_services(Config(home=home, database_url=urls[label]))
            started = time.perf_counter()
            ids = seed(clients, per_client, business_today("UTC"))
            counts = (Client.select().count(), Invoice.select().count(), Payment.select().count())
            print(
                f"{label}: {counts[0]:,} clients, {counts[1]:,} invoices, {counts[2]:,} payments,"
                f" {AuditLog.select().count():,} audit rows, seeded in"
                f" {time.perf_counter() - started:.1f} s"
            )
            client = Client.get_by_id(ids["client"])
            built[label] = (services, db.obj, client.name, client.id)
        counter = StatementCounter()
        results: dict[str, dict] = {}
        # Alternate the order so neither business always runs on a warm cache.
        for label in ("small", "large", "small", "large"):
            services, database, name, client_id = built[label]
            db.initialize(database)
            result = asyncio.run(measure(services, name, client_id, args.repeat, counter))
            result["reports"] = measure_reports(services, client_id, args.repeat)
            if label in results:
                for step, value in result["times"].items():
                    results[label]["times"][step] = min(results[label]["times"][step], value)
                best = results[label]["reports"]
                for name, value in result["reports"]["times"].items():
                    best["times"][name] = min(best["times"][name], value)
                best["export"] = min(best["export"], result["reports"]["export"])
                best["peaks"] = result["reports"]["peaks"]
            else:
                results[label] = result
        for _, database, _, _ in built.values():
            database.close()
        if args.pg:
            pg_databases(args.pg, create=False)

    small, large = results["small"], results["large"]
    kind = "PostgreSQL" if args.pg else "SQLite"
    print(
        f"\nconsole, 10 clients / 50 invoices vs 5,000 clients / 100,000 invoices,"
        f" median of {args.repeat} (best of 2 rounds), {kind}, headless 100x30\n"
    )
    print(f"{'step':<10}{'small ms':>10}{'large ms':>10}{'ratio':>8}{'SQL s':>7}{'SQL l':>7}")
    missed = []
    for step in STEPS:
        a, b = small["times"][step] * 1000, large["times"][step] * 1000
        print(
            f"{step:<10}{a:>10.1f}{b:>10.1f}{b / a:>7.2f}x"
            f"{small['queries'][step]:>7}{large['queries'][step]:>7}"
        )
        if b / a > 1.5 or max(a, b) > 300:
            missed.append(step)
    missed += report(small["reports"], large["reports"])
    print(
        "\ngoal (large ≤ 1.5× small, every step ≤ 300 ms; the export ≥ 50,000 rows/s"
        " in flat memory): " + (f"missed by {', '.join(missed)}" if missed else "met")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
