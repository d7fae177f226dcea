"""The data dir is the owner's alone: 0700 folders and 0600 files under umask 022, an open
one made private at start with one warning line."""

import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

PAYDESK = str(Path(sys.executable).with_name("paydesk"))


def paydesk(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PAYDESK_HOME": str(home)}
    for name in ("PAYDESK_DATABASE_URL", "PAYDESK_SANDBOX_URL", "STRIPE_API_KEY"):
        env.pop(name, None)  # the data dir's own SQLite file and sandbox
    return subprocess.run(
        [PAYDESK, *args], env=env, capture_output=True, text=True, timeout=120, umask=0o022
    )


def open_to_others(home: Path) -> list[str]:
    found = [] if stat.S_IMODE(home.stat().st_mode) == 0o700 else [f"{home}"]
    for folder, folders, files in os.walk(home):
        for name in folders + files:
            path = Path(folder, name)
            mode = stat.S_IMODE(path.lstat().st_mode)
            if mode != (0o700 if name in folders else 0o600):
                found.append(f"{oct(mode)} {path.relative_to(home)}")
    return found


def test_everything_paydesk_creates_is_private_under_umask_022(tmp_path: Path):
    home = tmp_path / "data"
    try:
        seeded = paydesk(home, "demo", "--seed-only")  # database, sandbox state, outbox
        assert seeded.returncode == 0, seeded.stderr
        assert paydesk(home, "serve-ssh", "--print-fingerprint").returncode == 0  # host key
        assert paydesk(home, "run").returncode == 0  # more mail
    finally:
        paydesk(home, "sandbox", "--stop")
    # A session's WAL and shared memory, opened here under umask 022.
    previous = os.umask(0o022)
    try:
        with sqlite3.connect(home / "paydesk.db") as connection:
            connection.execute("CREATE TABLE probe (x)")
            names = {p.name for p in home.iterdir()}
            assert {"paydesk.db-wal", "paydesk.db-shm"} <= names
            assert open_to_others(home) == []
    finally:
        os.umask(previous)
    names = {p.name for p in home.rglob("*")}
    assert {"paydesk.db", "ssh_host_ed25519_key", "localstripe.pickle", "localstripe.log"} <= names
    assert any(p.parent.name == "new" for p in (home / "outbox").rglob("*"))


def test_an_open_data_dir_is_made_private_at_start_with_one_warning(tmp_path: Path):
    home = tmp_path / "data"
    (home / "logs").mkdir(parents=True)
    (home / "logs" / "ssh.log").write_text("old log\n")
    (home / "paydesk-errors.log").write_text("old trace\n")
    for path, mode in ((home, 0o755), (home / "logs", 0o755)):
        path.chmod(mode)
    for path in (home / "logs" / "ssh.log", home / "paydesk-errors.log"):
        path.chmod(0o644)

    first = paydesk(home, "client", "list")
    lines = first.stderr.strip().splitlines()
    assert lines[0].startswith(f"paydesk: warning: {home} was open to other users"), first.stderr
    assert "made 4 files and folders private" in lines[0]
    assert open_to_others(home) == []
    again = paydesk(home, "client", "list")
    assert "warning" not in again.stderr
