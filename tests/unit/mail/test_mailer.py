"""Mail: the Maildir outbox and a real SMTP server (aiosmtpd), dedupe, recorded failures."""

from __future__ import annotations

from models import EmailLog
from services.mail.mailer import Mailer, MailError, SmtpSettings
from tests.fixtures.smtp import SmtpServer, server_tls_context, smtp_config, start_smtp

PDF = b"%PDF-1.4\n% paydesk test\n%%EOF\n"


def _send_invoice(mailer: Mailer, **kwargs) -> bool:
    return mailer.send(
        "Dana Client <dana@acme.example>",
        "Invoice INV-0042 from Desktop Masters IT",
        "Your invoice INV-0042 for $125.00 is due on 2026-12-01.",
        html="<p>Your invoice <b>INV-0042</b> for $125.00 is due on 2026-12-01.</p>",
        attachments=[("INV-0042.pdf", "application/pdf", PDF)],
        **kwargs,
    )


def _check_invoice_message(msg) -> None:
    assert msg["From"] == "Desktop Masters IT <billing@desktopmasters.example>"
    assert msg["To"] == "Dana Client <dana@acme.example>"
    assert msg["Subject"] == "Invoice INV-0042 from Desktop Masters IT"
    assert msg["Date"] and msg["Message-ID"].endswith("@desktopmasters.example>")
    assert msg.get_content_type() == "multipart/mixed"
    text = msg.get_body(("plain",))
    html = msg.get_body(("html",))
    assert "due on 2026-12-01" in text.get_content()
    assert "<b>INV-0042</b>" in html.get_content()
    [attachment] = list(msg.iter_attachments())
    assert attachment.get_filename() == "INV-0042.pdf"
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content() == PDF


def test_maildir_outbox_holds_text_html_and_attachment(mailer, business, config):
    assert mailer.backend == "maildir"
    assert _send_invoice(mailer, event_key="invoice-sent:42") is True
    [msg] = mailer.outbox_messages()
    _check_invoice_message(msg)
    assert list((config.outbox / "new").iterdir())  # a real Maildir
    row = EmailLog.get()
    assert (row.event_key, row.status, row.to) == (
        "invoice-sent:42",
        "sent",
        "Dana Client <dana@acme.example>",
    )
    assert row.message_id == msg["Message-ID"] and row.sent_at is not None


def test_an_event_is_mailed_once(mailer, business):
    assert _send_invoice(mailer, event_key="receipt:PAY-1") is True
    assert _send_invoice(mailer, event_key="receipt:PAY-1") is False
    assert len(mailer.outbox_messages()) == 1
    assert EmailLog.select().count() == 1
    # Mail without an event key is not deduplicated, but still logged.
    assert mailer.send("a@example.com", "Hi", "one") and mailer.send("a@example.com", "Hi", "two")
    assert len(mailer.outbox_messages()) == 3 and EmailLog.select().count() == 3


def test_outbox_keeps_sending_order(mailer, business):
    for n in range(5):
        mailer.send("a@example.com", f"message {n}", "body")
    assert [m["Subject"] for m in mailer.outbox_messages()] == [f"message {n}" for n in range(5)]


def test_header_injection_is_flattened(mailer, business):
    mailer.send("a@example.com\r\nBcc: victim@example.com", "Hi\r\nBcc: x@example.com", "body")
    [msg] = mailer.outbox_messages()
    assert msg["Bcc"] is None
    assert "\n" not in msg["Subject"] and "\n" not in msg["To"]


def test_explicit_sender_wins(mailer, business):
    mailer.send("a@example.com", "Hi", "body", sender="Owner <owner@example.com>")
    assert mailer.outbox_messages()[0]["From"] == "Owner <owner@example.com>"


def test_smtp_delivers_headers_both_parts_and_attachment(config, database, business, smtp_server):
    mailer = Mailer(smtp_config(config, f"smtp://127.0.0.1:{smtp_server.port}"))
    assert mailer.backend == "smtp"
    assert _send_invoice(mailer, event_key="invoice-sent:42") is True
    [(mail_from, rcpt_tos, _)] = smtp_server.received
    assert mail_from == "billing@desktopmasters.example"
    assert rcpt_tos == ["dana@acme.example"]
    _check_invoice_message(smtp_server.messages()[0])
    assert EmailLog.get().status == "sent"
    assert mailer.outbox_messages() == []  # SMTP mode does not write the outbox
    assert _send_invoice(mailer, event_key="invoice-sent:42") is False
    assert len(smtp_server.received) == 1


def test_smtp_logs_in_with_the_url_credentials(config, database, business, smtp_server):
    url = f"smtp://mailer:s3cr3t-pa55@127.0.0.1:{smtp_server.port}"
    assert Mailer(smtp_config(config, url)).send("a@example.com", "Hi", "body")
    assert smtp_server.logins == [("mailer", "s3cr3t-pa55")]
    assert len(smtp_server.received) == 1


