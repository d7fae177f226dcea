"""Bursts of connections that never finish the handshake: refused at accept, bounded in total,
logged once per burst; a real client from elsewhere still gets in."""

from __future__ import annotations

import asyncio
import select
import socket
import time
from pathlib import Path

import asyncssh

from tests.fixtures.ssh import PLACEHOLDER, wait_until
from tests.fixtures.ssh_wire import MSG_DISCONNECT, MSG_KEXINIT, first_packet

# The descriptor limit the burst was first seen exhausting.
FEW_FILES = ("prlimit", "--nofile=64:64", "--")


def _silent(port: int, source: str = "127.0.0.1") -> socket.socket:
    """A TCP connection that never says anything."""
    return socket.create_connection(("127.0.0.1", port), timeout=10, source_address=(source, 0))


def _closed_by_server(sockets: list[socket.socket], wait: float) -> dict[socket.socket, bytes]:
    """The sockets the server closed within `wait` seconds, with what it sent before closing."""
    received = {s: b"" for s in sockets}
    closed: dict[socket.socket, bytes] = {}
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline and len(closed) < len(sockets):
        ready, _, _ = select.select([s for s in sockets if s not in closed], [], [], 0.2)
        for s in ready:
            chunk = s.recv(4096)
            received[s] += chunk
            if not chunk:
                closed[s] = received[s]
    return closed


def test_a_silent_burst_from_one_address_is_refused_at_accept(start_server):
    server = start_server(app=PLACEHOLDER, wrapper=FEW_FILES)
    burst = [_silent(server.port) for _ in range(60)]
    try:
        closed = _closed_by_server(burst, wait=5)
        # Ten held (the per-address cap) until the login timeout; the rest refused at once,
        # with the reason, and no key exchange (no KEXINIT) first.
        assert len(closed) == 60 - 10
        for sent in closed.values():
            assert b"Too many sessions from your address (at most 10)" in sent
            assert sent.startswith(b"SSH-2.0-paydesk\r\n")
            assert sent[len(b"SSH-2.0-paydesk\r\n") + 5] == MSG_DISCONNECT
        # Another address is served while the ten are still held.
        other = server.ssh("-T", "-b", "127.0.0.2")
        assert "connect with `ssh -t`" in other.stdout, other.stderr
    finally:
        for s in burst:
            s.close()
    out = (server.home / "server.out").read_text()
    # 60 at once can still outrun 64 descriptors for an instant (asyncio accepts a whole
    # backlog before the refusals close theirs): that is one line, never a traceback each.
    assert "Traceback" not in out and out.count("out of file descriptors") <= 1, out
    assert out.count("refusing connections from 127.0.0.1") == 1, out
    assert "refused-cap" not in out  # no line per refused socket


def test_unauthenticated_connections_are_bounded_in_total(start_server):
    server = start_server(app=PLACEHOLDER, max_unauthenticated=3)
    held = [_silent(server.port, f"127.0.0.{n}") for n in (2, 3, 4)]
    try:
        time.sleep(0.5)
        with _silent(server.port, "127.0.0.5") as fourth:
            packet = first_packet(fourth)
        assert packet.kind == MSG_DISCONNECT
        assert "The server is busy" in packet.disconnect_reason()
        held.pop().close()
        assert wait_until(lambda: _kexinit_from(server.port, "127.0.0.6"), 5)
    finally:
        for s in held:
            s.close()
    # Authenticated connections no longer count: three of them, then three silent ones.
    assert asyncio.run(_silent_after_authenticated(server.port, 3)) == [MSG_KEXINIT] * 3


async def _silent_after_authenticated(port: int, count: int) -> list[int]:
    connections = [
        await asyncssh.connect("127.0.0.1", port, username="anyone", known_hosts=None,
                               local_addr=(f"127.0.1.{n}", 0))
        for n in range(count)
    ]  # fmt: skip
    silent = [_silent(port, f"127.0.2.{n}") for n in range(count)]
    try:
        return [await asyncio.to_thread(lambda s=s: first_packet(s).kind) for s in silent]
    finally:
        for s in silent:
            s.close()
        for conn in connections:
            conn.close()


def _kexinit_from(port: int, source: str) -> bool:
    with _silent(port, source) as s:
        return first_packet(s).kind == MSG_KEXINIT


def test_running_out_of_descriptors_is_logged_once(start_server):
    # Caps high enough that the descriptors run out first: accept() fails, and says so once.
    server = start_server(
        app=PLACEHOLDER, wrapper=FEW_FILES, max_per_address=1000, max_unauthenticated=1000,
        connect_burst=1000,
    )  # fmt: skip
    burst = [_silent(server.port) for _ in range(70)]
    try:
        time.sleep(3)
    finally:
        for s in burst:
            s.close()
    assert "connect with `ssh -t`" in server.ssh("-T").stdout
    out = (server.home / "server.out").read_text()
    assert "Traceback" not in out
    assert out.count("out of file descriptors") == 1, out


def test_the_server_lifts_its_soft_file_limit_to_the_hard_one(start_server):
    server = start_server(app=PLACEHOLDER, wrapper=("prlimit", "--nofile=64:4096", "--"))
    limits = (Path("/proc") / str(server.process.pid) / "limits").read_text()
    (line,) = [line for line in limits.splitlines() if line.startswith("Max open files")]
    assert line.split()[3:5] == ["4096", "4096"], line
