"""Accounts' emails, sent off the request path so an answer never waits for (or reveals) mail."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime

from models import Business, Contact, db
from services.emails.accounts import invite_email, password_changed_email, recovery_code_email
from services.mail.mailer import Mailer

log = logging.getLogger("paydesk.accounts")


class AccountNotices:
    """Sends the recovery code and the password-changed notice, in the background by default."""

    def __init__(self, mailer: Mailer, business_name: str = "", background: bool = True) -> None:
        self.mailer = mailer
        self.business_name = business_name
        self.background = background
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    def recovery_code(self, contact: Contact, code: str, minutes: int, reset_id: int) -> None:
        """The one-time code. Never kept for retry: a new code is cheap."""
        to, email = contact.email, recovery_code_email(self._business(contact), code, minutes)
        self._send(
            lambda: self.mailer.send(
                to,
                email.subject,
                email.text,
                email.html,
                event_key=f"password-reset:{reset_id}",
                keep_for_retry=False,
            )
        )

    def invite(
        self, contact: Contact, code: str, days: int, reset_id: int, login_command: str
    ) -> bool:
        """The invitation with its set-password code, sent now: whether it went out."""
        email = invite_email(self._business(contact), code, days, login_command)
        return bool(
            self.mailer.send(
                contact.email,
                email.subject,
                email.text,
                email.html,
                event_key=f"invite:{reset_id}",
                keep_for_retry=False,
            )
        )

    def password_changed(self, contact: Contact, when: datetime) -> None:
        to, email = contact.email, password_changed_email(self._business(contact), when)
        key = f"password-changed:{contact.id}:{when.isoformat()}"
        self._send(
            lambda: self.mailer.send(to, email.subject, email.text, email.html, event_key=key)
        )

    def wait(self, timeout: float = 30.0) -> None:
        """Wait until the emails queued so far have been handed to the mailer."""
        with self._lock:
            threads, self._threads = self._threads, []
        for thread in threads:
            thread.join(timeout)

    def _send(self, send: Callable[[], object]) -> None:
        if not self.background:
            _quietly(send)
            return

        def run() -> None:
            with db.connection_context():
                _quietly(send)

        thread = threading.Thread(target=run, name="paydesk-mail", daemon=True)
        with self._lock:
            self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()

    def _business(self, contact: Contact) -> str:
        if self.business_name:
            return self.business_name
        business = Business.get_or_none(Business.id == contact.business_id)
        return business.name if business else ""


def _quietly(send: Callable[[], object]) -> None:
    try:
        send()
    except Exception:
        log.exception("sending an account email failed")
