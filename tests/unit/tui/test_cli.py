"""The `paydesk` command line: set-up, clients, invoices; errors as one line, never a traceback."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from models import Client, InvoiceLine, db

PAYDESK = str(Path(sys.executable).with_name("paydesk"))


@pytest.fixture
def run(home, db_url):
    env = {**os.environ, "PAYDESK_HOME": str(home), "PAYDESK_DATABASE_URL": db_url}

    def run(*args, stdin=""):
        return subprocess.run(
            [PAYDESK, *args], env=env, input=stdin, capture_output=True, text=True, timeout=60
        )

    return run


def test_help_is_everywhere(run):
    for args in (["--help"], ["invoice", "--help"], ["invoice", "add", "--help"], ["init", "-h"]):
        result = run(*args)
        assert result.returncode == 0, result.stderr
        assert "usage: paydesk" in result.stdout


def test_set_up_a_business_a_client_and_an_invoice(run):
    init = run(
        "init", "--business", "Desk", "--billing-email", "b@example.com",
        "--owner-email", "Me@Example.com", "--password-stdin", stdin="a long passphrase\n",
    )  # fmt: skip
    assert init.returncode == 0, init.stderr
    assert "owner login me@example.com" in init.stdout
    client = run("client", "add", "--name", "Acme", "--email", "acme@example.com")
    assert client.returncode == 0, client.stderr
    added = run(
        "invoice", "add", "--client", "acme@example.com", "--line", "Support=95.00x3.5@8.25%",
        "--line", "Cable=12.5", "--issue", "2026-11-01", "--due", "2026-11-15",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert added.stdout.startswith("INV-0001: $372.43 due 2026-11-15")
    listing = run("invoice", "list", "--owed")
    assert "INV-0001" in listing.stdout and "sent" in listing.stdout
    shown = run("invoice", "show", "inv-0001")
    assert "Support" in shown.stdout and "Balance due" in shown.stdout and "$372.43" in shown.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["invoice", "show", "INV-9999"], "no invoice 'INV-9999'"),
        (["client", "add", "--name", "X", "--email", "x@example.com"], "no business yet"),
        (["invoice", "add", "--client", "7", "--line", "A=1"], "no client '7'"),
        (["init", "--business", "B", "--billing-email", "b@x", "--currency", "XYZ"], "currency"),
    ],
)
def test_errors_are_one_clear_line(run, args, message):
    result = run(*args)
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert len(result.stderr.strip().splitlines()) == 1


def test_an_invoice_with_a_discount_and_a_discount_refused(run):
    run("init", "--business", "B", "--billing-email", "b@example.com")
    run("client", "add", "--name", "Acme", "--email", "acme@example.com")
    base = ("invoice", "add", "--client", "1", "--line", "Support=100@10%", "--line", "Cable=50")
    too_much = run(*base, "--discount", "150.01", "--draft")
    assert "a discount of $150.01 is more than the subtotal ($150.00)" in too_much.stderr
    assert "not a number" in run(*base, "--discount", "lots", "--draft").stderr
    added = run(*base, "--discount", "15", "--draft")
    assert added.returncode == 0, added.stderr
    assert added.stdout.startswith("INV-0001: $144.00 due")
    shown = run("invoice", "show", "INV-0001").stdout
    assert "Discount" in shown and "-$15.00" in shown and "$144.00" in shown


def test_bad_invoice_lines_and_dates_are_named(run):
    run("init", "--business", "B", "--billing-email", "b@example.com")
    run("client", "add", "--name", "Acme", "--email", "acme@example.com")
    bad_line = run("invoice", "add", "--client", "1", "--line", "no price here")
    assert "expected DESCRIPTION=PRICE" in bad_line.stderr
    cents = run("invoice", "add", "--client", "1", "--line", "A=1.234")
    assert "more decimals" in cents.stderr
    dates = run("invoice", "add", "--client", "1", "--line", "A=1", "--issue", "2026-02-01",
                "--due", "2026-01-01")  # fmt: skip
    assert "before the issue date" in dates.stderr
    assert run("invoice", "list").stdout == ""


def test_a_refused_owner_login_leaves_init_undone(run):
    """A weak password or a bad owner email is refused before anything is created, so the
    owner can run `paydesk init` again (it refuses to run twice)."""
    for email, password, reason in (
        ("me@example.com", "password\n", "too common"),
        ("not-an-email", "a long passphrase\n", "valid email"),
    ):
        result = run(
            "init", "--business", "Desk", "--billing-email", "b@example.com",
            "--owner-email", email, "--password-stdin", stdin=password,
        )  # fmt: skip
        assert result.returncode == 1
        assert reason in result.stderr and "unexpected" not in result.stderr
    done = run(
        "init", "--business", "Desk", "--billing-email", "b@example.com",
        "--owner-email", "me@example.com", "--password-stdin", stdin="a long passphrase\n",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr


def test_client_add_refuses_a_bad_login_email_before_creating_the_client(run):
    run("init", "--business", "B", "--billing-email", "b@example.com")
    bad = run("client", "add", "--name", "Acme", "--email", "acme", "--password-stdin",
              stdin="a long passphrase\n")  # fmt: skip
    assert bad.returncode == 1
    assert "valid email" in bad.stderr and "unexpected" not in bad.stderr
    assert run("client", "list").stdout == ""


OSC52 = "\x1b]52;c;cHduZWQ=\x07"
TITLE = "\x1b]0;pwned\x07"


def test_control_characters_are_refused_at_input(run):
    run("init", "--business", "B", "--billing-email", "b@example.com")
    run("client", "add", "--name", "Acme", "--email", "acme@example.com")
    for args in (
        ["client", "add", "--name", f"Evil{TITLE}", "--email", "evil@example.com"],
        ["invoice", "add", "--client", "1", "--line", f"Support{OSC52}=1"],
    ):
        result = run(*args)
        assert result.returncode == 1
        [line] = result.stderr.strip().splitlines()
        assert "holds a control character (ESC)" in line and "\x1b" not in line
    assert "Evil" not in run("client", "list").stdout
    assert run("invoice", "list").stdout == ""


def test_stored_escape_sequences_are_printed_as_symbols(run, database):
    run("init", "--business", "B", "--billing-email", "b@example.com")
    run("client", "add", "--name", "Acme", "--email", "acme@example.com")
    run("invoice", "add", "--client", "1", "--line", "Support=95")
    # Written past the input checks (an older row, an import, another program).
    InvoiceLine.update(description=f"Support {OSC52}{TITLE}").execute()
    Client.update(name=f"Acme{TITLE}").execute()
    db.close()
    for args in (["invoice", "show", "INV-0001"], ["invoice", "list"], ["client", "list"]):
        out = run(*args)
        assert out.returncode == 0, out.stderr
        assert "\x1b" not in out.stdout and "\x07" not in out.stdout, args
        assert "␛]0;pwned␇" in out.stdout, args


def test_serve_ssh_listens_where_the_emails_send_clients(run, home):
    """No --port: the ssh_port setting, the port the emails name (its known_hosts line)."""
    printed = run("serve-ssh", "--print-fingerprint")
    assert printed.returncode == 0, printed.stderr
    assert "[127.0.0.1]:2222 ssh-ed25519 " in printed.stdout
    (home / "paydesk.toml").write_text("ssh_port = 2300\n")
    printed = run("serve-ssh", "--print-fingerprint")
    assert "[127.0.0.1]:2300 ssh-ed25519 " in printed.stdout
