"""`paydesk client invite EMAIL`: a client added without a login gets a set-password code by
email, and with it a password (issue 11, item 8). The real command, a real SMTP server."""

from __future__ import annotations

import re

import pytest

from models import AuditLog, Contact, db
from services.accounts.identity import ResetError

EMAIL = "acme@example.com"
CODE = re.compile(r"Your code is:\s+(\S+)")


def test_an_invited_client_sets_a_password_with_the_emailed_code(
    paydesk_smtp, smtp_server, paydesk_services
):
    invited = paydesk_smtp("client", "invite", "ACME@example.com")
    assert invited.returncode == 0, invited.stderr
    assert invited.stdout.strip() == (
        "client 1: Acme <acme@example.com> invited (a set-password code)"
    )
    [message] = smtp_server.messages()
    assert message["To"] == EMAIL
    assert message["Subject"] == "Your Desk billing account: set your password"
    text = message.get_body(("plain",)).get_content()
    assert "ssh -p 2222 127.0.0.1" in text and "I have a code" in text
    assert "expires in 7 days" in text
    code = CODE.search(text)[1]  # type: ignore[index]

    db.close()
    paydesk_services.accounts.reset_password(EMAIL, code, "a brand new passphrase")
    session = paydesk_services.accounts.login(EMAIL, "a brand new passphrase")
    assert session.client_id == 1
    with pytest.raises(ResetError):  # used once
        paydesk_services.accounts.reset_password(EMAIL, code, "another passphrase 2")
    invites = AuditLog.select().where(AuditLog.action == "contact.invited")
    assert [(row.actor, row.detail) for row in invites] == [("cli", '{"sent": true}')]
    assert code not in " ".join(f"{row.subject} {row.detail}" for row in AuditLog.select())


def test_inviting_again_replaces_the_code_and_a_login_with_a_password_is_refused(
    paydesk_smtp, smtp_server, paydesk_services
):
    assert paydesk_smtp("client", "invite", EMAIL).returncode == 0
    assert paydesk_smtp("client", "invite", EMAIL).returncode == 0
    first, second = (
        CODE.search(m.get_body(("plain",)).get_content())[1] for m in smtp_server.messages()
    )  # type: ignore[index]
    db.close()
    assert Contact.select().count() == 1
    with pytest.raises(ResetError):
        paydesk_services.accounts.reset_password(EMAIL, first, "a brand new passphrase")
    paydesk_services.accounts.reset_password(EMAIL, second, "a brand new passphrase")

    refused = paydesk_smtp("client", "invite", EMAIL)
    assert refused.returncode == 1
    assert refused.stderr.strip() == (
        "paydesk: acme@example.com already has a login with a password; no invitation sent "
        '(they can choose "Forgot password?" on the sign-in screen)'
    )
    assert len(smtp_server.messages()) == 2
    unknown = paydesk_smtp("client", "invite", "nobody@example.com")
    assert unknown.returncode == 1
    assert unknown.stderr.strip() == "paydesk: no client with the email 'nobody@example.com'"
