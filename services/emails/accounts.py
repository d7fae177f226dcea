"""The emails accounts send: the password-recovery code and the password-changed notice."""

from __future__ import annotations

from datetime import datetime

from services.emails.message import Email
from services.emails.message import escape as _h


def recovery_code_email(business_name: str, code: str, minutes: int) -> Email:
    """The one-time password-recovery code."""
    name = business_name or "paydesk"
    subject = f"Your {name} password recovery code"
    text = (
        f"Someone asked to reset the password of your {name} billing account.\n\n"
        f"Your recovery code is:\n\n    {code}\n\n"
        f"Type it on the Recover password screen with your new password. It works once "
        f"and expires in {minutes} minutes.\n\n"
        "If you did not ask for this, ignore this email: your password stays the same.\n"
    )
    body = (
        f"<p>Someone asked to reset the password of your {_h(name)} billing account.</p>"
        f'<p>Your recovery code is:</p><p style="font-size:1.4em;font-family:monospace">'
        f"<strong>{_h(code)}</strong></p>"
        f"<p>Type it on the Recover password screen with your new password. It works once "
        f"and expires in {minutes} minutes.</p>"
        "<p>If you did not ask for this, ignore this email: your password stays the same.</p>"
    )
    return Email(subject, text, body)


def password_changed_email(business_name: str, when: datetime) -> Email:
    """The notice that an account's password changed (never the password itself)."""
    name = business_name or "paydesk"
    stamp = when.strftime("%Y-%m-%d %H:%M UTC")
    subject = f"Your {name} password was changed"
    text = (
        f"The password of your {name} billing account was changed on {stamp}.\n\n"
        "If this was you, there is nothing to do.\n"
        "If it was not, recover your password from the login screen now and tell us.\n"
    )
    body = (
        f"<p>The password of your {_h(name)} billing account was changed on {stamp}.</p>"
        "<p>If this was you, there is nothing to do.</p>"
        "<p>If it was not, recover your password from the login screen now and tell us.</p>"
    )
    return Email(subject, text, body)
