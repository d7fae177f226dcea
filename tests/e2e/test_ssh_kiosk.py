"""The real kiosk over SSH with the real OpenSSH client in tmux: log in and pay, resize, hang
up, invoice codes, and a session killed in the middle of a payment."""

from __future__ import annotations

import os
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest

from models import AuditLog, Invoice, InvoiceLine, Payment, PaymentAllocation, db, utcnow
from services.config import Config
from services.container import build_services
from services.demo import DEMO_CLIENT_EMAIL, DEMO_CLIENT_PASSWORD, seed_demo
from tests.fixtures.cli import run_cli
from tests.fixtures.payments import intents
from tests.fixtures.ssh import ROOT, alive, wait_until


@pytest.fixture
def demo_home(tmp_path: Path, sandbox_url: str) -> Path:  # noqa: F811 - fixture from conftest
    """A data dir with the README's demo data (and its saved test card in the sandbox)."""
    home = tmp_path / "demo"
    home.mkdir()
    config = Config(home=home, database_url=f"sqlite:///{home}/paydesk.db")
    seed_demo(build_services(config))
    db.close()
    return home


def _open_db(home: Path):
    return build_services(Config(home=home, database_url=f"sqlite:///{home}/paydesk.db"))


def _log_in(tmux, name: str) -> None:
    tmux.wait_for(name, "Sign in")
    tmux.keys(name, DEMO_CLIENT_EMAIL, "Tab", DEMO_CLIENT_PASSWORD, "Enter")
    tmux.wait_for(name, "Welcome")


def _pay_first_owed(tmux, name: str) -> None:
    """Invoices → mark the first (oldest owed) → Pay marked → the saved card → Pay."""
    tmux.keys(name, "i")
    tmux.wait_for(name, "Your invoices")
    tmux.keys(name, "Space", "p")
    tmux.wait_for(name, "Visa •••• 4242")
    tmux.keys(name, "Enter")  # Pay Now opens on the saved (default) card
    tmux.wait_for(name, "Confirm your payment")
    tmux.keys(name, "Enter")


def _payments_of(invoice_id: int) -> int:
    return (
        Payment.select()
        .join(PaymentAllocation)
        .where(PaymentAllocation.invoice == invoice_id)
        .count()
    )


def _succeeded(api) -> int:
    return len([i for i in intents(api) if i.status == "succeeded"])


def _spares(server) -> set[int]:
    """Sessions still waiting for a client: their PTY has the spare size (93x31)."""
    found = set()
    for pid in server.sessions():
        try:
            fd0 = os.readlink(f"/proc/{pid}/fd/0")
        except OSError:
            continue
        size = subprocess.run(
            ["stty", "-F", fd0, "size"], capture_output=True, text=True, timeout=5
        ).stdout.split()
        if size == ["31", "93"]:
            found.add(pid)
    return found


def _width(screen: str) -> int:
    """How wide the app draws: its widest line (the panels span the window)."""
    return max((len(line.rstrip()) for line in screen.splitlines()), default=0)


def test_log_in_pay_resize_and_hang_up(start_server, tmux, demo_home: Path):
    server = start_server(home=demo_home, spares=2)
    # With TERM=xterm-256color the server hands over a pre-drawn spare Login session.
    assert wait_until(lambda: len(_spares(server)) == 2, 60)  # the two spares are up
    tmux.open("k", f"TERM=xterm-256color {server.ssh_command()}")
    _log_in(tmux, "k")
    _pay_first_owed(tmux, "k")
    screen = tmux.wait_for("k", "Payment received")
    assert "INV-0003" in screen

    db.close()
    _open_db(demo_home)
    invoice = Invoice.get(Invoice.number == "INV-0003")
    assert invoice.status == "paid"
    assert _payments_of(invoice.id) == 1
    # The spare learnt its client's address when it was handed over.
    logins = AuditLog.select().where(AuditLog.action == "login.ok")
    assert [row.source_address for row in logins] == ["127.0.0.1"]

    tmux.keys("k", "Escape")
    tmux.wait_for("k", "Your invoices")  # two panels side by side, spanning the window
    assert 95 <= _width(tmux.screen("k")) <= 100
    tmux.resize("k", 80, 24)
    assert wait_until(lambda: 75 <= _width(tmux.screen("k")) <= 80, 10)
    tmux.resize("k", 120, 40)
    assert wait_until(lambda: _width(tmux.screen("k")) >= 115, 10)
    assert "Log out" in tmux.screen("k")

    spares_then = set(server.sessions())
    (session,) = [pid for pid in spares_then if pid not in _spares(server)]
    tmux.kill("k")  # the client's terminal and connection go away
    assert wait_until(lambda: not alive(session), 1.0, 0.02), "session outlived its client"
    assert wait_until(lambda: not os.path.exists(f"/proc/{session}"), 1.0, 0.02)  # reaped
    assert wait_until(lambda: "outcome=hangup" in server.log, 5)
    log = server.log
    assert DEMO_CLIENT_PASSWORD not in log and "4242" not in log


