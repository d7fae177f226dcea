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
    assert plan["reconcile"].planned == [f"reconcile attempt {old.id} (created)"]
    assert PaymentAttempt.get_by_id(old.id).status == "failed"
    assert plan["generate"].generated == done["generate"].generated == 1
    assert plan["email"].sent == done["email"].sent == 1
    assert plan["email"].failed == done["email"].failed == 0
    charged = Invoice.select().where(Invoice.client.in_([paying, declining])).order_by(Invoice.id)
    assert plan["charge"].invoices == done["charge"].invoices == [inv.id for inv in charged]
    assert plan["charge"].charged == 2
    assert (done["charge"].charged, done["charge"].declined) == (1, 1)
    assert plan["remind"].reminded == done["remind"].reminded == 1
    assert plan["remind"].planned == [f"remind overdue:{overdue.id}:10"]
    assert EmailLog.select().where(EmailLog.event_key == f"overdue:{overdue.id}:10").exists()
    assert (dry.generated, dry.emailed, dry.reconciled, dry.reminded) == (
        real.generated, real.emailed, real.reconciled, real.reminded,
    )  # fmt: skip
    assert dry.charged == real.charged + real.declined + real.action_needed
