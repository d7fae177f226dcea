"""The owner's console and the kiosk side by side on one business (the same services and
database), driven by pilot through their screens, against the real sandbox (localstripe)
and a real SMTP server (aiosmtpd).

1. The owner adds a client and its contact and invites it; the contact sets a password with
   the emailed code and signs in; the owner writes an invoice and sends it; the client opens
   it with the email's code, adds a card and pays; the owner sees it paid and refunds half;
   the invoice, the payments, the audit log and the email log then tell the same story.
2. The client has an invoice open with Pay Now; the owner voids it: the kiosk cannot pay it.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterator
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import date
from email.message import EmailMessage
from pathlib import Path

import pytest

from models import AuditLog, EmailLog, Invoice, Payment, PaymentAttempt, Refund, db
from screens.admin.client_detail import ClientDetailScreen
from screens.admin.invoice_editor import InvoiceEditorScreen
from screens.admin.payment_detail import PaymentDetailScreen
from screens.admin.refund import RefundDialog
from screens.kiosk.add_card import AddCardDialog
from screens.kiosk.code_invoice import CodeInvoiceScreen
from screens.kiosk.dashboard import DashboardScreen
from screens.kiosk.invoice_detail import InvoiceDetailScreen
from screens.kiosk.pay_dialog import PayDialog
from services.config import Config, StripeSettings
from services.container import Services, build_services
from services.invoices.views import LineInput
from tests.fixtures.admin import admin_app
from tests.fixtures.cli import cli_env, run_cli
from tests.fixtures.kiosk import (
    choose_pay_now,
    go,
    mail_text,
    open_recover,
    screen_text,
    set_password,
    settle,
    sign_in,
)
from tests.fixtures.payments import intents
from tests.fixtures.smtp import SmtpServer
from tui.kiosk_app import make_kiosk_app

OWNER_EMAIL = "owner@harbour-it.example"
OWNER_PASSWORD = "lighthouse-ledger-42"
CLIENT_NAME = "Cedar Clinic"
CLIENT_EMAIL = "office@cedar-clinic.example"
CONTACT_EMAIL = "dana@cedar-clinic.example"
CONTACT_PASSWORD = "cedar-first-secret-1"
SIZE = (100, 30)


@pytest.fixture
def business(tmp_path: Path, sandbox_url: str, smtp_server: SmtpServer) -> Iterator[Services]:
    """A business made as the README says (`paydesk init` with an owner login), mailing
    through the SMTP server; the services the console and the kiosk share."""
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    config = Config(
        home=home,
        database_url=f"sqlite:///{home}/paydesk.db",
        smtp_url=f"smtp://127.0.0.1:{smtp_server.port}",
        stripe=StripeSettings(sandbox_url=sandbox_url),
    )
    done = run_cli(
        "init", "--business", "Harbour IT", "--billing-email", "billing@harbour-it.example",
        "--owner-email", OWNER_EMAIL, "--password-stdin",
        env=cli_env(config), input=OWNER_PASSWORD + "\n",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    services = build_services(config)
    yield services
    services.payments.flush_receipts()
    db.close()


def said(app) -> str:
    """The notifications shown so far, one a line."""
    return "\n".join(n.message for n in app._notifications)


async def press(pilot, *keys: str) -> str:
    """Press `keys` one by one, each let finish (workers too); the screen then, as text."""
    for key in keys:
        await pilot.press(key)
        await settle(pilot)
    return screen_text(pilot.app)


async def until(pilot, ready, what: str, seconds: float = 20.0):
    """Pause until `ready()` gives something (a mail from another thread, a screen after a
    Stripe call): that thing."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        await settle(pilot)
        found = ready()
        if found:
            return found
        await pilot.pause(0.05)
    raise AssertionError(f"never saw {what}; the screen:\n{screen_text(pilot.app)}")


def mail_to(smtp: SmtpServer, to: str, subject_part: str):
    """A reader of the newest message SMTP received for `to` with `subject_part`."""

    def find() -> EmailMessage | None:
        for message in reversed(smtp.messages()):
            if to in str(message["To"]) and subject_part in str(message["Subject"]):
                return message
        return None

    return find


