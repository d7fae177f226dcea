"""`paydesk pay`, `paydesk reconcile` and `paydesk sandbox` as a script would run them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from models import EmailLog, db
from services.payments import ledger
from services.stripe_client.sandbox import find_sandbox
from tests.fixtures.cli import ROOT, cli_env, run_cli
from tests.fixtures.payments import intents


def _one_line_error(proc: subprocess.CompletedProcess, text: str) -> None:
    assert proc.returncode == 1, proc
    assert text in proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_pay_from_the_command_line(shop, stripe_api, pay_config):
    svc = shop.services
    svc.cards.add_test_card(shop.client_id, "declined")
    good = svc.cards.add_test_card(shop.client_id, "success")
    open_one, void_one = shop.invoice(3_000), shop.invoice(500)
    svc.invoices.void(void_one.id)
    env = cli_env(pay_config)
    db.close()

    _one_line_error(run_cli("pay", open_one.number, "--card", "default", env=env), "declined")
    _one_line_error(run_cli("pay", void_one.number, "--card", "4242", env=env), "is void")
    _one_line_error(run_cli("pay", "INV-9999", env=env), "no invoice")
    _one_line_error(run_cli("pay", open_one.number, "--card", "1111", env=env), "no saved card")

    paid = run_cli("pay", open_one.number, "--card", good.last4, env=env)
    assert paid.returncode == 0, paid.stderr
    assert "Paid $30.00 with Visa •••• 4242" in paid.stdout
    # The receipt goes out from a background worker; the process sends it before exiting.
    receipts = EmailLog.select().where(EmailLog.event_key.startswith("receipt:"))
    assert [row.status for row in receipts] == ["sent"]
    db.close()
    _one_line_error(run_cli("pay", open_one.number, "--card", "4242", env=env), "already paid")
    assert sorted(i.status for i in intents(stripe_api)) == [
        "requires_payment_method",
        "succeeded",
    ]
    report = run_cli("reconcile", "--min-age", "0", env=env)
    assert report.returncode == 0 and "checked 0" in report.stdout


def test_pay_says_in_words_what_the_payment_needs(shop, pay_config):
    shop.services.cards.add_test_card(shop.client_id, "3ds")
    invoice = shop.invoice(2_500)
    env = cli_env(pay_config)
    db.close()
    proc = run_cli("pay", invoice.number, "--card", "default", env=env)
    _one_line_error(proc, "needs the client to complete 3-D Secure")
    assert "requires_action" not in proc.stderr


def _foreground_sandbox(home, env):
    """`paydesk sandbox` started in the foreground, once its sandbox answers: the process
    and the sandbox's state."""
    fg = subprocess.Popen(
        [sys.executable, "-m", "tui.cli", "sandbox"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 30
    while (info := find_sandbox(home)) is None:
        if fg.poll() is not None or time.monotonic() >= deadline:
            fg.kill()
            raise AssertionError(f"the sandbox did not start: {fg.stderr.read()}")
        time.sleep(0.1)
    return fg, info


def test_sandbox_command_foreground_status_and_stop(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    env = {"PAYDESK_HOME": str(home), "PATH": "/usr/bin:/bin"}
    fg, _ = _foreground_sandbox(home, env)
    try:
        status = run_cli("sandbox", "--status", env=env)
        assert status.returncode == 0 and "running at http://127.0.0.1:" in status.stdout
        _one_line_error(run_cli("sandbox", env=env), "already runs")
    finally:
        fg.send_signal(signal.SIGINT)
        fg.wait(timeout=30)
    assert find_sandbox(home) is None
    assert "not running" in run_cli("sandbox", "--status", env=env).stdout

    # In the background: started on demand, then stopped by `paydesk sandbox --stop`.
    code = (
        "from services.stripe_client.sandbox import ensure_sandbox; import sys; "
        "ensure_sandbox(sys.argv[1])"
    )
    subprocess.run([sys.executable, "-c", code, str(home)], cwd=ROOT, check=True, timeout=60)
    assert find_sandbox(home) is not None
    stopped = run_cli("sandbox", "--stop", env=env)
    assert stopped.returncode == 0 and "sandbox stopped" in stopped.stdout
    assert find_sandbox(home) is None


def test_reconcile_waits_the_configured_min_age_unless_told(shop, pay_config):
    card = shop.services.cards.add_test_card(shop.client_id, "success")
    invoice = shop.invoice(1_200)
    ledger.open_attempt(shop.client_id, [invoice.id], card.id, "kiosk", False, "test", "")
    env = cli_env(pay_config)
    db.close()

    fresh = run_cli("reconcile", env=env)  # the setting's default: 60 s, so left alone
    assert fresh.returncode == 0 and "checked 0" in fresh.stdout, fresh.stderr
    (pay_config.home / "paydesk.toml").write_text("reconcile_min_age = 0\n")
    now = run_cli("reconcile", env=env)
    assert now.returncode == 0 and "checked 1" in now.stdout, now.stderr


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_sandbox_command_stopped_by_sigterm_stops_localstripe(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    env = {"PAYDESK_HOME": str(home), "PATH": "/usr/bin:/bin"}
    fg, info = _foreground_sandbox(home, env)
    try:
        fg.send_signal(signal.SIGTERM)  # `kill`, or systemd stopping it
        fg.wait(timeout=30)
        deadline = time.monotonic() + 10
        while _alive(info.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _alive(info.pid), "localstripe outlived `paydesk sandbox`"
        assert find_sandbox(home) is None
    finally:
        if fg.poll() is None:
            fg.kill()
        if _alive(info.pid):
            os.kill(info.pid, signal.SIGKILL)
