"""The pre-imported parent of every session process (`python -m tui.ssh.zygote FD`).

Started once by the SSH server. It imports Textual, the services and the app factories, then
waits on a SOCK_SEQPACKET socket for spawn requests, each carrying the slave end of a fresh
PTY. For each it forks a child that makes the PTY its controlling terminal and runs the app
(tui/ssh/child.py). It reaps its children and reports their exits; it signals a session's
process group on request. Single-threaded, it never opens the database itself.
"""

from __future__ import annotations

import array
import gc
import json
import os
import selectors
import signal
import socket
import sys
import time
import traceback
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from services.config import Config

MAX_MESSAGE = 65536
SPARE_SIZE = (93, 31)  # an unusual size, so attaching a client always means a fresh layout
SPARE_TERM = "xterm-256color"
SPARE_MAX_AGE = 30.0  # seconds; older spares are replaced (their cursor keeps blinking)
SPARE_DELAY = 0.3  # seconds between making spares, to leave the CPU to the session just begun


def send(sock: socket.socket, message: dict, fds: list[int] | None = None) -> None:
    data = json.dumps(message).encode()
    if fds:
        socket.send_fds(sock, [data], fds)
    else:
        sock.send(data)


def receive(sock: socket.socket, flags: int = 0) -> tuple[dict | None, list[int]]:
    """One message and the descriptors it carries; (None, []) at end of stream."""
    fds = array.array("i")
    data, ancdata, _msg_flags, _addr = sock.recvmsg(
        MAX_MESSAGE, socket.CMSG_SPACE(4 * fds.itemsize), flags
    )
    for level, kind, payload in ancdata:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(payload[: len(payload) - (len(payload) % fds.itemsize)])
    if not data:
        for fd in fds:
            os.close(fd)
        return None, []
    return json.loads(data), list(fds)


def _import_package(name: str) -> None:
    import importlib
    import pkgutil

    package = importlib.import_module(name)
    for info in pkgutil.walk_packages(package.__path__, name + "."):
        try:
            importlib.import_module(info.name)
        except Exception as exc:  # noqa: BLE001 - a broken screen must not stop the server
            print(f"paydesk zygote: cannot preload {info.name}: {exc}", file=sys.stderr)


class Spare:
    """A Login session forked in advance on its own PTY, waiting for a client."""

    def __init__(self, pid: int, master: int, ctl: socket.socket, born: float) -> None:
        self.pid, self.master, self.ctl, self.born = pid, master, ctl, born
        self.ready = False


