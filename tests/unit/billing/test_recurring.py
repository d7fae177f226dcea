"""RecurringService: the client's auto-bill choice (audited, confirmed, never reset by an
admin edit), what the kiosk lists, and the next automatic charge."""

from __future__ import annotations

from datetime import date

import pytest

from models import AuditLog
from services.billing.recurring import RecurringError
from services.invoices.views import LineInput


def _plan(shop, mode="optout", client_id=None):
    return shop.services.recurring.add(
        client_id or shop.client_id,
        f"Plan {mode}",
        "monthly",
        date(2026, 1, 31),
        [LineInput("Support", 10_000, 1000, 1000)],
        autobill_mode=mode,
    ).view


def test_modes_say_whether_the_client_can_choose(shop):
    views = {
        v.autobill_mode: v for v in [_plan(shop, m) for m in ("always", "optout", "optin", "off")]
    }
    assert views["optout"].autobill_enabled and views["optout"].can_change
    assert not views["optin"].autobill_enabled and views["optin"].can_change
    assert views["always"].autobill_enabled and not views["always"].can_change
    assert "required" in views["always"].why_not
    assert not views["off"].autobill_enabled and not views["off"].can_change
    listed = shop.services.recurring.list_for_client(shop.client_id)
    assert [v.id for v in listed] == sorted(v.id for v in views.values())
    assert listed[0].amount == 11_000 and listed[0].frequency_label == "Monthly"
    assert listed[0].next_date == date(2026, 1, 31)


def test_client_choice_is_audited_confirmed_and_kept_by_admin_edits(shop):
    rec = shop.services.recurring
    plan = _plan(shop, "optout")
    view = rec.set_client_autobill(
        shop.client_id, plan.id, False, actor="contact:7", address="203.0.113.9"
    )
    assert not view.autobill_enabled
    row = AuditLog.select().where(AuditLog.action == "recurring.autobill_disabled").get()
    assert (row.actor, row.source_address, row.subject) == (
        "contact:7",
        "203.0.113.9",
        f"recurring:{plan.id}",
    )
    [mail] = shop.services.mailer.outbox_messages()
    assert "Automatic payment turned off" in mail["Subject"]
    assert mail["To"] == "client@example.com"
    # an admin changing the mode (optout → optin → optout) never resets the client's "off"
    rec.set_mode(plan.id, "optin")
    rec.set_mode(plan.id, "optout")
    assert not rec.list_for_client(shop.client_id)[0].autobill_enabled
    # the same choice again: audited, but no second email
    rec.set_client_autobill(shop.client_id, plan.id, False, actor="contact:7")
    assert len(shop.services.mailer.outbox_messages()) == 1


def test_client_cannot_change_someone_elses_plan_or_a_fixed_mode(shop):
    rec = shop.services.recurring
    other = shop.other_client()
    theirs = _plan(shop, "optout", client_id=other)
    with pytest.raises(RecurringError, match="not yours"):
        rec.set_client_autobill(shop.client_id, theirs.id, False, actor="contact:1")
    for mode in ("always", "off"):
        fixed = _plan(shop, mode)
        with pytest.raises(RecurringError):
            rec.set_client_autobill(shop.client_id, fixed.id, mode == "off", actor="contact:1")


def test_next_charge_names_the_date_amount_and_card(shop):
    rec = shop.services.recurring
    assert rec.next_charge(shop.client_id, today=date(2026, 1, 1)) is None
    _plan(shop, "optout")
    card = shop.services.cards.add_test_card(shop.client_id, "success")
    shop.services.cards.set_default(shop.client_id, card.id)
    nxt = rec.next_charge(shop.client_id, today=date(2026, 1, 1))
    assert nxt is not None
    assert (nxt.date, nxt.amount, nxt.currency) == (date(2026, 2, 14), 11_000, "USD")
    assert nxt.card_label.endswith("4242")


def test_add_validates_its_input(shop):
    rec = shop.services.recurring
    with pytest.raises(Exception, match="unknown frequency"):
        rec.add(shop.client_id, "x", "fortnightly-ish", date(2026, 1, 1), [LineInput("a", 1)])
    with pytest.raises(RecurringError, match="auto-bill mode"):
        rec.add(shop.client_id, "x", "monthly", date(2026, 1, 1), [LineInput("a", 1)],
                autobill_mode="sometimes")  # fmt: skip
    with pytest.raises(RecurringError, match="at least one line"):
        rec.add(shop.client_id, "x", "monthly", date(2026, 1, 1), [])
    with pytest.raises(RecurringError, match="end date"):
        rec.add(shop.client_id, "x", "monthly", date(2026, 1, 1), [LineInput("a", 1)],
                end_date=date(2025, 1, 1))  # fmt: skip
    detail = rec.show(_plan(shop).id)
    assert detail.upcoming == (
        date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31),
        date(2026, 4, 30), date(2026, 5, 31), date(2026, 6, 30),
    )  # fmt: skip
