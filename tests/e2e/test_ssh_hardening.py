"""The SSH surface with the real OpenSSH client: refusals, caps, timeouts, sizes, crashes, keys.

These run the server with a small stand-in app (tests/e2e/placeholder_app.py) so they test the
server alone; tests/e2e/test_ssh_kiosk.py runs the real kiosk.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import time
from pathlib import Path

import asyncssh

from tests.fixtures.ports import free_port
from tests.fixtures.ssh import PAYDESK, PLACEHOLDER, alive, wait_until

NO_SHELL_MARKERS = ("uid=", "root:x:0:0")


def test_commands_sftp_and_no_pty_are_refused(start_server):
    server = start_server(app=PLACEHOLDER)

    result = server.ssh(command="id; cat /etc/passwd")
    assert result.returncode == 1
    assert "the only command allowed is `view CODE`" in result.stdout + result.stderr
    assert not any(m in result.stdout for m in NO_SHELL_MARKERS)

    result = server.ssh("-T")  # a shell without a terminal
    assert result.returncode == 1
    assert "connect with `ssh -t`" in result.stdout

    sftp = subprocess.run(
        ["sftp", "-P", str(server.port), "-o", "StrictHostKeyChecking=no",
         "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes", "anyone@127.0.0.1"],
        input="ls\n", capture_output=True, text=True, timeout=20,
    )  # fmt: skip
    assert sftp.returncode != 0
    assert "subsystem request failed" in sftp.stderr
    assert server.sessions() == []  # nothing ever ran
    assert wait_until(lambda: "refused=subsystem:sftp" in server.log, 5)
    assert "outcome=exec-refused" in server.log and "outcome=no-pty" in server.log


def _client(server, *options: str) -> subprocess.Popen:
    return subprocess.Popen(
        ["ssh", "-p", str(server.port), "-o", "StrictHostKeyChecking=no",
         "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes", *options,
         "anyone@127.0.0.1"],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_port_dynamic_and_remote_forwarding_are_refused(start_server):
    server = start_server(app=PLACEHOLDER)
    local, socks = free_port(), free_port()
    target = server.port  # something that would answer if a forward were allowed
    forward = _client(server, "-N", "-L", f"{local}:127.0.0.1:{target}", "-D", str(socks))
    try:
        assert wait_until(lambda: _listening(local) and _listening(socks), 20)
        with socket.create_connection(("127.0.0.1", local), timeout=10) as conn:
            conn.settimeout(10)
            assert conn.recv(100) == b""  # closed: no SSH banner came through the tunnel
        with socket.create_connection(("127.0.0.1", socks), timeout=10) as conn:
            conn.settimeout(10)
            conn.sendall(b"\x05\x01\x00")  # SOCKS5 hello, no auth
            assert conn.recv(2) == b"\x05\x00"
            conn.sendall(b"\x05\x01\x00\x01\x7f\x00\x00\x01" + target.to_bytes(2, "big"))
            reply = conn.recv(10)
            assert reply == b"" or reply[1] != 0  # not "succeeded"
        assert server.sessions() == []  # -N: no session, so no app and certainly no shell
    finally:
        forward.terminate()
        try:
            _, err = forward.communicate(timeout=10)
        except subprocess.TimeoutExpired:  # the ssh client, not paydesk, is slow to quit
            forward.kill()  # (seen once in CI under load); what it printed still counts
            _, err = forward.communicate(timeout=10)
    assert "administratively prohibited" in err
    assert wait_until(lambda: "refused=port-forward" in server.log, 5)

    remote = _client(server, "-N", "-o", "ExitOnForwardFailure=yes", "-R", "0:127.0.0.1:22")
    _, err = remote.communicate(timeout=20)
    assert remote.returncode != 0
    assert "remote port forwarding failed" in err


def test_agent_forwarding_is_refused(start_server, tmux, tmp_path: Path):
    # COLUMNS/LINES in the server's environment must not override the client's window size.
    server = start_server(app=PLACEHOLDER, env={"COLUMNS": "80", "LINES": "24"})
    agent_sock = tmp_path / "agent.sock"
    agent = subprocess.Popen(
        ["ssh-agent", "-D", "-a", str(agent_sock)], stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        assert wait_until(agent_sock.exists, 10)
        client = server.ssh_command(extra="-A -v")
        command = f"SSH_AUTH_SOCK={agent_sock} {client} 2>{tmp_path}/v"
        tmux.open("a", command)
        tmux.wait_for("a", "PLACEHOLDER LOGIN")
        screen = tmux.wait_for("a", "AGENT=False")
        # tmux's TERM reached the app, with truecolor and UTF-8; no agent socket did.
        assert "ENV TERM=tmux-256color COLORTERM=truecolor LANG=C.UTF-8 AGENT=False" in screen
        assert "SIZE 100x30" in screen
        verbose = (tmp_path / "v").read_text()
        assert "Requesting authentication agent forwarding" in verbose
    finally:
        agent.terminate()
        agent.wait(10)


def test_terminal_sizes_are_clamped(start_server):
    server = start_server(app=PLACEHOLDER)

    async def until(proc, marker: bytes, seen: bytes) -> bytes:
        async with asyncio.timeout(45):  # generous: the machine may be busy
            while marker not in seen:
                seen += await proc.stdout.read(65536)
        return seen

    async def first_frame(size: tuple[int, int]) -> bytes:
        async with asyncssh.connect(
            "127.0.0.1", server.port, username="anyone", known_hosts=None
        ) as conn:
            proc = await conn.create_process(term_type="xterm", term_size=size, encoding=None)
            seen = await until(proc, b"Email", b"")
            seen = await until(proc, b"SIZE ", seen)
            proc.change_terminal_size(0, 0)
            proc.change_terminal_size(65535, 65535)
            await asyncio.sleep(0.5)
            proc.change_terminal_size(90, 25)
            return await until(proc, b"SIZE 90x25", seen)

    assert b"SIZE 80x24" in asyncio.run(first_frame((0, 0)))
    assert b"SIZE 500x200" in asyncio.run(first_frame((65535, 65535)))
    assert b"SIZE 20x10" in asyncio.run(first_frame((3, 2)))
    assert "Traceback" not in server.log


def test_one_crashing_session_does_not_disturb_another(start_server, tmux):
    server = start_server(app=PLACEHOLDER)
    tmux.open("one", server.ssh_command())
    tmux.open("two", server.ssh_command())
    tmux.wait_for("one", "PLACEHOLDER LOGIN")
    tmux.wait_for("two", "PLACEHOLDER LOGIN")
    tmux.keys("one", "F5")  # the stand-in raises RuntimeError
    screen = tmux.wait_for("one", "[ssh exited 1]")
    assert "Sorry, something went wrong on our side" in screen
    assert "Traceback" not in screen and "RuntimeError" not in screen
    tmux.keys("two", "still here")
    tmux.wait_for("two", "still here")
    assert "RuntimeError: placeholder crash on purpose" in server.log
    assert "outcome=crashed(status=1)" in server.log


def test_hang_up_escalates_to_kill_and_leaves_nothing(start_server, tmux):
    server = start_server(app=PLACEHOLDER)
    tmux.open("s", server.ssh_command(user="view-stubborn"))  # ignores SIGHUP and SIGTERM
    tmux.wait_for("s", "CODE stubborn")
    (session,) = server.sessions()
    tmux.kill("s")  # the client goes away
    start = time.monotonic()
    assert wait_until(lambda: not alive(session), 3, 0.02)
    assert time.monotonic() - start < 1.5
    assert server.sessions() == []
    assert wait_until(lambda: "outcome=hangup" in server.log, 5)
    assert "stubborn" not in server.log  # the code in the user name is never logged


def test_per_address_cap_refuses_clearly(start_server, tmux):
    server = start_server(app=PLACEHOLDER, max_per_address=2)
    tmux.open("one", server.ssh_command())
    tmux.open("two", server.ssh_command())
    tmux.wait_for("one", "PLACEHOLDER LOGIN")
    tmux.wait_for("two", "PLACEHOLDER LOGIN")
    tmux.open("three", server.ssh_command())
    screen = tmux.wait_for("three", "[ssh exited")
    assert "Too many sessions from your address (at most 2)" in screen
    assert len(server.sessions()) == 2
    tmux.kill("one")
    assert wait_until(lambda: len(server.sessions()) == 1, 5)
    tmux.open("four", server.ssh_command())
    tmux.wait_for("four", "PLACEHOLDER LOGIN")


def test_idle_timeout_closes_the_session(start_server, tmux):
    server = start_server(app=PLACEHOLDER, idle_timeout=3)
    tmux.open("s", server.ssh_command())
    tmux.wait_for("s", "PLACEHOLDER LOGIN")
    for _ in range(5):  # typing keeps it open past the timeout
        tmux.keys("s", "x", pause=1.0)
    assert "[ssh exited" not in tmux.screen("s")
    screen = tmux.wait_for("s", "[ssh exited", timeout=10)
    assert "Session closed after 3 s without input." in screen
    assert wait_until(lambda: server.sessions() == [], 3)
    assert wait_until(lambda: "outcome=idle-timeout" in server.log, 5)


def _keyscan(port: int) -> str:
    scan = subprocess.run(
        ["ssh-keyscan", "-p", str(port), "-t", "ed25519", "127.0.0.1"],
        capture_output=True, text=True, timeout=20,
    )  # fmt: skip
    lines = [line for line in scan.stdout.splitlines() if "ssh-ed25519" in line]
    finger = subprocess.run(
        ["ssh-keygen", "-lf", "-"], input=lines[0], capture_output=True, text=True, timeout=10
    )
    return finger.stdout.split()[1]


def test_host_key_is_made_once_and_kept(start_server, tmp_path: Path):
    home = tmp_path / "kept"
    first = start_server(app=PLACEHOLDER, home=home)
    before = _keyscan(first.port)
    first.stop()
    key = home / "ssh_host_ed25519_key"
    assert key.stat().st_mode & 0o777 == 0o600
    again = start_server(app=PLACEHOLDER, home=home)
    assert _keyscan(again.port) == before
    printed = subprocess.run(
        [str(PAYDESK), "serve-ssh", "--print-fingerprint"],
        env={**os.environ, "PAYDESK_HOME": str(home)}, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert printed.stdout.split()[0] == before


def test_admin_needs_a_registered_key(start_server, tmux, tmp_path: Path):
    server = start_server(app=PLACEHOLDER)
    key = tmp_path / "id_admin"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "owner laptop", "-f", str(key)],
        check=True, timeout=20,
    )  # fmt: skip
    denied = server.ssh("-tt", "-i", str(key), user="admin")
    assert denied.returncode == 255 and "Permission denied (publickey)" in denied.stderr
    assert server.sessions() == []

    env = {**os.environ, "PAYDESK_HOME": str(server.home)}

    def paydesk(*args: str) -> str:
        out = subprocess.run(
            [str(PAYDESK), *args], env=env, capture_output=True, text=True, timeout=60
        )
        assert out.returncode == 0, out.stderr
        return out.stdout

    assert "added admin key SHA256:" in paydesk("admin-key", "add", f"{key}.pub")
    listed = paydesk("admin-key", "list")
    assert "owner laptop" in listed
    command = server.ssh_command(user="admin").replace(
        "IdentityFile=/dev/null", f"IdentityFile={key}"
    )
    tmux.open("admin", command)
    # The console itself (an empty data dir: it says how to create the business).
    tmux.wait_for("admin", "run `paydesk init`")
    tmux.keys("admin", "C-q")
    tmux.wait_for("admin", "[ssh exited 0]")

    fingerprint = listed.split()[0]
    assert "removed admin key" in paydesk("admin-key", "remove", fingerprint)
    denied = server.ssh("-tt", "-i", str(key), user="admin")
    assert "Permission denied (publickey)" in denied.stderr


def test_total_cap_and_login_timeout(start_server, tmux):
    server = start_server(app=PLACEHOLDER, max_total=1, login_timeout=2)
    tmux.open("one", server.ssh_command())
    tmux.wait_for("one", "PLACEHOLDER LOGIN")
    busy = server.ssh("-tt")
    assert busy.returncode == 255
    assert "The server is busy (1 sessions)" in busy.stderr
    tmux.kill("one")
    assert wait_until(lambda: server.sessions() == [], 5)

    # A TCP connection that never speaks SSH is dropped after the login timeout.
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as idle:
        idle.settimeout(10)
        start = time.monotonic()
        banner = idle.recv(100)
        assert banner.startswith(b"SSH-2.0-paydesk")  # no version number given away
        while idle.recv(4096):
            pass
        assert 1.5 < time.monotonic() - start < 6
    # An SSH connection that opens no session (ssh -N) is dropped after the same time.
    quiet = server.ssh("-N", timeout=20)
    assert "No terminal session was opened" in quiet.stderr


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def test_a_client_that_stops_reading_does_not_grow_the_server(start_server):
    server = start_server(app=PLACEHOLDER)
    client = subprocess.Popen(
        ["ssh", "-tt", "-p", str(server.port), "-o", "StrictHostKeyChecking=no",
         "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes", "anyone@127.0.0.1"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        assert wait_until(lambda: len(server.sessions()) == 1, 30)
        time.sleep(2)
        before = _rss_kb(server.process.pid)
        client.stdin.write(b"\x1b[17~")  # F6: the app repaints the whole screen 50 times a second
        client.stdin.flush()
        time.sleep(8)  # nobody reads the client's output: the pipe, then TCP, then SSH fill up
        grown = _rss_kb(server.process.pid) - before
        assert grown < 16_000, f"the server grew by {grown} kB for one stalled client"
        (session,) = server.sessions()
        assert alive(session)  # the app is only waiting to write, not dead
        os.set_blocking(client.stdout.fileno(), False)
        # What the buffers held comes out at once; what comes after the first 2 s was drawn
        # after the client began reading again (the rate is the machine's, so no byte count).
        drained = late = 0
        start = time.monotonic()
        while (elapsed := time.monotonic() - start) < 8 and late < 1_000_000:
            try:
                chunk = client.stdout.read(1 << 20)
            except BlockingIOError:
                chunk = None
            drained += len(chunk or b"")
            late += len(chunk or b"") if elapsed > 2 else 0
            time.sleep(0.01)
        assert drained > 100_000 and late > 50_000  # once read again, output flows again
    finally:
        client.kill()
        client.wait(10)


def test_new_connections_are_rate_limited_per_address(start_server):
    server = start_server(app=PLACEHOLDER, connect_burst=3, connect_rate=0.01)
    for _ in range(3):
        assert "connect with `ssh -t`" in server.ssh("-T").stdout
    refused = server.ssh("-T")
    assert refused.returncode == 255
    assert "Too many new connections from your address" in refused.stderr


def test_one_session_per_connection(start_server, tmux, tmp_path: Path):
    server = start_server(app=PLACEHOLDER)
    control = tmp_path / "mux"
    master = server.ssh_command(extra=f"-o ControlMaster=yes -o ControlPath={control}")
    tmux.open("m", master)
    tmux.wait_for("m", "PLACEHOLDER LOGIN")
    assert wait_until(control.exists, 10)
    # A second session over the first one's connection (OpenSSH multiplexing) is refused;
    # the client then falls back to a connection of its own, which is fine.
    second = _client(server, "-tt", "-o", f"ControlPath={control}", "-o", "ControlMaster=no")
    try:
        line = second.stderr.readline()
    finally:
        second.kill()
        second.communicate(timeout=10)
    assert "Session open refused by peer" in line
    assert "second-session" not in server.log  # logged when that connection ends
    tmux.kill("m")
    assert wait_until(lambda: "refused=second-session" in server.log, 10)


def test_clients_leaving_while_their_session_starts_leave_nothing(start_server):
    server = start_server(app=PLACEHOLDER)

    async def hit_and_run() -> None:
        for _ in range(5):
            conn = await asyncssh.connect(
                "127.0.0.1", server.port, username="anyone", known_hosts=None
            )
            await conn.create_process(term_type="xterm", term_size=(80, 24))
            conn.abort()  # gone before the app has drawn anything

    asyncio.run(hit_and_run())
    assert wait_until(lambda: server.sessions() == [], 5)
    assert wait_until(lambda: server.log.count("outcome=hangup") == 5, 5)
    assert "ERROR" not in server.log
