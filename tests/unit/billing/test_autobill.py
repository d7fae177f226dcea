"""Auto-billing against the real sandbox: opt-out honoured under the charge's lock, decline
classes and the retry schedule, action needed, no card, reminders."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from models import (
    EmailLog,
    Invoice,
    InvoiceBilling,
    Payment,
    PaymentAttempt,
    PaymentMethod,
    RecurringInvoice,
)
from services.billing.autobill import Autobiller, charge_due, classify
from services.billing.failures import failures
from services.billing.run import make_runner
from services.invoices.views import LineInput
from tests.fixtures.payments import intents

ANCHOR = date(2026, 3, 2)
DUE = ANCHOR + timedelta(days=14)


def _plan(shop, mode="optout", anchor=ANCHOR, **kw):
    return shop.services.recurring.add(
        shop.client_id,
        "Managed IT support",
        "monthly",
        anchor,
        [LineInput("Support plan", 25_000)],
        autobill_mode=mode,
        **kw,
    ).view


def _card(shop, kind="success"):
    card = shop.services.cards.add_test_card(shop.client_id, kind)
    shop.services.cards.set_default(shop.client_id, card.id)
    return card


def _runner(shop, **kw):
    return make_runner(shop.services, rate=0, **kw)


def _keys(prefix: str) -> list[str]:
    return [row.event_key for row in EmailLog.select().where(EmailLog.event_key.startswith(prefix))]


def _first_invoice() -> Invoice:
    return Invoice.select().order_by(Invoice.id).first()


def test_charged_on_the_due_date_not_before(shop, stripe_api):
    _card(shop)
    _plan(shop)
    runner = _runner(shop)
    assert runner.run(as_of=DUE - timedelta(days=1)).charged == 0
    assert intents(stripe_api) == []
    summary = runner.run(as_of=DUE)
    assert summary.charged == 1
    inv = _first_invoice()
    assert inv.status == "paid"
    assert InvoiceBilling.get(InvoiceBilling.invoice == inv.id).charge_state == "paid"
    attempt = PaymentAttempt.get()
    assert (attempt.source, attempt.off_session) == ("autobill", True)
    assert len(intents(stripe_api)) == 1


def test_business_setting_charges_on_the_issue_date(shop):
    from models import Business

    Business.update(autobill_on="issue").execute()
    _card(shop)
    _plan(shop)
    assert _runner(shop).run(as_of=ANCHOR).charged == 1


def test_opt_out_is_honoured_at_charge_time(shop, stripe_api):
    _card(shop)
    plan = _plan(shop)
    runner = _runner(shop)
    runner.run(as_of=ANCHOR)  # generated and emailed with auto-billing on
    inv = _first_invoice()
    assert InvoiceBilling.get(InvoiceBilling.invoice == inv.id).charge_state == "scheduled"
    shop.services.recurring.set_client_autobill(
        shop.client_id, plan.id, False, actor=f"client:{shop.client_id}"
    )
    summary = runner.run(as_of=DUE)
    assert summary.charged == 0
    assert intents(stripe_api) == []
    assert Invoice.get_by_id(inv.id).status == "sent"
    assert InvoiceBilling.get(InvoiceBilling.invoice == inv.id).charge_state == "disabled"
    assert _keys("autobill-changed:")  # the confirmation email
    # turning it back on schedules the unpaid invoice again
    shop.services.recurring.set_client_autobill(shop.client_id, plan.id, True, actor="c")
    assert runner.run(as_of=DUE).charged == 1


def test_choice_is_re_read_inside_the_charge_lock(shop, stripe_api):
    """The job's snapshot says "on"; the client's "off" commits before the lock: no charge."""
    _card(shop)
    plan = _plan(shop)
    runner = _runner(shop)
    runner.run(as_of=ANCHOR)
    snapshot = [row.invoice_id for row in charge_due(DUE)]
    assert len(snapshot) == 1
    # the toggle lands between the job's read and its lock (only the choice itself changes)
    RecurringInvoice.update(client_autobill=False).where(RecurringInvoice.id == plan.id).execute()
    outcome = Autobiller(runner.payments).charge(snapshot[0], DUE)
    assert outcome.kind == "disabled"
    assert intents(stripe_api) == []
    assert PaymentAttempt.select().count() == 0


def test_mode_always_ignores_the_client_choice_and_off_never_charges(shop):
    _card(shop)
    always = _plan(shop, mode="always")
    off = _plan(shop, mode="off")
    with pytest.raises(Exception, match="required"):
        shop.services.recurring.set_client_autobill(shop.client_id, always.id, False, "c")
    _runner(shop).run(as_of=DUE)
    by_plan = {i.recurring_id: i for i in Invoice.select()}
    assert by_plan[always.id].status == "paid"
    assert by_plan[off.id].status == "sent"


def test_soft_decline_follows_the_retry_schedule_then_stops(shop, stripe_api):
    _card(shop, "declined")  # the sandbox declines it at charge time (card_declined)
    _plan(shop)
    runner = _runner(shop)
    attempts_on = []
    for offset in range(0, 12):
        day = DUE + timedelta(days=offset)
        before = PaymentAttempt.select().count()
        runner.run(as_of=day)
        if PaymentAttempt.select().count() > before:
            attempts_on.append(offset)
        if offset <= 7:
            assert _keys("overdue:") == []
    assert attempts_on == [0, 1, 3, 7]  # first try, then after 1, 3 and 7 days
    inv = _first_invoice()
    billing = InvoiceBilling.get(InvoiceBilling.invoice == inv.id)
    assert billing.charge_state == "exhausted"
    assert len(_keys(f"autobill-failed:{inv.id}:")) == 4  # one email per attempt
    assert inv.status == "sent" and Payment.select().count() == 0
    assert [f.state for f in failures()] == ["exhausted"]
    # the dunning mails say what happens next
    texts = [m.get_body(("plain",)).get_content() for m in shop.services.mailer.outbox_messages()]
    assert sum("We will try the card again on" in t for t in texts) == 3
    assert sum("That was the last automatic attempt" in t for t in texts) == 1
    # overdue reminders start once auto-billing has given up (never while it retries, nor
    # on top of the last failure email): the day after, then on day 10
    assert sorted(_keys("overdue:")) == [f"overdue:{inv.id}:10", f"overdue:{inv.id}:3"]
    reminders = EmailLog.select().where(EmailLog.event_key == f"overdue:{inv.id}:3").get()
    last_failure = (
        EmailLog.select()
        .where(EmailLog.event_key.startswith("autobill-failed:"))
        .order_by(EmailLog.id.desc())
        .get()
    )
    assert reminders.id > last_failure.id


def test_action_needed_gets_one_email_and_no_more_attempts(shop, stripe_api):
    _card(shop, "3ds")
    _plan(shop)
    runner = _runner(shop)
    summary = runner.run(as_of=DUE)
    assert summary.action_needed == 1
    for offset in range(1, 9):
        runner.run(as_of=DUE + timedelta(days=offset))
    assert PaymentAttempt.select().count() == 1
    inv = _first_invoice()
    assert InvoiceBilling.get(InvoiceBilling.invoice == inv.id).charge_state == "action_needed"
    assert _keys("autobill-action:") == [f"autobill-action:{inv.id}"]
    mail = [
        m
        for m in shop.services.mailer.outbox_messages()
        if m["Subject"].startswith("Action needed")
    ]
    assert len(mail) == 1
    text = mail[0].get_body(("plain",)).get_content()
    # the email points to the invoice page, whose code opens that invoice and offers to
    # finish the waiting payment (3-D Secure) there
    page = re.search(r"Complete the payment on the invoice page.*?: (http\S+/i/(\S+))", text)
    assert page and page.group(1).startswith(shop.services.config.public_url)
    shown = shop.services.invoice_pages().page(page.group(2), "127.0.0.1")
    assert shown.invoice.id == inv.id
    assert shown.action_attempt == PaymentAttempt.get().id
    assert [f.state for f in failures()] == ["action_needed"]
    assert [f.subject for f in shop.services.recurring.failures()] == [inv.number]


def test_failures_stop_listing_an_invoice_once_the_client_paid_it(shop):
    """The bank wanted 3-D Secure; the client then paid in the kiosk with another card."""
    _card(shop, "3ds")
    _plan(shop)
    runner = _runner(shop)
    runner.run(as_of=DUE)
    inv = _first_invoice()
    assert [f.subject for f in failures()] == [inv.number]
    other = _card(shop, "success")
    paid = shop.services.payments.pay(shop.client_id, [inv.id], other.id, source="kiosk")
    assert paid.ok and Invoice.get_by_id(inv.id).status == "paid"
    assert failures() == []
    runner.run(as_of=DUE + timedelta(days=1))  # and the run does not bring it back
    assert failures() == []


@pytest.mark.parametrize(
    ("status", "code", "decline", "kind"),
    [
        ("succeeded", None, None, "charged"),
        ("requires_action", None, None, "action_needed"),
        ("failed", "authentication_required", None, "action_needed"),
        ("failed", "card_declined", "authentication_required", "action_needed"),
        ("failed", "card_declined", "stolen_card", "hard"),
        ("failed", "card_declined", "lost_card", "hard"),
        ("failed", "card_declined", "do_not_honor", "hard"),
        ("failed", "card_declined", "invalid_account", "hard"),
        ("failed", "card_declined", "pickup_card", "hard"),
        ("failed", "expired_card", None, "hard"),
        ("failed", "card_declined", "insufficient_funds", "soft"),
        ("failed", "card_declined", "generic_decline", "soft"),
        ("failed", "card_declined", "try_again_later", "soft"),
        ("failed", "card_declined", None, "soft"),
        ("failed", "interrupted", None, "gateway"),
        ("failed", None, None, "gateway"),
        ("unknown", None, None, "pending"),
    ],
)
def test_decline_classes(status, code, decline, kind):
    assert classify(status, code, decline) == kind


def test_hard_decline_is_never_retried(shop):
    """The sandbox only declines with `card_declined`; Stripe's hard decline codes are
    recorded on the attempt exactly as the payment service stores them, then the run
    decides."""
    _card(shop, "declined")
    _plan(shop)
    runner = _runner(shop)
    runner.run(as_of=DUE)
    inv = _first_invoice()
    attempt = PaymentAttempt.get()
    # what Stripe would have said for a stolen card
    PaymentAttempt.update(decline_code="stolen_card").where(
        PaymentAttempt.id == attempt.id
    ).execute()
    InvoiceBilling.update(charge_state="charging", first_failed_on=None, next_try_on=None).where(
        InvoiceBilling.invoice == inv.id
    ).execute()
    outcome = runner.autobiller.record(inv.id, attempt.id, DUE)
    assert outcome.kind == "declined"
    for offset in range(1, 10):
        runner.run(as_of=DUE + timedelta(days=offset))
    assert PaymentAttempt.select().count() == 1
    assert InvoiceBilling.get(InvoiceBilling.invoice == inv.id).charge_state == "declined"


def test_no_card_gets_one_email(shop):
    _plan(shop)
    runner = _runner(shop)
    summary = runner.run(as_of=DUE)
    assert summary.declined == 1
    runner.run(as_of=DUE + timedelta(days=1))
    inv = _first_invoice()
    assert _keys("autobill-nocard:") == [f"autobill-nocard:{inv.id}"]
    assert PaymentAttempt.select().count() == 0


def test_paid_in_the_kiosk_first_means_no_auto_charge(shop, stripe_api):
    card = _card(shop)
    _plan(shop)
    runner = _runner(shop)
    runner.run(as_of=ANCHOR)
    inv = _first_invoice()
    shop.services.payments.pay(shop.client_id, [inv.id], card.id, source="kiosk")
    assert runner.run(as_of=DUE).charged == 0
    assert Payment.select().count() == 1
    assert len(intents(stripe_api)) == 1


def test_card_expiring_before_the_next_charge_gets_one_reminder(shop):
    card = _card(shop)
    _plan(shop)
    PaymentMethod.update(exp_month=3, exp_year=2026).where(PaymentMethod.id == card.id).execute()
    runner = _runner(shop)
    runner.run(as_of=ANCHOR)  # next charge Mar 16 is still inside March: no reminder
    assert _keys("card-expiring:") == []
    runner.run(as_of=DUE)  # charged on Mar 16; the next one (Apr 16) is after March
    runner.run(as_of=DUE + timedelta(days=1))
    assert _keys("card-expiring:") == [f"card-expiring:{card.stripe_pm_id}"]
    subjects = [m["Subject"] for m in shop.services.mailer.outbox_messages()]
    assert sum("expires before your next automatic payment" in s for s in subjects) == 1


def test_overdue_reminders_follow_the_schedule_once_each(shop):
    _plan(shop, mode="off")
    runner = _runner(shop)
    for offset in range(0, 20):
        runner.run(as_of=DUE + timedelta(days=offset))
    inv = _first_invoice()
    assert sorted(_keys(f"overdue:{inv.id}:")) == [f"overdue:{inv.id}:10", f"overdue:{inv.id}:3"]


def test_a_run_after_long_downtime_sends_only_the_latest_reminder(shop):
    _plan(shop, mode="off", max_count=1)
    runner = _runner(shop)
    runner.run(as_of=DUE + timedelta(days=30))
    inv = _first_invoice()
    assert _keys(f"overdue:{inv.id}:") == [f"overdue:{inv.id}:10"]


def test_stripe_unreachable_for_the_customer_is_not_a_decline(shop, stripe_api):
    """Creating the Stripe customer fails because Stripe cannot be reached: nothing was
    charged, and the invoice stays due for the next pass (not a hard decline)."""
    import stripe

    from models import Client
    from services.payments.payments import PaymentService
    from services.stripe_client.client import SANDBOX_KEY

    _card(shop)
    _plan(shop)
    _runner(shop).run(as_of=DUE - timedelta(days=1))  # issued, not yet due
    inv = _first_invoice()
    customer = Client.get_by_id(shop.client_id).stripe_customer_id
    Client.update(stripe_customer_id=None).where(Client.id == shop.client_id).execute()
    down = stripe.StripeClient(
        SANDBOX_KEY, base_addresses={"api": "http://127.0.0.1:9"}, max_network_retries=0
    )
    payments = PaymentService(down, shop.services.mailer, shop.services.config)
    outcome = Autobiller(payments).charge(inv.id, DUE)
    assert outcome.kind not in ("declined", "exhausted")
    assert InvoiceBilling.get(InvoiceBilling.invoice == inv.id).charge_state == "scheduled"
    Client.update(stripe_customer_id=customer).where(Client.id == shop.client_id).execute()
    assert _runner(shop).run(as_of=DUE).charged == 1
    assert Invoice.get_by_id(inv.id).status == "paid"
