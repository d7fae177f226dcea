"""Outbox (F8): every email queued, sent, retrying, failed or cancelled, newest first, filtered
by state and by recipient or subject; an email shown with its attempts, its attachments' names
and its text (codes hidden); resend and cancel when the email allows it. Against a real SMTP
server (aiosmtpd): a refused delivery is retrying, never sent, until the pass after its backoff
sends it, once."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from models import EmailLog, db, utcnow
from screens.admin.outbox import OutboxScreen
from screens.admin.outbox_email import OutboxEmailScreen
from services.accounts.access_codes import new_code
from services.container import build_services
from services.demo import seed_demo
from tests.fixtures.admin import admin_app, in_section
from tests.fixtures.kiosk import TODAY, drive, screen_text, settle, settle_until
from tests.fixtures.smtp import SmtpServer

EVIL = "Receipt [b]PAY-0042[/b] for Acme"
LATER = "451 4.3.0 try again later"
NEVER = "550 5.1.1 no such mailbox"
DEMO_RECEIPTS = 2  # the demo's seed mails two payment receipts
PDF = ("INV-0007.pdf", "application/pdf", b"%PDF-1.4 test")


@pytest.fixture
def services(kiosk_config, frozen_clock, smtp_server):
    """The demo business, mailing through the real SMTP server."""
    config = replace(kiosk_config, smtp_url=f"smtp://127.0.0.1:{smtp_server.port}")
    built = build_services(config)
    seed_demo(built, today=TODAY)
    assert built.payments.receipts.flush()  # the demo's receipts are out before the test
    yield built
    db.close()


def with_mail(services, smtp: SmtpServer) -> dict[str, int]:
    """After the demo's two receipts, one email in each state, oldest first: sent (with a code
    and a PDF), failed for good, retrying, cancelled, queued; their ids by state."""
    mailer = services.mailer
    code = new_code()
    text = f"Your invoice INV-0007 is ready.\nIn the billing kiosk: view {code}\n"
    assert mailer.send("client@example.com", "Invoice INV-0007 from Desktop Masters", text,
                       attachments=[PDF], event_key="invoice-mail:7")  # fmt: skip
    smtp.reply = NEVER
    assert not mailer.send("nobody@acme.example", EVIL, "Thank you.\n", event_key="receipt:42")
    smtp.reply = LATER
    assert not mailer.send("birch@example.com", "Statement for March", "Your statement.\n",
                           attachments=[("statement.pdf", "application/pdf", b"%PDF")],
                           event_key="statement:3")  # fmt: skip
    smtp.reply = None
    cancelled = mailer.queue("dana@acme.example", "Reminder: INV-0005", "A reminder.\n", "r:5")
    queued = mailer.queue("birch@example.com", "Welcome to the kiosk", "Welcome.\n", "w:1")
    EmailLog.update(status="cancelled", next_at=None).where(EmailLog.id == cancelled).execute()
    ids = {row.status: row.id for row in EmailLog.select()}
    failed = EmailLog.select().where(EmailLog.status == "failed").order_by(EmailLog.id)
    ids["failed"], ids["retrying"] = (row.id for row in failed)
    ids["queued"] = queued
    return ids


def open_outbox(*keys: str):
    return in_section("f8", *keys)


def open_email(state: str, ids: dict[str, int]):
    """The outbox, and the email of that state opened (the list is newest first)."""

    async def script(pilot) -> None:
        await open_outbox()(pilot)
        order = sorted(ids.values(), reverse=True)
        for _ in range(order.index(ids[state])):
            await pilot.press("down")
        await pilot.press("enter")
        await settle_until(pilot, lambda: getattr(pilot.app.screen, "email", None) is not None)

    return script


def said(app) -> str:
    return " | ".join(str(n.message) for n in app._notifications)


class TestOutboxScreen:
    def test_snapshot(self, services, smtp_server, snap_compare):
        with_mail(services, smtp_server)
        app = admin_app(services)
        assert snap_compare(app, terminal_size=(100, 30), run_before=open_outbox())

    def test_snapshot_80x24(self, services, smtp_server, snap_compare):
        with_mail(services, smtp_server)
        app = admin_app(services)
        assert snap_compare(app, terminal_size=(80, 24), run_before=open_outbox())

    def test_filters_by_state_and_by_recipient_or_subject(self, services, smtp_server):
        with_mail(services, smtp_server)

        async def script(pilot):
            await open_outbox()(pilot)
            assert isinstance(pilot.app.screen, OutboxScreen)
            seen = {"all": screen_text(pilot.app)}
            for state in ("queued", "sending", "sent", "retrying", "failed", "cancelled"):
                await pilot.press("t")
                await settle(pilot)
                seen[state] = screen_text(pilot.app)
            await pilot.press("t")  # back to any state
            await pilot.press("slash", *"birch", "enter")
            await pilot.pause(0.5)
            await settle(pilot)
            seen["birch"] = screen_text(pilot.app)
            await pilot.press("slash", "ctrl+a", "ctrl+k", *"statement", "enter")
            await pilot.pause(0.5)
            await settle(pilot)
            seen["statement"] = screen_text(pilot.app)
            await pilot.press("slash", "ctrl+a", "ctrl+k", *"Acme Dental", "enter")
            await pilot.pause(0.5)
            await settle(pilot)
            seen["acme"] = screen_text(pilot.app)  # a client's name finds its address
            return seen

        seen = drive(admin_app(services), script, size=(100, 30))
        assert "1–7 of 7 emails" in seen["all"] and "Any state (t)" in seen["all"]
        assert "Receipt [b]PAY-00" in seen["all"]  # drawn as typed, not as bold
        assert "1–1 of 1 emails" in seen["queued"] and "Welcome to the" in seen["queued"]
        assert "No emails" in seen["sending"]
        assert "Invoice INV-00" in seen["sent"] and "1–3 of 3" in seen["sent"]
        assert "Statement for" in seen["retrying"] and "Retrying" in seen["retrying"]
        assert "Sent" not in seen["retrying"].split("Attempts", 1)[1]
        assert "Receipt [b]PAY-00" in seen["failed"] and "1–1 of 1" in seen["failed"]
        assert "Reminder: INV-" in seen["cancelled"] and "1–1 of 1" in seen["cancelled"]
        assert "1–2 of 2 emails" in seen["birch"]
        assert "1–1 of 1 emails" in seen["statement"] and "Statement for" in seen["statement"]
        assert "1–3 of 3 emails" in seen["acme"] and "Invoice INV-00" in seen["acme"]


class TestOutboxEmailScreen:
    def test_snapshot(self, services, smtp_server, snap_compare):
        ids = with_mail(services, smtp_server)
        app = admin_app(services)
        assert snap_compare(app, terminal_size=(100, 30), run_before=open_email("retrying", ids))

    def test_snapshot_80x24(self, services, smtp_server, snap_compare):
        ids = with_mail(services, smtp_server)
        app = admin_app(services)
        assert snap_compare(app, terminal_size=(80, 24), run_before=open_email("retrying", ids))

    def test_snapshot_sent_with_a_code_hidden_80x24(self, services, smtp_server, snap_compare):
        ids = with_mail(services, smtp_server)
        app = admin_app(services)
        assert snap_compare(app, terminal_size=(80, 24), run_before=open_email("sent", ids))

    def test_shows_attempts_attachments_and_the_text_without_its_code(self, services, smtp_server):
        ids = with_mail(services, smtp_server)
        [message] = [m for m in smtp_server.messages() if "INV-0007" in m["Subject"]]
        code = message.get_body(("plain",)).get_content().split("view ", 1)[1].strip()

        async def script(pilot):
            await open_email("sent", ids)(pilot)
            return screen_text(pilot.app), pilot.app.screen

        text, screen = drive(admin_app(services), script, size=(100, 30))
        assert isinstance(screen, OutboxEmailScreen)
        assert "Invoice INV-0007 from Desktop Masters" in text and "INV-0007.pdf" in text
        assert "went out" in text and "1 attempt" in text
        assert "One-time codes in it are hidden." in text
        assert code not in text and code.replace("-", "") not in text.replace("-", "")
        assert "Cancel sending" not in text  # a sent email is not cancelled

    def test_cancel_a_queued_one_after_a_yes(self, services, smtp_server):
        ids = with_mail(services, smtp_server)

        async def script(pilot):
            await open_email("queued", ids)(pilot)
            await pilot.press("c")
            await settle(pilot)
            asked = screen_text(pilot.app)
            await pilot.press("escape")  # "Keep trying": nothing happens
            await settle(pilot)
            kept = EmailLog.get_by_id(ids["queued"]).status
            await pilot.press("c")
            await settle(pilot)
            await pilot.click("#yes")
            await settle_until(pilot, lambda: "Cancelled" in screen_text(pilot.app))
            after = screen_text(pilot.app)
            await pilot.press("escape")
            await settle(pilot)
            await pilot.press("t", "t", "t", "t", "t", "t")  # cancelled
            await settle(pilot)
            return asked, kept, after, said(pilot.app), screen_text(pilot.app)

        asked, kept, after, notes, cancelled = drive(admin_app(services), script, size=(100, 30))
        assert "Cancel this email" in asked and "Welcome to the kiosk" in asked
        assert kept == "queued"
        assert EmailLog.get_by_id(ids["queued"]).status == "cancelled"
        assert "Cancelled: it is not tried again by itself." in notes
        assert "Cancelled · 0 attempts" in after and "Cancel sending" not in after
        assert "1–2 of 2 emails" in cancelled and "Welcome to the" in cancelled
        assert len(smtp_server.received) == DEMO_RECEIPTS + 1  # the invoice; nothing more

    def test_a_sent_one_is_not_cancelled(self, services, smtp_server):
        """A sent email has no Cancel; one sent while it was open is refused and said."""
        ids = with_mail(services, smtp_server)

        async def script(pilot):
            await open_email("sent", ids)(pilot)
            await pilot.press("c")
            await settle(pilot)
            sent_view = screen_text(pilot.app)
            await pilot.press("escape")
            await settle(pilot)
            await pilot.press("home", "enter")  # the queued one, newest
            await settle_until(pilot, lambda: getattr(pilot.app.screen, "email", None) is not None)
            services.mailer.send_queued(ids["queued"])  # sent by the pass meanwhile
            await pilot.press("c")
            await settle(pilot)
            await pilot.click("#yes")
            await settle_until(pilot, lambda: "no longer waiting" in said(pilot.app))
            await settle(pilot)
            return sent_view, said(pilot.app), screen_text(pilot.app)

        sent_view, notes, after = drive(admin_app(services), script, size=(100, 30))
        assert "Cancel this email" not in sent_view and "Cancel sending" not in sent_view
        assert "It is no longer waiting to be sent: nothing was cancelled." in notes
        assert EmailLog.get_by_id(ids["queued"]).status == "sent"
        assert "Sent · 1 attempt" in after  # the view read it again
        assert len(smtp_server.received) == DEMO_RECEIPTS + 2  # the invoice, the pass's one

    def test_resend_a_failed_one(self, services, smtp_server):
        ids = with_mail(services, smtp_server)

        async def script(pilot):
            await open_email("failed", ids)(pilot)
            before = screen_text(pilot.app)
            await pilot.press("r")
            await settle(pilot)
            asked = screen_text(pilot.app)
            await pilot.click("#yes")
            await settle_until(pilot, lambda: "Sent to" in said(pilot.app))
            await settle_until(pilot, lambda: "went out" in screen_text(pilot.app))
            after = screen_text(pilot.app)
            await pilot.press("escape")
            await settle(pilot)
            return before, asked, said(pilot.app), after, screen_text(pilot.app)

        before, asked, notes, after, listed = drive(admin_app(services), script, size=(100, 30))
        assert "Failed · 1 attempt" in before and NEVER[4:] in before and EVIL in before
        assert "Resend this email" in asked and "nobody@acme.example" in asked
        assert "Sent to nobody@acme.example." in notes
        assert "Sent · 2 attempts" in after and "went out" in after
        assert [m["Subject"] for m in smtp_server.messages()][-1] == EVIL
        row = next(line for line in listed.splitlines() if "[b]PAY-00" in line)
        assert "Sent" in row and "2" in row  # the list read again


def test_a_refused_delivery_is_retrying_then_sent_once_after_the_backoff(services, smtp_server):
    """aiosmtpd refuses the first delivery: the outbox says retrying (never sent); once the
    backoff is over the mail pass sends it, and the outbox says sent; one copy arrived."""
    smtp_server.reply = LATER
    assert not services.mailer.send("birch@example.com", "Statement for March", "Yours.\n",
                                    attachments=[PDF], event_key="statement:3")  # fmt: skip
    assert services.mailer.retry_due() == 0  # the pass: its minute is not over
    seen: dict[str, str] = {}

    async def script(pilot):
        await open_outbox()(pilot)
        seen["refused"] = screen_text(pilot.app)
        await pilot.press("enter")
        await settle_until(pilot, lambda: getattr(pilot.app.screen, "email", None) is not None)
        seen["refused email"] = screen_text(pilot.app)
        smtp_server.reply = None
        EmailLog.update(next_at=utcnow() - timedelta(seconds=1)).where(
            EmailLog.status == "failed"
        ).execute()  # as if the backoff had run out
        assert services.mailer.retry_due() == 1  # the next pass sends it
        assert services.mailer.retry_due() == 0  # and the one after does not again
        await pilot.press("escape")
        await settle_until(pilot, lambda: "Retrying" not in screen_text(pilot.app))
        seen["sent"] = screen_text(pilot.app)
        await pilot.press("enter")
        await settle_until(pilot, lambda: "went out" in screen_text(pilot.app))
        seen["sent email"] = screen_text(pilot.app)

    drive(admin_app(services), script, size=(100, 30))
    refused = next(line for line in seen["refused"].splitlines() if "Statement" in line)
    assert "Retrying" in refused and "Sent" not in refused
    assert "Retrying · 1 attempt · next try" in seen["refused email"]
    assert LATER[4:] in seen["refused email"]
    row = next(line for line in seen["sent"].splitlines() if "Statement" in line)
    assert "Sent" in row and "2" in row and "Retrying" not in seen["sent"]
    assert "Sent · 2 attempts" in seen["sent email"]
    assert seen["sent email"].count("went out") == 1 and LATER[4:] in seen["sent email"]
    subjects = [str(m["Subject"]) for m in smtp_server.messages()]
    assert len(subjects) == DEMO_RECEIPTS + 1 and subjects.count("Statement for March") == 1
