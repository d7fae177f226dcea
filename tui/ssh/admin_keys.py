"""Public keys allowed to open the admin console: `admin_keys` in the data dir.

The file uses the authorized_keys format (one `type base64 comment` line per key), mode 0600.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import asyncssh

from services.errors import PaydeskError

ADMIN_KEYS_NAME = "admin_keys"


class AdminKeyError(PaydeskError):
    """A key could not be added or removed; the message says why."""


@dataclass(frozen=True)
class AdminKey:
    """One registered key."""

    fingerprint: str
    algorithm: str
    comment: str
    line: str


def admin_keys_path(home: Path) -> Path:
    return home / ADMIN_KEYS_NAME


def list_keys(home: Path) -> list[AdminKey]:
    """The registered keys, in file order; unreadable lines are skipped."""
    path = admin_keys_path(home)
    if not path.exists():
        return []
    keys = []
    for line in path.read_text().splitlines():
        parsed = _parse(line)
        if parsed:
            keys.append(parsed)
    return keys


def is_admin_key(home: Path, key: asyncssh.SSHKey) -> bool:
    """Whether this public key is registered (read fresh, so changes apply at once)."""
    wanted = key.public_data
    for entry in list_keys(home):
        try:
            if asyncssh.import_public_key(entry.line).public_data == wanted:
                return True
        except (asyncssh.KeyImportError, ValueError):
            continue
    return False


def add_key(home: Path, text: str, comment: str | None = None) -> AdminKey:
    """Register a public key given as an OpenSSH public key line (e.g. a .pub file's text)."""
    line = text.strip()
    if not line or "\n" in line:
        raise AdminKeyError("give exactly one public key line (the contents of a .pub file)")
    try:
        key = asyncssh.import_public_key(line)
    except (asyncssh.KeyImportError, ValueError) as exc:
        raise AdminKeyError(f"not an SSH public key ({exc})") from exc
    if comment is None:
        parts = line.split(None, 2)
        comment = parts[2] if len(parts) == 3 else ""
    comment = " ".join(comment.split())
    algorithm, data = key.export_public_key("openssh").decode().split()[:2]
    entry = _parse(f"{algorithm} {data} {comment}".strip())
    assert entry is not None
    if any(k.fingerprint == entry.fingerprint for k in list_keys(home)):
        raise AdminKeyError(f"key {entry.fingerprint} is already registered")
    _write(home, [*(k.line for k in list_keys(home)), entry.line])
    return entry


def remove_key(home: Path, which: str) -> AdminKey:
    """Remove the key whose fingerprint (or unique comment) is `which`."""
    keys = list_keys(home)
    matches = [k for k in keys if which in (k.fingerprint, k.fingerprint.removeprefix("SHA256:"))]
    if not matches:
        matches = [k for k in keys if k.comment and k.comment == which]
    if not matches:
        raise AdminKeyError(f"no registered key matches {which!r} (see `paydesk admin-key list`)")
    if len(matches) > 1:
        raise AdminKeyError(f"{which!r} matches {len(matches)} keys; give the fingerprint")
    _write(home, [k.line for k in keys if k is not matches[0]])
    return matches[0]


def _parse(line: str) -> AdminKey | None:
    line = line.strip()
    if not line or line.startswith("#"):
        return None
    try:
        key = asyncssh.import_public_key(line)
    except (asyncssh.KeyImportError, ValueError):
        return None
    parts = line.split(None, 2)
    return AdminKey(
        fingerprint=key.get_fingerprint("sha256"),
        algorithm=parts[0],
        comment=parts[2] if len(parts) == 3 else "",
        line=line,
    )


def _write(home: Path, lines: list[str]) -> None:
    path = admin_keys_path(home)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write("".join(line + "\n" for line in lines))
    os.replace(tmp, path)
