"""`ssh admin@host` with a registered key opens the owner's console on the Overview, and the
audit trail names the key's fingerprint and the client's address."""

from __future__ import annotations

import os
import sqlite3
import subprocess
from pathlib import Path

from tests.fixtures.ssh import PAYDESK, wait_until


def _owner_key(home: Path, tmp_path: Path) -> tuple[Path, str]:
    """A data dir with the demo business and an admin key: the key's file and fingerprint."""
    home.mkdir()
    env = {**os.environ, "PAYDESK_HOME": str(home)}

    def paydesk(*args: str) -> str:
        out = subprocess.run(
            [str(PAYDESK), *args], env=env, capture_output=True, text=True, timeout=120
        )
        assert out.returncode == 0, out.stderr
        return out.stdout

    paydesk("demo", "--seed-only")
    key = tmp_path / "id_admin"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "owner laptop", "-f", str(key)],
        check=True, timeout=20,
    )  # fmt: skip
    paydesk("admin-key", "add", f"{key}.pub")
    return key, paydesk("admin-key", "list").split()[0]


def _admin_command(server, key: Path) -> str:
    return server.ssh_command(user="admin").replace("IdentityFile=/dev/null", f"IdentityFile={key}")


def test_a_registered_key_reaches_the_overview(start_server, tmux, tmp_path: Path):
    home = tmp_path / "home"
    key, fingerprint = _owner_key(home, tmp_path)
    server = start_server(home=home)
    command = _admin_command(server, key)
    tmux.open("admin", command, width=80, height=24)
    screen = tmux.wait_for("admin", "Receivables as of", timeout=30)
    assert "Owed $1,170.74" in screen and "Needs attention" in screen
    assert "SSH key S" in screen  # cut to fit beside the ten section keys at 80 columns
    tmux.keys("admin", "F2")
    assert "Acme Dental" in tmux.wait_for("admin", "of 2 clients")
    tmux.keys("admin", "C-q")
    tmux.wait_for("admin", "[ssh exited 0]")

    def opened() -> list:
        with sqlite3.connect(home / "paydesk.db") as conn:
            return conn.execute(
                "SELECT actor, action, source_address FROM audit_log"
                " WHERE action LIKE 'admin.%' ORDER BY id"
            ).fetchall()

    assert wait_until(lambda: len(opened()) == 2, 10)
    assert opened() == [
        (f"admin:key:{fingerprint}", "admin.opened", "127.0.0.1"),
        (f"admin:key:{fingerprint}", "admin.closed", "127.0.0.1"),
    ]


def test_escape_sequences_in_a_client_name_never_reach_the_owners_terminal(
    start_server, tmux, tmp_path: Path
):
    home = tmp_path / "home"
    key, _ = _owner_key(home, tmp_path)
    with sqlite3.connect(home / "paydesk.db") as conn:  # past the input checks
        conn.execute(
            "UPDATE client SET name = ? WHERE name = 'Acme Dental'",
            ("Acme \x1b]52;c;cHduZWQ=\x07 \x1b]0;pwned\x07",),
        )
    server = start_server(home=home)
    raw = tmp_path / "terminal.bytes"  # every byte the ssh client wrote to its terminal
    tmux.open("admin", f"script -qfc '{_admin_command(server, key)}' {raw}", width=100, height=30)
    tmux.wait_for("admin", "Receivables as of", timeout=30)
    assert wait_until(lambda: "␛]0;pwned␇" in tmux.screen("admin"), 10), tmux.screen("admin")
    tmux.keys("admin", "F2")
    screen = tmux.wait_for("admin", "of 2 clients")
    assert "Acme ␛]52;c;cHdu" in screen  # the Name column cuts the rest
    assert "pwned" not in tmux.run("display-message", "-p", "-t", "admin", "#{pane_title}")
    sent = raw.read_bytes()
    assert "␛]52;c;".encode() in sent  # drawn, as symbols
    for sequence in (b"\x1b]52", b"\x1b]0;pwned", b"pwned\x07"):
        assert sequence not in sent, (sequence, screen)
