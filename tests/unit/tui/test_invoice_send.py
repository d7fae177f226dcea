"""`paydesk invoice add` emails the invoice (code, command, PDF) unless --draft; `paydesk invoice
send` sends a draft, retries a failed email or sends a copy; `sent` only once it went out
(issue 11, item 2). The real `paydesk` command against a real SMTP server."""

from __future__ import annotations

import io
import re
from datetime import timedelta

from pypdf import PdfReader

from models import AuditLog, EmailLog, Invoice, db
from models.db import utcnow

CODE = re.compile(r"In the billing kiosk: ssh://view-([0-9a-z-]+)@127\.0\.0\.1:2222")


def _status(number: str) -> str:
    db.close()  # read what the command wrote, not a snapshot
    return str(Invoice.get(Invoice.number == number).status)


def _backoff_over() -> None:
    """As if the failed emails' backoff had run out (the commands run in their own processes,
    out of a test clock's reach)."""
    db.close()
    EmailLog.update(next_at=utcnow() - timedelta(seconds=1)).where(
        EmailLog.status == "failed"
    ).execute()
    db.close()


def _code(message) -> str:
    found = CODE.search(message.get_body(("plain",)).get_content())
    assert found, message.get_body(("plain",)).get_content()
    return found[1]


def test_invoice_add_emails_it_with_code_command_and_pdf(
    paydesk_smtp, smtp_server, paydesk_services
):
    added = paydesk_smtp("invoice", "add", "--client", "acme@example.com", "--line", "Support=95x2")
    assert added.returncode == 0, added.stderr
    assert added.stdout.strip().endswith("emailed to acme@example.com")

    [message] = smtp_server.messages()
    assert message["To"] == "acme@example.com"
    assert message["Subject"].startswith("Invoice INV-0001 from Desk: $190.00 due")
    code = _code(message)
    text = message.get_body(("plain",)).get_content()
    assert f"ssh -t -p 2222 127.0.0.1 view {code}" in text
    [pdf] = list(message.iter_attachments())
    assert pdf.get_filename() == "INV-0001.pdf"
    page = PdfReader(io.BytesIO(pdf.get_content())).pages[0].extract_text()
    assert f"ssh -t -p 2222 127.0.0.1 view {code}" in page
    assert _status("INV-0001") == "sent"
    access = paydesk_services.codes.verify(code)
    assert access is not None and access.invoice_id == Invoice.get().id
    assert AuditLog.select().where(AuditLog.action == "invoice.sent").count() == 1
    assert code not in " ".join(f"{row.subject} {row.detail}" for row in AuditLog.select())


def test_a_draft_is_not_emailed_until_sent_and_sending_again_sends_a_copy(
    paydesk_smtp, smtp_server, paydesk_services
):
    added = paydesk_smtp(
        "invoice", "add", "--client", "acme@example.com", "--line", "A=10", "--draft"
    )
    assert added.returncode == 0, added.stderr
    assert "a draft" in added.stdout and smtp_server.messages() == []
    assert _status("INV-0001") == "draft"
    assert "INV-0001" in paydesk_smtp("invoice", "list").stdout  # the owner sees the draft
    assert paydesk_smtp("run").returncode == 0
    assert smtp_server.messages() == []  # no pass sends a draft by itself

    sent = paydesk_smtp("invoice", "send", "inv-0001")
    assert sent.returncode == 0, sent.stderr
    assert sent.stdout.strip() == "INV-0001, emailed to acme@example.com"
    assert _status("INV-0001") == "sent"
    again = paydesk_smtp("invoice", "send", "INV-0001")
    assert again.stdout.strip() == "INV-0001, a copy emailed to acme@example.com"
    first, copy = smtp_server.messages()
    assert _code(first) != _code(copy)
    assert paydesk_services.codes.verify(_code(copy)) is not None


def test_a_failed_send_leaves_a_draft_that_invoice_send_or_the_run_sends(
    paydesk_smtp, smtp_server, paydesk_services
):
    smtp_server.reply = "554 5.7.1 refused for now"
    added = paydesk_smtp("invoice", "add", "--client", "acme@example.com", "--line", "A=10")
    assert added.returncode == 1
    lines = added.stderr.strip().splitlines()
    assert lines[-1].startswith("paydesk: INV-0001: $10.00 due ")
    assert "could not be sent" in lines[-1] and "left unsent (a draft)" in lines[-1]
    assert "`paydesk invoice send INV-0001`" in lines[-1]
    assert _status("INV-0001") == "draft"
    assert "email  INV-0001" in paydesk_smtp("failures").stdout  # named, not by its mail key

    smtp_server.reply = None
    sent = paydesk_smtp("invoice", "send", "INV-0001")
    assert sent.returncode == 0, sent.stderr
    assert _status("INV-0001") == "sent"
    assert len(smtp_server.messages()) == 1
    assert paydesk_smtp("failures").stdout.strip() == "no failed charges or emails"

    smtp_server.reply = "451 4.3.0 try again later"
    assert paydesk_smtp("invoice", "add", "--client", "1", "--line", "B=5").returncode == 1
    assert _status("INV-0002") == "draft"
    smtp_server.reply = None
    assert paydesk_smtp("run").returncode == 0  # within the first backoff minute: left
    assert _status("INV-0002") == "draft" and len(smtp_server.messages()) == 1
    _backoff_over()
    assert paydesk_smtp("run").returncode == 0  # the pass after the backoff mails it again
    assert _status("INV-0002") == "sent"
    assert len(smtp_server.messages()) == 2


def test_sending_an_unknown_invoice_says_so_in_one_line(paydesk_smtp):
    refused = paydesk_smtp("invoice", "send", "INV-0042")
    assert refused.returncode == 1 and "no invoice 'INV-0042'" in refused.stderr
