"""The data dir is private: the folder 0700, every file in it 0600, whatever the umask.

It holds argon2 hashes, clients' personal data, the audit trail, logs and the host key.
`create` makes the folder, `private_files` makes every process paydesk starts create its
files for its owner only, and `make_private` takes group and other access away from an
existing data dir (one made by an older paydesk, or copied in).
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from services.errors import PaydeskError

PRIVATE = 0o077  # the bits group and others would have


class DataDirError(PaydeskError):
    """The data dir cannot be made or written; the message says what to do."""


def create(home: Path) -> None:
    """The data dir, made 0700 if it is not there yet (its parents as usual)."""
    try:
        home.parent.mkdir(parents=True, exist_ok=True)
        home.mkdir(mode=0o700)
    except FileExistsError:
        pass
    except OSError as exc:
        raise DataDirError(
            f"cannot create the data dir {home} ({exc.strerror}): create it, or set "
            "PAYDESK_HOME to a folder this user can write"
        ) from None


def check_writable(home: Path) -> None:
    """DataDirError unless files can be written in the data dir (the database, its WAL …)."""
    try:
        fd, name = tempfile.mkstemp(prefix=".write-check-", dir=home)
        os.close(fd)
        os.unlink(name)
    except OSError as exc:
        raise DataDirError(
            f"the data dir {home} is not writable ({exc.strerror}): make it writable by this "
            "user, or set PAYDESK_HOME to a folder that is"
        ) from None


@contextmanager
def private_files() -> Iterator[None]:
    """Files and folders created inside are for their owner only (umask 077 added), also by
    the processes started meanwhile (the sandbox, the SSH server's sessions)."""
    before = os.umask(0o077)
    os.umask(before | PRIVATE)
    try:
        yield
    finally:
        os.umask(before)


def make_private(home: Path) -> str | None:
    """Take group and other access from the data dir and everything in it, and say so in one
    line (None when it was private already). Symbolic links are not followed."""
    fixed, failed, first = 0, 0, ""
    for path, mode in _entries(home):
        if not mode & PRIVATE:
            continue
        try:
            os.chmod(path, stat.S_IMODE(mode) & ~PRIVATE, follow_symlinks=False)
            fixed += 1
        except OSError as exc:  # e.g. a file someone else owns
            failed, first = failed + 1, first or f"{path}: {exc.strerror}"
    if not fixed and not failed:
        return None
    line = f"{home} was open to other users: made {fixed} files and folders private (0700/0600)"
    if failed:
        line += f"; {failed} could not be changed ({first}): fix them by hand"
    return line


def _entries(home: Path) -> Iterator[tuple[str, int]]:
    """(path, mode) of the data dir and every folder and file under it, links left out."""
    try:
        yield str(home), home.stat().st_mode
    except OSError:
        return
    folders = [str(home)]
    while folders:
        try:
            with os.scandir(folders.pop()) as listing:
                for entry in listing:
                    try:
                        info = entry.stat(follow_symlinks=False)
                    except OSError:
                        continue
                    if stat.S_ISDIR(info.st_mode):
                        folders.append(entry.path)
                    elif not stat.S_ISREG(info.st_mode):
                        continue
                    yield entry.path, info.st_mode
        except OSError:
            continue
