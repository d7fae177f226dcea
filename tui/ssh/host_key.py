"""The server's host key: generated once in the data dir (0600), so its fingerprint lasts."""

from __future__ import annotations

import os
from pathlib import Path

import asyncssh

HOST_KEY_NAME = "ssh_host_ed25519_key"


def host_key_path(home: Path) -> Path:
    return home / HOST_KEY_NAME


def load_or_create_host_key(home: Path) -> asyncssh.SSHKey:
    """Read the host key, creating it (Ed25519, mode 0600) only when it does not exist."""
    path = host_key_path(home)
    if not path.exists():
        key = asyncssh.generate_private_key("ssh-ed25519", comment="paydesk host key")
        data = key.export_private_key()
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process created it first: use theirs
            return asyncssh.read_private_key(path)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        path.with_suffix(".pub").write_bytes(key.export_public_key())
        return key
    if path.stat().st_mode & 0o077:
        os.chmod(path, 0o600)
    return asyncssh.read_private_key(path)


def fingerprint(key: asyncssh.SSHKey) -> str:
    """SHA256 fingerprint, as `ssh-keygen -lf` and the ssh client show it."""
    return key.get_fingerprint("sha256")


def known_hosts_line(key: asyncssh.SSHKey, host: str, port: int) -> str:
    """A line clients can put in ~/.ssh/known_hosts."""
    name = host if port == 22 else f"[{host}]:{port}"
    public = key.export_public_key("openssh").decode().split()
    return f"{name} {public[0]} {public[1]}"
