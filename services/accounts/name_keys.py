"""What is kept of a typed sign-in name no login has: a keyed hash, never the text.

People type passwords into the Email field; neither an audit row nor a throttle row may keep
them, nor a plain hash a guess could be checked against. The keyed hash (HMAC-SHA256 with a
random key kept in the data dir, 0600) still shows the same unknown name tried again and
again, and the owner can check a given name against it (`NameKeys.subject`), while the
database alone tells nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from functools import cached_property
from pathlib import Path

from services.accounts.identity import subject

KEY_NAME = "audit-names.key"


class NameKeys:
    """Audit subjects and throttle keys for the sign-in names people type."""

    def __init__(self, home: Path) -> None:
        self.path = Path(home) / KEY_NAME

    def subject(self, email: str, known: bool) -> str:
        """The audit subject: `email:…` for a login's email, `unknown:<keyed hash>` otherwise."""
        if not email or known:
            return subject(email)
        return f"unknown:{self.keyed(email)[:32]}"

    def throttle_key(self, kind: str, email: str) -> str:
        """The throttle row's key for an email, known or not (so throttling reveals nothing)."""
        return f"{kind}:{self.keyed(email)[:40]}"

    def keyed(self, text: str) -> str:
        return hmac.new(self._key, text.encode("utf-8"), hashlib.sha256).hexdigest()

    @cached_property
    def _key(self) -> bytes:
        """The data dir's key, made the first time (one even when processes race)."""
        try:
            return self.path.read_bytes()
        except FileNotFoundError:
            pass
        fresh = self.path.with_name(f".{KEY_NAME}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(fresh, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(secrets.token_bytes(32))
            out.flush()
            os.fsync(out.fileno())
        try:
            os.link(fresh, self.path)  # whole, or not at all: readers never see half a key
        except FileExistsError:
            pass  # another process made it first: theirs is the key
        finally:
            fresh.unlink()
        return self.path.read_bytes()
