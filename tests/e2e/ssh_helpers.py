"""SSH end-to-end helpers and fixtures: a real `paydesk serve-ssh` process and the real OpenSSH
client in tmux (conftest.py re-exports the fixtures).

Each test gets its own data dir and a free port; tmux runs on a private socket so tests never
touch anyone else's tmux sessions.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
PAYDESK = Path(sys.executable).with_name("paydesk")
SSH_OPTS = [
    "-o", "StrictHostKeyChecking=no",
    "-o", "UserKnownHostsFile=/dev/null",
    "-o", "LogLevel=ERROR",
    "-o", "IdentitiesOnly=yes",
    "-o", "IdentityFile=/dev/null",
    "-o", "BatchMode=yes",
]  # fmt: skip
PLACEHOLDER = "placeholder_app:make_app"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout: float = 20.0, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            return value
        time.sleep(interval)


def children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@dataclass
class SSHServer:
    """A running `paydesk serve-ssh` on 127.0.0.1:port with its own data dir."""

    home: Path
    port: int
    process: subprocess.Popen
    env: dict = field(default_factory=dict)

    @property
    def log(self) -> str:
        path = self.home / "logs" / "ssh.log"
        return path.read_text() if path.exists() else ""

    @property
    def zygote(self) -> int:
        pids = children(self.process.pid)
        assert pids, "the server has no forker process"
        return pids[0]

    def sessions(self) -> list[int]:
        """Live session processes (children of the forker)."""
        return [p for p in children(self.zygote) if alive(p)]

    def ssh(
        self, *options: str, user: str = "anyone", command: str | None = None, timeout: float = 20
    ) -> subprocess.CompletedProcess:
        """The OpenSSH client, not interactive: its exit status and output."""
        argv = ["ssh", "-p", str(self.port), *SSH_OPTS, *options, f"{user}@127.0.0.1"]
        if command is not None:
            argv.append(command)
        return subprocess.run(
            argv, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL
        )

    def ssh_command(self, user: str = "anyone", extra: str = "") -> str:
        """The interactive client command line, for tmux."""
        opts = " ".join(SSH_OPTS)
        return f"ssh -tt -p {self.port} {opts} {extra} {user}@127.0.0.1".replace("  ", " ")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator:
    """`start_server(app=PLACEHOLDER, **settings)` → a running SSHServer; stopped afterwards."""
    started: list[SSHServer] = []

    def start(
        app: str | None = None,
        home: Path | None = None,
        env: dict | None = None,
        wrapper: tuple[str, ...] = (),
        **settings,
    ) -> SSHServer:
        """`wrapper` runs before the server's command line (e.g. `prlimit --nofile=64 --`)."""
        home = home or tmp_path / f"home{len(started)}"
        home.mkdir(exist_ok=True)
        port = free_port()
        env = {
            **os.environ,
            **(env or {}),
            "PAYDESK_HOME": str(home),
            "PYTHONPATH": os.pathsep.join([str(HERE), str(ROOT)]),
            "PAYDESK_SSH_START_SANDBOX": "0",
            "PAYDESK_SSH_SPARES": "0",  # tests that want pre-drawn spares ask for them
        }
        if app:
            env["PAYDESK_SSH_APP_FACTORY"] = app
        for name, value in settings.items():
            env[f"PAYDESK_SSH_{name.upper()}"] = str(value)
        out = open(home / "server.out", "w")  # noqa: SIM115
        process = subprocess.Popen(
            [*wrapper, str(PAYDESK), "serve-ssh", "--port", str(port)],
            env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        out.close()
        server = SSHServer(home, port, process, env)
        started.append(server)
        ready = wait_until(
            lambda: (
                "listening on" in (home / "server.out").read_text() or process.poll() is not None
            ),
            timeout=60,
        )
        assert ready and process.poll() is None, (home / "server.out").read_text()
        return server

    yield start
    for server in started:
        server.stop()


class Tmux:
    """One tmux server on a private socket; `open()` starts a window running a command."""

    def __init__(self) -> None:
        self.socket = f"paydesk-e2e-{uuid.uuid4().hex[:8]}"

    def run(self, *args: str) -> str:
        out = subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, timeout=10
        )
        return out.stdout

    def open(self, name: str, command: str, width: int = 100, height: int = 30) -> str:
        # The shell keeps the pane after ssh exits so the last screen can be read.
        wrapped = f'{command}; echo "[ssh exited $?]"; sleep 600'
        self.run("new-session", "-d", "-s", name, "-x", str(width), "-y", str(height), wrapped)
        return name

    def screen(self, name: str) -> str:
        return self.run("capture-pane", "-p", "-t", name)

    def keys(self, name: str, *keys: str, pause: float = 0.35) -> None:
        """Send keys one group at a time, as a person types (tmux names like Enter, Tab, C-q)."""
        for key in keys:
            literal = len(key) > 1 and not re.fullmatch(r"(C-|M-)?[A-Z][A-Za-z0-9]*|C-.|M-.", key)
            self.run("send-keys", "-t", name, *(["-l"] if literal else []), key)
            time.sleep(pause)

    def wait_for(self, name: str, text: str, timeout: float = 20.0) -> str:
        def shown() -> str:
            screen = self.screen(name)
            return screen if text in screen else ""

        screen = wait_until(shown, timeout)
        size = self.run("display-message", "-p", "-t", name, "#{window_width}x#{window_height}")
        assert screen, f"{text!r} not after {timeout}s ({size.strip()}):\n{self.screen(name)}"
        return screen

    def resize(self, name: str, width: int, height: int) -> None:
        self.run("resize-window", "-t", name, "-x", str(width), "-y", str(height))

    def kill(self, name: str) -> None:
        self.run("kill-session", "-t", name)

    def close(self) -> None:
        self.run("kill-server")


@pytest.fixture
def tmux() -> Iterator[Tmux]:
    mux = Tmux()
    yield mux
    mux.close()