class Zygote:
    """Forks session processes from an interpreter that has already imported everything."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.children: set[int] = set()
        self.known: set[int] = set()  # pids the server knows (it gets their exit statuses)
        self.config: Config | None = None  # set by preload(), before any fork
        self.log_path: str | None = None
        self.spare_target = 0
        self.spare_request: dict = {}
        self.spares: dict[int, Spare] = {}
        self.next_spare = 0.0
        self.selector = selectors.DefaultSelector()

    def preload(self, message: dict) -> None:
        from tui.ssh.child import config_from_dict, load_factory

        self.config = config_from_dict(message["config"])
        self.log_path = message.get("log_path")
        import rich.console  # noqa: F401
        import textual.app  # noqa: F401

        import services.container  # noqa: F401
        import tui.ssh.admin_placeholder  # noqa: F401

        for spec in message.get("preload", []):
            try:
                load_factory(spec)
            except ModuleNotFoundError as exc:
                if exc.name and spec.startswith(exc.name + ":"):
                    continue  # an optional app that does not exist yet (the admin console)
                raise
            except (ImportError, AttributeError) as exc:
                print(f"paydesk zygote: cannot preload {spec}: {exc}", file=sys.stderr)
        _import_package("screens")  # screens the apps import lazily, shared by every session
        from tui.ssh.warmup import share_css_parse_cache, warm_up

        share_css_parse_cache()
        if message.get("warm_up") and message.get("preload"):
            if not warm_up(self.config, message["preload"][0]):
                print("paydesk zygote: warm-up incomplete; sessions start cold", file=sys.stderr)
        self.spare_target = int(message.get("spares", 0))
        self.spare_request = {
            "route": "login",
            "code": None,
            "address": "",
            "term": SPARE_TERM,
            "app_factory": message.get("preload", [""])[0],
        }
        gc.collect()
        gc.freeze()  # imported objects stay out of the collector: fewer copied pages per fork

    def run(self) -> None:
        wake_r, wake_w = os.pipe()
        os.set_blocking(wake_w, False)
        os.set_blocking(wake_r, False)
        signal.set_wakeup_fd(wake_w)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the server decides when we stop
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        selector = self.selector
        selector.register(self.sock, selectors.EVENT_READ, "sock")
        selector.register(wake_r, selectors.EVENT_READ, "wake")
        while True:
            timeout = self.tend_spares()
            for key, _ in selector.select(timeout):
                if isinstance(key.data, Spare):
                    self.spare_said(key.data)
                    continue
                if key.data == "wake":
                    try:
                        os.read(wake_r, 4096)
                    except BlockingIOError:
                        pass
                    self.reap()
                    continue
                message, fds = receive(self.sock)
                if message is None:
                    self.shutdown()
                    return
                self.handle(message, fds)
            self.reap()

    def handle(self, message: dict, fds: list[int]) -> None:
        op = message.get("op")
        if op == "spawn":
            if len(fds) != 1:
                for fd in fds:
                    os.close(fd)
                send(self.sock, {"op": "failed", "id": message["id"], "error": "no tty"})
                return
            self.spawn(message, fds[0])
        elif op == "signal":
            pid = int(message["pid"])
            if pid in self.children:  # not reaped yet, so the pid and group are still ours
                try:
                    os.killpg(pid, int(message["sig"]))
                except ProcessLookupError:
                    pass
        for fd in fds if op != "spawn" else ():
            os.close(fd)

    def spawn(self, message: dict, tty_fd: int) -> None:
        spare = self.ready_spare(message)
        if spare is not None:  # hand over a session that has already drawn the Login screen
            os.close(tty_fd)
            self.forget_spare(spare)
            self.known.add(spare.pid)
            reply = {"op": "spawned", "id": message["id"], "pid": spare.pid, "spare": True}
            send(self.sock, reply, [spare.master, spare.ctl.fileno()])
            os.close(spare.master)
            spare.ctl.close()
            self.next_spare = time.monotonic() + SPARE_DELAY
            return
        pid = self.fork_session(message, tty_fd)
        self.known.add(pid)
        send(self.sock, {"op": "spawned", "id": message["id"], "pid": pid})

    def fork_session(self, message: dict, tty_fd: int, ctl: socket.socket | None = None) -> int:
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the session process
            status = 1
            try:
                signal.set_wakeup_fd(-1)
                for sig in (signal.SIGCHLD, signal.SIGINT, signal.SIGHUP, signal.SIGTERM):
                    signal.signal(sig, signal.SIG_DFL)
                from tui.ssh.child import become_terminal_session, close_other_fds, run_session

                become_terminal_session(tty_fd)
                close_other_fds(keep={ctl.fileno()} if ctl else set())
                assert self.config is not None
                if ctl is not None:
                    from tui.ssh.child import run_spare

                    status = run_spare(message, self.config, self.log_path, ctl.fileno())
                else:
                    status = run_session(message, self.config, self.log_path)
            except BaseException:  # noqa: BLE001 - never return into the zygote's loop
                try:
                    with open(self.log_path or os.devnull, "a") as out:
                        out.write(f"session set-up failed:\n{traceback.format_exc()}")
                except OSError:
                    pass
            finally:
                os._exit(status)
        os.close(tty_fd)
        self.children.add(pid)
        return pid

    # spares: Login sessions started before their client ------------------------------------

    def tend_spares(self) -> float | None:
        """Make or replace spares as needed; the select timeout until the next look."""
        if not self.spare_target:
            return None
        now = time.monotonic()
        for spare in list(self.spares.values()):
            if spare.ready and now - spare.born > SPARE_MAX_AGE:
                self.forget_spare(spare)
                os.close(spare.master)
                spare.ctl.close()
                try:
                    os.killpg(spare.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        if len(self.spares) < self.spare_target and now >= self.next_spare:
            self.make_spare()
            self.next_spare = now + SPARE_DELAY
        if len(self.spares) < self.spare_target:
            return max(0.01, self.next_spare - now)
        return 1.0

    def make_spare(self) -> None:
        import fcntl
        import struct
        import termios

        master, slave = os.openpty()
        cols, rows = SPARE_SIZE
        fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        ours, theirs = socket.socketpair()
        try:
            pid = self.fork_session(self.spare_request, slave, ctl=theirs)
        finally:
            theirs.close()
        ours.setblocking(False)
        spare = Spare(pid, master, ours, time.monotonic())
        self.spares[pid] = spare
        self.selector.register(ours, selectors.EVENT_READ, spare)

    def spare_said(self, spare: Spare) -> None:
        try:
            data = spare.ctl.recv(64)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if b"R" in data:
            spare.ready = True
        elif not data:  # it died before it was used; reap() cleans up
            self.selector.unregister(spare.ctl)

    def ready_spare(self, message: dict) -> Spare | None:
        if message.get("route") != "login" or message.get("term") != SPARE_TERM:
            return None
        if message.get("app_factory") != self.spare_request["app_factory"]:
            return None
        ready = [s for s in self.spares.values() if s.ready]
        return min(ready, key=lambda s: s.born) if ready else None

    def forget_spare(self, spare: Spare) -> None:
        self.spares.pop(spare.pid, None)
        try:
            self.selector.unregister(spare.ctl)
        except (KeyError, ValueError):
            pass

    def reap(self) -> None:
        while True:
            try:
                info = os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOHANG | os.WNOWAIT)
            except ChildProcessError:
                return
            if info is None or info.si_pid == 0:
                return
            pid = info.si_pid
            if pid in self.children:
                try:  # anything the session left behind in its group goes too
                    os.killpg(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            _, status = os.waitpid(pid, 0)
            spare = self.spares.get(pid)
            if spare is not None:  # a spare died unused
                self.forget_spare(spare)
                os.close(spare.master)
                spare.ctl.close()
            if pid in self.children:
                self.children.discard(pid)
            if pid in self.known:
                self.known.discard(pid)
                code = os.waitstatus_to_exitcode(status)
                send(self.sock, {"op": "exited", "pid": pid, "status": code})

    def shutdown(self) -> None:
        for pid in list(self.children):
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for pid in list(self.children):
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass


def main() -> int:
    sock = socket.socket(fileno=int(sys.argv[1]))
    sock.setblocking(True)
    message, _ = receive(sock)
    if not message or message.get("op") != "config":
        return 2
    zygote = Zygote(sock)
    zygote.preload(message)
    send(sock, {"op": "ready", "pid": os.getpid()})
    zygote.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
