"""What the SSH server and its sessions share: the server's state, the spawner, a connection.

The session module needs to see its connection and the spawner; the server module builds
both. These types let each side name the other without importing it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from services.config import Config, SSHSettings
from tui.ssh.forking import Spawned
from tui.ssh.limits import ConnectionLimiter
from tui.ssh.refusals import RefusalLog


class Spawner(Protocol):
    """Starts session processes (ZygoteSpawner, or the benchmark's naive one)."""

    async def start(self) -> None: ...

    async def spawn(self, request: dict, tty_fd: int) -> int | Spawned: ...

    def signal(self, pid: int, sig: int) -> None: ...

    def on_exit(self, pid: int, callback: Callable[[int], None]) -> None: ...

    async def stop(self) -> None: ...


@dataclass
class KioskServerState:
    """What every connection shares: settings, caps, the spawner, the data dir."""

    config: Config
    settings: SSHSettings
    spawner: Spawner
    limiter: ConnectionLimiter
    refusals: RefusalLog
    connections: set = field(default_factory=set)


class Connection(Protocol):
    """The side of one SSH connection that its session sees (server.KioskConnection)."""

    server: KioskServerState
    address: str
    route: str
    code: str | None
    admin_key: str | None
    outcome: str

    def note_refused(self, what: str) -> None: ...
