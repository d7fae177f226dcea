"""The owner's edits of a recurring invoice: the preview is what the run issues, a mode change
never silently overrides the client's own choice, and saving other fields keeps it."""

from __future__ import annotations

from datetime import date

import pytest

from models import AuditLog, Invoice, RecurringInvoice
from services.billing.preview import preview
from services.billing.recurring import OverrideRefused
from services.billing.recurring_views import lines_of
from services.billing.run import make_runner
from services.invoices.views import LineInput

LINES = [LineInput("Support plan", 25_000, 1000, 825), LineInput("Backup", 1_999, 2500, 0)]


def _plan(shop, mode="optout", **kw):
    return shop.services.recurring.add(
        shop.client_id,
        "Managed IT support",
        kw.pop("frequency", "monthly"),
        kw.pop("anchor", date(2026, 1, 31)),
        LINES,
        autobill_mode=mode,
        **kw,
    ).view


def _preview(plan_id: int, today: date):
    rec = RecurringInvoice.get_by_id(plan_id)
    return [(p.day, p.amount) for p in preview(rec, lines_of(rec.id), today)]


def _issued(plan_id: int):
    rows = Invoice.select().where(Invoice.recurring == plan_id).order_by(Invoice.period_start)
    return [(inv.period_start, inv.total) for inv in rows]


@pytest.mark.parametrize(
    "schedule",
    [
        {"frequency": "monthly", "anchor": date(2026, 1, 31)},  # Feb 28, Mar 31, Apr 30, …
        {"frequency": "monthly", "anchor": date(2026, 1, 31), "max_count": 4},
        {"frequency": "2weeks", "anchor": date(2026, 2, 3), "end_date": date(2026, 3, 30)},
    ],
)
def test_the_preview_is_what_the_run_issues_run_by_run(shop, schedule):
    plan = _plan(shop, "off", **schedule)
    expected = _preview(plan.id, date(2026, 1, 1))
    assert expected and len(expected) <= 6
    runner = make_runner(shop.services, rate=0)
    for day, _ in expected:
        runner.run(as_of=day)
    assert _issued(plan.id) == expected
    runner.run(as_of=date(2026, 12, 31))  # the run goes on where the preview stopped
    issued = _issued(plan.id)
    assert issued[: len(expected)] == expected
    if "max_count" in schedule or "end_date" in schedule:
        assert issued == expected  # the preview knew where the schedule ends


def test_a_paused_preview_is_what_resuming_today_issues(shop):
    plan = _plan(shop, "off")
    rec = shop.services.recurring
    rec.pause(plan.id)
    today = date(2026, 4, 10)
    expected = _preview(plan.id, today)
    assert expected[0][0] == date(2026, 4, 30)  # the paused periods are skipped
    rec.resume(plan.id, today=today)
    make_runner(shop.services, rate=0).run(as_of=expected[1][0])
    assert _issued(plan.id) == expected[:2]


def _client_turns_off(shop, plan_id: int) -> None:
    shop.services.recurring.set_client_autobill(
        shop.client_id, plan_id, False, actor="contact:7", address="203.0.113.9"
    )


def test_a_mode_that_overrides_the_clients_choice_is_refused_unless_confirmed(shop):
    rec = shop.services.recurring
    plan = _plan(shop, "optout")
    _client_turns_off(shop, plan.id)
    sent = len(shop.services.mailer.outbox_messages())
    change = rec.mode_change(plan.id, "always")
    assert change.overrides and not change.client_choice and change.on_after
    with pytest.raises(OverrideRefused, match="client chose auto-pay off"):
        rec.set_mode(plan.id, "always", actor="admin:local:me", address="local")
    assert RecurringInvoice.get_by_id(plan.id).autobill_mode == "optout"
    assert len(shop.services.mailer.outbox_messages()) == sent  # nothing said, nothing done
    rec.set_mode(plan.id, "always", actor="admin:local:me", address="local", override=True)
    saved = RecurringInvoice.get_by_id(plan.id)
    assert (saved.autobill_mode, saved.client_autobill) == ("always", False)
    mail = shop.services.mailer.outbox_messages()[-1]
    assert mail["To"] == "client@example.com"
    assert "Automatic payment now on for Managed IT support: set by us" in mail["Subject"]
    body = mail.get_payload() if not mail.is_multipart() else mail.get_payload(0).get_payload()
    assert "You had turned automatic payment off" in body
    row = AuditLog.get(AuditLog.action == "recurring.autobill_overridden")
    assert (row.actor, row.source_address, row.subject) == (
        "admin:local:me",
        "local",
        f"recurring:{plan.id}",
    )
    # the choice was kept, not reset: a mode that lets the client choose brings it back
    rec.set_mode(plan.id, "optout", actor="admin:local:me")
    assert not rec.list_for_client(shop.client_id)[0].autobill_enabled


def test_a_mode_that_keeps_the_clients_choice_is_not_asked_nor_emailed(shop):
    rec = shop.services.recurring
    plan = _plan(shop, "optout")
    _client_turns_off(shop, plan.id)
    sent = len(shop.services.mailer.outbox_messages())
    for mode in ("optin", "off", "optout"):  # off charges no more than the client chose
        assert not rec.mode_change(plan.id, mode).overrides
        rec.set_mode(plan.id, mode, actor="admin:local:me")
    assert len(shop.services.mailer.outbox_messages()) == sent
    assert not AuditLog.select().where(AuditLog.action == "recurring.autobill_overridden")


@pytest.mark.parametrize(("mode", "choice"), [("optout", False), ("optin", True)])
def test_saving_other_fields_keeps_the_clients_choice(shop, mode, choice):
    rec = shop.services.recurring
    plan = _plan(shop, mode)
    rec.set_client_autobill(shop.client_id, plan.id, choice, actor="contact:7")
    detail = rec.update(
        plan.id,
        "Managed IT support (2026)",
        "3months",
        date(2026, 1, 31),
        [LineInput("Support plan", 30_000, 1000, 825)],
        due_days=10,
        actor="admin:local:me",
        today=date(2026, 1, 15),
    )
    saved = RecurringInvoice.get_by_id(plan.id)
    assert (saved.autobill_mode, saved.client_autobill) == (mode, choice)
    assert detail.view.autobill_enabled is choice
    assert (saved.description, saved.frequency, saved.due_days) == (
        "Managed IT support (2026)",
        "3months",
        10,
    )
    assert detail.view.amount == 32_475
    assert AuditLog.get(AuditLog.action == "recurring.updated").actor == "admin:local:me"


def test_an_edit_never_bills_a_billed_period_again_and_a_past_anchor_starts_next(shop):
    rec = shop.services.recurring
    plan = _plan(shop, "off", anchor=date(2026, 1, 31))
    make_runner(shop.services, rate=0).run(as_of=date(2026, 3, 1))  # Jan 31, Feb 28 billed
    moved = rec.update(
        plan.id, "Moved", "monthly", date(2026, 1, 15), LINES, today=date(2026, 3, 1)
    )
    assert moved.upcoming[0] == date(2026, 4, 15)  # on or after the old next date, Mar 31
    unstarted = _plan(shop, "off", anchor=date(2026, 5, 1))
    past = rec.update(
        unstarted.id, "Past", "monthly", date(2026, 1, 10), LINES, today=date(2026, 3, 1)
    )
    assert past.upcoming[0] == date(2026, 3, 10)
