"""The emails accounts send: the password-recovery code and the password-changed notice."""

from __future__ import annotations

from datetime import datetime

from services.dates import format_moment
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


def invite_email(business_name: str, code: str, days: int, login_command: str) -> Email:
    """An invitation to the billing kiosk: how to reach it and a code to set a password."""
    name = business_name or "paydesk"
    subject = f"Your {name} billing account: set your password"
    steps = [
        f"1. In a terminal, run:  {login_command}",
        '2. On the sign-in screen choose "Forgot password?", type this email address and '
        'choose "I have a code".',
        "3. Type the code below and choose your password.",
    ]
    text = (
        f"{name} has opened a billing account for you: you can see and pay your invoices "
        "there.\n\n" + "\n".join(steps) + f"\n\nYour code is:\n\n    {code}\n\n"
        f"It works once and expires in {days} days. If you were not expecting this, ignore "
        "this email.\n"
    )
    body = (
        f"<p>{_h(name)} has opened a billing account for you: you can see and pay your "
        "invoices there.</p>"
        + "".join(f"<p>{_h(step)}</p>" for step in steps)
        + '<p>Your code is:</p><p style="font-size:1.4em;font-family:monospace">'
        f"<strong>{_h(code)}</strong></p>"
        f"<p>It works once and expires in {days} days. If you were not expecting this, "
        "ignore this email.</p>"
    )
    return Email(subject, text, body)


def password_changed_email(business_name: str, when: datetime) -> Email:
    """The notice that an account's password changed (never the password itself)."""
    name = business_name or "paydesk"
    stamp = format_moment(when)
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
