"""SQLite WAL checkpoints from a background thread, so no commit waits for one.

With SQLite's own automatic checkpoint, the commit that pushes the write-ahead log past its
threshold copies the whole log into the database and waits for two disk flushes; on the
paying path that was one payment in forty, several milliseconds each. Worse, a quiet kiosk
could go days before the log reached the threshold and was flushed to disk at all.

Here a daemon thread checkpoints (PASSIVE: it never blocks readers or writers) about once a
second after a commit, so what is committed reaches the disk within about a second however
quiet the kiosk is. Every process that writes starts one; the one holding the database's
`-checkpointer` lock file does the work, the others wait to take over. SQLite's own
checkpoint stays on as a backstop with a larger threshold (`AUTOCHECKPOINT_PAGES`), for a
process that never starts this thread.
"""

from __future__ import annotations

import fcntl
import logging
import os
import sqlite3
import threading
from urllib.parse import quote

log = logging.getLogger(__name__)

AUTOCHECKPOINT_PAGES = 4000  # SQLite's backstop (16 MB of log with 4 KB pages)
INTERVAL = 1.0  # seconds between looks at the log


class Checkpointer:
    """Checkpoints one database file's WAL about once a second when it has grown."""

    def __init__(self, path: str, interval: float = INTERVAL) -> None:
        self.path = path
        self.interval = interval
        self.pid = os.getpid()
        self.checkpoints = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="wal-checkpoint", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        wal = f"{self.path}-wal"
        seen: tuple[int, int] | None = None
        connection: sqlite3.Connection | None = None
        turn: int | None = None  # the lock file's descriptor while this process checkpoints
        try:
            while not self._stop.wait(self.interval):
                if not os.path.exists(self.path):
                    return  # the database went away (a test's tmp dir)
                if turn is None:
                    turn = _take_turn(f"{self.path}-checkpointer")
                    if turn is None:
                        continue  # another process checkpoints this database
                try:
                    stat = os.stat(wal)
                except FileNotFoundError:
                    continue
                now = (stat.st_size, stat.st_mtime_ns)
                if stat.st_size == 0 or now == seen:
                    continue
                try:
                    if connection is None:
                        uri = f"file:{quote(self.path)}?mode=rw"  # never creates a missing file
                        connection = sqlite3.connect(uri, uri=True, timeout=5)
                    connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                except sqlite3.Error as exc:  # locked, or I/O: try again at the next look
                    log.debug("WAL checkpoint of %s failed: %s", self.path, exc)
                    if connection is not None:
                        connection.close()
                        connection = None
                    continue
                self.checkpoints += 1
                seen = now
        finally:
            if connection is not None:
                connection.close()
            if turn is not None:
                os.close(turn)  # releases the lock: another process takes over


def _take_turn(lock_path: str) -> int | None:
    """One process per database checkpoints (many kiosk sessions share one): an flock."""
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


_current: Checkpointer | None = None
_lock = threading.Lock()


def ensure_checkpointer(path: str) -> None:
    """Have this process checkpoint `path` in the background (started once per process)."""
    global _current
    current = _current
    if current is not None and current.path == path and current.pid == os.getpid():
        return
    if path in ("", ":memory:") or path.startswith("file::memory:"):
        return
    with _lock:
        current = _current
        if current is not None and current.path == path and current.pid == os.getpid():
            return
        if current is not None and current.pid == os.getpid():
            current.stop()  # this process moved to another database
        _current = Checkpointer(path)


def stop_checkpointer() -> None:
    global _current
    with _lock:
        if _current is not None and _current.pid == os.getpid():
            _current.stop()
        _current = None
