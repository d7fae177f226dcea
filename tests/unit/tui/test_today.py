"""The command line's "today" is the business's: 23:30 in New York is still that day there."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
import time_machine

from models import Business, Invoice
from tui.cli import main

LATE_EVENING = datetime(2026, 12, 3, 4, 30, tzinfo=UTC)  # 23:30 EST on Dec 2
LOCAL_DAY = date(2026, 12, 2)


@pytest.fixture
def in_new_york(shop, pay_config, monkeypatch):
    Business.update(timezone="America/New_York").where(Business.id == shop.business_id).execute()
    monkeypatch.setenv("PAYDESK_HOME", str(pay_config.home))
    monkeypatch.setenv("PAYDESK_DATABASE_URL", pay_config.database_url)
    monkeypatch.setenv("PAYDESK_SANDBOX_URL", str(pay_config.stripe.sandbox_url))
    monkeypatch.delenv("STRIPE_API_KEY", raising=False)
    with time_machine.travel(LATE_EVENING, tick=True):
        yield shop


def test_invoice_add_issues_on_the_local_date(in_new_york, capsys):
    assert main(["invoice", "add", "--client", "client@example.com", "--line", "Support=95"]) == 0
    assert capsys.readouterr().out.startswith("INV-0001:")
    assert Invoice.get(Invoice.number == "INV-0001").issue_date == LOCAL_DAY


def test_run_reports_the_local_date(in_new_york, capsys):
    assert main(["run", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["as_of"] == LOCAL_DAY.isoformat()
