"""The `paydesk` command when its surroundings fail, run as a real process: a reader that
stops reading, a read-only data dir, a wrong, unreachable or damaged database. Each ends
with one line saying what is wrong and what to do (or, for the pipe, quietly), never a
traceback."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.ports import free_port

PAYDESK = str(Path(sys.executable).with_name("paydesk"))


def _env(home: Path, **extra: str) -> dict[str, str]:
    env = {**os.environ, "PAYDESK_HOME": str(home), **extra}
    if "PAYDESK_DATABASE_URL" not in extra:
        env.pop("PAYDESK_DATABASE_URL", None)
    return env


def _one_line(result: subprocess.CompletedProcess, *needles: str) -> str:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr + result.stdout
    [line] = result.stderr.strip().splitlines()
    for needle in needles:
        assert needle in line, line
    return line


def _seeded(home: Path) -> Path:
    home.mkdir(mode=0o700)
    init = [PAYDESK, "init", "--business", "B", "--billing-email", "b@example.com"]
    subprocess.run(init, env=_env(home), check=True, capture_output=True, timeout=60)
    client = [PAYDESK, "client", "add", "--name", "Acme", "--email", "acme@example.com"]
    subprocess.run(client, env=_env(home), check=True, capture_output=True, timeout=60)
    return home


def test_a_reader_that_stops_reading_ends_it_quietly(tmp_path):
    home = _seeded(tmp_path / "data")
    # `paydesk client list | true`: the pipe's reader is gone before paydesk writes.
    process = subprocess.Popen(
        [PAYDESK, "client", "list"],
        env=_env(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()
    code = process.wait(timeout=60)
    stderr = process.stderr.read().decode()
    process.stderr.close()
    assert stderr == ""
    assert code == 141  # 128 + SIGPIPE, as a shell reports a tool the pipe stopped


def test_a_read_only_data_dir_is_one_line(tmp_path):
    home = _seeded(tmp_path / "data")
    command = [PAYDESK, "client", "list"]
    if os.geteuid() == 0:  # root writes through modes: mount the data dir read-only instead
        if not shutil.which("unshare"):
            pytest.skip("needs unshare(1) to make a read-only data dir as root")
        script = 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && exec "$2" client list'
        command = ["unshare", "-m", "sh", "-c", script, "sh", str(home), PAYDESK]
    else:
        home.chmod(0o500)
    try:
        result = subprocess.run(command, env=_env(home), capture_output=True, text=True, timeout=60)
    finally:
        home.chmod(0o700)
    _one_line(result, f"the data dir {home} is not writable", "make it writable")


@pytest.mark.parametrize(
    ("url", "needles"),
    [
        ("garbage", ["PAYDESK_DATABASE_URL: expected sqlite:///", "not shown"]),
        (
            "postgresql://paydesk:hunter2@127.0.0.1:{port}/billing",
            ["PostgreSQL database at 127.0.0.1:{port}/billing", "Connection refused", "running"],
        ),
    ],
)
def test_a_wrong_or_unreachable_database_is_one_line(tmp_path, url, needles):
    port = str(free_port())  # nothing listens there
    home = tmp_path / "data"
    env = _env(home, PAYDESK_DATABASE_URL=url.format(port=port))
    result = subprocess.run(
        [PAYDESK, "client", "list"], env=env, capture_output=True, text=True, timeout=60
    )
    line = _one_line(result, *(needle.format(port=port) for needle in needles))
    assert "hunter2" not in line


def test_a_damaged_sqlite_file_is_one_line(tmp_path):
    home = _seeded(tmp_path / "data")
    database = home / "paydesk.db"
    database.write_bytes(b"this is not a database " * 400)
    result = subprocess.run(
        [PAYDESK, "client", "list"], env=_env(home), capture_output=True, text=True, timeout=60
    )
    _one_line(result, f"{database} is damaged or not a SQLite database", "restore it")