def test_view_code_opens_that_invoice_and_refuses_bad_codes(start_server, tmux, demo_home):
    services = _open_db(demo_home)
    invoice = Invoice.get(Invoice.number == "INV-0004")
    code = services.codes.create(invoice.id)
    expired = services.codes.create(invoice.id, expires_at=utcnow() - timedelta(days=1))
    db.close()
    server = start_server(home=demo_home)

    tmux.open("v", server.ssh_command(user=f"view-{code}"))
    screen = tmux.wait_for("v", "INV-0004")
    assert "INV-0003" not in screen and "Welcome" not in screen

    tmux.open("x", f"{server.ssh_command()} view {code}")  # ssh -t host view CODE
    tmux.wait_for("x", "INV-0004")

    for name, bad in (("w", "aaaa-bbbb-cccc-dddd"), ("e", expired)):
        tmux.open(name, server.ssh_command(user=f"view-{bad}"))
        try:
            screen = tmux.wait_for(name, "not valid or has expired", timeout=30)
        except AssertionError as exc:
            raise AssertionError(f"{exc}\nserver log:\n{server.log[-3000:]}") from None
        assert "INV-0004" not in screen

    assert len(server.sessions()) == 4
    for name in ("v", "x", "w", "e"):
        tmux.kill(name)
    assert wait_until(lambda: server.log.count("route=view") == 4, 10)
    assert code not in server.log and expired not in server.log


def test_session_killed_mid_payment_is_reconciled_never_doubled(
    start_server, tmux, demo_home, stripe_api
):
    charged_before = _succeeded(stripe_api)
    paused = demo_home / "paused"
    # The kiosk's payment stops after Stripe confirmed the charge, before the database knows.
    server = start_server(
        home=demo_home,
        env={"PAYDESK_PAUSE_AT": "after_confirm", "PAYDESK_PAUSE_FILE": str(paused)},
    )
    tmux.open("k", server.ssh_command())
    _log_in(tmux, "k")
    _pay_first_owed(tmux, "k")
    assert wait_until(paused.exists, 30)
    (session,) = server.sessions()
    assert int(paused.read_text()) == session
    tmux.kill("k")  # the connection drops mid-payment
    assert wait_until(lambda: server.sessions() == [], 1.5, 0.02)
    assert _succeeded(stripe_api) == charged_before + 1  # Stripe charged; paydesk never recorded

    env = {**os.environ, "PAYDESK_HOME": str(demo_home), "PYTHONPATH": str(ROOT)}
    done = run_cli("reconcile", "--min-age", "0", env=env)
    assert done.returncode == 0, done.stderr

    db.close()
    _open_db(demo_home)
    invoice = Invoice.get(Invoice.number == "INV-0003")
    assert invoice.status == "paid"
    assert _payments_of(invoice.id) == 1

    again = run_cli("pay", "INV-0003", "--card", "default", env=env)
    assert again.returncode == 1 and "already paid" in again.stderr
    assert _succeeded(stripe_api) == charged_before + 1


def test_escape_sequences_in_an_invoice_never_reach_the_clients_terminal(
    start_server, tmux, demo_home, tmp_path
):
    services = _open_db(demo_home)
    invoice = Invoice.get(Invoice.number == "INV-0004")
    # Written past the input checks: a clipboard write (OSC 52) and a window title (OSC 0).
    InvoiceLine.update(description="Fix \x1b]52;c;cHduZWQ=\x07 \x1b]0;pwned\x07").where(
        InvoiceLine.invoice == invoice.id
    ).execute()
    Invoice.update(notes="Bye\x1b]0;pwned-note\x07\x9b2J").where(Invoice.id == invoice.id).execute()
    code = services.codes.create(invoice.id)
    db.close()
    server = start_server(home=demo_home)
    raw = tmp_path / "terminal.bytes"  # every byte the ssh client wrote to its terminal
    tmux.open("c", f"script -qfc '{server.ssh_command(user=f'view-{code}')}' {raw}")
    screen = tmux.wait_for("c", "INV-0004")
    assert wait_until(lambda: "␛]0;pwned␇" in tmux.screen("c"), 10), tmux.screen("c")
    assert "pwned" not in tmux.run("display-message", "-p", "-t", "c", "#{pane_title}")
    sent = raw.read_bytes()
    assert b"INV-0004" in sent and "␛]52;c;".encode() in sent  # drawn, as symbols
    for sequence in (b"\x1b]52", b"\x1b]0;pwned", b"\x9b2J", "\x9b".encode()):
        assert sequence not in sent, (sequence, screen)
