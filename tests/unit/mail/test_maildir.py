"""The Maildir batch writer: whole messages in new/, nothing left in tmp/, sending order kept."""

from __future__ import annotations

import mailbox
import os
from pathlib import Path

from services.config import Config
from services.mail import maildir, mime
from services.mail.mailer import Mailer
from tests.fixtures.mail import head as _head


def test_maildir_batch_delivers_whole_messages_in_order(tmp_path: Path):
    root = tmp_path / "outbox"
    messages = [mime.render(_head(subject=f"message {n}"), f"body {n}\n") or b"" for n in range(5)]
    names = maildir.deliver(root, messages)
    assert all(isinstance(name, str) for name in names)
    assert sorted(os.listdir(root / "new")) == sorted(names)  # type: ignore[type-var]
    assert os.listdir(root / "tmp") == []
    box = mailbox.Maildir(root, create=False)
    assert sorted(box.get_bytes(key) for key in box.keys()) == sorted(messages)
    config = Config(home=tmp_path, database_url="sqlite://")
    assert [m["Subject"] for m in Mailer(config).outbox_messages()] == [
        f"message {n}" for n in range(5)
    ]


def test_maildir_batch_reports_what_it_could_not_deliver(tmp_path: Path):
    root = tmp_path / "outbox"
    maildir.ensure(root)
    (root / "new").rmdir()
    (root / "new").write_text("not a folder")  # every rename into new/ fails
    results = maildir.deliver(root, [b"Subject: a\n\nx\n", b"Subject: b\n\ny\n"])
    assert all(isinstance(r, OSError) for r in results)
    assert os.listdir(root / "tmp") == []  # nothing half-delivered is left behind
