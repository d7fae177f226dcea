"""The background WAL checkpointer: committed rows reach the database file within seconds."""

from __future__ import annotations

import shutil
import sqlite3
import time

from models import AuditLog, Business, db, write_lock
from models import checkpoint as checkpoint_module
from models.schema import init_database
from services.audit import audit


def _rows_in_main_file(path, tmp_path) -> int:
    """Open a copy of the database file alone (no -wal): what a checkpoint has written."""
    copy = tmp_path / "copy.db"
    shutil.copyfile(path, copy)
    connection = sqlite3.connect(copy)
    try:
        return connection.execute("SELECT COUNT(*) FROM audit_log").fetchone()[0]
    except sqlite3.OperationalError:  # not even the schema is in the file yet
        return 0
    finally:
        connection.close()


def test_commits_reach_the_database_file_without_an_autocheckpoint(tmp_path):
    path = tmp_path / "paydesk.db"
    init_database(f"sqlite:///{path}")
    try:
        for i in range(5):  # a few pages: far below SQLite's own checkpoint threshold
            with write_lock():
                audit("test", "checkpoint.probe", str(i))
        assert AuditLog.select().count() == 5
        deadline = time.monotonic() + 10
        while _rows_in_main_file(path, tmp_path) < 5:
            assert time.monotonic() < deadline, "the log was never checkpointed"
            time.sleep(0.2)
        assert checkpoint_module._current is not None
        assert checkpoint_module._current.path == str(path)
    finally:
        checkpoint_module.stop_checkpointer()
        db.close()


def test_one_checkpointer_per_process_follows_the_open_database(tmp_path):
    first, second = tmp_path / "a.db", tmp_path / "b.db"
    try:
        init_database(f"sqlite:///{first}")
        with write_lock():
            audit("test", "checkpoint.probe")
        was = checkpoint_module._current
        assert was is not None and was.path == str(first)
        db.close()
        init_database(f"sqlite:///{second}")
        with write_lock():
            audit("test", "checkpoint.probe")
        now = checkpoint_module._current
        assert now is not None and now.path == str(second) and now is not was
        assert was._stop.is_set()  # the old database's thread ends
    finally:
        checkpoint_module.stop_checkpointer()
        db.close()


def _warm_up_in_a_process(home, then: str) -> str:
    """Run the SSH zygote's warm-up on `home` in a fresh Python, then the lines `then`;
    return what it printed."""
    import subprocess
    import sys
    from pathlib import Path

    script = (
        "from pathlib import Path\n"
        "from services.config import Config\n"
        "from tui.ssh.warmup import warm_up\n"
        f"home = Path({str(home)!r})\n"
        "config = Config(home=home, database_url=f'sqlite:///{home}/paydesk.db')\n"
        "ok = warm_up(config, 'tui.kiosk_app:make_kiosk_app')\n" + then
    )
    root = Path(__file__).resolve().parents[3]
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=root, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_ssh_warm_up_on_a_new_database_forks_no_checkpointer(tmp_path):
    """The SSH zygote warms up (opening, and on a new database migrating, under the write
    lock) and then forks every session: it must carry no checkpointer thread, and its
    SQLite connection, into those forks (and the warm-up must complete)."""
    printed = _warm_up_in_a_process(
        tmp_path,
        "import threading\nprint(ok, sorted(t.name for t in threading.enumerate()))\n",
    )
    assert printed.strip().splitlines()[-1] == "True ['MainThread']"


def test_ssh_warm_up_loads_each_businesss_money_layout_before_the_fork(tmp_path):
    init_database(f"sqlite:///{tmp_path}/paydesk.db")
    Business.create(name="B", billing_email="b@example.com", currency="EUR", locale="de_DE")
    db.close()
    printed = _warm_up_in_a_process(
        tmp_path,
        "from services import money\n"
        "assert ok\n"
        "before = money._fast_format.cache_info().hits\n"
        "print(money.format_money(123456, 'EUR', 'de_DE'))\n"
        "print(money._fast_format.cache_info().hits - before)\n",
    )
    assert printed.split("\n")[-3:] == ["1.234,56\xa0€", "1", ""]


def test_one_process_checkpoints_a_database_the_others_wait_their_turn(tmp_path):
    """Kiosk sessions are processes of their own: while one holds the database's
    checkpointer lock, another process's thread does nothing; it takes over when freed."""
    import fcntl
    import os

    path = tmp_path / "paydesk.db"
    init_database(f"sqlite:///{path}")
    holder = os.open(f"{path}-checkpointer", os.O_RDWR | os.O_CREAT)
    fcntl.flock(holder, fcntl.LOCK_EX)  # as another process's checkpointer would
    try:
        with write_lock():
            audit("test", "checkpoint.probe")
        time.sleep(2.5)
        assert _rows_in_main_file(path, tmp_path) == 0  # not this process's turn
        assert checkpoint_module._current is not None
        assert checkpoint_module._current.checkpoints == 0
        os.close(holder)  # that process ends: this one takes over
        deadline = time.monotonic() + 10
        while _rows_in_main_file(path, tmp_path) < 1:
            assert time.monotonic() < deadline, "no process took over the checkpoints"
            time.sleep(0.2)
    finally:
        checkpoint_module.stop_checkpointer()
        db.close()
