"""The billing run: a dry run (each phase's plan) and the pass (its run) agree, phase by phase."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from models import Client, EmailLog, Invoice, PaymentAttempt, utcnow
from services.billing.run import make_runner
from services.invoices.views import LineInput

ANCHOR = date(2026, 3, 2)
DUE = ANCHOR + timedelta(days=14)


def _client_with_card(shop, name: str, kind: str) -> int:
    client_id = Client.create(business=shop.business_id, name=name, email=f"{name}@example.com").id
    card = shop.services.cards.add_test_card(client_id, kind)
    shop.services.cards.set_default(client_id, card.id)
    return client_id


def _plan(shop, client_id: int, anchor: date) -> None:
    shop.services.recurring.add(
        client_id, "Managed IT support", "monthly", anchor, [LineInput("Support plan", 25_000)]
    )


def _attempt(client_id: int, age: timedelta) -> PaymentAttempt:
    """An attempt a crashed payment left `created`, `age` ago."""
    return PaymentAttempt.create(
        client=client_id, idempotency_key=f"test-{uuid.uuid4()}", amount=1_000, currency="usd",
        stripe_pm_id="pm_unknown", created_at=utcnow() - age, updated_at=utcnow() - age,
    )  # fmt: skip


def _state() -> tuple:
    return (
        Invoice.select().count(),
        EmailLog.select().count(),
        sorted((a.id, a.status) for a in PaymentAttempt.select()),
    )


def test_the_dry_run_says_what_the_pass_then_does(shop, stripe_api):
    paying = _client_with_card(shop, "paying", "success")
    declining = _client_with_card(shop, "declining", "declined")
    _plan(shop, paying, ANCHOR)
    _plan(shop, declining, ANCHOR)
    runner = make_runner(shop.services, rate=0)
    runner.run(as_of=ANCHOR)  # issued and emailed; charged on DUE
    _plan(shop, shop.client_id, DUE)  # issued on DUE, charged two weeks later
    overdue = shop.invoice()  # a one-off invoice, long overdue, not auto-billed
    old = _attempt(paying, timedelta(hours=1))
    _attempt(paying, timedelta(seconds=0))  # still being paid: reconcile leaves it alone

    before = _state()
    dry = runner.run(as_of=DUE, dry_run=True)
    plan = runner.results
    assert _state() == before  # a dry run changes nothing
    real = runner.run(as_of=DUE)
    done = runner.results

    assert plan["reconcile"].reconciled == done["reconcile"].reconciled == 1
    # Each line names what people know (numbers, clients, amounts), never an internal id.
    assert plan["reconcile"].planned == ["reconcile a payment of $10.00 by paying (created)"]
    assert PaymentAttempt.get_by_id(old.id).status == "failed"
    assert plan["generate"].generated == done["generate"].generated == 1
    assert plan["generate"].planned == [
        f"generate 'Managed IT support' for Acme Dental, period {DUE}"
    ]
    assert plan["email"].sent == done["email"].sent == 1
    assert plan["email"].failed == done["email"].failed == 0
    charged = Invoice.select().where(Invoice.client.in_([paying, declining])).order_by(Invoice.id)
    assert plan["charge"].invoices == done["charge"].invoices == [inv.id for inv in charged]
    assert plan["charge"].charged == 2
    assert plan["charge"].planned == [f"charge {inv.number} ({inv.client.name})" for inv in charged]
    assert (done["charge"].charged, done["charge"].declined) == (1, 1)
    assert plan["remind"].reminded == done["remind"].reminded == 1
    age = (DUE - Invoice.get_by_id(overdue.id).due_date).days
    assert plan["remind"].planned == [
        f"remind Acme Dental: {Invoice.get_by_id(overdue.id).number}, {age} days overdue"
    ]
    assert EmailLog.select().where(EmailLog.event_key == f"overdue:{overdue.id}:10").exists()
    assert (dry.generated, dry.emailed, dry.reconciled, dry.reminded) == (
        real.generated, real.emailed, real.reconciled, real.reminded,
    )  # fmt: skip
    assert dry.charged == real.charged + real.declined + real.action_needed


def test_the_progress_counts_invoices_as_the_summary_does(shop):
    """Two plans, four periods each due: the generate bar counts the 8 invoices it issues
    (it counted the 2 plans), as the summary's "generated 8" does."""
    for client_id in (shop.client_id, _client_with_card(shop, "second", "success")):
        _plan(shop, client_id, ANCHOR)
    seen: dict[str, list[tuple[int, int]]] = {}
    runner = make_runner(shop.services, rate=0)
    runner.progress = lambda phase, done, total: seen.setdefault(phase, []).append((done, total))
    summary = runner.run(as_of=ANCHOR + timedelta(days=92))
    assert summary.generated == summary.emailed == 8
    assert seen["generate"][0] == (0, 8) and seen["generate"][-1] == (8, 8)
    assert seen["email"][-1] == (8, 8)
