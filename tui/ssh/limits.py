"""Server limits: connection caps per address and in total, size and TERM clamps."""

from __future__ import annotations

import re
import resource
import time

from services.config import SSHSettings

MIN_COLS, MIN_ROWS = 20, 10
MAX_COLS, MAX_ROWS = 500, 200
DEFAULT_SIZE = (80, 24)
DEFAULT_TERM = "xterm-256color"
_TERM_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$")


def clamp_size(cols: int, rows: int) -> tuple[int, int]:
    """A terminal size the app can draw: 0×0 means unknown (80×24); others are clamped."""
    if cols <= 0 or rows <= 0:
        cols, rows = DEFAULT_SIZE
    return min(max(cols, MIN_COLS), MAX_COLS), min(max(rows, MIN_ROWS), MAX_ROWS)


def sanitize_term(term: str | None) -> str:
    """The client's TERM if it looks like a terminal name, else a safe default."""
    if term and _TERM_RE.match(term) and term != "dumb":
        return term
    return DEFAULT_TERM


class ConnectionLimiter:
    """Counts live connections per source address, in total and still unauthenticated;
    rate-limits new ones."""

    def __init__(self, settings: SSHSettings, clock=time.monotonic) -> None:
        self.settings = settings
        self._clock = clock
        self._per_address: dict[str, int] = {}
        self._total = 0
        self._unauthenticated = 0
        self._buckets: dict[str, tuple[float, float]] = {}  # address -> (tokens, stamp)

    @property
    def total(self) -> int:
        return self._total

    def acquire(self, address: str) -> str | None:
        """Take a slot for a new connection; return the refusal text when there is none."""
        s = self.settings
        if self._total >= s.max_total:
            return f"The server is busy ({s.max_total} sessions). Please try again in a minute."
        if self._unauthenticated >= s.max_unauthenticated:
            return "The server is busy. Please try again in a minute."
        if self._per_address.get(address, 0) >= s.max_per_address:
            return (
                f"Too many sessions from your address (at most {s.max_per_address}). "
                "Close one and try again."
            )
        if not self._take_token(address):
            return "Too many new connections from your address. Wait a minute and try again."
        self._per_address[address] = self._per_address.get(address, 0) + 1
        self._total += 1
        self._unauthenticated += 1
        return None

    def authenticated(self) -> None:
        """A connection holding a slot finished its handshake."""
        self._unauthenticated = max(0, self._unauthenticated - 1)

    def release(self, address: str, authenticated: bool) -> None:
        if not authenticated:
            self.authenticated()
        count = self._per_address.get(address, 0) - 1
        if count > 0:
            self._per_address[address] = count
        else:
            self._per_address.pop(address, None)
        self._total = max(0, self._total - 1)

    def _take_token(self, address: str) -> bool:
        s = self.settings
        now = self._clock()
        tokens, stamp = self._buckets.get(address, (float(s.connect_burst), now))
        tokens = min(float(s.connect_burst), tokens + (now - stamp) * s.connect_rate)
        if len(self._buckets) > 10_000:  # forget idle addresses; a full bucket is the default
            self._buckets = {a: v for a, v in self._buckets.items() if a in self._per_address}
        if tokens < 1.0:
            self._buckets[address] = (tokens, now)
            return False
        self._buckets[address] = (tokens - 1.0, now)
        return True


def raise_file_limit() -> int:
    """Lift the soft limit on open files to the hard one (each session holds a socket, a PTY
    and a process handle); the limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
        except (ValueError, OSError):
            pass
    return soft
