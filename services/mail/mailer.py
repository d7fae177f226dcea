"""Sending email: a Maildir outbox (default) or SMTP, each event mailed at most once."""

from __future__ import annotations

import email
import email.policy
import logging
import mailbox
import os
import smtplib
import socket
import threading
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid, parseaddr
from pathlib import Path

import peewee

from models import Business, EmailLog, db, utcnow
from services.audit import clean, redact
from services.config import Config
from services.mail import backoff, outbox_log
from services.mail.mime import Attachment
from services.mail.smtp import MailError, SmtpSettings, connect

__all__ = ["Attachment", "EmailRecord", "MailError", "Mailer", "SmtpSettings", "addresses"]

log = logging.getLogger("paydesk.mail")

_MAILDIR_LOCK = threading.Lock()
TAKEN_AGAIN = ("failed", "cancelled", "queued")  # an explicit send of the event takes these


@dataclass(frozen=True)
class EmailRecord:
    """One row of the mail log, for the admin console's outbox view."""

    id: int
    event_key: str
    to: str
    subject: str
    status: str  # pending | sent | failed | queued | cancelled
    tries: int
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None


class Mailer:
    """Builds and delivers paydesk's emails; one EmailLog row per message."""

    def __init__(self, config: Config):
        self.config = config
        self.smtp = SmtpSettings.from_url(config.smtp_url) if config.smtp_url else None

    # --- public API ------------------------------------------------------------------------

    @property
    def backend(self) -> str:
        return "smtp" if self.smtp else "maildir"

    def send(
        self,
        to: str,
        subject: str,
        text: str,
        html: str | None = None,
        attachments: Sequence[Attachment] = (),
        event_key: str | None = None,
        sender: str | None = None,
        keep_for_retry: bool = True,
    ) -> bool:
        """Deliver one email; True when it went out now.

        With `event_key`, an event is mailed at most once: a second call for a key that was
        sent (or is being sent) returns False without sending. A failed delivery is recorded
        (status "failed", the error without secrets) and returns False; calling again with
        the same key retries it, and `retry_failed()` re-sends kept messages (all but those
        sent with `keep_for_retry=False`, such as one-time codes: a new one is cheap).
        """
        msg = self.build(to, subject, text, html, attachments, sender)
        key = event_key or f"adhoc:{uuid.uuid4().hex}"
        row_id = self._claim(key, msg)
        if row_id is None:
            log.info("mail %s already sent or in progress; not sent again", clean(key))
            return False
        outbox_log.keep_texts([(row_id, text, [name for name, _, _ in attachments])])
        return self._deliver(row_id, key, msg, keep_for_retry=keep_for_retry)

    def queue(self, to: str, subject: str, text: str, event_key: str) -> int:
        """Put a text email in the outbox, to be sent by `send_queued` (or by the next
        `retry_due`, should this process stop first); returns its mail-log id."""
        msg = self.build(to, subject, text)
        with db.atomic():
            row = EmailLog.create(
                event_key=event_key[:255],
                to=str(msg["To"])[:255],
                subject=str(msg["Subject"])[:255],
                status="queued",
                tries=0,
                next_at=utcnow(),
                message_id=str(msg["Message-ID"]),
            )
            outbox_log.keep_texts([(int(row.id), text, [])])
        self._spool(int(row.id), msg)
        return int(row.id)

    def has_kept(self, row_id: int) -> bool:
        """Whether the message of a failed (or queued) email is kept on disk to send again."""
        return self._spool_path(row_id).exists()

    def send_queued(self, row_id: int, waiting_only: bool = False) -> bool:
        """Deliver a queued email, or a failed one kept on disk, now; True when it went out.

        Exactly one caller takes it (a conditional UPDATE); with `waiting_only`, a failed
        one is taken only while it still has a next try (the backoff's, not the owner's)."""
        path = self._spool_path(row_id)
        if not path.exists():
            return False
        waiting = (EmailLog.status == "queued") | (
            (EmailLog.status == "failed") & EmailLog.next_at.is_null(False)
        )
        if not waiting_only:
            waiting |= EmailLog.status.in_(("failed", "cancelled"))
        taken = (
            EmailLog.update(status="pending", tries=EmailLog.tries + 1, next_at=None)
            .where((EmailLog.id == row_id) & waiting)
            .execute()
        )
        if taken != 1:
            return False
        row = EmailLog.get_by_id(row_id)
        msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        return self._deliver(row_id, row.event_key, msg, keep_for_retry=True)

    def retry_due(self, now: datetime | None = None, limit: int = 500) -> int:
        """Send the queued emails and the failed ones whose next try is due (backoff in
        services/mail/backoff.py); returns how many went out."""
        due = [
            row.id
            for row in EmailLog.select(EmailLog.id)
            .where(
                EmailLog.status.in_(("failed", "queued")) & (EmailLog.next_at <= (now or utcnow()))
            )
            .order_by(EmailLog.next_at, EmailLog.id)
            .limit(limit)
        ]
        return sum(1 for row_id in due if self.send_queued(row_id, waiting_only=True))

    def build(
        self,
        to: str,
        subject: str,
        text: str,
        html: str | None = None,
        attachments: Sequence[Attachment] = (),
        sender: str | None = None,
    ) -> EmailMessage:
        """The message as it will be sent: text part, optional HTML part, attachments."""
        msg = EmailMessage()
        from_addr = sender or self.default_sender()
        msg["From"] = _one_line(from_addr)
        msg["To"] = _one_line(to)
        msg["Subject"] = _one_line(subject)
        msg["Date"] = formatdate(usegmt=True)
        domain = parseaddr(from_addr)[1].rpartition("@")[2] or "paydesk.invalid"
        msg["Message-ID"] = make_msgid(domain=domain)
        msg.set_content(text)
        if html is not None:
            msg.add_alternative(html, subtype="html")
        for filename, mimetype, content in attachments:
            maintype, _, subtype = (mimetype or "application/octet-stream").partition("/")
            msg.add_attachment(
                content,
                maintype=maintype,
                subtype=subtype or "octet-stream",
                filename=_one_line(filename),
            )
        return msg

    def default_sender(self) -> str:
        """The business's billing email (with its name), else paydesk@<this host>."""
        business = Business.select().order_by(Business.id).first()
        if business is not None and business.billing_email:
            return formataddr((business.name, business.billing_email))
        return f"paydesk@{socket.gethostname() or 'localhost'}"

    def outbox_messages(self) -> list[EmailMessage]:
        """Every message in the Maildir outbox, oldest first."""
        if not self.config.outbox.exists():
            return []
        box = mailbox.Maildir(self.config.outbox, create=False)
        found = []
        for key in box.keys():
            parsed = email.message_from_bytes(box.get_bytes(key), policy=email.policy.default)
            assert isinstance(parsed, EmailMessage)
            found.append((_delivery_order(key), parsed))
        found.sort(key=lambda item: item[0])
        return [message for _, message in found]

    def log(
        self, status: str | None = None, limit: int = 100, offset: int = 0
    ) -> list[EmailRecord]:
        """The mail log, newest first; `status="failed"` lists what needs attention."""
        query = EmailLog.select().order_by(EmailLog.id.desc())
        if status:
            query = query.where(EmailLog.status == status)
        return [_record(row) for row in query.offset(offset).limit(limit)]

    def retry_failed(self) -> int:
        """Re-send failed messages kept on disk; returns how many went out."""
        sent = 0
        for row in EmailLog.select().where(EmailLog.status == "failed").order_by(EmailLog.id):
            path = self._spool_path(row.id)
            if not path.exists():
                continue
            msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            assert isinstance(msg, EmailMessage)
            if self._reclaim(row.event_key) and self._deliver(
                row.id, row.event_key, msg, keep_for_retry=True
            ):
                sent += 1
        return sent

    # --- internals -------------------------------------------------------------------------

    def _claim(self, key: str, msg: EmailMessage) -> int | None:
        """Insert the log row for this event, or take over a failed one; None if taken."""
        to, subject = str(msg["To"])[:255], str(msg["Subject"])[:255]
        try:
            with db.atomic():
                row = EmailLog.create(
                    event_key=key[:255], to=to, subject=subject, status="pending", tries=1
                )
            return int(row.id)
        except peewee.IntegrityError:
            pass
        if self._reclaim(key):
            row = EmailLog.get(EmailLog.event_key == key[:255])
            EmailLog.update(to=to, subject=subject).where(EmailLog.id == row.id).execute()
            return int(row.id)
        return None

    def _reclaim(self, key: str) -> bool:
        """Move a failed (or cancelled, or queued) event back to pending to send it again
        now; exactly one caller wins."""
        claimed = (
            EmailLog.update(status="pending", tries=EmailLog.tries + 1, next_at=None)
            .where((EmailLog.event_key == key[:255]) & EmailLog.status.in_(TAKEN_AGAIN))
            .execute()
        )
        return claimed == 1

    def _deliver(self, row_id: int, key: str, msg: EmailMessage, keep_for_retry: bool) -> bool:
        try:
            if self.smtp:
                self._send_smtp(msg)
            else:
                self._send_maildir(msg)
        except Exception as exc:  # any failure is recorded, never lost
            error = self.describe(exc)
            retry = keep_for_retry and not backoff.permanent(exc)
            outbox_log.record_failed({row_id: error}, [row_id] if retry else [])
            if keep_for_retry:
                self._spool(row_id, msg)
            log.warning("mail %s to %s failed: %s", clean(key), clean(msg["To"]), error)
            return False
        outbox_log.record_sent([row_id])
        EmailLog.update(message_id=str(msg["Message-ID"])).where(EmailLog.id == row_id).execute()
        path = self._spool_path(row_id)
        if path.exists():
            path.unlink()
        log.info("mail %s sent to %s via %s", clean(key), clean(msg["To"]), self.backend)
        return True

    def _send_maildir(self, msg: EmailMessage) -> None:
        # Maildir names a file by time, pid and a class-wide counter; one lock per process
        # keeps two threads delivering in the same microsecond from clashing.
        with _MAILDIR_LOCK:
            box = mailbox.Maildir(self.config.outbox, create=True)
            box.add(msg)

    def _send_smtp(self, msg: EmailMessage) -> None:
        with self.smtp_client() as client:
            client.send_message(msg)

    def smtp_client(self) -> smtplib.SMTP:
        """A connection to the SMTP server, TLS and login done (use it in a `with`)."""
        assert self.smtp is not None
        return connect(self.smtp, self.config.mail.smtp_cafile)

    def describe(self, exc: Exception) -> str:
        """The error as one line for the log and the admin, with no password or secret."""
        text = f"{type(exc).__name__}: {exc}"
        if self.smtp and self.smtp.password:
            text = text.replace(self.smtp.password, "[redacted]")
        if self.config.smtp_url:
            text = text.replace(self.config.smtp_url, "[smtp url]")
        return clean(redact(text), 1000)

    def _spool_dir(self) -> Path:
        return self.config.home / "mail-retry"

    def _spool_path(self, row_id: int) -> Path:
        return self._spool_dir() / f"{row_id}.eml"

    def _spool(self, row_id: int, msg: EmailMessage) -> None:
        self.spool_bytes(row_id, msg.as_bytes())

    def spool_bytes(self, row_id: int, data: bytes) -> None:
        """Keep a message that failed to go out, for `retry_failed()`."""
        try:
            self._spool_dir().mkdir(mode=0o700, parents=True, exist_ok=True)
            path = self._spool_path(row_id)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
        except OSError as exc:
            log.warning("could not keep failed mail %s for retry: %s", row_id, exc)


def _one_line(value: object) -> str:
    """Header text without CR/LF (header injection) and surrounding spaces."""
    return " ".join(str(value).split())


def _delivery_order(key: str) -> tuple[int, int, str]:
    """Maildir names start "<seconds>.M<microseconds>P…": sort by them, then by name."""
    seconds, _, rest = key.partition(".")
    micros = rest[1 : rest.find("P")] if rest.startswith("M") and "P" in rest else ""
    return (
        int(seconds) if seconds.isdigit() else 0,
        int(micros) if micros.isdigit() else 0,
        key,
    )


def _record(row: EmailLog) -> EmailRecord:
    return EmailRecord(
        id=row.id,
        event_key=row.event_key,
        to=row.to,
        subject=row.subject,
        status=row.status,
        tries=row.tries,
        last_error=row.last_error,
        created_at=row.created_at,
        sent_at=row.sent_at,
    )


def addresses(values: Iterable[str]) -> str:
    """Join several recipients into one To header."""
    return ", ".join(_one_line(v) for v in values)