@asynccontextmanager
async def console_and_kiosk(services: Services):
    """The owner's console and a kiosk session running together on the same services, both
    settled; the stack takes more apps (another kiosk session) and closes them all."""
    async with AsyncExitStack() as apps:
        console = await apps.enter_async_context(admin_app(services).run_test(size=SIZE))
        kiosk = await apps.enter_async_context(make_kiosk_app(services).run_test(size=SIZE))
        await settle(console)
        await settle(kiosk)
        yield apps, console, kiosk


async def owner_adds_and_invites(console) -> dict:
    """Clients → Add (name, billing email, address) → its Contacts tab → New contact → Invite."""
    seen: dict = {}
    await press(console, "f2", "a")
    await console.press(*CLIENT_NAME, "tab", *CLIENT_EMAIL, "tab", *"4 Cedar Lane")
    await press(console, "ctrl+s")
    assert isinstance(console.app.screen, ClientDetailScreen), screen_text(console.app)
    await press(console, "1", "n")
    await console.press(*"Dana Reyes", "tab", *CONTACT_EMAIL)
    seen["contacts"] = await press(console, "enter")
    seen["invited"] = await press(console, "i") + "\n" + said(console.app)
    return seen


async def contact_sets_password_and_signs_in(kiosk, code: str) -> str:
    """Login → "Recover Your Password" with the email → "I have a code" → code, password twice
    → sign in."""
    await open_recover(kiosk, CONTACT_EMAIL)
    await kiosk.click("#have-code")
    await settle(kiosk)
    await set_password(kiosk, code, CONTACT_PASSWORD)
    await sign_in(kiosk, CONTACT_EMAIL, CONTACT_PASSWORD)
    assert isinstance(kiosk.app.screen, DashboardScreen), screen_text(kiosk.app)
    return screen_text(kiosk.app)


async def owner_writes_and_sends(console) -> str:
    """Invoices → New: the client, one line (2 × $240.00 at 8.25 % tax), Save & send."""
    await press(console, "f3", "n")
    assert isinstance(console.app.screen, InvoiceEditorScreen)
    await console.press(*CLIENT_EMAIL, "tab", "tab", "tab", *"Network install", "tab", *"2")
    await console.press("tab", *"240", "tab", *"8.25")
    await settle(console)
    await press(console, "ctrl+t")
    return screen_text(console.app) + "\n" + said(console.app)


async def client_pays_with_the_code(kiosk, code: str) -> dict:
    """A new kiosk session: "I have an invoice code" → the code → Pay Now → "Add a new card…"
    → the sandbox's Visa 4242 → Pay."""
    seen: dict = {}
    await press(kiosk, "ctrl+o")
    await kiosk.press(*code, "enter")
    await until(kiosk, lambda: isinstance(kiosk.app.screen, CodeInvoiceScreen), "the invoice")
    await until(kiosk, lambda: kiosk.app.screen.detail, "the invoice loaded")
    seen["opened"] = screen_text(kiosk.app)
    await choose_pay_now(kiosk, "#pay-now", 0)  # no saved card: "Add a new card…" only
    assert isinstance(kiosk.app.screen, AddCardDialog), screen_text(kiosk.app)
    await press(kiosk, "enter")  # Visa 4242 4242 4242 4242 — pays
    await until(kiosk, lambda: isinstance(kiosk.app.screen, PayDialog), "the payment dialog")
    seen["confirm"] = screen_text(kiosk.app)
    await kiosk.click("#pay")
    seen["receipt"] = await until(
        kiosk,
        lambda: "Payment received" in (text := screen_text(kiosk.app)) and text,
        "the receipt",
    )
    return seen


