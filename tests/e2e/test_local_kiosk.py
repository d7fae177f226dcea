"""`paydesk kiosk` in a real terminal (tmux): what goes wrong is told on screen in one line,
and no trace is ever printed over the kiosk; traces go to the data dir's error log."""

from __future__ import annotations

import os
from pathlib import Path

from models import db
from services.config import Config
from services.container import build_services
from services.demo import DEMO_CLIENT_EMAIL, DEMO_CLIENT_PASSWORD, seed_demo
from tests.fixtures.ports import free_port
from tests.fixtures.ssh import PAYDESK, ROOT, wait_until


def _demo_home(tmp_path: Path) -> Path:
    home = tmp_path / "demo"
    home.mkdir()
    seed_demo(build_services(Config(home=home, database_url=f"sqlite:///{home}/paydesk.db")))
    db.close()
    return home


def _open_kiosk(tmux, home: Path, sandbox_url: str) -> None:
    env = f"PAYDESK_HOME={home} PAYDESK_SANDBOX_URL={sandbox_url} TERM=xterm-256color"
    tmux.open("k", f"cd {ROOT} && env {env} {PAYDESK} kiosk", width=100, height=30)
    tmux.wait_for("k", "Sign in", timeout=60)
    tmux.keys("k", DEMO_CLIENT_EMAIL, "Tab", DEMO_CLIENT_PASSWORD, "Enter")
    tmux.wait_for("k", "Welcome")
    tmux.keys("k", "c")
    tmux.wait_for("k", "Your saved cards")
    tmux.keys("k", "a")
    tmux.wait_for("k", "in test mode")


def test_a_declined_card_is_one_line_and_no_trace(tmux, tmp_path, sandbox_url):
    home = _demo_home(tmp_path)
    _open_kiosk(tmux, home, sandbox_url)
    tmux.keys("k", "Down", "Down", "Enter")  # …9995, declined when it is saved
    screen = tmux.wait_for("k", "Card not saved")
    assert "declined" in screen and "Try another card" in screen
    assert "went wrong" not in screen and "Traceback" not in screen


def test_a_worker_that_fails_leaves_its_trace_in_the_error_log_not_on_screen(
    tmux, tmp_path, sandbox_url
):
    home = _demo_home(tmp_path)
    dead = f"http://127.0.0.1:{free_port()}"  # no sandbox there: Stripe cannot be reached
    _open_kiosk(tmux, home, dead)
    tmux.keys("k", "Enter")
    screen = tmux.wait_for("k", "Card not saved", timeout=60)
    assert "went wrong on our side" in screen
    errors = home / "paydesk-errors.log"
    assert wait_until(lambda: errors.exists() and "Traceback" in errors.read_text(), 10)
    screen = tmux.screen("k")
    assert "Traceback" not in screen and "ERROR" not in screen, screen
    assert os.stat(errors).st_mode & 0o077 == 0


def test_a_login_disabled_by_the_owner_ends_the_open_kiosk_within_seconds(
    tmux, tmp_path, sandbox_url
):
    """A real `paydesk kiosk` process, signed in; the owner disables the login (the console's
    door, another process's view of the same database): the kiosk is back at Login."""
    import time

    from models import Contact
    from services.doors.admin import AdminActor

    home = _demo_home(tmp_path)
    env = f"PAYDESK_HOME={home} PAYDESK_SANDBOX_URL={sandbox_url} TERM=xterm-256color"
    tmux.open("k", f"cd {ROOT} && env {env} {PAYDESK} kiosk", width=100, height=30)
    tmux.wait_for("k", "Sign in", timeout=60)
    tmux.keys("k", DEMO_CLIENT_EMAIL, "Tab", DEMO_CLIENT_PASSWORD, "Enter")
    tmux.wait_for("k", "Welcome")
    services = build_services(Config(home=home, database_url=f"sqlite:///{home}/paydesk.db"))
    contact = Contact.get(Contact.email == DEMO_CLIENT_EMAIL)
    started = time.monotonic()
    services.admin(AdminActor.local("owner")).client_edits.set_enabled(contact.id, False)
    db.close()
    screen = tmux.wait_for("k", "This login was disabled by the business.", timeout=10)
    assert time.monotonic() - started < 6
    assert "Sign in" in screen and "Welcome" not in screen
