"""The asyncssh server: routing by user name, admin keys, caps, and one log line per connection."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncssh

from services.config import SSH_PORT, Config, SSHSettings
from tui.ssh import algorithms
from tui.ssh.admin_keys import is_admin_key
from tui.ssh.forking import ZygoteSpawner
from tui.ssh.gate import SERVER_VERSION, GateListener
from tui.ssh.host_key import load_or_create_host_key
from tui.ssh.limits import ConnectionLimiter, raise_file_limit
from tui.ssh.refusals import RefusalLog, quiet_accept_errors
from tui.ssh.session import KioskSession
from tui.ssh.shared import KioskServerState, Spawner

log = logging.getLogger("paydesk.ssh")

VIEW_PREFIX = "view-"
MAX_AUTH_TRIES = 6  # keys offered for `admin` before the connection is dropped (as OpenSSH)


def route_for(username: str) -> tuple[str, str | None]:
    """(route, code) for an SSH user name: `admin`, `view-CODE`, or anything → login."""
    if username == "admin":
        return "admin", None
    if username.lower().startswith(VIEW_PREFIX) and len(username) > len(VIEW_PREFIX):
        return "view", username[len(VIEW_PREFIX) :]
    return "login", None


class KioskConnection(asyncssh.SSHServer):
    """One SSH connection: at most one session, routed by the user name."""

    def __init__(self, server: KioskServerState) -> None:
        self.server = server
        self.conn: asyncssh.SSHServerConnection | None = None
        self.address = "?"
        self.route = "login"
        self.code: str | None = None
        self.admin_key: str | None = None  # the fingerprint `admin` signed in with
        self.outcome = "handshake"
        self.refused: list[str] = []
        self.session: KioskSession | None = None
        self.started = time.monotonic()
        self.holds_slot = False
        self.authenticated = False
        self.auth_failures = 0
        self.no_session_timer: asyncio.TimerHandle | None = None

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self.conn = conn
        peer = conn.get_extra_info("peername") or ("?", 0)
        self.address = str(peer[0])
        self.holds_slot = True  # taken by the gate when the socket was accepted
        self.server.connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.no_session_timer:
            self.no_session_timer.cancel()
        if not self.holds_slot:
            return
        self.server.limiter.release(self.address, self.authenticated)
        self.holds_slot = False
        self.server.connections.discard(self)
        if exc is not None and self.outcome in ("handshake", "authenticated"):
            self.outcome = "error:" + type(exc).__name__
        extra = f" refused={','.join(self.refused)}" if self.refused else ""
        log.info(
            "connection address=%s route=%s duration=%.1fs outcome=%s%s",
            self.address,
            self.route,
            time.monotonic() - self.started,
            self.outcome,
            extra,
        )

    def begin_auth(self, username: str) -> bool:
        self.route, self.code = route_for(username)
        return self.route == "admin"  # everyone else needs no SSH authentication

    def auth_completed(self) -> None:
        self.outcome = "authenticated"
        self.authenticated = True
        self.server.limiter.authenticated()
        loop = asyncio.get_running_loop()
        self.no_session_timer = loop.call_later(
            self.server.settings.login_timeout, self._no_session
        )

    def _no_session(self) -> None:
        if self.session is None and self.conn is not None:
            self.outcome = "no-session"
            self.conn.disconnect(
                asyncssh.DISC_BY_APPLICATION, "No terminal session was opened; use ssh -t."
            )

    def public_key_auth_supported(self) -> bool:
        return self.route == "admin"

    def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
        ok = username == "admin" and is_admin_key(self.server.config.home, key)
        if ok:
            self.admin_key = key.get_fingerprint("sha256")
        else:
            self.outcome = "auth-failed"
            self.auth_failures += 1
            if self.auth_failures >= MAX_AUTH_TRIES and self.conn is not None:
                self.conn.disconnect(
                    asyncssh.DISC_NO_MORE_AUTH_METHODS_AVAILABLE, "Too many authentication failures"
                )
        return ok

    def password_auth_supported(self) -> bool:
        return False

    def kbdint_auth_supported(self) -> bool:
        return False

    def session_requested(self) -> KioskSession | bool:
        if self.session is not None:  # one session per connection: no multiplexing
            self.note_refused("second-session")
            return False
        self.session = KioskSession(self)
        if self.no_session_timer:
            self.no_session_timer.cancel()
        return self.session

    def connection_requested(self, dest_host: str, dest_port: int, orig_host: str, orig_port: int):
        self.note_refused("port-forward")
        raise asyncssh.ChannelOpenError(
            asyncssh.OPEN_ADMINISTRATIVELY_PROHIBITED, "Port forwarding is not allowed here"
        )

    def server_requested(self, listen_host: str, listen_port: int):
        self.note_refused("remote-forward")
        return False

    def unix_connection_requested(self, dest_path: str):
        self.note_refused("unix-forward")
        raise asyncssh.ChannelOpenError(
            asyncssh.OPEN_ADMINISTRATIVELY_PROHIBITED, "Forwarding is not allowed here"
        )

    def unix_server_requested(self, listen_path: str):
        self.note_refused("unix-forward")
        return False

    def note_refused(self, what: str) -> None:
        if what not in self.refused:
            self.refused.append(what)


@dataclass
class RunningServer:
    """A listening server; `close()` stops it and ends every session."""

    acceptor: asyncssh.SSHAcceptor
    state: KioskServerState
    port: int

    async def close(self) -> None:
        self.acceptor.close()
        for connection in list(self.state.connections):
            if connection.conn is not None:
                connection.conn.disconnect(asyncssh.DISC_BY_APPLICATION, "Server shutting down")
        await asyncio.sleep(0.1)
        await self.state.spawner.stop()


def log_path(home: Path) -> Path:
    path = home / "logs"
    path.mkdir(exist_ok=True)
    return path / "ssh.log"


async def start_server(
    config: Config,
    host: str = "127.0.0.1",
    port: int = SSH_PORT,
    settings: SSHSettings | None = None,
    spawner: Spawner | None = None,
) -> RunningServer:
    """Start the forker, then listen. `port=0` picks a free port (see `.port`)."""
    settings = settings or config.ssh
    host_key = load_or_create_host_key(config.home)
    if spawner is None:
        spawner = ZygoteSpawner(
            config,
            preload=[settings.app_factory, settings.admin_factory],
            log_path=str(log_path(config.home)),
            warm_up=settings.warm_up,
            spares=settings.spares if settings.warm_up else 0,
        )
    loop = asyncio.get_running_loop()
    sandbox = None
    external = config.stripe.sandbox_url or os.environ.get("PAYDESK_SANDBOX_URL")
    if config.sandbox and settings.start_sandbox and not external:
        from services.stripe_client.sandbox import ensure_sandbox

        # Start the Stripe sandbox now, not in the first client's payment.
        sandbox = loop.run_in_executor(None, ensure_sandbox, config.home)
    await spawner.start()
    if sandbox is not None:
        await sandbox
    refusals = RefusalLog(log)
    quiet_accept_errors(loop, refusals)
    state = KioskServerState(config, settings, spawner, ConnectionLimiter(settings), refusals)

    def admit(address: str) -> str | None:
        refusal = state.limiter.acquire(address)
        if refusal is not None:
            refusals.note(address, refusal)
        return refusal

    gate: Any = GateListener(admit)  # asyncssh takes any object with create_server()
    acceptor = await asyncssh.listen(
        host,
        port,
        tunnel=gate,
        server_host_keys=[host_key],
        server_factory=lambda: KioskConnection(state),
        server_version=SERVER_VERSION,
        login_timeout=settings.login_timeout,
        keepalive_interval=settings.keepalive_interval,
        keepalive_count_max=settings.keepalive_count_max,
        agent_forwarding=False,
        x11_forwarding=False,
        allow_scp=False,
        line_editor=False,
        encoding=None,
        password_auth=False,
        kbdint_auth=False,
        gss_auth=False,
        host_based_auth=False,
        allow_pty=True,
        **algorithms.listen_options(),
    )
    sockets = acceptor.sockets if hasattr(acceptor, "sockets") else []
    real_port = sockets[0].getsockname()[1] if sockets else acceptor.get_port()
    log.info("listening on %s:%s", host, real_port)
    return RunningServer(acceptor, state, real_port)


def setup_logging(home: Path, level: int = logging.INFO) -> Path:
    """The server log: the data dir's logs/ssh.log and stderr. asyncssh's own chatter
    (it logs user names, which can hold invoice codes) is kept to warnings."""
    from services.server_log import log_to_file_and_stderr

    path = log_path(home)
    log_to_file_and_stderr("paydesk.ssh", path, level)
    logging.getLogger("asyncssh").setLevel(logging.WARNING)
    return path


def serve(config: Config, host: str, port: int, settings: SSHSettings | None = None) -> int:
    """Run until SIGINT/SIGTERM."""
    setup_logging(config.home)
    raise_file_limit()

    async def run() -> None:
        server = await start_server(config, host, port, settings)
        print(f"paydesk: SSH kiosk listening on {host}:{server.port}", flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        await server.close()

    asyncio.run(run())
    return 0