async def owner_refunds_half(console, half: str) -> dict:
    """Payments → the newest → Refund: half, requested by the customer, the owner's password."""
    seen: dict = {}
    seen["payments"] = await press(console, "f5")
    await press(console, "enter")
    assert isinstance(console.app.screen, PaymentDetailScreen), screen_text(console.app)
    seen["payment"] = screen_text(console.app)
    await press(console, "r")
    assert isinstance(console.app.screen, RefundDialog)
    await console.press(*half)  # the whole refundable amount is selected: typed over
    await settle(console)
    seen["asked"] = screen_text(console.app)
    await console.press("tab", "tab", "tab", *OWNER_PASSWORD, "enter")
    seen["refunded"] = await until(
        console,
        lambda: not isinstance(console.app.screen, RefundDialog) and screen_text(console.app),
        "the refund's outcome",
    )
    seen["payments_after"] = await press(console, "escape", "f5")
    return seen


def test_invite_invoice_pay_and_refund_half_agree_everywhere(business, smtp_server):
    services = business

    async def script() -> dict:
        seen: dict = {}
        async with console_and_kiosk(services) as (apps, console, kiosk):
            seen |= await owner_adds_and_invites(console)
            invite = await until(
                console, mail_to(smtp_server, CONTACT_EMAIL, "set your password"), "the invite"
            )
            seen["invite"] = mail_text(invite)
            code = re.search(r"Your code is:\s+(\S+)", seen["invite"]).group(1)  # type: ignore[union-attr]
            seen["dashboard"] = await contact_sets_password_and_signs_in(kiosk, code)

            seen["sent"] = await owner_writes_and_sends(console)
            mail = await until(
                console, mail_to(smtp_server, CLIENT_EMAIL, "Invoice"), "the invoice email"
            )
            seen["invoice_mail"] = mail_text(mail)
            seen["pdf"] = [p.get_filename() for p in mail.iter_attachments()]
            view = re.search(r"type this invoice code: (\S+)", seen["invoice_mail"]).group(1)  # type: ignore[union-attr]

            payer = await apps.enter_async_context(make_kiosk_app(services).run_test(size=SIZE))
            await settle(payer)
            seen |= await client_pays_with_the_code(payer, view)

            seen["list_paid"] = await press(console, "escape")  # the editor → the list
            number = Invoice.get().number
            total = Invoice.get().total
            seen["number"], seen["total"] = number, total
            seen |= await owner_refunds_half(console, f"{total // 2 / 100:.2f}")

            # The signed-in kiosk, asked again: the invoice owes half.
            await go(kiosk, "invoices")
            seen["kiosk_list"] = screen_text(kiosk.app)
        return seen

    seen = asyncio.run(script())
    services.payments.flush_receipts()
    number, total = seen["number"], seen["total"]
    half = total // 2
    assert total == 51_960  # 2 × $240.00 + 8.25 % tax

    # The invite: made in the console, mailed over SMTP, the code set a password.
    assert CONTACT_EMAIL in seen["contacts"] and "no password" in seen["contacts"]
    assert f"Invitation sent to {CONTACT_EMAIL} (a code to set a password)." in seen["invited"]
    assert "Welcome" in seen["dashboard"]

    # The invoice: sent from the editor, its email with a [View Invoice] code and the PDF.
    assert f"{number} · sent · {CLIENT_NAME}" in seen["sent"]
    assert f"{number} emailed to {CLIENT_EMAIL}." in seen["sent"]
    assert "[View Invoice]" in seen["invoice_mail"] and "$519.60" in seen["invoice_mail"]
    assert seen["pdf"] == [f"{number}.pdf"]

    # Paid in the kiosk from the email's code with a card added there.
    assert number in seen["opened"] and "$519.60" in seen["opened"]
    assert "Visa •••• 4242" in seen["confirm"] and "$519.60" in seen["confirm"]
    assert "Payment received — thank you" in seen["receipt"]
    list_row = next(line for line in seen["list_paid"].splitlines() if number in line)
    assert "paid" in list_row

    # Refunded half from Payments, with the owner's password asked again.
    assert f"Refund $259.80 to {CLIENT_NAME} (Visa •••• 4242)" in seen["asked"]
    assert "Refunded $259.80" in seen["refunded"] and "refundable $259.80" in seen["refunded"]

    # They agree: the invoice, the payments, the audit log, the email log, the kiosk.
    invoice = services.invoices.get(Invoice.get(Invoice.number == number).id)
    assert (invoice.balance, invoice.status) == (total - half, "partial")
    payment = Payment.get()
    assert (payment.amount, payment.amount_refunded) == (total, half)
    refund = Refund.get()
    assert (refund.payment_id, refund.amount, refund.status) == (payment.id, half, "succeeded")
    assert "1–1 of 1 payments" in seen["payments_after"]
    assert payment.reference in seen["payments_after"]
    kiosk_row = next(line for line in seen["kiosk_list"].splitlines() if number in line)
    assert "Partly paid $259.80" in kiosk_row

    owner = [r.action for r in AuditLog.select().where(AuditLog.actor.startswith("admin:key:"))]
    for action in ("client.created", "contact.created", "contact.invited", "invoice.created",
                   "invoice.sent", "refund.created"):  # fmt: skip
        assert action in owner, (action, owner)
    assert "refund.created" in owner and owner.count("refund.created") == 1

    logged = {(row.event_key.split(":")[0], row.to, row.status) for row in EmailLog.select()}
    received = [(str(m["To"]), str(m["Subject"])) for m in smtp_server.messages()]
    assert all(status == "sent" for _, _, status in logged), logged
    assert len(received) == EmailLog.select().count()
    refund_mail = [s for to, s in received if to == CLIENT_EMAIL and "efund" in s]
    assert len(refund_mail) == 1 and "$259.80" in refund_mail[0], received
    assert PaymentAttempt.select().count() == 1


