"""23:30 in New York on an invoice's due date (04:30 UTC the next day): it is not overdue yet."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine

from models import Client, db
from services.container import build_services
from services.demo import DEMO_CLIENT_EMAIL, seed_demo
from services.invoices.views import LineInput
from tests.fixtures.kiosk import drive, screen_text, signed_in_at
from tui.kiosk_app import make_kiosk_app

DUE = date(2026, 12, 2)
LATE_EVENING = datetime(2026, 12, 3, 4, 30, tzinfo=UTC)  # 23:30 EST on Dec 2


@pytest.fixture
def late_evening_services(kiosk_config):
    with time_machine.travel(LATE_EVENING, tick=False):
        services = build_services(kiosk_config)
        seed_demo(services, today=DUE)  # one seeded invoice is 16 days overdue
        client = Client.get(Client.email == DEMO_CLIENT_EMAIL)
        due_today = services.invoices.create(
            client.id, [LineInput("Late-evening support", 9500)], date(2026, 11, 18), DUE
        )
        yield services, client.id, due_today.number
    db.close()


def test_the_kiosk_does_not_call_an_invoice_due_today_overdue(late_evening_services):
    services, client_id, number = late_evening_services

    async def script(pilot):
        await signed_in_at("invoices")(pilot)
        return screen_text(pilot.app)

    text = drive(make_kiosk_app(services), script, size=(100, 30))
    # The list's row only, not the summary of the highlighted invoice drawn beside it.
    row = next(line for line in text.splitlines() if number in line).split("││")[0]
    assert "Overdue" not in row and "Owed" in row
    assert services.invoices.get(services.invoices.find_by_number(number)).overdue is False
    assert services.invoices.owed(client_id).overdue_count == 1
