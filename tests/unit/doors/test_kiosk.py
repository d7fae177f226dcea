"""The kiosk's door: a desk answers for its own client, or its code's one invoice, only."""

from __future__ import annotations

import pytest

from models import AuditLog
from services.accounts.identity import LoginError
from services.doors.kiosk import ClientDesk, CodeDesk, NotYours
from services.payments.payments import PaymentError

PASSWORD = "tangerine-kayak-77"


@pytest.fixture
def desk(shop) -> ClientDesk:
    shop.services.accounts.create_contact(
        shop.business_id, shop.client_id, "client@example.com", PASSWORD, name="Ann"
    )
    return shop.services.kiosk("198.51.100.4").login("client@example.com", PASSWORD)


def code_desk(shop, invoice_id: int) -> CodeDesk:
    code = shop.services.codes.create(invoice_id)
    opened = shop.services.kiosk("198.51.100.5").open_code(code)
    assert opened is not None
    return opened


def test_signing_in_opens_the_desk_of_that_client(shop, desk):
    assert (desk.client_id, desk.business_id) == (shop.client_id, shop.business_id)
    assert desk.email == "client@example.com" and desk.name == "Ann"
    assert desk.actor.startswith("contact:") and desk.source == "kiosk"
    assert desk.profile().currency == "USD"


def test_a_wrong_password_opens_no_desk(shop, desk):
    with pytest.raises(LoginError):
        shop.services.kiosk().login("client@example.com", "not the password")


def test_a_login_without_a_client_opens_no_desk(shop):
    shop.services.accounts.create_contact(
        shop.business_id, None, "owner@example.com", PASSWORD, role="admin"
    )
    with pytest.raises(LoginError):
        shop.services.kiosk().login("owner@example.com", PASSWORD)


def test_another_clients_invoice_is_refused(shop, desk):
    mine = shop.invoice(1_000)
    theirs = shop.invoice(2_000, client_id=shop.other_client())
    assert desk.invoice(mine.id).number == mine.number
    with pytest.raises(NotYours):
        desk.invoice(theirs.id)
    assert [inv.id for inv in desk.invoices(0, 10)] == [mine.id]
    assert desk.invoice_count() == 1 and desk.owed().total == 1_000
    assert [inv.id for inv in desk.owed_invoices()] == [mine.id]


def test_another_clients_invoice_cannot_be_paid(shop, desk):
    card = desk.add_test_card("success")
    theirs = shop.invoice(2_000, client_id=shop.other_client())
    with pytest.raises(PaymentError) as refused:
        desk.pay([theirs.id], card.id)
    assert theirs.number not in str(refused.value)  # nothing of theirs is told
    assert shop.services.invoices.get(theirs.id).balance == 2_000


def test_card_changes_are_audited_as_the_signed_in_contact(shop, desk):
    first = desk.add_test_card("success")
    second = desk.add_test_card("success")
    desk.set_default_card(second.id)
    desk.remove_card(first.id)
    actions = ("card.added", "card.default", "card.removed")
    rows = AuditLog.select().where(AuditLog.action.in_(actions))
    assert {row.actor for row in rows} == {desk.actor}
    assert {row.action for row in rows} == set(actions)


def test_the_client_pays_their_own_invoices_and_is_audited_as_themselves(shop, desk):
    card = desk.add_test_card("success")
    first, second = shop.invoice(1_000), shop.invoice(500)
    result = desk.pay([first.id, second.id], card.id)
    assert result.status == "succeeded" and result.amount == 1_500
    assert desk.balance_after_payment() == 0
    row = AuditLog.get(AuditLog.action == "payment.attempt")
    assert row.actor == desk.actor and row.source_address == "198.51.100.4"


def test_a_code_opens_its_one_invoice_and_nothing_else(shop):
    mine, other = shop.invoice(1_000), shop.invoice(2_000)
    desk = code_desk(shop, mine.id)
    assert desk.invoice(mine.id).number == mine.number
    assert desk.actor == f"code:invoice:{mine.id}" and desk.email == ""
    with pytest.raises(NotYours):
        desk.invoice(other.id)
    # A code holder has no listing, no owed total, no cards to manage, no recurring invoices.
    for name in ("invoices", "owed", "owed_invoices", "remove_card", "plans", "set_autobill"):
        assert not hasattr(desk, name), name


def test_a_code_holder_cannot_pay_another_invoice(shop):
    mine, other = shop.invoice(1_000), shop.invoice(2_000)
    desk = code_desk(shop, mine.id)
    card = desk.add_test_card("success")
    for ids in ([other.id], [mine.id, other.id]):
        with pytest.raises(NotYours):
            desk.pay(ids, card.id)
    assert shop.services.invoices.get(other.id).balance == 2_000
    assert shop.services.invoices.get(mine.id).balance == 1_000
    result = desk.pay([mine.id], card.id)
    assert result.status == "succeeded" and desk.balance_after_payment() == 0
    assert shop.services.invoices.get(other.id).balance == 2_000


def test_a_bad_code_opens_no_desk(shop):
    assert shop.services.kiosk("198.51.100.6").open_code("nope-nope") is None
