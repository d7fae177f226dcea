"""Which process is paying an attempt, and whether that process is gone.

An attempt row records its payer as `boot id/pid namespace/pid/start time` (Linux /proc).
Another process on the same machine, in the same pid namespace, can then tell for certain
whether the payer still runs: a pid reused after a crash has another start time, a killed
process not reaped yet is a zombie. Anything else (another machine or container, no /proc)
cannot be told, and the attempt is left to `reconcile_min_age` as before.

Settling an attempt whose payer still runs would be safe anyway (Stripe's answer decides and
an intent we never confirmed is canceled first), it would only interrupt that payment; this
is what lets the next look at an invoice settle a crashed payment at once.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

PROC = Path("/proc")


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except OSError:
        return None


def _stat(pid: int | str) -> tuple[str, str] | None:
    """(state letter, start time in clock ticks since boot) of a process, or None if none."""
    text = _read(PROC / str(pid) / "stat")
    if text is None or ")" not in text:
        return None
    fields = text.rsplit(")", 1)[1].split()  # after "pid (comm)", which may hold spaces
    return (fields[0], fields[19]) if len(fields) > 19 else None


@cache
def _machine() -> str | None:
    """This boot of this machine and this pid namespace, or None where it cannot be told."""
    boot = _read(PROC / "sys" / "kernel" / "random" / "boot_id")
    try:
        namespace = os.readlink(PROC / "self" / "ns" / "pid")
    except OSError:
        return None
    if not boot:
        return None
    return f"{boot}/{namespace.removeprefix('pid:').strip('[]')}"


@cache
def _token(pid: int) -> str | None:
    machine, stat = _machine(), _stat(pid)
    if machine is None or stat is None:
        return None
    return f"{machine}/{pid}/{stat[1]}"


def this_process() -> str | None:
    """The token stored as an attempt's owner (None where processes cannot be told apart)."""
    return _token(os.getpid())  # by pid: a forked child is a payer of its own


def is_gone(owner: str | None) -> bool:
    """True only when the process that wrote `owner` has certainly ended."""
    machine = _machine()
    if not owner or machine is None or not owner.startswith(f"{machine}/"):
        return False  # another machine or container, or no owner recorded: cannot tell
    pid, _, started = owner.removeprefix(f"{machine}/").partition("/")
    if not pid.isdigit():
        return False
    stat = _stat(pid)
    return stat is None or stat[1] != started or stat[0] in ("Z", "X")
