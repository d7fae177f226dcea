"""One SSH session: the channel on one side, the session process's PTY on the other."""

from __future__ import annotations

import asyncio
import fcntl
import json
import logging
import os
import re
import signal
import struct
import termios
import time

import asyncssh

from tui.ssh.child import TERMINAL_RESET
from tui.ssh.limits import clamp_size, sanitize_term
from tui.ssh.shared import Connection
from tui.ssh.zygote import SPARE_SIZE

log = logging.getLogger("paydesk.ssh")

NEED_PTY = (
    "paydesk: this is an interactive terminal kiosk; connect with `ssh -t` "
    "(a terminal is required).\r\n"
)
ONLY_VIEW = "paydesk: the only command allowed is `view CODE` (ssh -t HOST view CODE).\r\n"
READ_CHUNK = 65536
MAX_PENDING_INPUT = 65536
HANGUP_STEPS = ((signal.SIGHUP, 0.3), (signal.SIGTERM, 0.3), (signal.SIGKILL, 2.0))


def set_window_size(fd: int, cols: int, rows: int) -> None:
    """TIOCSWINSZ on the PTY; the kernel sends SIGWINCH to the session's foreground group."""
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


class KioskSession(asyncssh.SSHServerSession):
    """Bridges one channel and one session process, with timeouts and flow control."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.settings = conn.server.settings
        self.chan: asyncssh.SSHServerChannel | None = None
        self.term: str | None = None
        self.size = (80, 24)
        self.route = conn.route
        self.code = conn.code
        self.refusal: str | None = None
        self.pid: int | None = None
        self.master: int | None = None
        self.pending_input = bytearray()
        self.reading = False
        self.writing_paused = False
        self.exit_status: int | None = None
        self.exited = asyncio.Event()
        self.closing = False
        self.last_input = time.monotonic()
        self.started = time.monotonic()
        self.timer: asyncio.TimerHandle | None = None

    # asyncssh callbacks -------------------------------------------------------------------

    def connection_made(self, chan: asyncssh.SSHServerChannel) -> None:
        self.chan = chan

    def pty_requested(self, term_type: str, term_size: tuple, term_modes) -> bool:
        self.term = sanitize_term(term_type)
        self.size = clamp_size(term_size[0], term_size[1])
        return True

    def shell_requested(self) -> bool:
        return True

    def exec_requested(self, command: str) -> bool:
        parts = command.split()
        if len(parts) == 2 and parts[0] == "view" and self.route != "admin":
            self.route, self.code = "view", parts[1]
            self.conn.route = "view"
        else:
            self.refusal = ONLY_VIEW
            self.conn.outcome = "exec-refused"
        return True  # accepted, then answered with one line: no command ever runs

    def subsystem_requested(self, subsystem: str) -> bool:
        name = re.sub(r"[^A-Za-z0-9._@-]", "?", subsystem[:20])  # client text: no log injection
        self.conn.note_refused(f"subsystem:{name}")
        return False

    def session_started(self) -> None:
        assert self.chan is not None
        if self.refusal or self.term is None:
            if self.term is None and not self.refusal:
                self.conn.outcome = "no-pty"
            self._say_and_exit(self.refusal or NEED_PTY, 1)
            return
        self.conn.outcome = "running"
        asyncio.get_running_loop().create_task(self._start())

    def data_received(self, data: bytes, datatype) -> None:
        self.last_input = time.monotonic()
        if self.closing or len(self.pending_input) > 4 * MAX_PENDING_INPUT:
            return
        self.pending_input += data
        self._flush_input()

    def eof_received(self) -> bool:
        return True  # keep showing output; the app ends the session

    def terminal_size_changed(self, width: int, height: int, pixwidth: int, pixheight: int) -> None:
        self.size = clamp_size(width, height)
        if self.master is not None:
            try:
                set_window_size(self.master, *self.size)
            except OSError:
                pass

    def pause_writing(self) -> None:
        self.writing_paused = True
        self._stop_reading()

    def resume_writing(self) -> None:
        self.writing_paused = False
        if self.master is not None and not self.closing:
            self._start_reading()

    def connection_lost(self, exc: Exception | None) -> None:
        if self.conn.outcome == "running":
            self.conn.outcome = "hangup"
        if self.timer:
            self.timer.cancel()
        self.chan = None
        if not self.closing:
            self.closing = True
            asyncio.get_running_loop().create_task(self._hang_up())

    # the session process ------------------------------------------------------------------

    async def _start(self) -> None:
        master, slave = os.openpty()
        try:
            set_window_size(master, *self.size)
            os.set_blocking(master, False)
            request = {
                "route": self.route,
                "code": self.code,
                "address": self.conn.address,
                "term": self.term,
                "app_factory": self.settings.app_factory,
                "admin_factory": self.settings.admin_factory,
                "admin_key": self.conn.admin_key if self.route == "admin" else None,
            }
            try:
                result = await self.conn.server.spawner.spawn(request, slave)
            finally:
                os.close(slave)
            if isinstance(result, int):
                self.pid = result
            else:  # a spare: already drawn on its own PTY; tell it who the client is
                self.pid = result.pid
                os.close(master)
                master = result.master
                self._attach_spare(result)
        except Exception:  # noqa: BLE001 - any failure here is this session's only
            os.close(master)
            log.exception("cannot start a session process")
            self.conn.outcome = "spawn-failed"
            self._say_and_exit("paydesk: the kiosk could not start; please try again.\r\n", 1)
            return
        self.master = master
        self.conn.server.spawner.on_exit(self.pid, self._on_exit)
        if self.chan is None or self.closing:  # the client left while we were forking
            self.closing = True
            await self._hang_up()
            return
        self._start_reading()
        self._flush_input()
        self._schedule_timer()

    def _attach_spare(self, spare) -> None:
        try:
            info = json.dumps({"address": self.conn.address}).encode() + b"\n"
            os.write(spare.ctl, info)
        finally:
            os.close(spare.ctl)
        os.set_blocking(spare.master, False)
        cols, rows = self.size
        if (cols, rows) == SPARE_SIZE:  # same size: nudge it so the app lays out and repaints
            set_window_size(spare.master, cols + 1, rows)
            asyncio.get_running_loop().call_later(0.1, self._apply_size)
        else:
            set_window_size(spare.master, cols, rows)

    def _apply_size(self) -> None:
        if self.master is not None:
            try:
                set_window_size(self.master, *self.size)
            except OSError:
                pass

    def _on_exit(self, status: int) -> None:
        self.exit_status = status
        self.exited.set()
        if not self.closing:
            asyncio.get_running_loop().call_later(0.5, self._finish_if_silent)

    def _finish_if_silent(self) -> None:
        # Output normally ends with EIO on the PTY; if a stray holder keeps it open, end anyway.
        if not self.closing:
            self._drain_output()
            self._finish()

    def _start_reading(self) -> None:
        if not self.reading and self.master is not None and not self.writing_paused:
            asyncio.get_running_loop().add_reader(self.master, self._on_output)
            self.reading = True

    def _stop_reading(self) -> None:
        if self.reading and self.master is not None:
            asyncio.get_running_loop().remove_reader(self.master)
        self.reading = False

    def _on_output(self) -> None:
        assert self.master is not None
        try:
            data = os.read(self.master, READ_CHUNK)
        except BlockingIOError:
            return
        except OSError:  # EIO: every holder of the PTY's other end has gone
            data = b""
        if not data:
            self._stop_reading()
            if not self.closing:
                asyncio.get_running_loop().create_task(self._finish_after_exit())
            return
        if self.chan is not None:
            self.chan.write(data)  # pause_writing() stops us when the channel's buffer is full

    def _drain_output(self) -> None:
        if self.master is None or self.chan is None:
            return
        for _ in range(16):
            try:
                data = os.read(self.master, READ_CHUNK)
            except OSError:
                return
            if not data:
                return
            self.chan.write(data)

    async def _finish_after_exit(self) -> None:
        try:
            await asyncio.wait_for(self.exited.wait(), 2.0)
        except TimeoutError:
            pass
        self._finish()

    def _finish(self) -> None:
        """The app ended by itself: pass its status on and close the channel."""
        if self.closing:
            return
        self.closing = True
        status = self.exit_status if self.exit_status is not None else 0
        if self.conn.outcome == "running":
            self.conn.outcome = "ended" if status == 0 else f"crashed(status={status})"
        self._close_master()
        if self.chan is not None:
            self.chan.exit(status if status >= 0 else 1)

    def _flush_input(self) -> None:
        if self.master is None or not self.pending_input:
            return
        try:
            written = os.write(self.master, self.pending_input[:READ_CHUNK])
            del self.pending_input[:written]
        except BlockingIOError:
            pass
        except OSError:
            self.pending_input.clear()
            return
        loop = asyncio.get_running_loop()
        if self.pending_input:
            loop.remove_writer(self.master)
            loop.add_writer(self.master, self._on_writable)
            if len(self.pending_input) > MAX_PENDING_INPUT and self.chan is not None:
                self.chan.pause_reading()  # the client's window fills; it stops sending

    def _on_writable(self) -> None:
        loop = asyncio.get_running_loop()
        assert self.master is not None
        loop.remove_writer(self.master)
        self._flush_input()
        if len(self.pending_input) <= MAX_PENDING_INPUT // 2 and self.chan is not None:
            self.chan.resume_reading()

    # timeouts and endings -------------------------------------------------------------------

    def _schedule_timer(self) -> None:
        now = time.monotonic()
        due = min(
            self.last_input + self.settings.idle_timeout, self.started + self.settings.max_session
        )
        self.timer = asyncio.get_running_loop().call_later(max(0.05, due - now), self._on_timer)

    def _on_timer(self) -> None:
        if self.closing:
            return
        now = time.monotonic()
        if now - self.started >= self.settings.max_session:
            self._end_with("Session time limit reached. Please reconnect.", "max-session")
        elif now - self.last_input >= self.settings.idle_timeout:
            minutes = self.settings.idle_timeout / 60
            span = f"{minutes:g} minutes" if minutes >= 1 else f"{self.settings.idle_timeout:g} s"
            self._end_with(f"Session closed after {span} without input.", "idle-timeout")
        else:
            self._schedule_timer()

    def _end_with(self, message: str, outcome: str) -> None:
        self.conn.outcome = outcome
        self.closing = True
        asyncio.get_running_loop().create_task(self._hang_up(message))

    async def _hang_up(self, message: str | None = None) -> None:
        """HUP, then TERM, then KILL the session's process group until it is gone."""
        self._stop_reading()
        spawner = self.conn.server.spawner
        if self.pid is not None and not self.exited.is_set():
            for sig, wait in HANGUP_STEPS:
                spawner.signal(self.pid, sig)
                if sig == signal.SIGHUP:
                    self._close_master()
                try:
                    await asyncio.wait_for(self.exited.wait(), wait)
                    break
                except TimeoutError:
                    continue
            if not self.exited.is_set():
                log.error("session process %s did not end after SIGKILL", self.pid)
        self._close_master()
        if self.chan is not None:
            if message:
                self.chan.write(TERMINAL_RESET + b"\r\n" + message.encode() + b"\r\n")
            self.chan.exit(0)

    def _close_master(self) -> None:
        if self.master is not None:
            loop = asyncio.get_running_loop()
            self._stop_reading()
            loop.remove_writer(self.master)
            os.close(self.master)
            self.master = None

    def _say_and_exit(self, text: str, status: int) -> None:
        self.closing = True
        if self.chan is None:
            return
        self.chan.write(text.encode())
        self.chan.exit(status)
