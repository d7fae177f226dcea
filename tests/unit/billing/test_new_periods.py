"""The pass's plan of new invoices: a few statements whatever the number of schedules due
(the console's overview asks it every time it opens: bench/admin.py)."""

from __future__ import annotations

import logging
from datetime import date

from models import Business
from services.billing.phases.generate import new_periods
from services.invoices.views import LineInput

ANCHOR = date(2026, 3, 2)


def test_the_periods_of_many_schedules_are_planned_in_a_few_statements(shop, caplog):
    for n in range(40):
        shop.services.recurring.add(
            shop.client_id, f"Plan {n}", "monthly", ANCHOR, [LineInput("Support", 1_000 + n)]
        )
    business = Business.get_by_id(shop.business_id)
    with caplog.at_level(logging.DEBUG, logger="peewee"):
        caplog.clear()
        errors: list[str] = []
        periods = new_periods(business, ANCHOR, errors)
        statements = [r for r in caplog.records if r.name == "peewee"]
    assert errors == []
    assert sorted(p.rec.description for p in periods) == sorted(f"Plan {n}" for n in range(40))
    assert len(statements) <= 4, [r.getMessage()[:80] for r in statements]
