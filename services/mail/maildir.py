"""Delivering many messages into a Maildir with one disk flush instead of one per message.

Each message is written to `tmp/` under a unique Maildir name; then the file system is
flushed once (`syncfs`, else `sync`); then each file is renamed into `new/`, and `new/`
itself is fsynced once. A reader sees a message in `new/` whole or not at all (the rename
is atomic, and the data was on disk before it), and when `deliver` returns every message
of the batch is durable, as `mailbox.Maildir.add` makes one message durable.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import socket
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

_LOCK = threading.Lock()
_last = [0]  # the last name's time in microseconds: names strictly increase in a process
_seq = [0]


def _syncfs_function():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        return libc.syncfs
    except (OSError, AttributeError):
        return None


_SYNCFS = _syncfs_function()


def ensure(root: Path) -> None:
    """The Maildir's three folders (private to this user, as `mailbox.Maildir` makes them)."""
    for sub in ("tmp", "new", "cur"):
        (root / sub).mkdir(mode=0o700, parents=True, exist_ok=True)


def unique_name() -> str:
    """`<seconds>.M<microseconds>P<pid>Q<n>.<host>`: the order the outbox sorts by."""
    with _LOCK:
        now = max(time.time_ns() // 1000, _last[0] + 1)
        _last[0] = now
        _seq[0] += 1
        seq = _seq[0]
    host = socket.gethostname().replace("/", "\\057").replace(":", "\\072")
    return f"{now // 1_000_000}.M{now % 1_000_000}P{os.getpid()}Q{seq}.{host}"


def deliver(
    root: Path,
    messages: Sequence[bytes],
    progress: Callable[[str, list[str | None]], None] | None = None,
) -> list[str | Exception]:
    """Deliver each message; returns its file name in `new/`, or the error that stopped it.

    A message whose write fails is reported and skipped; the others are delivered.
    `progress("writing", names)` is called before the first write and
    `progress("renaming", names)` (None for the messages not written) before the flush, so
    a claim file can tell how far a killed batch got (services/mail/claims.py).
    """
    try:
        ensure(root)
    except OSError as exc:
        return [exc for _ in messages]
    tmp, new = str(root / "tmp") + "/", str(root / "new") + "/"
    names = [unique_name() for _ in messages]
    if progress:
        progress("writing", list(names))
    results: list[str | Exception] = []
    for name, data in zip(names, messages, strict=True):
        try:
            fd = os.open(tmp + name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]
            finally:
                os.close(fd)
        except OSError as exc:
            _unlink(tmp + name)
            results.append(exc)
            continue
        results.append(name)
    written = [r if isinstance(r, str) else None for r in results]
    if not any(written):
        return results
    if progress:
        progress("renaming", written)
    _flush(root / "tmp")
    for i, written_name in enumerate(written):
        if written_name is None:
            continue
        try:
            os.rename(tmp + written_name, new + written_name)
        except OSError as exc:  # left in tmp/ until the outcome is recorded: see discard()
            results[i] = exc
    fsync_dir(root / "new")
    return results


def discard(root: Path, names: Sequence[str]) -> None:
    """Remove messages left in tmp/ (those whose rename failed, once recorded as failed)."""
    for name in names:
        _unlink(str(root / "tmp" / name))


def _flush(folder: Path) -> None:
    """Every file written so far on the Maildir's file system, on disk."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        if _SYNCFS is None or _SYNCFS(fd) != 0:
            os.sync()
    finally:
        os.close(fd)


def fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
