"""The Stripe sandbox: one localstripe per data dir, state kept there, found again, stoppable."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
import stripe

from services.config import Config
from services.stripe_client.client import SANDBOX_KEY, LazyStripeClient, stripe_client
from services.stripe_client.sandbox import _pid_alive, ensure_sandbox, find_sandbox, stop_sandbox

FIND = (
    "import json, sys; from services.stripe_client.sandbox import ensure_sandbox;"
    "i = ensure_sandbox(sys.argv[1]); print(json.dumps([i.pid, i.port]))"
)


@pytest.fixture
def sandbox_home(tmp_path: Path):
    home = tmp_path / "home"
    home.mkdir()
    yield home
    stop_sandbox(home)


def _listening(port: int) -> list[str]:
    """Local addresses of the listening sockets on this port (IPv4 and IPv6)."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            address, state = fields[1], fields[3]
            host, _, hex_port = address.rpartition(":")
            if state == "0A" and int(hex_port, 16) == port:
                found.append(host)
    return found


def _client(url: str) -> stripe.StripeClient:
    return stripe.StripeClient(SANDBOX_KEY, base_addresses={"api": url}, max_network_retries=0)


def test_started_on_demand_on_loopback_only(sandbox_home):
    assert find_sandbox(sandbox_home) is None
    info = ensure_sandbox(sandbox_home)
    assert _listening(info.port) == ["0100007F"]  # 127.0.0.1, and no IPv6 socket
    state = json.loads((sandbox_home / "sandbox" / "sandbox.json").read_text())
    assert state == {"pid": info.pid, "port": info.port}
    # The SDK reaches it through base_addresses, with a test key.
    config = Config(home=sandbox_home, database_url="sqlite://")
    client = stripe_client(config)
    assert client.v1.customers.create(params={"email": "a@example.com"}).id.startswith("cus_")


def test_found_again_by_other_processes_and_one_under_a_race(sandbox_home):
    racers = [
        subprocess.Popen(
            [sys.executable, "-c", FIND, str(sandbox_home)], stdout=subprocess.PIPE, text=True
        )
        for _ in range(3)
    ]
    answers = {tuple(json.loads(p.communicate(timeout=60)[0])) for p in racers}
    assert len(answers) == 1
    [(pid, port)] = answers
    info = ensure_sandbox(sandbox_home)
    assert (info.pid, info.port) == (pid, port)


def test_state_kept_in_the_data_dir_and_survives_a_restart(sandbox_home):
    info = ensure_sandbox(sandbox_home)
    customer = _client(info.url).v1.customers.create(params={"email": "keep@example.com"})
    saved = sandbox_home / "sandbox" / "state" / "localstripe.pickle"
    deadline = time.monotonic() + 5
    while not saved.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert saved.exists()

    assert stop_sandbox(sandbox_home) is True
    assert find_sandbox(sandbox_home) is None
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{info.url}/_config/paydesk", timeout=2)
    assert stop_sandbox(sandbox_home) is False

    again = ensure_sandbox(sandbox_home)
    assert again.pid != info.pid
    kept = _client(again.url).v1.customers.retrieve(customer.id)
    assert kept.email == "keep@example.com"


def test_writes_are_batched_not_one_per_request(sandbox_home):
    shared = Path("/tmp/localstripe.pickle")
    existed = shared.exists()
    info = ensure_sandbox(sandbox_home)
    client = _client(info.url)
    started = time.monotonic()
    for i in range(40):
        client.v1.customers.create(params={"email": f"c{i}@example.com"})
    elapsed = time.monotonic() - started
    writes = requests.get(f"{info.url}/_config/paydesk", timeout=2).json()["writes"]
    assert writes <= elapsed / 1.0 + 2  # at most one write per second (plus the edges)
    if not existed:  # localstripe's machine-wide file is never used
        assert not shared.exists()


def test_paydesk_never_imports_localstripe():
    """localstripe is GPL: only the separate launcher process imports it."""
    code = (
        "import sys, tui.cli, services.container, services.payments.payments, "
        "services.payments.cards, "
        "services.stripe_client.sandbox, services.stripe_client.client; tui.cli.build_parser(); "
        "print('localstripe' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "False", out.stderr


def test_services_follow_a_restarted_sandbox(sandbox_home):
    config = Config(home=sandbox_home, database_url="sqlite://")
    lazy = LazyStripeClient(config)
    lazy.REVALIDATE = 0.0
    first = lazy.v1.customers.create(params={"email": "a@example.com"})
    stop_sandbox(sandbox_home)
    # The next call finds no sandbox, starts one (state kept) and uses it.
    assert lazy.v1.customers.retrieve(first.id).email == "a@example.com"
    assert find_sandbox(sandbox_home) is not None


def test_a_sandbox_whose_data_dir_is_deleted_stops(tmp_path):
    home = tmp_path / "gone"
    home.mkdir()
    info = ensure_sandbox(home)
    shutil.rmtree(home)
    deadline = time.monotonic() + 10
    while _pid_alive(info.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _pid_alive(info.pid)
