"""The Stripe sandbox: one localstripe process per data dir, started on demand, found again.

The process is `python -m sandbox.localstripe_launcher` (GPL, run separately; never imported).
Under `<home>/sandbox/`: `state/` (localstripe's data), `sandbox.json` (pid, port),
`sandbox.lock` (a file lock so two paydesk processes starting at once get one sandbox)
and `localstripe.log`.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import requests

from services.errors import PaydeskError

START_TIMEOUT = 20.0
PROJECT_ROOT = Path(__file__).resolve().parents[1]


class SandboxError(PaydeskError):
    """The sandbox could not be started, found or stopped; the message says why."""


@dataclass(frozen=True)
class SandboxInfo:
    pid: int
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def sandbox_dir(home: Path) -> Path:
    return Path(home) / "sandbox"


def _state_file(home: Path) -> Path:
    return sandbox_dir(home) / "sandbox.json"


@contextlib.contextmanager
def _locked(home: Path) -> Iterator[None]:
    folder = sandbox_dir(home)
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "sandbox.lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie (our own exited child) is not alive
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


def _answers(home: Path, info: SandboxInfo, timeout: float = 2.0) -> bool:
    """The process on the port is this data dir's sandbox (not another program)."""
    try:
        reply = requests.get(f"{info.url}/_config/paydesk", timeout=timeout)
        body = reply.json()
    except (requests.RequestException, ValueError):
        return False
    state_dir = (sandbox_dir(home) / "state").resolve()
    return body.get("pid") == info.pid and body.get("state_dir") == str(state_dir)


def _read_info(home: Path) -> SandboxInfo | None:
    try:
        data = json.loads(_state_file(home).read_text())
        return SandboxInfo(pid=int(data["pid"]), port=int(data["port"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write_info(home: Path, info: SandboxInfo) -> None:
    path = _state_file(home)
    tmp = path.with_name(f".sandbox.json.{os.getpid()}")
    tmp.write_text(json.dumps({"pid": info.pid, "port": info.port}))
    os.replace(tmp, path)


def find_sandbox(home: Path) -> SandboxInfo | None:
    """The running sandbox of this data dir, if its pid is alive and its port answers."""
    info = _read_info(home)
    if info and _pid_alive(info.pid) and _answers(home, info):
        return info
    return None


def _command(home: Path, port: int, port_file: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "sandbox.localstripe_launcher",
        "--state-dir",
        str(sandbox_dir(home) / "state"),
        "--port",
        str(port),
        "--port-file",
        str(port_file),
    ]


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), env.get("PYTHONPATH")]))
    for name in ("STRIPE_API_KEY", "STRIPE_WEBHOOK_SECRET"):
        env.pop(name, None)  # the sandbox needs no secret
    return env


def _spawn(home: Path, port: int = 0, background: bool = True) -> tuple[subprocess.Popen, int]:
    folder = sandbox_dir(home)
    port_file = folder / "port"
    port_file.unlink(missing_ok=True)
    log = (folder / "localstripe.log").open("ab")
    process = subprocess.Popen(
        _command(home, port, port_file),
        stdin=subprocess.DEVNULL,
        stdout=log if background else None,
        stderr=log if background else None,
        env=_environment(),
        cwd=str(folder),
        start_new_session=background,
    )
    log.close()
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SandboxError(
                f"the sandbox exited at start (code {process.returncode}); "
                f"see {folder / 'localstripe.log'}"
            )
        try:
            text = port_file.read_text().strip()
        except FileNotFoundError:
            text = ""
        if text and _answers(home, SandboxInfo(process.pid, int(text)), timeout=1.0):
            return process, int(text)
        time.sleep(0.05)
    process.kill()
    raise SandboxError(f"the sandbox did not answer within {START_TIMEOUT:.0f} s")


def ensure_sandbox(home: Path) -> SandboxInfo:
    """Find this data dir's sandbox, or start it in the background (one even under races)."""
    home = Path(home)
    info = find_sandbox(home)
    if info:
        return info
    with _locked(home):
        info = find_sandbox(home)
        if info:
            return info
        process, port = _spawn(home)
        info = SandboxInfo(pid=process.pid, port=port)
        _write_info(home, info)
        return info


def stop_sandbox(home: Path, timeout: float = 10.0) -> bool:
    """Stop this data dir's background sandbox (state saved first). True if one was running."""
    home = Path(home)
    with _locked(home):
        info = _read_info(home)
        _state_file(home).unlink(missing_ok=True)
        if not info or not _pid_alive(info.pid) or not _answers(home, info):
            return False
        os.kill(info.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not _pid_alive(info.pid):
                return True
            with contextlib.suppress(ChildProcessError):
                os.waitpid(info.pid, os.WNOHANG)
            time.sleep(0.05)
        os.kill(info.pid, signal.SIGKILL)
        return True


def run_foreground(home: Path, port: int = 0, announce=print, on_start=None) -> int:
    """`paydesk sandbox`: run this data dir's sandbox in this terminal until Ctrl-C.
    `on_start(info)`, if given, runs once it answers (registering the webhook endpoint)."""
    home = Path(home)
    with _locked(home):
        running = find_sandbox(home)
        if running:
            raise SandboxError(
                f"a sandbox for this data dir already runs at {running.url} (pid {running.pid}); "
                "stop it with `paydesk sandbox --stop`"
            )
        process, port = _spawn(home, port=port, background=False)
        info = SandboxInfo(pid=process.pid, port=port)
        _write_info(home, info)
    announce(f"Stripe sandbox for {home} at {info.url} (Ctrl-C stops it)")
    previous = _stop_on_signals()
    try:
        if on_start is not None:
            on_start(info)
        return process.wait()
    except KeyboardInterrupt:
        process.send_signal(signal.SIGTERM)
        return process.wait()
    finally:
        _restore_signals(previous)
        with _locked(home):
            if _read_info(home) == info:
                _state_file(home).unlink(missing_ok=True)


STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)  # `kill`, systemd's stop, a closed terminal


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def _stop_on_signals() -> dict:
    """SIGTERM and SIGHUP stop the foreground sandbox as Ctrl-C does (its localstripe with
    it), instead of ending this process and leaving localstripe running."""
    if threading.current_thread() is not threading.main_thread():
        return {}
    return {sig: signal.signal(sig, _interrupt) for sig in STOP_SIGNALS}


def _restore_signals(previous: dict) -> None:
    for sig, handler in previous.items():
        signal.signal(sig, handler)


WEBHOOK_ID = "paydesk"  # the sandbox's one registration for this data dir's web side


def sandbox_webhook_secret(home: Path) -> str:
    """The secret the sandbox signs this data dir's webhooks with (made once, kept 0600)."""
    path = sandbox_dir(home) / "webhook_secret"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".webhook_secret.{os.getpid()}.{os.urandom(4).hex()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, f"whsec_{os.urandom(24).hex()}".encode())
    finally:
        os.close(fd)
    try:
        os.link(tmp, path)  # whole, and only if none is there: two processes agree on one
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
    return path.read_text().strip()


def register_webhook(url: str, endpoint: str, secret: str, webhook_id: str = WEBHOOK_ID) -> None:
    """Tell the sandbox at `url` to deliver its events to `endpoint`, signed with `secret`
    (the same id replaces an earlier registration). The sandbox forgets it when it stops."""
    try:
        reply = requests.post(
            f"{url}/_config/webhooks/{webhook_id}",
            data={"url": endpoint, "secret": secret},
            timeout=10,
        )
        reply.raise_for_status()
    except requests.RequestException as exc:
        raise SandboxError(f"could not register the webhook with the sandbox: {exc}") from None
