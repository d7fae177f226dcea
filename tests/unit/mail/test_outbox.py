"""The outbox's records against a real SMTP server: a refused delivery is retrying (not
sent), its attempts and masked text kept; after the backoff it is sent exactly once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine

from models import EmailLog
from services.accounts.access_codes import new_code
from services.console.outbox import OutboxQuery, outbox_email, outbox_page
from services.mail.mailer import Mailer
from tests.fixtures.smtp import smtp_config


def test_refused_then_retried_after_backoff_is_sent_once(config, database, business, smtp_server):
    mailer = Mailer(smtp_config(config, f"smtp://127.0.0.1:{smtp_server.port}"))
    code = new_code()
    smtp_server.reply = "451 4.3.0 try again later"
    assert not mailer.send("dana@acme.example", "Invoice INV-0042", f"Code: {code}\n",
                           attachments=[("INV-0042.pdf", "application/pdf", b"%PDF")],
                           event_key="invoice-sent:42")  # fmt: skip
    [row] = outbox_page("UTC", OutboxQuery()).rows
    assert row.state == "retrying" and row.next_at is not None
    assert outbox_page("UTC", OutboxQuery(state="sent")).total == 0
    detail = outbox_email(row.id)
    assert code not in (detail.text or "") and detail.masked
    assert detail.attachments == ("INV-0042.pdf",)
    assert len(detail.attempts) == 1 and "451" in detail.attempts[0].error
    smtp_server.reply = None
    assert mailer.retry_due() == 0  # its minute is not over
    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=2)):
        assert mailer.retry_due() == 1
        assert mailer.retry_due() == 0
    assert len(smtp_server.received) == 1
    detail = outbox_email(row.id)
    assert detail.row.state == "sent" and [a.error for a in detail.attempts][1:] == [""]
    assert EmailLog.get().tries == 2


def test_the_text_filter_finds_the_recipient_or_the_subject(config, database, business):
    mailer = Mailer(config)  # the Maildir outbox
    mailer.send("dana@acme.example", "Invoice INV-0042", "Hello.\n", event_key="a")
    mailer.send("office@birch.example", "Statement for March", "Yours.\n", event_key="b")

    def found(text: str) -> list[str]:
        return [row.to for row in outbox_page("UTC", OutboxQuery(recipient=text)).rows]

    assert found("acme") == ["dana@acme.example"]
    assert found("statement") == ["office@birch.example"]
    assert found("INV-0042") == ["dana@acme.example"]
    assert found("nothing like it") == []
