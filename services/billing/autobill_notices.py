"""The emails that tell a client their auto-bill changed: by their own choice (a confirmation)
or by ours, against it (an override)."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from models import Business, Client, RecurringInvoice
from services.billing.mode_change import ModeChange
from services.billing.policy import default_card, saved_card_label
from services.billing.recurring_views import lines_of, recurring_amount
from services.billing.schedule import frequency_label
from services.emails.autobill import autobill_changed_email, autobill_overridden_email
from services.emails.message import Email
from services.money import format_money


def _send(mailer, rec: RecurringInvoice, kind: str, build: Callable[[str, str, str], Email]):
    """Email the series' client `build(business name, amount, card label)`."""
    if mailer is None:
        return
    client = Client.get_by_id(rec.client_id)
    business = Business.get_by_id(rec.business_id)
    amount = format_money(recurring_amount(lines_of(rec.id)), business.currency, business.locale)
    message = build(business.name, amount, saved_card_label(default_card(client.id)))
    mailer.send(
        client.email,
        message.subject,
        message.text,
        event_key=f"{kind}:{rec.id}:{uuid.uuid4().hex[:12]}",
    )


def confirm_choice(mailer, rec: RecurringInvoice, enabled: bool) -> None:
    """The client turned auto-billing on or off: confirm it."""
    _send(
        mailer,
        rec,
        "autobill-changed",
        lambda name, amount, card: autobill_changed_email(
            name, rec.description, amount, frequency_label(rec.frequency), card, enabled
        ),
    )


def tell_overridden(mailer, rec: RecurringInvoice, change: ModeChange) -> None:
    """The owner set a mode against the client's choice: say what it is now, and that we did."""
    _send(
        mailer,
        rec,
        "autobill-overridden",
        lambda name, amount, card: autobill_overridden_email(
            name, rec.description, amount, change.client_choice, change.on_after, card
        ),
    )
