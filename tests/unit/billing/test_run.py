"""The billing run against a real database, the real sandbox and the Maildir outbox."""

from __future__ import annotations

from datetime import date

from models import EmailLog, Invoice, InvoiceBilling, Payment, RecurringInvoice
from services.billing.run import make_runner
from services.invoices.views import LineInput


def _plan(shop, anchor=date(2026, 1, 31), mode="optout", **kw):
    return shop.services.recurring.add(
        shop.client_id,
        "Managed IT support",
        kw.pop("frequency", "monthly"),
        anchor,
        [LineInput("Support plan", 25_000, 1000, 825)],
        autobill_mode=mode,
        **kw,
    )


def _card(shop, kind="success"):
    card = shop.services.cards.add_test_card(shop.client_id, kind)
    shop.services.cards.set_default(shop.client_id, card.id)
    return card


def test_catch_up_generates_each_missed_period_once_and_charges_due_ones(shop):
    _card(shop)
    plan = _plan(shop)
    runner = make_runner(shop.services, rate=0)
    summary = runner.run(as_of=date(2026, 4, 30))
    invoices = list(Invoice.select().order_by(Invoice.period_start))
    assert [i.period_start for i in invoices] == [
        date(2026, 1, 31),
        date(2026, 2, 28),
        date(2026, 3, 31),
        date(2026, 4, 30),
    ]
    assert [i.issue_date for i in invoices] == [i.period_start for i in invoices]
    assert summary.generated == 4 and summary.emailed == 4
    # due 14 days after issue: three of them are due by Apr 30
    assert summary.charged == 3
    assert [i.status for i in invoices] == ["paid", "paid", "paid", "sent"]
    assert Payment.select().count() == 3
    assert RecurringInvoice.get_by_id(plan.view.id).next_date == date(2026, 5, 31)
    again = runner.run(as_of=date(2026, 4, 30))
    assert (again.generated, again.emailed, again.charged) == (0, 0, 0)
    assert Invoice.select().count() == 4 and Payment.select().count() == 3
    assert EmailLog.select().where(EmailLog.event_key.startswith("invoice:")).count() == 4
    assert len(shop.services.mailer.outbox_messages()) == 4 + 3  # invoices + receipts
    assert InvoiceBilling.select().where(InvoiceBilling.emailed_at.is_null()).count() == 0
