"""What runs inside one session's process: the PTY is its controlling terminal and stdio.

`run_session()` is called in a process forked from the zygote (tui/ssh/zygote.py).
`python -m tui.ssh.child` runs the same thing in a fresh interpreter: the naive way, kept for
the benchmark's baseline and for debugging.
"""

from __future__ import annotations

import fcntl
import importlib
import io
import json
import logging
import os
import sys
import termios
import traceback

from services.config import Config

log = logging.getLogger("paydesk.ssh.session")

GENERIC_ERROR = (
    "\r\nSorry, something went wrong on our side; it has been logged. Please reconnect.\r\n"
)
# Leave the alternate screen, show the cursor, stop mouse and paste modes: what a killed app
# could not undo itself.
TERMINAL_RESET = (
    b"\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1006l\x1b[?1015l\x1b[?1004l\x1b[?2004l"
    b"\x1b[<u\x1b[?25h\x1b[0m\x1b[?1049l"
)


def config_to_dict(config: Config) -> dict:
    """A Config as JSON-able data, to hand to the zygote over its socket."""
    return config.to_data()


def config_from_dict(data: dict) -> Config:
    return Config.from_data(data)


def load_factory(spec: str):
    """`module:function` → the function (an app factory)."""
    module_name, _, attr = spec.partition(":")
    return getattr(importlib.import_module(module_name), attr)


def become_terminal_session(tty_fd: int) -> None:
    """New session; the PTY becomes the controlling terminal and stdin/stdout/stderr."""
    if os.getsid(0) != os.getpid():
        os.setsid()
    fcntl.ioctl(tty_fd, termios.TIOCSCTTY, 0)
    for target in (0, 1, 2):
        if tty_fd != target:
            os.dup2(tty_fd, target)
    if tty_fd > 2:
        os.close(tty_fd)


def close_other_fds(keep: set[int]) -> None:
    """Close every inherited descriptor but stdio and `keep` (other sessions' sockets, PTYs…)."""
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        if fd > 2 and fd not in keep:
            try:
                os.close(fd)
            except OSError:
                pass


def _session_environment(request: dict) -> None:
    for name in list(os.environ):
        # COLUMNS/LINES would override the PTY's size (Textual asks shutil.get_terminal_size).
        if name.startswith(("SSH_", "TMUX", "STY", "WINDOWID")) or name in (
            "DISPLAY",
            "TERM",
            "COLUMNS",
            "LINES",
        ):
            del os.environ[name]
    os.environ["TERM"] = request["term"]
    os.environ["COLORTERM"] = "truecolor"
    os.environ["LANG"] = "C.UTF-8"
    os.environ.pop("LC_ALL", None)
    os.environ.pop("TEXTUAL", None)  # no devtools over SSH


def _fresh_stdio() -> None:
    # The originals too (typeshed calls them Final): Textual draws on sys.__stderr__.
    sys.stdin = sys.__stdin__ = open(  # type: ignore[misc]
        0, encoding="utf-8", errors="replace", closefd=False
    )
    sys.stdout = sys.__stdout__ = open(  # type: ignore[misc]
        1, "w", encoding="utf-8", errors="replace", closefd=False, buffering=1
    )
    sys.stderr = sys.__stderr__ = open(  # type: ignore[misc]
        2, "w", encoding="utf-8", errors="replace", closefd=False, buffering=1
    )


def _logging_to(log_path: str | None) -> io.TextIOBase:
    """The session's log goes to the server log file, never to the client's terminal."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    stream: io.TextIOBase
    if log_path:
        stream = open(log_path, "a", encoding="utf-8", buffering=1)  # noqa: SIM115
    else:
        stream = open(os.devnull, "w")  # noqa: SIM115
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    return stream


def build_app(request: dict, config: Config):
    """The app for this session's route, built through the shared factory."""
    from services.container import build_services

    if request["route"] == "admin":
        try:
            factory = load_factory(request["admin_factory"])
        except (ImportError, AttributeError):
            from tui.ssh.admin_placeholder import make_admin_placeholder

            return make_admin_placeholder()
        # The owner is the key they signed in with; the audit names it and their address.
        return factory(
            build_services(config),
            key_fingerprint=request.get("admin_key"),
            address=request.get("address", ""),
        )
    factory = load_factory(request["app_factory"])
    return factory(
        build_services(config), start_code=request.get("code"), address=request.get("address", "")
    )


def run_session(request: dict, config: Config, log_path: str | None, on_app=None) -> int:
    """Run the route's app on the terminal that is stdio; return the exit status."""
    _session_environment(request)
    _fresh_stdio()
    log_stream = _logging_to(log_path)
    tag = f"session pid={os.getpid()} route={request['route']}"
    try:
        from rich.console import Console

        app = build_app(request, config)
        if on_app is not None:
            on_app(app)
        # Textual's own report shows local variables (which may hold a password): drop it and
        # log a plain trace instead. The client gets one generic line.
        app.error_console = Console(file=io.StringIO(), markup=False, color_system=None)
        app.run()
        error = getattr(app, "_exception", None)
        if error is not None or (app.return_code or 0) != 0:
            trace = "".join(traceback.format_exception(error)) if error else "no exception"
            log.error("%s: the app failed:\n%s", tag, trace)
            _tell_client(GENERIC_ERROR)
            return 1
        return 0
    except BaseException as exc:  # noqa: BLE001 - last guard: log it, tell the client politely
        if isinstance(exc, SystemExit) and not exc.code:
            return 0
        log.error("%s crashed:\n%s", tag, traceback.format_exc())
        _tell_client(GENERIC_ERROR)
        return 1
    finally:
        log_stream.flush()


def run_spare(request: dict, config: Config, log_path: str | None, ctl_fd: int) -> int:
    """A Login session started before its client: it draws, says "ready" on `ctl_fd`, then
    waits there for the client's details (address) when the server hands it a connection."""
    import socket
    import threading

    ctl = socket.socket(fileno=ctl_fd)

    def attach(app, info: dict) -> None:
        app.address = info.get("address", "")  # the kiosk's lobby and its desks use it

    def listen(app) -> None:
        data = b""
        try:
            while chunk := ctl.recv(4096):
                data += chunk
                if b"\n" in data:
                    break
        except OSError:
            return
        if data.strip():
            app.call_from_thread(attach, app, json.loads(data))

    def on_app(app) -> None:
        def ready() -> None:
            try:
                ctl.send(b"R")
            except OSError:
                pass
            threading.Thread(target=listen, args=(app,), daemon=True).start()

        app.call_after_refresh(ready)

    return run_session(request, config, log_path, on_app=on_app)


def _tell_client(text: str) -> None:
    try:
        os.write(2, TERMINAL_RESET + text.encode())
    except OSError:
        pass


def main() -> int:
    """Naive start: a fresh interpreter per session (`python -m tui.ssh.child`)."""
    request = json.loads(os.environ.pop("PAYDESK_SSH_REQUEST"))
    config = config_from_dict(json.loads(os.environ.pop("PAYDESK_SSH_CONFIG")))
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)  # started with start_new_session=True
    return run_session(request, config, request.get("log_path"))


if __name__ == "__main__":
    sys.exit(main())
