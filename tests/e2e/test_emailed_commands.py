"""The ssh command and link in a real invoice email, copied as they are, open the invoice in a
`serve-ssh` started with its defaults (issue 11, item 1)."""

from __future__ import annotations

import os
import re
import socket
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest

from models import Client, db
from services.clock import business_today
from services.config import SSH_PORT, Config, load_config
from services.container import build_services
from services.demo import DEMO_CLIENT_EMAIL, seed_demo
from services.invoices.views import LineInput
from tests.fixtures.cli import run_cli
from tests.fixtures.ports import free_port
from tests.fixtures.ssh import ROOT, SSH_OPTS


def _port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@pytest.fixture
def billed_home(tmp_path: Path, sandbox_url: str) -> Path:
    """The demo data and one recurring invoice due today, so `paydesk run` emails it."""
    home = tmp_path / "demo"
    home.mkdir()
    services = build_services(Config(home=home, database_url=f"sqlite:///{home}/paydesk.db"))
    seed_demo(services)
    client = Client.get(Client.email == DEMO_CLIENT_EMAIL)
    today = business_today(services.invoices.business_of_client(client.id).timezone)
    services.recurring.add(
        client.id, "Backups", "monthly", today, [LineInput("Backups", 4_000)], autobill_mode="off"
    )
    db.close()
    return home


def _invoice_email(home: Path) -> EmailMessage:
    for path in sorted((home / "outbox" / "new").iterdir()):
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        text = str(message.get_body(("plain",)).get_content())  # type: ignore[union-attr]
        if "[View Invoice]" in text and "Your invoice" in text:  # not a reminder
            return message  # type: ignore[return-value]
    raise AssertionError("no invoice email in the outbox")


def test_the_emailed_command_and_link_open_the_invoice_on_serve_ssh_defaults(
    start_server, tmux, billed_home: Path
):
    # Nothing set: the emails name serve-ssh's default port. If another program holds that
    # port here, both are moved together with the one setting, PAYDESK_SSH_PORT.
    assert load_config({"PAYDESK_HOME": str(billed_home)}).ssh_port == SSH_PORT
    port = SSH_PORT if _port_is_free(SSH_PORT) else free_port()
    env = {**os.environ, "PAYDESK_HOME": str(billed_home), "PYTHONPATH": str(ROOT)}
    if port != SSH_PORT:
        env["PAYDESK_SSH_PORT"] = str(port)
    done = run_cli("run", env=env)
    assert done.returncode == 0, done.stderr

    text = str(_invoice_email(billed_home).get_body(("plain",)).get_content())  # type: ignore[union-attr]
    number = re.search(r"Your invoice (\S+) from", text)[1]  # type: ignore[index]
    command = next(line.strip() for line in text.splitlines() if line.strip().startswith("ssh -t"))
    link = re.search(r"In the billing kiosk: (\S+)", text)[1]  # type: ignore[index]
    assert f"-p {port} " in command and link.endswith(f"@127.0.0.1:{port}")

    server_env = {"PAYDESK_SSH_PORT": str(port)} if port != SSH_PORT else {}
    server = start_server(home=billed_home, env=server_env, listen_on=port)  # no --port
    assert f"listening on 127.0.0.1:{port}" in (billed_home / "server.out").read_text()
    # As copied, but with this test's host-key options after `ssh` (no known_hosts here).
    options = " ".join(SSH_OPTS)
    tmux.open("cmd", command.replace("ssh ", f"ssh {options} ", 1))
    tmux.wait_for("cmd", number, timeout=30)
    tmux.open("link", f"ssh -tt {options} {link}")  # OpenSSH takes ssh:// URIs as they are
    tmux.wait_for("link", number, timeout=30)
    tmux.kill("cmd")
    tmux.kill("link")
    server.stop()
