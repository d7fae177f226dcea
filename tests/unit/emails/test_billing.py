"""The new-invoice email through a real SMTP server (aiosmtpd on 127.0.0.1): headers, both
parts, the [View Invoice] page link, the kiosk's ssh link and command, the code (which opens
that invoice in the kiosk), the PDF (parsed back with pypdf), the auto-bill notice; SMTP
failures are retried by the next pass and never sent twice."""

from __future__ import annotations

import io
import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from pypdf import PdfReader

from models import Business, Client, Contact, EmailLog, Invoice, InvoiceBilling, RecurringLine, db
from services.billing.failures import failures
from services.billing.run import make_runner
from services.container import build_services
from services.invoices.views import LineInput

HOST = "billing.example.com"
LINK = re.compile(r"ssh://view-([0-9a-z-]+)@billing\.example\.com\b")


@pytest.fixture
def smtp_services(pay_config, smtp_server):
    config = replace(
        pay_config,
        smtp_url=f"smtp://127.0.0.1:{smtp_server.port}",
        ssh_host=HOST,
        public_url="https://pay.example.com/",
    )
    services = build_services(config)
    yield services
    db.close()


def _setup(services, autobill=True):
    business = Business.create(
        name="Desktop Masters IT",
        billing_email="billing@desktopmasters.example",
        address="12 Harbour Road\nSpringfield",
        timezone="America/New_York",
    )
    client = Client.create(
        business=business, name="Acme Dental", email="dana@acme.example", address="1 Main St"
    )
    Contact.create(business=business, client=client, email="dana@acme.example", name="Dana")
    if autobill:
        card = services.cards.add_test_card(client.id, "success")
        services.cards.set_default(client.id, card.id)
    services.recurring.add(
        client.id,
        "Managed IT support",
        "monthly",
        date(2026, 1, 31),
        [LineInput("Support plan", 25_000, 1000, 825), LineInput("Backup", 4_000, 2000)],
        autobill_mode="optout" if autobill else "off",
    )
    return business, client


def test_invoice_email_over_smtp(smtp_services, smtp_server):
    _setup(smtp_services)
    summary = make_runner(smtp_services, rate=0).run(as_of=date(2026, 1, 31))
    assert summary.emailed == 1
    [msg] = smtp_server.messages()
    inv = Invoice.get()
    assert inv.number == "INV-0001" and inv.total == 35_063  # 250 + 8.25 % + 2 × 40

    assert msg["From"] == "Desktop Masters IT <billing@desktopmasters.example>"
    assert msg["To"] == "dana@acme.example"
    # (a long header may be folded right after "Subject:"; unfolded, it reads the same)
    assert (
        msg["Subject"].strip()
        == "Invoice INV-0001 from Desktop Masters IT: $350.63 due Feb 14, 2026"
    )
    assert msg["Message-ID"].endswith("@desktopmasters.example>")
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()

    code = LINK.search(text).group(1)
    # the button is the hosted invoice page (https: every mail program opens it); the kiosk's
    # ssh link, its command and the code stay for kiosk users
    assert f"[View Invoice] https://pay.example.com/i/{code}\r\n" in text
    assert f"In the billing kiosk: ssh://view-{code}@{HOST}:2222" in text
    assert f"ssh -t -p 2222 {HOST} view {code}" in text
    assert f"invoice code: {code}" in text
    button = f'href="https://pay.example.com/i/{code}" style='
    assert button in html and ">View Invoice</a>" in html
    assert f'href="ssh://view-{code}@{HOST}:2222"' in html
    assert f"ssh -t -p 2222 {HOST} view {code}" in html
    # the auto-bill notice: when, and with which card
    notice = "we will charge $350.63 to your Visa •••• 4242 on Feb 14, 2026"
    assert notice in text and notice in html

    [attachment] = list(msg.iter_attachments())
    assert attachment.get_filename() == "INV-0001.pdf"
    assert attachment.get_content_type() == "application/pdf"
    pdf = PdfReader(io.BytesIO(attachment.get_content()))
    page = pdf.pages[0].extract_text()
    for needle in (
        "INV-0001",
        "Desktop Masters IT",
        "12 Harbour Road",
        "Acme Dental",
        "Support plan",
        "8.25%",
        "$350.63",
        "$20.63",  # the tax
        "Feb 14, 2026",  # due date
        f"ssh -t -p 2222 {HOST} view {code}",  # how to pay
        "Automatic payment: Visa ···· 4242 will be charged on Feb 14, 2026.",
    ):
        assert needle in page, (needle, page)
    assert pdf.metadata.title == "Invoice INV-0001"

    # the code opens that one invoice
    access = smtp_services.codes.verify(code)
    assert access is not None and access.invoice_id == inv.id


def test_no_autobill_notice_when_auto_billing_is_off(smtp_services, smtp_server):
    _setup(smtp_services, autobill=False)
    make_runner(smtp_services, rate=0).run(as_of=date(2026, 1, 31))
    [msg] = smtp_server.messages()
    text = msg.get_body(("plain",)).get_content()
    assert "Automatic payment" not in text and "[View Invoice] https://pay.example.com/i/" in text


