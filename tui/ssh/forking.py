"""The server's side of session processes: a spawner that asks the zygote to fork them.

A spawner has `start()`, `spawn(request, tty_fd) -> pid`, `signal(pid, sig)`,
`on_exit(pid, callback)` and `stop()`. `ZygoteSpawner` is the real one; the benchmark's naive
baseline implements the same interface with a fresh interpreter per session.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import select
import signal
import socket
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass

from services.config import Config
from tui.ssh.child import config_to_dict
from tui.ssh.zygote import receive, send

log = logging.getLogger("paydesk.ssh")


def _send(sock: socket.socket, message: dict, fds: list[int] | None = None) -> None:
    """Send on the non-blocking socket; wait (briefly) only if the zygote is behind."""
    for _ in range(20):
        try:
            send(sock, message, fds)
            return
        except BlockingIOError:
            select.select([], [sock], [], 0.1)
    raise OSError("the session forker is not reading its requests")


@dataclass
class Spawned:
    """A spare session handed over: its pid, its PTY's master end, and its control socket."""

    pid: int
    master: int
    ctl: int

    def close(self) -> None:
        for fd in (self.master, self.ctl):
            try:
                os.close(fd)
            except OSError:
                pass


class SpawnError(Exception):
    """A session process could not be started."""


class ZygoteSpawner:
    """Forks sessions from one pre-imported process (tui/ssh/zygote.py); restarts it if it dies."""

    def __init__(
        self,
        config: Config,
        preload: list[str],
        log_path: str | None,
        warm_up: bool = True,
        spares: int = 0,
    ) -> None:
        self.config = config
        self.warm_up = warm_up
        self.spares = spares
        self.preload = preload
        self.log_path = log_path
        self.sock: socket.socket | None = None
        self.process: subprocess.Popen | None = None
        self.zygote_pid: int | None = None
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future] = {}
        self._exit_callbacks: dict[int, Callable[[int], None]] = {}
        self._exited: dict[int, int] = {}
        self._ready: asyncio.Future[int] | None = None
        self._starting: asyncio.Lock | None = None

    async def start(self) -> None:
        if self._starting is None:
            self._starting = asyncio.Lock()
        async with self._starting:
            if self.sock is not None:
                return
            loop = asyncio.get_running_loop()
            ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            self.process = subprocess.Popen(
                [sys.executable, "-m", "tui.ssh.zygote", str(theirs.fileno())],
                pass_fds=[theirs.fileno()],
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
            theirs.close()
            ours.setblocking(False)
            self.sock = ours
            self._ready = loop.create_future()
            loop.add_reader(ours.fileno(), self._on_readable)
            _send(
                ours,
                {
                    "op": "config",
                    "config": config_to_dict(self.config),
                    "log_path": self.log_path,
                    "preload": self.preload,
                    "warm_up": self.warm_up,
                    "spares": self.spares,
                },
            )
            try:
                self.zygote_pid = await asyncio.wait_for(self._ready, 120)
            except (TimeoutError, SpawnError) as exc:
                self._lost()
                raise SpawnError("the session forker did not start") from exc

    async def spawn(self, request: dict, tty_fd: int) -> int | Spawned:
        """The new session's pid; or, when the zygote handed over a spare (a Login session
        already drawn on its own PTY), a `Spawned` with that PTY and its control socket."""
        if self.sock is None:
            await self.start()
        assert self.sock is not None
        loop = asyncio.get_running_loop()
        ident = next(self._ids)
        future: asyncio.Future = loop.create_future()
        self._pending[ident] = future
        try:
            _send(self.sock, {**request, "op": "spawn", "id": ident}, [tty_fd])
        except OSError as exc:
            self._pending.pop(ident, None)
            raise SpawnError(f"cannot reach the session forker: {exc}") from exc
        return await asyncio.wait_for(future, 10)

    def signal(self, pid: int, sig: int) -> None:
        if self.sock is None or pid in self._exited:
            return
        try:
            _send(self.sock, {"op": "signal", "pid": pid, "sig": int(sig)})
        except OSError:
            pass

    def on_exit(self, pid: int, callback: Callable[[int], None]) -> None:
        """Call `callback(exit_code)` when the session process ends (at once if it has)."""
        if pid in self._exited:
            callback(self._exited.pop(pid))
        else:
            self._exit_callbacks[pid] = callback

    def _on_readable(self) -> None:
        assert self.sock is not None
        while True:
            try:
                message, fds = receive(self.sock)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                message, fds = None, []
            if message is None:
                for fd in fds:
                    os.close(fd)
                log.error("the session forker (zygote) exited; it will be restarted")
                self._lost()
                return
            self._handle(message, fds)

    def _handle(self, message: dict, fds: list[int]) -> None:
        if message.get("op") == "spawned" and message.get("spare") and len(fds) == 2:
            future = self._pending.pop(message["id"], None)
            spawned = Spawned(int(message["pid"]), fds[0], fds[1])
            if future and not future.done():
                future.set_result(spawned)
            else:
                spawned.close()
            return
        for fd in fds:
            os.close(fd)
        op = message.get("op")
        if op == "ready" and self._ready and not self._ready.done():
            self._ready.set_result(int(message["pid"]))
        elif op == "spawned":
            future = self._pending.pop(message["id"], None)
            if future and not future.done():
                future.set_result(int(message["pid"]))
        elif op == "failed":
            future = self._pending.pop(message["id"], None)
            if future and not future.done():
                future.set_exception(SpawnError(message.get("error", "spawn failed")))
        elif op == "exited":
            pid, status = int(message["pid"]), int(message["status"])
            callback = self._exit_callbacks.pop(pid, None)
            if callback:
                callback(status)
            else:
                self._exited[pid] = status
                if len(self._exited) > 1000:
                    self._exited.pop(next(iter(self._exited)))

    def _lost(self) -> None:
        if self.sock is not None:
            try:
                asyncio.get_running_loop().remove_reader(self.sock.fileno())
            except RuntimeError:
                pass
            self.sock.close()
            self.sock = None
        for future in self._pending.values():
            if not future.done():
                future.set_exception(SpawnError("the session forker exited"))
        self._pending.clear()
        if self._ready and not self._ready.done():
            self._ready.set_exception(SpawnError("the session forker exited"))
        # Sessions of a dead zygote cannot be signalled or reaped through it any more: end
        # them (their process groups) and report them as ended.
        for pid, callback in list(self._exit_callbacks.items()):
            try:
                os.killpg(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            callback(-9)
        self._exit_callbacks.clear()
        if self.process is not None:
            try:
                self.process.wait(timeout=2)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None

    async def stop(self) -> None:
        """End the zygote; closing its socket makes it kill and reap every session."""
        process = self.process
        self._lost()
        if process is not None and process.poll() is None:
            process.kill()
