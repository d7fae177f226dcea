"""What the server offers before the key exchange, read off the wire, and the foreign clients
(dropbear's dbclient, PuTTY's plink) reaching the kiosk's Login screen with it."""

from __future__ import annotations

import asyncio
import shlex

import asyncssh

from tests.fixtures.ssh import PLACEHOLDER
from tests.fixtures.ssh_wire import server_offers
from tui.ssh.host_key import host_key_path

# Written out here rather than imported, so that a change to the server's lists has to be
# made twice on purpose. The two pseudo-algorithms are asyncssh's extension markers.
MODERN_KEX = {
    "curve25519-sha256", "curve25519-sha256@libssh.org", "mlkem768x25519-sha256",
    "sntrup761x25519-sha512", "sntrup761x25519-sha512@openssh.com", "curve448-sha512",
    "diffie-hellman-group16-sha512", "diffie-hellman-group18-sha512",
    "ext-info-s", "kex-strict-s-v00@openssh.com",
}  # fmt: skip
MODERN_CIPHERS = {
    "chacha20-poly1305@openssh.com", "aes256-gcm@openssh.com", "aes128-gcm@openssh.com",
    "aes256-ctr", "aes192-ctr", "aes128-ctr",
}  # fmt: skip
ETM_MACS = {"hmac-sha2-256-etm@openssh.com", "hmac-sha2-512-etm@openssh.com",
            "umac-128-etm@openssh.com"}  # fmt: skip


def test_no_compression_is_offered(start_server):
    offers = server_offers(start_server(app=PLACEHOLDER).port)
    assert offers["compression_cs"] == ["none"]
    assert offers["compression_sc"] == ["none"]


def test_only_modern_algorithms_are_offered(start_server):
    offers = server_offers(start_server(app=PLACEHOLDER).port)
    assert set(offers["kex"]) <= MODERN_KEX, set(offers["kex"]) - MODERN_KEX
    assert "mlkem768x25519-sha256" in offers["kex"]  # post-quantum hybrid, as OpenSSH 10 prefers
    assert offers["host_key"] == ["ssh-ed25519"]
    for direction in ("cs", "sc"):
        ciphers, macs = offers[f"encryption_{direction}"], offers[f"mac_{direction}"]
        assert set(ciphers) <= MODERN_CIPHERS, set(ciphers) - MODERN_CIPHERS
        assert ciphers[0] == "chacha20-poly1305@openssh.com"
        assert macs and set(macs) <= ETM_MACS, set(macs) - ETM_MACS


def test_a_client_that_insists_on_weak_algorithms_is_refused(start_server):
    server = start_server(app=PLACEHOLDER)
    weak = (
        {"kex_algs": ["diffie-hellman-group14-sha1"]},
        {"kex_algs": ["diffie-hellman-group-exchange-sha1"]},
        {"mac_algs": ["hmac-sha1"], "encryption_algs": ["aes128-ctr"]},
        {"mac_algs": ["umac-64-etm@openssh.com"], "encryption_algs": ["aes128-ctr"]},
        {"compression_algs": ["zlib@openssh.com"]},
    )

    async def attempt(options: dict) -> str:
        try:
            async with asyncssh.connect(
                "127.0.0.1", server.port, username="anyone", known_hosts=None, **options
            ):
                return "connected"
        # Both sides see the mismatch; the client may see the server's close first.
        except (asyncssh.KeyExchangeFailed, asyncssh.ConnectionLost) as exc:
            return f"refused: {exc}"

    for options in weak:
        assert asyncio.run(attempt(options)).startswith("refused"), options
    assert "outcome=authenticated" not in server.log  # none got as far as authentication


def test_the_first_key_exchange_is_one_guessing_clients_pick(start_server):
    # dropbear sends its first key exchange packet before it has seen the server's list; the
    # guess stands only if both lists start with the same algorithm.
    assert server_offers(start_server(app=PLACEHOLDER).port)["kex"][0] == "curve25519-sha256"


def test_dropbear_reaches_the_login_screen(start_server, tmux):
    server = start_server()  # the real kiosk
    # -y -y: no host key check and nothing written to this user's known_hosts.
    tmux.open("db", f"dbclient -y -y -t -p {server.port} anyone@127.0.0.1")
    tmux.wait_for("db", "Sign in", timeout=60)
    tmux.keys("db", "C-q")
    tmux.wait_for("db", "[ssh exited")
    assert "error:" not in server.log


def test_putty_reaches_the_login_screen(start_server, tmux):
    server = start_server()  # the real kiosk
    key = asyncssh.read_private_key(host_key_path(server.home))
    fingerprint = key.get_fingerprint("sha256")
    command = ["plink", "-ssh", "-batch", "-t", "-P", str(server.port), "-hostkey", fingerprint,
               "anyone@127.0.0.1"]  # fmt: skip
    tmux.open("putty", shlex.join(command))
    tmux.wait_for("putty", "Sign in", timeout=60)
    tmux.keys("putty", "C-q")
    tmux.wait_for("putty", "[ssh exited")
    assert "error:" not in server.log
