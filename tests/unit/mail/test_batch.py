"""The bulk mail path: claims that never let two senders mail one event, batches a dead
process left half-done finished or undone, batches over a real SMTP server."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from models import EmailLog
from services.mail import maildir
from services.mail.batch import MailBatch, Outgoing
from tests.fixtures.mail import parse as _parse

PDF = b"%PDF-1.3\n" + bytes(range(256)) * 8


@pytest.fixture
def mailer(pay_config):
    from models import db
    from services.container import build_services

    yield build_services(pay_config).mailer
    db.close()


def test_a_claimed_event_is_sent_by_its_claimer_only(mailer):
    def item(n: int) -> Outgoing:
        return Outgoing(f"event:{n}", "client@example.com", f"message {n}", "B <b@example.com>")

    first, second = MailBatch(mailer), MailBatch(mailer)
    mine = first.claim([item(1), item(2)])
    assert [i.key for i in mine] == ["event:1", "event:2"]
    theirs = second.claim([item(2), item(3)])
    assert [i.key for i in theirs] == ["event:3"]  # event:2 is the first sender's
    outcome = first.deliver([(i, first.render(i, "hello\n")) for i in mine])
    assert outcome == {"event:1": None, "event:2": None}
    assert {r.event_key: r.status for r in EmailLog.select()} == {
        "event:1": "sent",
        "event:2": "sent",
        "event:3": "pending",
    }
    # a sent event is never claimed again, a failed one is taken over with `reclaim`
    EmailLog.update(status="failed").where(EmailLog.event_key == "event:3").execute()
    assert second.claim([item(1)], reclaim=True) == []
    [again] = second.claim([item(3)], reclaim=True)
    assert again.retried and EmailLog.get(EmailLog.event_key == "event:3").tries == 2


def test_a_batch_whose_process_died_is_finished_or_undone(mailer):
    """A claim file whose lock is gone (its process died): messages already written are
    moved into new/ and marked sent; a batch that wrote nothing is unclaimed."""
    from services.mail import claims

    home, outbox = mailer.config.home, mailer.config.outbox

    def batch_of(*numbers: int) -> list[tuple[Outgoing, bytes]]:
        sender = MailBatch(mailer)
        items = [
            Outgoing(f"event:{n}", "c@example.com", f"message {n}", "B <b@example.com>")
            for n in numbers
        ]
        return [(i, sender.render(i, f"body {i.key}\n")) for i in items]

    class Died(Exception):
        pass

    def die_at(phase: str):
        def progress(current: str, names: list) -> None:
            claim.phase(
                current, {i.row_id: n for (i, _), n in zip(written, names, strict=True) if n}
            )
            if current == phase:
                raise Died

        return progress

    # 1: killed with both messages written to tmp/ (the claim says "renaming")
    written = batch_of(1, 2)
    claim = claims.ClaimFile(home / "mail-claims")
    mine = MailBatch(mailer).claim([i for i, _ in written])
    claim.rows([(i.row_id, i.message_id) for i in mine])
    with pytest.raises(Died):
        maildir.deliver(outbox, [d for _, d in written], die_at("renaming"))
    os.close(claim.fd)  # the process is gone: so is its lock
    assert len(os.listdir(outbox / "tmp")) == 2 and mailer.outbox_messages() == []
    # 2: killed before anything was written (claimed only)
    undone = batch_of(3)
    claim = claims.ClaimFile(home / "mail-claims")
    [three] = MailBatch(mailer).claim([i for i, _ in undone])
    claim.rows([(three.row_id, three.message_id)])
    os.close(claim.fd)
    # 3: a live batch (its lock held) is left alone
    live = claims.ClaimFile(home / "mail-claims")
    [four] = MailBatch(mailer).claim([i for i, _ in batch_of(4)])
    live.rows([(four.row_id, four.message_id)])

    assert MailBatch(mailer).recover() == 3
    assert sorted(m["Subject"] for m in mailer.outbox_messages()) == ["message 1", "message 2"]
    assert os.listdir(outbox / "tmp") == []
    assert {r.event_key: r.status for r in EmailLog.select()} == {
        "event:1": "sent",
        "event:2": "sent",
        "event:4": "pending",
    }
    assert [p.name for p in (home / "mail-claims").iterdir()] == [live.path.name]
    # the undone event is claimed and sent anew; nothing is sent twice
    assert MailBatch(mailer).send(batch_of(1, 2, 3)) == {"event:3": None}
    assert len(mailer.outbox_messages()) == 3
    live.close()


def test_a_batch_over_smtp_is_sent_once_and_failures_kept_for_retry(pay_config, smtp_server):
    from dataclasses import replace

    from models import db
    from services.container import build_services

    config = replace(pay_config, smtp_url=f"smtp://127.0.0.1:{smtp_server.port}")
    mailer = build_services(config).mailer
    try:
        sender = MailBatch(mailer)

        def rendered(*numbers: int) -> list[tuple[Outgoing, bytes]]:
            items = [
                Outgoing(f"event:{n}", f"c{n}@example.com", f"message {n}", "B <b@example.com>")
                for n in numbers
            ]
            return [
                (i, sender.render(i, f"body {n} •\n")) for i, n in zip(items, numbers, strict=True)
            ]

        assert sender.send(rendered(1, 2, 3)) == {"event:1": None, "event:2": None, "event:3": None}
        got = smtp_server.messages()
        assert [m["Subject"] for m in got] == ["message 1", "message 2", "message 3"]
        assert [r[1] for r in smtp_server.received] == [
            ["c1@example.com"],
            ["c2@example.com"],
            ["c3@example.com"],
        ]
        assert got[0].get_content().replace("\r\n", "\n") == "body 1 •\n"  # CRLF on the wire
        # the server refuses: each is recorded failed and kept; the retry sends it once
        smtp_server.reply = "451 4.3.0 try again later"
        outcome = sender.send(rendered(4, 5))
        assert all(error and "451" in error for error in outcome.values())
        assert {r.event_key: r.status for r in EmailLog.select()}["event:5"] == "failed"
        assert sender.send(rendered(4, 5)) == {}  # failed events are not claimed again here
        smtp_server.reply = None
        assert mailer.retry_failed() == 2
        assert [m["Subject"] for m in smtp_server.messages()][3:] == ["message 4", "message 5"]
        assert not list((config.home / "mail-claims").glob("*"))  # SMTP keeps no claim files
    finally:
        db.close()


def test_headers_that_need_encoding_keep_the_claimed_message_id(mailer):
    sender = MailBatch(mailer)
    item = Outgoing("event:x", "Dana Núñez <dana@example.com>", "Reçu", "Café <b@example.com>")
    msg = _parse(sender.render(item, "merci\n", "<p>merci</p>"))
    assert msg["Message-ID"] == item.message_id
    assert str(msg["From"]) == "Café <b@example.com>" and msg["Subject"] == "Reçu"
    assert msg.get_body(("plain",)).get_content() == "merci\n"


def test_a_new_claim_file_is_never_taken_for_a_dead_one(tmp_path: Path):
    """Another process's `recover()` runs while batches start: a claim file it finds must
    already be locked, or it takes it for a dead batch's and removes it (the live batch's
    record is gone, and a kill then leaves its emails pending for ever)."""
    import subprocess
    import sys
    import time

    from services.mail import claims

    home = tmp_path / "home"
    script = (
        "import time\n"
        "from pathlib import Path\n"
        "from models import init_database\n"
        "from services.mail import claims\n"
        f"init_database('sqlite:///{tmp_path}/recover.db')\n"
        f"home = Path({str(home)!r})\n"
        "print('ready', flush=True)\n"
        "end = time.monotonic() + 4\n"
        "while time.monotonic() < end:\n"
        "    claims.recover(home, home / 'outbox')\n"
    )
    root = Path(__file__).resolve().parents[3]
    recovering = subprocess.Popen(
        [sys.executable, "-c", script], cwd=root, stdout=subprocess.PIPE, text=True
    )
    assert recovering.stdout is not None and recovering.stdout.readline() == "ready\n"
    removed = 0
    end = time.monotonic() + 3
    while time.monotonic() < end:
        claim = claims.ClaimFile(home / "mail-claims")
        try:
            if os.stat(claim.path).st_ino != os.fstat(claim.fd).st_ino:
                removed += 1
        except FileNotFoundError:
            removed += 1
        claim.close()
    recovering.wait(timeout=30)
    assert removed == 0
