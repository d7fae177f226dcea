"""The console's payments: the list filtered, sorted and paged in SQL (at volume), one
payment's detail with its allocations and refunds."""

from __future__ import annotations

import logging
from datetime import date, datetime

import pytest
import time_machine

from models import AuditLog, Business, Client, Contact, Payment, Refund
from models.states import RefundStatus
from services.accounts.identity import AccountError
from services.console.payment_list import PaymentQuery, day_start_utc
from services.demo import seed_demo
from services.doors.admin import AdminActor
from services.doors.admin_payments import WrongPassword
from tests.fixtures.kiosk import FROZEN, TODAY
from tests.fixtures.volume import add_volume

KEY = "SHA256:abcDEF0123456789abcDEF0123456789abcDEF01234"


@pytest.fixture
def door(pay_services):
    with time_machine.travel(FROZEN, tick=False):
        seed_demo(pay_services, today=TODAY)
        yield pay_services.admin(AdminActor.ssh_key(KEY, "198.51.100.9"))


def offline(name: str, amount: int, at: datetime, ref: str) -> int:
    client = Client.get(Client.name == name)
    row = Payment.create(client=client, reference=ref, amount=amount, currency="USD")
    Payment.update(created_at=at).where(Payment.id == row.id).execute()
    return row.id


def test_the_list_filters_by_client_method_status_and_day(door):
    payments = door.payments
    demo = payments.page()
    assert [r.reference for r in demo.rows] == ["PAY-000002", "PAY-000001"]
    assert demo.total == 2 and {r.method for r in demo.rows} == {"card"}
    tz = Business.get().timezone
    day = date(2026, 1, 5)
    late = day_start_utc(day, tz).replace(hour=23)
    offline("Birch Bakery", 5_000, late, "CHK-1")
    first = Payment.get(Payment.reference == "PAY-000001")
    Refund.create(payment=first.id, amount=100, idempotency_key="k1")  # pending
    Payment.update(amount_refunded=30_000).where(
        Payment.reference == "PAY-000002"
    ).execute()  # as if refunded (amount 12_500): fully

    assert [r.reference for r in payments.page(PaymentQuery(client="birch")).rows] == ["CHK-1"]
    assert [r.reference for r in payments.page(PaymentQuery(method="offline")).rows] == ["CHK-1"]
    assert payments.page(PaymentQuery(method="card")).total == 2
    assert [r.reference for r in payments.page(PaymentQuery(status="refunding")).rows] == [
        "PAY-000001"
    ]
    assert [r.reference for r in payments.page(PaymentQuery(status="refunded")).rows] == [
        "PAY-000002"
    ]
    assert payments.page(PaymentQuery(status="received")).total == 1  # CHK-1 (newest first)
    # The business's days: Jan 5 runs from 05:00 UTC to 05:00 UTC the next day.
    on_day = PaymentQuery(since=day, until=day)
    assert [r.reference for r in payments.page(on_day).rows] == ["CHK-1"]
    assert payments.page(PaymentQuery(since=date(2026, 1, 6), until=date(2026, 1, 6))).total == 0
    by_amount = payments.page(PaymentQuery(sort="amount", descending=False))
    assert [r.amount for r in by_amount.rows] == sorted(r.amount for r in by_amount.rows)


def test_the_list_is_filtered_sorted_and_paged_in_sql(door, caplog):
    business = Business.get().id
    add_volume(business, 300, 30, TODAY)  # every third invoice paid: 3,000 payments
    assert Payment.select().count() == 3_002
    with caplog.at_level(logging.DEBUG, logger="peewee"):  # every statement, SQLite or PG
        caplog.clear()
        page = door.payments.page(PaymentQuery(client="Client 0004", sort="amount"), 50, 50)
        statements = [r.getMessage() for r in caplog.records if r.name == "peewee"]
    assert page.total == 100 and len(page.rows) == 50 and page.offset == 50  # 10 clients
    selects = [s for s in statements if "SELECT" in s.upper()]
    assert 1 <= len(selects) <= 3, statements
    # The page is cut by the database, never by reading every payment (bench/admin.py times
    # it at 100,000): each statement either counts or is limited to the page.
    assert all("COUNT(" in s.upper() or "LIMIT" in s.upper() for s in selects), selects


def test_the_detail_has_the_allocations_refunds_and_stripe_reference(door):
    payment = Payment.get(Payment.reference == "PAY-000001")
    Refund.create(
        payment=payment.id,
        amount=1_000,
        reason="requested_by_customer",
        idempotency_key="k2",
        status=RefundStatus.SUCCEEDED,
        stripe_refund_id="re_1",
    )
    Payment.update(amount_refunded=1_000).where(Payment.id == payment.id).execute()
    Refund.create(payment=payment.id, amount=500, idempotency_key="k3")
    detail = door.payments.detail(payment.id)
    assert detail.client == "Acme Dental" and detail.card == "Visa •••• 4242"
    assert detail.intent_id == payment.stripe_intent_id and detail.intent_id.startswith("pi_")
    assert [(a.number, a.amount) for a in detail.allocations] == [("INV-0001", payment.amount)]
    assert [(r.amount, r.status) for r in detail.refunds] == [
        (1_000, "succeeded"),
        (500, "created"),
    ]
    assert detail.refundable == payment.amount - 1_500


def test_a_refund_asks_the_owner_login_and_refuses_without_one(door):
    payment = Payment.get(Payment.reference == "PAY-000001")
    payments = door.payments
    assert payments.owner_email() == "owner@example.com"
    with pytest.raises(WrongPassword):
        payments.refund(payment.id, 100, "duplicate", "", "paydesk-demo")  # the client's
    assert AuditLog.get(AuditLog.action == "owner.password_failed").actor.startswith("admin:key:")
    Contact.update(disabled=True).where(Contact.role == "admin").execute()
    assert payments.owner_email() is None
    with pytest.raises(AccountError, match="no owner login"):
        payments.refund(payment.id, 100, "duplicate", "", "paydesk-owner")
    assert Refund.select().count() == 0
