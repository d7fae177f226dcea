"""Stored text never reaches the owner's terminal as a control sequence: a client name holding a
clipboard write (OSC 52) and a window title (OSC 0), written past the input checks, is drawn as
symbols in the Overview's attention list, the Clients list, the Client detail and the Outbox
(its list and an email: address, subject, text, files' names, attempts' errors)."""

from __future__ import annotations

from models import (
    AuditLog,
    Client,
    Contact,
    EmailAttempt,
    EmailLog,
    EmailText,
    Invoice,
    InvoiceBilling,
)
from models.states import ChargeState
from screens.admin.client_detail import ClientDetailScreen
from screens.admin.outbox_email import OutboxEmailScreen
from services.console.outbox import OutboxQuery
from tests.fixtures.admin import admin_app
from tests.fixtures.kiosk import TODAY, drive, screen_text, settle

EVIL = "Acme \x1b]52;c;cHduZWQ=\x07 \x1b]0;pwned\x07"
SHOWN = "␛]0;pwned␇"


def poison() -> int:
    """Acme Dental renamed, its contact, a declined charge's message and an audit row, in SQL."""
    acme = Client.get(Client.name == "Acme Dental")
    Client.update(name=EVIL, email="ac\x1b]0;pwned\x07@example.com").where(
        Client.id == acme.id
    ).execute()
    Contact.update(name="Dana \x1b]0;pwned\x07").where(Contact.client == acme.id).execute()
    overdue = Invoice.get(
        (Invoice.client == acme) & (Invoice.due_date < TODAY) & (Invoice.status == "sent")
    )
    InvoiceBilling.create(
        invoice=overdue,
        charge_state=ChargeState.DECLINED,
        last_message="Declined \x1b]0;pwned\x07",
    )
    AuditLog.create(
        actor="contact:\x1b]0;pwned\x07", action="client.updated", subject=f"client:{acme.id}"
    )
    return acme.id


def poison_mail(services) -> int:
    """An email whose address, subject, text, file name and errors hold the sequences."""
    email_id = services.mailer.queue("dana@acme.example", "Welcome", "Hello.\n", "w:1")
    EmailLog.update(
        to="dana\x1b]0;pwned\x07@acme.example",
        subject="Hi \x1b]0;pwned\x07",
        status="failed",
        tries=1,
        next_at=None,
        last_error="550 \x1b]0;pwned\x07",
    ).where(EmailLog.id == email_id).execute()
    EmailText.update(text="Hello \x1b]0;pwned\x07\n", attachments="f\x1b]0;pwned\x07.pdf").where(
        EmailText.email_id == email_id
    ).execute()
    EmailAttempt.create(email_id=email_id, error="refused \x1b]0;pwned\x07")
    return email_id


def clean(text: str) -> None:
    assert SHOWN in text, text
    assert "\x1b" not in text and "\x07" not in text and "\x9b" not in text


def test_a_name_with_escape_sequences_is_drawn_as_symbols_everywhere(services):
    acme = poison()
    seen: dict[str, str] = {}

    async def script(pilot):
        await settle(pilot)
        seen["overview"] = screen_text(pilot.app)
        await pilot.press("f2")
        await settle(pilot)
        seen["clients"] = screen_text(pilot.app)
        pilot.app.push_screen(ClientDetailScreen(pilot.app.ctx, acme))
        await settle(pilot)
        for key in "13456":
            await pilot.press(key)
            await settle(pilot)
            seen[f"detail {key}"] = screen_text(pilot.app)

    drive(admin_app(services), script, size=(160, 40))
    for where, text in seen.items():
        assert "\x1b" not in text and "\x07" not in text, where
    clean(seen["overview"])
    assert "Declined ␛]0;pwned␇" in seen["overview"]
    clean(seen["clients"])
    assert "ac␛]0;pwned␇@exam" in seen["clients"]  # the column cuts the rest
    clean(seen["detail 1"])
    assert "Dana ␛]0;pwned␇" in seen["detail 1"]
    clean(seen["detail 6"])


def test_an_email_with_escape_sequences_is_drawn_as_symbols_in_the_outbox(services):
    email_id = poison_mail(services)
    seen: dict[str, str] = {}

    async def script(pilot):
        await settle(pilot)
        await pilot.press("f8")
        await settle(pilot)
        seen["outbox"] = screen_text(pilot.app)
        pilot.app.push_screen(OutboxEmailScreen(pilot.app.ctx, email_id))
        await settle(pilot)
        seen["email"] = screen_text(pilot.app)

    drive(admin_app(services), script, size=(160, 40))
    clean(seen["outbox"])
    assert "dana␛]0;pwned␇@a" in seen["outbox"] and "Hi ␛]0;pwned␇" in seen["outbox"]
    email = seen["email"]
    clean(email)
    for shown in ("Hello ␛]0;pwned␇", "f␛]0;pwned␇.pdf", "refused ␛]0;pwned␇", "550 ␛]0;pwned␇"):
        assert shown in email, shown


def test_the_console_queries_hand_over_visible_text(services):
    """The door's rows are already safe, so a screen cannot forget (services/console)."""
    acme = poison()
    door = admin_app(services).door
    page = door.clients()
    row = next(r for r in page.rows if r.id == acme)
    assert row.name == "Acme ␛]52;c;cHduZWQ=␇ ␛]0;pwned␇"
    assert row.email == "ac␛]0;pwned␇@example.com"
    items = [i for i in door.attention().items if i.client_id == acme]
    assert items and all("\x1b" not in i.client + i.reason for i in items)
    entries, _ = door.client_audit(acme, 0, 50)
    assert any(e.actor == "contact:␛]0;pwned␇" for e in entries)
    run = door.next_run()
    assert all("\x1b" not in item.client + item.what for item in run.items)
    email_id = poison_mail(services)
    [row] = door.outbox.page(OutboxQuery(recipient="dana")).rows
    assert row.to == "dana␛]0;pwned␇@acme.example" and row.subject == "Hi ␛]0;pwned␇"
    email = door.outbox.email(email_id)
    assert email.text == "Hello ␛]0;pwned␇\n" and email.attachments == ("f␛]0;pwned␇.pdf",)
    assert [a.error for a in email.attempts] == ["refused ␛]0;pwned␇"]
