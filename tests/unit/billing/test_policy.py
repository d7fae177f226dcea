"""services/billing/policy: which card auto-billing charges, its label, on/off and the date."""

from __future__ import annotations

from datetime import date
from typing import Any, cast

from models import Business, Client, PaymentMethod
from services.billing.autobill_sql import client_and_card
from services.billing.policy import (
    autobill_effective,
    charge_date,
    default_card,
    default_cards,
    invoice_autobill_on,
    saved_card_label,
)
from services.invoices.invoices import InvoiceService
from services.invoices.views import LineInput
from services.payments.cards import CardService


def _card(client: Client, pm: str, brand: str = "visa", default: bool = False) -> PaymentMethod:
    return PaymentMethod.create(
        client=client, stripe_pm_id=pm, brand=brand, last4="0005", exp_month=1, exp_year=2030,
        is_default=default,
    )  # fmt: skip


def test_the_default_card_then_the_newest_one_query_or_many(database):
    business = Business.create(name="Desk", billing_email="b@example.com")
    one = Client.create(business=business, name="One", email="one@example.com")
    two = Client.create(business=business, name="Two", email="two@example.com")
    none = Client.create(business=business, name="None", email="none@example.com")
    chosen = _card(one, "pm_1", default=True)
    _card(one, "pm_2")
    _card(two, "pm_3")
    newest = _card(two, "pm_4")
    assert default_card(one.id).id == chosen.id
    assert default_card(two.id).id == newest.id
    assert default_card(none.id) is None
    many = default_cards([one.id, two.id, none.id])
    assert {cid: card.id for cid, card in many.items()} == {one.id: chosen.id, two.id: newest.id}
    # The card list offers the same card first, and the charge's hand-written statement picks it.
    listed = CardService(cast(Any, None), cast(Any, None))
    assert [listed.list(c.id)[0].id for c in (one, two)] == [chosen.id, newest.id]
    for client in (one, two, none):
        invoice = InvoiceService().create(client.id, [LineInput("Support", 100)], date(2026, 1, 5))
        card = default_card(client.id)
        assert client_and_card(invoice.id) == (client.id, card.id if card else None)


def test_a_card_reads_with_its_brand_name(database):
    business = Business.create(name="Desk", billing_email="b@example.com")
    client = Client.create(business=business, name="One", email="one@example.com")
    assert saved_card_label(_card(client, "pm_a", brand="amex")) == "American Express •••• 0005"
    assert saved_card_label(_card(client, "pm_j", brand="jcb")) == "JCB •••• 0005"
    assert saved_card_label(None) == ""


def test_on_or_off_and_the_charge_date():
    assert autobill_effective("always", False) and not autobill_effective("off", True)
    assert autobill_effective("optout", True) and not autobill_effective("optin", False)
    assert invoice_autobill_on(False, None, False, True)
    assert not invoice_autobill_on(True, None, True, True)  # the series is gone
    issue, due = date(2026, 3, 2), date(2026, 3, 16)
    assert charge_date(Business(autobill_on="due"), issue, due) == due
    assert charge_date(Business(autobill_on="issue"), issue, due) == issue
