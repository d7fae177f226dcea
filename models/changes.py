"""`changes_seen()`: a number that moves whenever the SQLite database may have changed.

SQLite keeps, per connection, `PRAGMA data_version` (it moves when any other connection,
in this process or another, commits) and `total_changes` (rows this connection changed).
Each thread remembers what its own connection last showed; when either moved, or the thread
has a new connection, the shared number moves. So once a change is committed, the next call
in any thread returns a new number: an answer kept with the number it was read under is
current while the number stands. A spurious move (a thread's first call) costs a re-read.

PostgreSQL has no such counter: there it is None, and callers read what they depend on.

`ChangeProbe` reads the same counter where nothing may wait (the web server's event loop):
a read-only connection of its own that never writes, so its `data_version` moves on every
commit anywhere, and that never waits for a lock (busy timeout 0: when SQLite cannot answer
at once, it says None and the caller takes the usual path in a thread).
"""

from __future__ import annotations

import sqlite3
import threading
from urllib.parse import quote

from models.db import db, is_sqlite

_seen = threading.local()
_lock = threading.Lock()
_number = 0


def changes_seen() -> int | None:
    """The shared number after this thread's look at its connection (None off SQLite)."""
    global _number
    if not is_sqlite():
        return None
    connection = db.obj.connection()
    version = connection.execute("PRAGMA data_version").fetchone()[0]
    now = (connection, version, connection.total_changes)
    last = getattr(_seen, "last", None)
    if last is None or last[0] is not connection or last[1:] != now[1:]:
        with _lock:
            _number += 1
        _seen.last = now
    return _number


class ChangeProbe:
    """`version()`: SQLite's data_version seen by a read-only connection that never waits."""

    def __init__(self, path: str) -> None:
        uri = f"file:{quote(path)}?mode=ro"
        self._connection = sqlite3.connect(uri, uri=True, timeout=0, check_same_thread=False)

    def version(self) -> int | None:
        try:
            return int(self._connection.execute("PRAGMA data_version").fetchone()[0])
        except sqlite3.Error:  # busy, locked, gone: the caller reads in a thread instead
            return None

    def close(self) -> None:
        self._connection.close()


def change_probe() -> ChangeProbe | None:
    """A probe of the open database: None off SQLite or for an in-memory one."""
    if not is_sqlite():
        return None
    path = str(db.obj.database)
    if not path or path == ":memory:" or path.startswith("file:"):
        return None
    try:
        return ChangeProbe(path)
    except sqlite3.Error:
        return None