def test_smtp_failure_is_recorded_without_secrets_and_retried(
    config, database, business, smtp_server
):
    url = f"smtp://mailer:wrong-pa55word@127.0.0.1:{smtp_server.port}"
    mailer = Mailer(smtp_config(config, url))
    assert _send_invoice(mailer, event_key="invoice-sent:7") is False
    row = EmailLog.get()
    assert row.status == "failed" and row.tries == 1
    assert "SMTPAuthenticationError" in row.last_error
    assert "wrong-pa55word" not in row.last_error
    [failed] = mailer.log(status="failed")
    assert failed.event_key == "invoice-sent:7"
    assert smtp_server.received == []

    # Fixed settings: the kept message goes out once, and only once.
    good = Mailer(smtp_config(config, f"smtp://127.0.0.1:{smtp_server.port}"))
    assert good.retry_failed() == 1
    assert good.retry_failed() == 0
    row = EmailLog.get()
    assert (row.status, row.tries, row.last_error) == ("sent", 2, None)
    assert len(smtp_server.received) == 1
    _check_invoice_message(smtp_server.messages()[0])
    assert _send_invoice(good, event_key="invoice-sent:7") is False


def test_rejected_message_and_dead_server_are_recorded(config, database, business, smtp_server):
    mailer = Mailer(smtp_config(config, f"smtp://127.0.0.1:{smtp_server.port}"))
    smtp_server.reply = "451 4.3.0 Try again later"
    assert mailer.send("a@example.com", "Hi", "body", event_key="e:1") is False
    assert "451" in EmailLog.get(EmailLog.event_key == "e:1").last_error
    smtp_server.reply = None
    # Sending the same event again retries it (it was never delivered).
    assert mailer.send("a@example.com", "Hi", "body", event_key="e:1") is True
    assert EmailLog.get(EmailLog.event_key == "e:1").status == "sent"

    from tests.fixtures.ports import free_port

    dead = Mailer(smtp_config(config, f"smtp://127.0.0.1:{free_port()}"))
    assert dead.send("a@example.com", "Hi", "body", event_key="e:2") is False
    row = EmailLog.get(EmailLog.event_key == "e:2")
    assert row.status == "failed" and "Connection" in row.last_error


def test_starttls_and_smtps(config, database, business, tls_files):
    cert, key = tls_files
    server = SmtpServer()
    controller = start_smtp(
        server, tls_context=server_tls_context(cert, key), require_starttls=True
    )
    try:
        url = f"smtp+starttls://127.0.0.1:{server.port}"
        mailer = Mailer(smtp_config(config, url, smtp_cafile=str(cert)))
        assert mailer.send("a@example.com", "Over STARTTLS", "body")
        # Without trusting the certificate, delivery fails and is recorded.
        untrusting = Mailer(smtp_config(config, url))
        assert untrusting.send("a@example.com", "Unverified", "body") is False
        assert "CERTIFICATE_VERIFY_FAILED" in untrusting.log(status="failed")[0].last_error
    finally:
        controller.stop()
    assert [m["Subject"] for m in server.messages()] == ["Over STARTTLS"]

    server = SmtpServer()
    controller = start_smtp(server, ssl_context=server_tls_context(cert, key))
    try:
        mailer = Mailer(
            smtp_config(config, f"smtps://127.0.0.1:{server.port}", smtp_cafile=str(cert))
        )
        assert mailer.send("a@example.com", "Over SMTPS", "body")
    finally:
        controller.stop()
    assert [m["Subject"] for m in server.messages()] == ["Over SMTPS"]


def test_smtp_url_parsing():
    s = SmtpSettings.from_url("smtp+starttls://user%40x.com:p%3Ass@mail.example.com")
    assert (s.scheme, s.host, s.port, s.username, s.password) == (
        "smtp+starttls",
        "mail.example.com",
        587,
        "user@x.com",
        "p:ss",
    )
    assert SmtpSettings.from_url("smtps://mail.example.com").port == 465
    assert SmtpSettings.from_url("smtp://mail.example.com:2525").port == 2525
    for bad in ("http://mail.example.com", "smtp://", "smtp://host:notaport"):
        try:
            SmtpSettings.from_url(bad)
        except MailError:
            continue
        raise AssertionError(f"{bad} accepted")


def test_credentials_never_cross_the_network_in_clear():
    """A password in a plain smtp:// URL would go out unencrypted (AUTH over a plain
    connection) to any host but this machine: refused with a pointer to the TLS schemes."""
    try:
        SmtpSettings.from_url("smtp://user:secret-pw@mail.example.com")
    except MailError as exc:
        assert "smtp+starttls://" in str(exc) and "secret-pw" not in str(exc)
    else:
        raise AssertionError("a password over plain SMTP to a remote host was accepted")
    for fine in (
        "smtp://user:pw@127.0.0.1:2525",
        "smtp://user:pw@localhost",
        "smtp://user:pw@[::1]:25",
        "smtp://mail.example.com",
        "smtp+starttls://user:pw@mail.example.com",
        "smtps://user:pw@mail.example.com",
    ):
        SmtpSettings.from_url(fine)