def test_an_invoice_voided_while_open_in_the_kiosk_cannot_be_paid(business, stripe_api):
    """The kiosk shows the invoice with Pay Now (read before the void); the owner voids it in
    the console; Pay is refused with one clear line, and nothing is charged anywhere."""
    services = business
    client = services.clients.create(1, CLIENT_NAME, CLIENT_EMAIL, actor="test")
    services.accounts.create_contact(1, client.id, CONTACT_EMAIL, CONTACT_PASSWORD)
    services.cards.add_test_card(client.id, "success")
    created = services.invoices.create(
        client.id, [LineInput("Network install", 48_000)], issue_date=date.today(), status="sent"
    )

    async def script() -> dict:
        seen: dict = {}
        async with console_and_kiosk(services) as (apps, console, kiosk):
            await sign_in(kiosk, CONTACT_EMAIL, CONTACT_PASSWORD)
            await go(kiosk, "invoices")
            await press(kiosk, "enter")
            await until(kiosk, lambda: isinstance(kiosk.app.screen, InvoiceDetailScreen), "it")
            seen["open"] = screen_text(kiosk.app)
            seen["pay_now"] = kiosk.app.screen.query_one("#pay-now").display

            await press(console, "f3", "enter")
            await press(console, "v")
            seen["voided"] = await press(console, "enter") + "\n" + said(console.app)

            await choose_pay_now(kiosk, "#pay-now", 0)  # the saved Visa 4242
            assert isinstance(kiosk.app.screen, PayDialog), screen_text(kiosk.app)
            await kiosk.click("#pay")
            seen["refused"] = await until(
                kiosk,
                lambda: "Not paid" in (text := screen_text(kiosk.app)) and text,
                "the refusal",
            )
            await press(kiosk, "escape")
            seen["after"] = screen_text(kiosk.app)
            seen["pay_now_after"] = kiosk.app.screen.query_one("#pay-now").display
        return seen

    seen = asyncio.run(script())
    number = created.number
    assert seen["pay_now"] and "$480.00" in seen["open"]
    assert f"{number} · void · {CLIENT_NAME}" in seen["voided"]
    assert f"{number} is void; it cannot be paid." in seen["refused"]
    assert not seen["pay_now_after"] and "Void" in seen["after"]
    assert Payment.select().count() == 0
    assert Invoice.get_by_id(created.id).status == "void"
    assert intents(stripe_api) == []
    assert PaymentAttempt.select().count() == 0  # refused before an attempt was recorded
