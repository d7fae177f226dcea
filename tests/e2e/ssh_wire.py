"""A hand-written SSH client that reads only what a server says before any key exchange: its
version line, then its KEXINIT (the algorithms it offers) or a plain DISCONNECT."""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass

MSG_DISCONNECT, MSG_KEXINIT = 1, 20
KEXINIT_LISTS = (
    "kex", "host_key", "encryption_cs", "encryption_sc", "mac_cs", "mac_sc",
    "compression_cs", "compression_sc", "language_cs", "language_sc",
)  # fmt: skip


@dataclass
class FirstPacket:
    """The server's version line and its first binary packet."""

    version: bytes
    kind: int
    payload: bytes

    def offers(self) -> dict[str, list[str]]:
        """KEXINIT's name-lists by name (after the type byte and the 16-byte cookie)."""
        assert self.kind == MSG_KEXINIT, f"not a KEXINIT: type {self.kind}"
        lists, offset = {}, 17
        for name in KEXINIT_LISTS:
            (length,) = struct.unpack(">I", self.payload[offset : offset + 4])
            raw = self.payload[offset + 4 : offset + 4 + length].decode("ascii")
            lists[name] = raw.split(",") if raw else []
            offset += 4 + length
        return lists

    def disconnect_reason(self) -> str:
        assert self.kind == MSG_DISCONNECT, f"not a DISCONNECT: type {self.kind}"
        (length,) = struct.unpack(">I", self.payload[5:9])
        return self.payload[9 : 9 + length].decode("utf-8")


def _read(sock: socket.socket, count: int) -> bytes:
    data = b""
    while len(data) < count:
        chunk = sock.recv(count - len(data))
        if not chunk:
            raise EOFError(f"closed after {len(data)} of {count} bytes")
        data += chunk
    return data


def first_packet(sock: socket.socket) -> FirstPacket:
    """Send our version line, then read the server's version line and first packet."""
    sock.sendall(b"SSH-2.0-paydesk_probe\r\n")
    line = b""
    while not line.endswith(b"\n"):
        line += _read(sock, 1)
    (length,) = struct.unpack(">I", _read(sock, 4))
    body = _read(sock, length)
    payload = body[1 : length - body[0]]  # padding length, payload, padding
    return FirstPacket(line.strip(), payload[0], payload)


def server_offers(port: int, source: str = "127.0.0.1") -> dict[str, list[str]]:
    """What the server on 127.0.0.1:port offers in its KEXINIT."""
    with socket.create_connection(("127.0.0.1", port), timeout=20, source_address=(source, 0)) as s:
        return first_packet(s).offers()
