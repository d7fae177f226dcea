"""Claim files: how a batch killed half-way through a Maildir delivery is finished, not lost.

While a process delivers a batch into the Maildir it holds an exclusive `flock` on a small
file in `<home>/mail-claims/` that says which mail-log rows it claimed (id and Message-ID)
and how far it got: `claimed` → `writing` (the file names in tmp/) → `renaming` (every
message is on disk in tmp/; this line is flushed with them). The lock dies with the
process, so `recover()` can tell a dead batch from a live one and finish it:
* `claimed` / `writing`: nothing reached new/. The claim is undone (the `pending` rows are
  removed, the half-written files in tmp/ too), so the next pass sends those emails anew.
* `renaming`: the messages still in tmp/ are moved into new/ and every row is marked
  sent — each message delivered exactly once, whatever a reader did with those already
  in new/.
Rows are matched on id *and* Message-ID, so a stale file can never touch another row.
SMTP has no such file: a message handed to a server cannot be taken back, so a batch
killed mid-delivery stays `pending` (at most once; "unconfirmed" in `paydesk failures`).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

from models import EmailLog, db, utcnow
from services.mail import maildir, outbox_log

log = logging.getLogger("paydesk.mail")


class ClaimFile:
    """The locked record of one batch in delivery (see the module's docstring)."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        name = f"{os.getpid()}-{secrets.token_hex(8)}"
        self.path = folder / f"{name}.claim"
        # Locked before it is a `.claim`: `recover()` never takes a new file for a dead one.
        fresh = folder / f"{name}.new"
        self.fd = os.open(fresh, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        fcntl.flock(self.fd, fcntl.LOCK_EX)
        os.rename(fresh, self.path)
        self.state: dict = {"phase": "claimed", "rows": [], "names": {}}

    def rows(self, rows: list[tuple[int, str]]) -> None:
        """The claimed (row id, Message-ID) pairs; written before the claim commits."""
        self.state["rows"] = rows
        self._write()

    def phase(self, phase: str, names: dict[int, str] | None = None) -> None:
        self.state["phase"] = phase
        if names is not None:
            self.state["names"] = names
        self._write()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.unlink(self.path)
        os.close(self.fd)

    def _write(self) -> None:
        data = json.dumps(self.state).encode()
        os.ftruncate(self.fd, 0)
        os.pwrite(self.fd, data, 0)


@contextlib.contextmanager
def claim_file(home: Path) -> Iterator[ClaimFile]:
    claim = ClaimFile(home / "mail-claims")
    try:
        yield claim
    finally:
        claim.close()


def recover(home: Path, outbox: Path) -> int:
    """Finish or undo the Maildir batches of processes that died; returns rows settled."""
    folder = home / "mail-claims"
    if not folder.is_dir():
        return 0
    settled = 0
    for path in sorted(folder.glob("*.claim")):
        try:
            fd = os.open(path, os.O_RDWR)
        except FileNotFoundError:
            continue
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # its process is delivering it right now
            raw = os.pread(fd, 1 << 24, 0)
            state = json.loads(raw) if raw.strip() else {"phase": "claimed", "rows": []}
            settled += _settle(state, outbox)
            with contextlib.suppress(OSError):
                os.unlink(path)
        finally:
            os.close(fd)
    return settled


def _settle(state: dict, outbox: Path) -> int:
    rows = [(int(row_id), str(message_id)) for row_id, message_id in state.get("rows", [])]
    names = {int(k): v for k, v in state.get("names", {}).items()}
    if state.get("phase") == "renaming":
        done = [row for row in rows if row[0] in names]
        for row_id, _ in done:
            source = outbox / "tmp" / names[row_id]
            if source.exists():
                os.rename(source, outbox / "new" / names[row_id])
        if done:
            maildir.fsync_dir(outbox / "new")
        sent = _update(done, status="sent", sent_at=utcnow(), last_error=None)
        undone = _unclaim([row for row in rows if row[0] not in names])
        log.warning("mail: a killed batch finished: %d delivered, %d to send again", sent, undone)
        return sent + undone
    for name in names.values():
        with contextlib.suppress(OSError):
            os.unlink(outbox / "tmp" / name)
    undone = _unclaim(rows)
    if undone:
        log.warning("mail: a killed batch undone: %d emails to send again", undone)
    return undone


def _match(rows: list[tuple[int, str]]):
    condition = None
    for row_id, message_id in rows:
        one = (EmailLog.id == row_id) & (EmailLog.message_id == message_id)
        condition = one if condition is None else condition | one
    return condition & (EmailLog.status == "pending")


def _update(rows: list[tuple[int, str]], **values) -> int:
    count = 0
    for first in range(0, len(rows), 200):
        part = rows[first : first + 200]
        count += EmailLog.update(**values).where(_match(part)).execute()
    return count


def _unclaim(rows: list[tuple[int, str]]) -> int:
    """Undo claims: a new row is removed (the event is unclaimed again); a failed one that
    was being retried goes back to failed, its kept copy still there for the retry."""
    count = 0
    with db.atomic():
        for first in range(0, len(rows), 200):
            part = _match(rows[first : first + 200])
            count += (
                EmailLog.update(status="failed", last_error="interrupted before delivery")
                .where(part & (EmailLog.tries > 1))
                .execute()
            )
            gone = [
                row.id for row in EmailLog.select(EmailLog.id).where(part & (EmailLog.tries <= 1))
            ]
            count += EmailLog.delete().where(EmailLog.id.in_(gone)).execute() if gone else 0
            outbox_log.forget(gone)
    return count
