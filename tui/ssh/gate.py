"""The door in front of asyncssh: each accepted socket is counted before any SSH is spoken;
one over a cap gets the server's version line and the reason, and is closed."""

from __future__ import annotations

import asyncio
import struct
from collections.abc import Callable
from typing import Any

import asyncssh

SERVER_VERSION = "paydesk"  # no version number given away
LINGER = 1.0  # seconds a refused client has to read the reason and hang up
MAX_LINGERING = 64  # beyond this many refused sockets waiting, close at once

Admit = Callable[[str], str | None]  # address -> refusal text, or None to let it in


def disconnect_packet(reason: str, code: int = asyncssh.DISC_TOO_MANY_CONNECTIONS) -> bytes:
    """SSH_MSG_DISCONNECT as the first, unencrypted packet (RFC 4253 §6, block size 8)."""
    text = reason.encode("utf-8")
    payload = struct.pack(">BII", 1, code, len(text)) + text + struct.pack(">I", 0)
    padding = 8 - (5 + len(payload)) % 8
    padding += 8 if padding < 4 else 0
    return struct.pack(">IB", 1 + len(payload) + padding, padding) + payload + bytes(padding)


class Gate(asyncio.Protocol):
    """One accepted socket: refused on the spot, or handed to asyncssh's connection."""

    lingering = 0

    def __init__(self, admit: Admit, make_connection: Callable[[], asyncio.Protocol]) -> None:
        self.admit = admit
        self.make_connection = make_connection
        self.inner: asyncio.Protocol | None = None
        self.transport: asyncio.Transport | None = None
        self.timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        peer = transport.get_extra_info("peername") or ("?", 0)
        refusal = self.admit(str(peer[0]))
        if refusal is None:
            self.inner = self.make_connection()
            self.inner.connection_made(transport)
            return
        transport.write(f"SSH-2.0-{SERVER_VERSION}\r\n".encode() + disconnect_packet(refusal))
        if Gate.lingering >= MAX_LINGERING:
            transport.abort()
            return
        # Closing with the client's first bytes unread would send a reset, which can
        # destroy the reason before the client reads it: half-close, read, then close.
        transport.write_eof()
        Gate.lingering += 1
        self.timer = asyncio.get_running_loop().call_later(LINGER, transport.abort)

    def data_received(self, data: bytes) -> None:
        if self.inner is not None:
            self.inner.data_received(data)

    def eof_received(self) -> bool | None:
        if self.inner is not None:
            return self.inner.eof_received()
        return False  # the refused client hung up: close our side too

    def connection_lost(self, exc: Exception | None) -> None:
        if self.inner is not None:
            self.inner.connection_lost(exc)
            return
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
            Gate.lingering -= 1

    def pause_writing(self) -> None:
        if self.inner is not None:
            self.inner.pause_writing()

    def resume_writing(self) -> None:
        if self.inner is not None:
            self.inner.resume_writing()


class GateListener:
    """Given to `asyncssh.listen(tunnel=…)`: asyncssh asks it for the listening server and
    hands over its connection factory, which the gate calls only for admitted sockets."""

    def __init__(self, admit: Admit) -> None:
        self.admit = admit

    async def create_server(
        self, session_factory: Callable[[str, int], Any], host: str, port: int
    ) -> asyncio.Server:
        loop = asyncio.get_running_loop()
        return await loop.create_server(
            lambda: Gate(self.admit, lambda: session_factory("", 0)),
            host,
            port,
            reuse_address=True,
        )
