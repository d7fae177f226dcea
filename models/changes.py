"""`changes_seen()`: a number that moves whenever the SQLite database may have changed.

SQLite keeps, per connection, `PRAGMA data_version` (it moves when any other connection,
in this process or another, commits) and `total_changes` (rows this connection changed).
Each thread remembers what its own connection last showed; when either moved, or the thread
has a new connection, the shared number moves. So once a change is committed, the next call
in any thread returns a new number: an answer kept with the number it was read under is
current while the number stands. A spurious move (a thread's first call) costs a re-read.

PostgreSQL has no such counter: there it is None, and callers read what they depend on.
"""

from __future__ import annotations

import threading

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
