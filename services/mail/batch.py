"""Many emails at once, each still mailed at most once: claim, render, deliver, record.

1. `claim`: one INSERT … ON CONFLICT DO NOTHING RETURNING writes a `pending` mail-log row
   per event; only the events whose row this call inserted are ours to send (a concurrent
   pass that claimed one first sends it). With `reclaim`, a `failed` row is taken over
   as `Mailer.send` does.
2. `render`: the message bytes (services/mail/mime.py; the email package for headers that need
   encoding).
3. `deliver`: Maildir — the whole batch with one disk flush (services/mail/maildir.py);
   SMTP — one connection for the batch.
4. The outcome: one UPDATE for the sent rows; failed rows keep their error and their
   message, tried again after their backoff by `Mailer.retry_due()`, as `Mailer.send`
   leaves them; one attempt row each, and the text kept at 1 (services/mail/outbox_log.py).
`send` does 1, 3 and 4. A process killed between 1 and 4 never causes a second send: with
the Maildir, its claim file lets the next pass finish the batch (messages already on disk)
or undo the claim (nothing delivered yet: sent anew); with SMTP its rows stay `pending`,
"unconfirmed" in `paydesk failures`, as a single send killed mid-delivery leaves them.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from email.utils import formatdate, getaddresses, make_msgid, parseaddr

from models import EmailLog, db
from services.audit import clean
from services.faults import pause_point
from services.mail import backoff, claims, maildir, mime, outbox_log
from services.mail.mailer import Attachment, Mailer, _one_line

log = logging.getLogger("paydesk.mail")
_EOL = re.compile(rb"\r?\n")


@dataclass
class Outgoing:
    """One email of a batch: its event key and headers; the body comes at `render`."""

    key: str
    to: str
    subject: str
    sender: str
    message_id: str = ""
    row_id: int = 0
    retried: bool = False  # a failed row taken over: its kept copy is removed once sent
    text: str = ""  # the text part, kept (codes masked) for the outbox once claimed
    files: tuple[str, ...] = ()  # the attachments' names
    extra: dict = field(default_factory=dict)  # the caller's own data for this email

    def __post_init__(self) -> None:
        self.key = self.key[:255]
        if not self.message_id:
            domain = parseaddr(self.sender)[1].rpartition("@")[2] or "paydesk.invalid"
            self.message_id = make_msgid(domain=domain)


class MailBatch:
    """Claims, delivers and records a batch of emails through a `Mailer`'s backend."""

    def __init__(self, mailer: Mailer) -> None:
        self.mailer = mailer

    def claim(self, items: Sequence[Outgoing], reclaim: bool = False) -> list[Outgoing]:
        """The items this call may send (row ids set); the others are someone else's."""
        if not items:
            return []
        rows = [
            {
                "event_key": item.key,
                "to": _one_line(item.to)[:255],
                "subject": _one_line(item.subject)[:255],
                "status": "pending",
                "tries": 1,
                "message_id": item.message_id,
            }
            for item in items
        ]
        inserted = (
            EmailLog.insert_many(rows)
            .on_conflict_ignore()
            .returning(EmailLog.id, EmailLog.event_key)
            .tuples()
            .execute()
        )
        ids = {key: row_id for row_id, key in inserted}
        mine = []
        for item in items:
            if item.key in ids:
                item.row_id = ids[item.key]
            elif reclaim and self.mailer._reclaim(item.key):
                row = EmailLog.get(EmailLog.event_key == item.key)
                EmailLog.update(
                    to=_one_line(item.to)[:255],
                    subject=_one_line(item.subject)[:255],
                    message_id=item.message_id,
                ).where(EmailLog.id == row.id).execute()
                item.row_id, item.retried = row.id, True
            else:
                log.info("mail %s already sent or in progress; not sent again", clean(item.key))
                continue
            mine.append(item)
        return mine

    def render(
        self,
        item: Outgoing,
        text: str,
        html: str | None = None,
        attachments: Sequence[Attachment] = (),
    ) -> bytes:
        item.text, item.files = text, tuple(name for name, _, _ in attachments)
        head = mime.Head(
            sender=_one_line(item.sender),
            to=_one_line(item.to),
            subject=_one_line(item.subject),
            date=formatdate(usegmt=True),
            message_id=item.message_id,
        )
        data = mime.render(head, text, html, attachments)
        if data is None:  # a header needs encoding: the email package does that
            msg = self.mailer.build(item.to, item.subject, text, html, attachments, item.sender)
            del msg["Message-ID"]
            msg["Message-ID"] = item.message_id
            data = msg.as_bytes()
        return data

    def send(
        self,
        rendered: Sequence[tuple[Outgoing, bytes]],
        reclaim: bool = False,
        with_claim: Callable[[list[Outgoing]], None] | None = None,
    ) -> dict[str, str | None]:
        """Claim, deliver and record rendered emails: {event key: None when it went out now,
        else the error (without secrets)} for the ones this call claimed (not the others).

        `with_claim(claimed)` runs in the claim's transaction (the run stores the access
        codes of the claimed invoice emails there). With the Maildir, a claim file lets a
        later pass finish or undo the batch if this process dies (services/mail/claims.py).
        """
        if not rendered:
            return {}
        data = {item.key: message for item, message in rendered}
        with contextlib.ExitStack() as stack:
            claim = None
            if not self.mailer.smtp:
                claim = stack.enter_context(claims.claim_file(self.mailer.config.home))
            with db.atomic():
                mine = self.claim([item for item, _ in rendered], reclaim)
                outbox_log.keep_texts((item.row_id, item.text, item.files) for item in mine)
                if claim is not None:
                    claim.rows([(item.row_id, item.message_id) for item in mine])
                if with_claim is not None:
                    with_claim(mine)
            pause_point("mail:claimed")
            return self.deliver([(item, data[item.key]) for item in mine], claim)

    def recover(self) -> int:
        """Finish or undo the Maildir batches of processes that died mid-delivery."""
        if self.mailer.smtp:
            return 0
        return claims.recover(self.mailer.config.home, self.mailer.config.outbox)

    def deliver(
        self,
        batch: Sequence[tuple[Outgoing, bytes]],
        claim: claims.ClaimFile | None = None,
    ) -> dict[str, str | None]:
        """Send each (item, message) and record the outcome: {event key: None when it went
        out now, else the error (without secrets)}."""
        if not batch:
            return {}
        errors: dict[str, str] = {}
        stuck: list[str] = []  # written to tmp/ but not renamed: removed once recorded
        final: set[str] = set()  # refused for good: not tried again by themselves
        if self.mailer.smtp:
            errors = self._smtp(batch, final)
        else:
            ids = [item.row_id for item, _ in batch]

            def progress(phase: str, names: list[str | None]) -> None:
                if claim is not None:
                    claim.phase(phase, {i: n for i, n in zip(ids, names, strict=True) if n})
                if phase == "renaming":
                    pause_point("mail:written")
                    stuck.extend(n for n in names if n)

            results = maildir.deliver(self.mailer.config.outbox, [d for _, d in batch], progress)
            for (item, _), result in zip(batch, results, strict=True):
                if isinstance(result, Exception):
                    errors[item.key] = self.mailer.describe(result)
            pause_point("mail:delivered")
        self._record(batch, errors, final)
        if stuck:
            delivered = set(r for r in results if isinstance(r, str))
            maildir.discard(self.mailer.config.outbox, [n for n in stuck if n not in delivered])
        return {item.key: errors.get(item.key) for item, _ in batch}

    def _record(
        self,
        batch: Sequence[tuple[Outgoing, bytes]],
        errors: dict[str, str],
        final: Collection[str] = (),
    ) -> None:
        """Sent rows marked with one statement; failed ones kept on disk and tried again
        after their backoff (those in `final`, refused for good, are not)."""
        sent = [item for item, _ in batch if item.key not in errors]
        outbox_log.record_sent([item.row_id for item in sent])
        failed: dict[int, str] = {}
        for item, data in batch:
            if item.key in errors:
                failed[item.row_id] = errors[item.key]
                self.mailer.spool_bytes(item.row_id, data)
                log.warning(
                    "mail %s to %s failed: %s", clean(item.key), clean(item.to), errors[item.key]
                )
            elif item.retried:
                self.mailer._spool_path(item.row_id).unlink(missing_ok=True)
        retry = [item.row_id for item, _ in batch if item.key in errors and item.key not in final]
        outbox_log.record_failed(failed, retry)
        if sent:
            log.info("mail: %d sent via %s", len(sent), self.mailer.backend)

    def _smtp(self, batch: Sequence[tuple[Outgoing, bytes]], final: set[str]) -> dict[str, str]:
        """One connection for the batch (a new one after the server drops it); the keys
        the server refused for good are added to `final`."""
        errors: dict[str, str] = {}
        client = None
        try:
            for item, data in batch:
                try:
                    if client is None:
                        client = self.mailer.smtp_client()
                    sender = parseaddr(item.sender)[1]
                    to = [address for _, address in getaddresses([item.to]) if address]
                    client.sendmail(sender, to, _EOL.sub(b"\r\n", data))
                except Exception as exc:  # any failure is recorded, never lost
                    errors[item.key] = self.mailer.describe(exc)
                    if backoff.permanent(exc):
                        final.add(item.key)
                    if client is not None and not _usable(client):
                        client.close()
                        client = None
        finally:
            if client is not None:
                try:
                    client.quit()
                except Exception:  # noqa: BLE001 - the messages went out already
                    client.close()
        return errors


def _usable(client) -> bool:
    try:
        return client.noop()[0] == 250
    except Exception:  # noqa: BLE001 - a dead connection is simply replaced
        return False
