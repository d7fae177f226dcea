"""Cards expiring before the next charge: the overview counts them in SQL
(services/console/attention.py), and that count must be the billing run's own rules
(services/billing/policy.py) applied series by series, on both databases."""

from __future__ import annotations

import itertools
from datetime import date

import pytest

from models import Business, Client, PaymentMethod, RecurringInvoice
from services.billing.policy import default_card, next_series_charge
from services.console.attention import expiring_cards

TODAY = date(2026, 12, 4)
MODES = ("always", "optin", "optout", "off")


def _months(day: date) -> int:
    return day.year * 12 + day.month


def _series(business: Business) -> None:
    """Clients with one or two cards (the default or else the newest is the one used) and
    series of every mode, choice, lead time, length and end, around month ends."""
    cases = itertools.product(
        MODES,
        (True, False),  # the client's own choice
        (date(2026, 12, 20), date(2026, 12, 31), date(2027, 1, 30), date(2027, 2, 28)),
        (0, 14, 45),  # due days
        ("open", "ended by count", "ended by date"),
    )
    for n, (mode, choice, next_date, due_days, end) in enumerate(cases):
        client = Client.create(business=business, name=f"Client {n}", email=f"c{n}@x.example")
        expiry = (2026 + (n // 3) % 2, 1 + (n // 5) % 12)  # this year or next
        PaymentMethod.create(
            client=client, stripe_pm_id=f"pm_{n}a", brand="visa", last4="4242",
            exp_year=expiry[0], exp_month=expiry[1], is_default=(n // 3) % 4 != 0,
        )  # fmt: skip
        if (n // 3) % 3:  # a second card: used unless the first is the default
            PaymentMethod.create(
                client=client, stripe_pm_id=f"pm_{n}b", brand="mastercard", last4="4444",
                exp_year=2028, exp_month=6, is_default=False,
            )  # fmt: skip
        RecurringInvoice.create(
            business=business, client=client, description=f"Plan {n}",
            anchor_date=date(2026, 1, 1), next_date=next_date, due_days=due_days,
            autobill_mode=mode, client_autobill=choice,
            max_count=3 if end == "ended by count" else None,
            generated_count=3 if end == "ended by count" else 1,
            end_date=date(2026, 12, 1) if end == "ended by date" else None,
        )  # fmt: skip


def _by_the_rules(business: Business) -> list[int]:
    found = []
    series = RecurringInvoice.select().where(RecurringInvoice.status == "active")
    for rec in series.order_by(RecurringInvoice.next_date, RecurringInvoice.id):
        card, when = default_card(rec.client_id), next_series_charge(business, rec)
        if card and when and card.exp_year * 12 + card.exp_month < _months(when):
            found.append(rec.client_id)
    return found


@pytest.mark.parametrize("charged_on", ["due", "issue"])
def test_the_sql_count_is_the_run_rules_series_by_series(database, charged_on):
    business = Business.create(
        name="Desktop Masters", billing_email="billing@example.com", autobill_on=charged_on
    )
    _series(business)
    expected = _by_the_rules(business)
    count, items = expiring_cards(business, limit=10_000)
    assert len(expected) > 10  # the cases do reach the rule
    assert count == len(expected)
    assert [i.client_id for i in items] == expected
    count, items = expiring_cards(business, limit=5)  # counted all, five written out
    assert count == len(expected) and [i.client_id for i in items] == expected[:5]