def test_failed_smtp_delivery_is_retried_next_pass_and_sent_once(smtp_services, smtp_server):
    _setup(smtp_services, autobill=False)
    runner = make_runner(smtp_services, rate=0)
    smtp_server.reply = "451 4.3.0 try again later"
    first = runner.run(as_of=date(2026, 1, 31))
    assert first.generated == 1 and first.emailed == 0 and first.email_failed == 1
    assert smtp_server.messages() == []
    assert [(f.kind, f.state) for f in failures()] == [("email", "failed")]
    assert failures()[0].subject == "INV-0001"  # the invoice, not its mail-log key
    assert InvoiceBilling.get().emailed_at is None
    # the server recovers: a pass within the first backoff minute leaves it; the next pass
    # after it delivers it, not a second invoice
    smtp_server.reply = None
    early = runner.run(as_of=date(2026, 1, 31))
    assert early.mail_retried == 0 and smtp_server.messages() == []
    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=2)):
        second = runner.run(as_of=date(2026, 1, 31))
    assert second.generated == 0 and second.mail_retried == 1
    assert len(smtp_server.messages()) == 1
    assert InvoiceBilling.get().emailed_at is not None
    assert EmailLog.get().status == "sent" and failures() == []
    runner.run(as_of=date(2026, 1, 31))
    assert len(smtp_server.messages()) == 1
    assert Invoice.select().count() == 1


def test_the_code_in_the_email_opens_the_invoice_in_the_kiosk(smtp_services, smtp_server):
    import asyncio

    from screens.kiosk.code_invoice import CodeInvoiceScreen
    from tui.kiosk_app import make_kiosk_app

    _setup(smtp_services)
    make_runner(smtp_services, rate=0).run(as_of=date(2026, 1, 31))
    [msg] = smtp_server.messages()
    code = LINK.search(msg.get_body(("plain",)).get_content()).group(1)

    async def open_kiosk() -> tuple[bool, int | None]:
        app = make_kiosk_app(smtp_services, start_code=code)
        async with app.run_test(size=(120, 40)) as pilot:
            for _ in range(100):
                await pilot.pause(0.05)
                if isinstance(app.screen, CodeInvoiceScreen):
                    break
            screen = app.screen
            return isinstance(screen, CodeInvoiceScreen), getattr(screen, "invoice_id", None)

    opened, invoice_id = asyncio.run(open_kiosk())
    assert opened and invoice_id == Invoice.get().id


def test_stored_escape_sequences_never_reach_the_email(smtp_services, smtp_server):
    _setup(smtp_services)
    # Written past the input checks: what the run copies into the invoice and the email.
    RecurringLine.update(description="Support \x1b]52;c;cHduZWQ=\x07").execute()
    Client.update(name="Acme\x1b]0;pwned\x07").execute()
    make_runner(smtp_services, rate=0).run(as_of=date(2026, 1, 31))
    [msg] = smtp_server.messages()
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    assert "Hello Acme␛]0;pwned␇," in text  # shown, not run
    for part in (text, html, msg["Subject"], msg["To"] or ""):
        assert "\x1b" not in part and "\x07" not in part
    [attachment] = list(msg.iter_attachments())
    page = PdfReader(io.BytesIO(attachment.get_content())).pages[0].extract_text()
    assert "Support" in page and "\x1b" not in page and "\x07" not in page


def test_reminders_say_the_real_age_and_carry_a_code_that_opens_the_invoice(
    smtp_services, smtp_server
):
    _setup(smtp_services, autobill=False)  # INV-0001: issued Jan 31, due Feb 14
    runner = make_runner(smtp_services, rate=0)
    runner.run(as_of=date(2026, 1, 31))
    runner.run(as_of=date(2026, 2, 21))  # 7 days late: the first reminder (3 days) is due
    runner.run(as_of=date(2026, 3, 31))  # 45 days late, after a pause: the 10-day one
    invoice = Invoice.get(Invoice.number == "INV-0001")
    reminders = [m for m in smtp_server.messages() if "Reminder: invoice INV-0001" in m["Subject"]]
    assert [m["Subject"].strip() for m in reminders] == [
        "Reminder: invoice INV-0001 ($350.63) is 7 days overdue",
        "Reminder: invoice INV-0001 ($350.63) is 45 days overdue",
    ]
    codes = []
    for message, age in zip(reminders, ("7 days overdue", "45 days overdue"), strict=True):
        text = message.get_body(("plain",)).get_content()
        html = message.get_body(("html",)).get_content()
        assert f"still unpaid ({age})" in text
        code = LINK.search(text).group(1)
        assert f"In the billing kiosk: ssh://view-{code}@{HOST}:2222" in text
        assert f"ssh -t -p 2222 {HOST} view {code}" in text and code in html
        assert f'href="ssh://view-{code}@{HOST}:2222"' in html
        access = smtp_services.codes.verify(code)
        assert access is not None and access.invoice_id == invoice.id
        codes.append(code)
    assert codes[0] != codes[1]
