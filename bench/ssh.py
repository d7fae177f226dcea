"""SSH kiosk: connect-to-first-frame, memory per session, keystroke-to-repaint latency.

    .venv/bin/python bench/ssh.py [--connections 50] [--sessions 10,50,100] [--typists 20]
                                  [--seconds 10] [--only paydesk|naive]
    .venv/bin/python bench/ssh.py --burst 60 [--connections 20] [--gap 1.0]

Two servers run in the same run, each a subprocess on 127.0.0.1 with its own data dir:
- paydesk: `tui.ssh.server.start_server` as `paydesk serve-ssh` runs it (sessions forked from
  the pre-imported zygote);
- naive:   the same server, but each session is a fresh `python -m tui.ssh.child` process
  (interpreter start-up and imports per connection) — the baseline.
The client is asyncssh in this process. Figures are printed with the ratios; see bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import asyncssh  # noqa: E402


def login_drawn(seen: bytes, rows: int) -> bool:
    """The Login screen is fully drawn at the client's size: its last row starts with the
    footer's first key and the footer's last words follow (a frame is written top to bottom)."""
    footer = re.search(rb"\x1b\[%d;1H(?:\x1b\[[0-9;]*m)* \^r " % rows, seen)
    return bool(footer) and b"invoice code" in seen[footer.end() :] and b"Sign in" in seen


# -- the baseline's spawner (runs inside the naive server process) ---------------------------


class NaiveSpawner:
    """A fresh interpreter per session: `python -m tui.ssh.child` on the PTY."""

    def __init__(self, config, log_path: str) -> None:
        self.config = config
        self.log_path = log_path
        self.procs: dict[int, subprocess.Popen] = {}
        self.callbacks: dict = {}
        self.exited: dict[int, int] = {}

    async def start(self) -> None:
        return None

    async def spawn(self, request: dict, tty_fd: int) -> int:
        from tui.ssh.child import config_to_dict

        env = dict(os.environ)
        env["PAYDESK_SSH_REQUEST"] = json.dumps({**request, "log_path": self.log_path})
        env["PAYDESK_SSH_CONFIG"] = json.dumps(config_to_dict(self.config))
        proc = subprocess.Popen(
            [sys.executable, "-m", "tui.ssh.child"],
            stdin=tty_fd, stdout=tty_fd, stderr=tty_fd, env=env, cwd=ROOT,
            start_new_session=True,
        )  # fmt: skip
        self.procs[proc.pid] = proc
        pidfd = os.pidfd_open(proc.pid)
        asyncio.get_running_loop().add_reader(pidfd, self._reap, proc, pidfd)
        return proc.pid

    def _reap(self, proc: subprocess.Popen, pidfd: int) -> None:
        asyncio.get_running_loop().remove_reader(pidfd)
        os.close(pidfd)
        status = proc.wait()
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.procs.pop(proc.pid, None)
        callback = self.callbacks.pop(proc.pid, None)
        if callback:
            callback(status)
        else:
            self.exited[proc.pid] = status

    def signal(self, pid: int, sig: int) -> None:
        if pid in self.procs:
            try:
                os.killpg(pid, sig)
            except ProcessLookupError:
                pass

    def on_exit(self, pid: int, callback) -> None:
        if pid in self.exited:
            callback(self.exited.pop(pid))
        else:
            self.callbacks[pid] = callback

    async def stop(self) -> None:
        for pid in list(self.procs):
            self.signal(pid, signal.SIGKILL)


def serve(kind: str, port: int) -> None:
    """The server subprocess: `bench/ssh.py --serve paydesk|naive PORT`."""
    from services.config import SSHSettings, load_config
    from tui.ssh.server import log_path, setup_logging, start_server

    config = load_config()
    setup_logging(config.home)
    settings = SSHSettings(
        max_per_address=1000, max_total=1000, connect_burst=1000, connect_rate=1000.0,
        idle_timeout=3600.0, start_sandbox=False,
    )  # fmt: skip
    if kind == "paydesk-cold":
        settings = dataclasses.replace(settings, spares=0)
    if kind == "paydesk-caps":  # the shipped caps, for the burst
        settings = SSHSettings(idle_timeout=3600.0, start_sandbox=False)
    spawner = NaiveSpawner(config, str(log_path(config.home))) if kind == "naive" else None

    async def run() -> None:
        server = await start_server(config, "127.0.0.1", port, settings, spawner=spawner)
        print("ready", flush=True)
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        await stop.wait()
        await server.close()

    asyncio.run(run())


# -- measuring ---------------------------------------------------------------------------------


def descendants(pid: int) -> list[int]:
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        try:
            kids = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        for kid in map(int, kids):
            found.append(kid)
            queue.append(kid)
    return found


def pss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


class Server:
    """A bench server subprocess with its own data dir."""

    def __init__(self, kind: str, port: int, home: Path) -> None:
        self.kind, self.port, self.home = kind, port, home

    def __enter__(self) -> Server:
        env = {**os.environ, "PAYDESK_HOME": str(self.home), "PYTHONPATH": str(ROOT)}
        env.pop("STRIPE_API_KEY", None)
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--serve", self.kind, str(self.port)],
            env=env, cwd=ROOT, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
            stderr=open(self.home / "server.err", "w"),  # noqa: SIM115
        )  # fmt: skip
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        assert line.strip() == "ready", f"{self.kind} server did not start"
        return self

    def __exit__(self, *exc) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def session_pids(self) -> list[int]:
        direct = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text().split()
        forker = [int(p) for p in direct if "tui.ssh.zygote" in cmdline(int(p))]
        return [p for p in descendants(self.proc.pid) if p not in forker]

    def overhead_kb(self) -> int:
        """PSS of the server and the forker (shared by all sessions)."""
        direct = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text().split()
        forker = [int(p) for p in direct if "tui.ssh.zygote" in cmdline(int(p))]
        return pss_kb(self.proc.pid) + sum(pss_kb(p) for p in forker)


async def open_session(port: int, size=(100, 30), source: str = "127.0.0.1"):
    """Connect and wait for the Login screen; (seconds from TCP connect to drawn, conn, proc)."""
    start = time.perf_counter()
    conn = await asyncssh.connect(
        "127.0.0.1", port, username="anyone", known_hosts=None, client_keys=None,
        agent_path=None, local_addr=(source, 0),
    )  # fmt: skip
    proc = await conn.create_process(term_type="xterm-256color", term_size=size, encoding=None)
    seen = b""
    async with asyncio.timeout(60):
        while not login_drawn(seen, size[1]):
            chunk = await proc.stdout.read(65536)
            if not chunk:
                raise RuntimeError(f"session ended before the first frame: {seen[-200:]!r}")
            seen += chunk
    return time.perf_counter() - start, conn, proc


async def drain(proc) -> None:
    try:
        while await proc.stdout.read(65536):
            pass
    except Exception:  # noqa: BLE001
        pass


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


FAILURES: list[str] = []


async def first_frames(
    server: Server, count: int, gap: float, source: str = "127.0.0.1"
) -> list[float]:
    """`count` connections one after another, `gap` seconds apart (a session ends first)."""
    times = []
    for _ in range(count):
        try:
            elapsed, conn, proc = await open_session(server.port, source=source)
        except (RuntimeError, OSError, asyncssh.Error, TimeoutError) as exc:
            FAILURES.append(f"{server.kind}: {exc}")
            await asyncio.sleep(gap)
            continue
        times.append(elapsed)
        conn.close()
        await conn.wait_closed()
        await asyncio.sleep(gap)
    return times


async def memory(server: Server, levels: list[int]) -> dict[int, tuple[float, float]]:
    """{sessions: (MB per session, server+forker MB)} with that many idle sessions open."""
    open_ = []
    results = {}
    try:
        for level in levels:
            while len(open_) < level:
                _, conn, proc = await open_session(server.port)
                drainer = asyncio.get_running_loop().create_task(drain(proc))
                open_.append((conn, proc, drainer))
            await asyncio.sleep(3)  # idle: let start-up garbage settle
            pids = server.session_pids()
            total = sum(pss_kb(p) for p in pids)
            results[level] = (total / 1024 / level, server.overhead_kb() / 1024, len(pids))
            print(f"  {server.kind}: {level} sessions, {len(pids)} processes, "
                  f"{total / 1024 / level:.1f} MB PSS per session", flush=True)  # fmt: skip
    finally:
        for conn, _, drainer in open_:
            conn.close()
            drainer.cancel()
        await asyncio.sleep(2)
    return results


async def keystrokes(server: Server, typists: int, seconds: float) -> list[float]:
    """Each session types 'Z' then Backspace at a human pace; time from key to its echo."""
    sessions = []
    for _ in range(typists):
        _, conn, proc = await open_session(server.port)
        sessions.append((conn, proc))
    latencies: list[float] = []

    async def typist(proc) -> None:
        rng = random.Random()
        deadline = time.perf_counter() + seconds
        await asyncio.sleep(rng.uniform(0, 0.3))
        while time.perf_counter() < deadline:
            for key, expect in ((b"Z", b"Z"), (b"\x7f", None)):
                sent = time.perf_counter()
                proc.stdin.write(key)
                seen = b""
                async with asyncio.timeout(10):
                    while True:
                        seen += await proc.stdout.read(65536)
                        if expect is None or expect in seen:
                            break
                if expect is not None:
                    latencies.append(time.perf_counter() - sent)
                await asyncio.sleep(rng.uniform(0.15, 0.35))

    try:
        await asyncio.gather(*(typist(proc) for _, proc in sessions))
    finally:
        for conn, _ in sessions:
            conn.close()
        await asyncio.sleep(2)
    return latencies


async def refused_client(port: int) -> str:
    try:
        conn = await asyncssh.connect(
            "127.0.0.1", port, username="anyone", known_hosts=None, client_keys=None,
            agent_path=None,
        )  # fmt: skip
    except asyncssh.DisconnectError:
        return "refused"
    conn.close()
    return "connected"


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def burst(args) -> None:
    """`--burst N`: a real client's first frame (from 127.0.0.2), alone and then just after
    N silent connections from 127.0.0.1, on one server with the shipped caps."""
    from services.config import Config
    from services.container import build_services

    with tempfile.TemporaryDirectory(prefix="paydesk-bench-ssh-") as tmp:
        home = Path(tmp) / "caps"
        home.mkdir()
        build_services(Config(home=home, database_url=f"sqlite:///{home}/paydesk.db"))
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        with Server("paydesk-caps", port, home) as server:
            await asyncio.sleep(3)
            await first_frames(server, 2, args.gap, source="127.0.0.2")
            quiet = await first_frames(server, args.connections, args.gap, source="127.0.0.2")
            loud, refused, cpu = [], [], []
            for _ in range(args.connections):
                before = cpu_seconds(server.proc.pid)
                silent = [socket.create_connection(("127.0.0.1", port)) for _ in range(args.burst)]
                frames = await first_frames(server, 1, 0, source="127.0.0.2")
                cpu.append(cpu_seconds(server.proc.pid) - before)
                await asyncio.sleep(0.2)
                closed = 0
                for sock in silent:
                    sock.setblocking(False)
                    try:
                        while sock.recv(4096):
                            pass
                        closed += 1
                    except BlockingIOError:
                        pass
                    sock.close()
                loud.extend(frames)
                refused.append(closed)
                await asyncio.sleep(args.gap)
            # Clients that would do a key exchange, over the per-address cap (ten silent held).
            held = [socket.create_connection(("127.0.0.1", port)) for _ in range(10)]
            await asyncio.sleep(0.5)
            before = cpu_seconds(server.proc.pid)
            outcomes = await asyncio.gather(
                *(refused_client(port) for _ in range(args.burst)), return_exceptions=True
            )
            kex_cpu = cpu_seconds(server.proc.pid) - before
            for sock in held:
                sock.close()
            errors = (home / "server.err").read_text()
    print()
    print(f"machine: {machine()}")
    if FAILURES:
        print(f"{len(FAILURES)} connection(s) failed: {FAILURES[:5]}")
    q, b = statistics.median(quiet) * 1000, statistics.median(loud) * 1000
    print(f"first frame from another address, median of {len(quiet)} / {len(loud)}:")
    print(f"  alone {q:.0f} ms (p95 {percentile(quiet, 0.95) * 1000:.0f}), just after "
          f"{args.burst} silent connections {b:.0f} ms (p95 {percentile(loud, 0.95) * 1000:.0f}),"
          f" ratio {b / q:.2f}")  # fmt: skip
    print(f"  silent connections closed by the server within the frame + 0.2 s: median "
          f"{statistics.median(refused):.0f} (min {min(refused)}, max {max(refused)}) of "
          f"{args.burst}; server CPU per burst + frame "
          f"{statistics.median(cpu) * 1000:.0f} ms")  # fmt: skip
    turned_away = sum(1 for o in outcomes if o == "refused")
    print(
        f"{args.burst} real clients over the per-address cap at once: {turned_away} refused, "
        f"server CPU {kex_cpu * 1000:.0f} ms in all ({kex_cpu * 1000 / args.burst:.1f} ms each)"
    )
    print(f"  server stderr: {errors.count('Traceback')} traceback(s), "
          f"{errors.count('refusing connections')} refusal line(s)")  # fmt: skip
    if "Traceback" in errors:
        print(errors[errors.index("Traceback") :][:2000])


def machine() -> str:
    model = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    mem = Path("/proc/meminfo").read_text().split("\n")[0].split()[1]
    load = os.getloadavg()
    return (f"{model}, {os.cpu_count()} CPUs, {int(mem) // 1024} MB RAM, "
            f"Linux {os.uname().release}, Python {sys.version.split()[0]}, "
            f"load {load[0]:.1f}/{load[1]:.1f}")  # fmt: skip


async def bench(args) -> None:
    from services.config import Config
    from services.container import build_services

    kinds = [args.only] if args.only else ["paydesk", "paydesk-cold", "naive"]
    levels = [int(x) for x in args.sessions.split(",") if x]
    report: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="paydesk-bench-ssh-") as tmp:
        for kind in kinds:
            home = Path(tmp) / kind
            home.mkdir()
            build_services(Config(home=home, database_url=f"sqlite:///{home}/paydesk.db"))
            from models import db

            db.close()
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                port = s.getsockname()[1]
            print(f"== {kind} server on port {port}", flush=True)
            with Server(kind, port, home) as server:
                await asyncio.sleep(3)  # the spares draw themselves
                await first_frames(server, 2, args.gap)  # warm the disk cache, the first fork
                frames = await first_frames(server, args.connections, args.gap)
                print(f"  {kind}: first frame median {statistics.median(frames) * 1000:.0f} ms, "
                      f"p95 {percentile(frames, 0.95) * 1000:.0f} ms", flush=True)  # fmt: skip
                if kind == "paydesk-cold":  # forks only: what a client gets when spares run out
                    report[kind] = {"frames": frames, "memory": {}, "keys": []}
                    continue
                mem = await memory(server, levels) if levels else {}
                keys = await keystrokes(server, args.typists, args.seconds) if args.typists else []
                if keys:
                    print(f"  {kind}: keystroke p50 {statistics.median(keys) * 1000:.1f} ms, "
                          f"p95 {percentile(keys, 0.95) * 1000:.1f} ms over {len(keys)} keys",
                          flush=True)  # fmt: skip
            report[kind] = {"frames": frames, "memory": mem, "keys": keys}

    print()
    print(f"machine: {machine()}")
    if FAILURES:
        print(f"{len(FAILURES)} connection(s) failed: {FAILURES[:5]}")
    if "paydesk-cold" in report:
        cold = report["paydesk-cold"]["frames"]
        if cold:
            median, p95 = statistics.median(cold) * 1000, percentile(cold, 0.95) * 1000
            print(f"paydesk without spares (each session forked on connect): first frame "
                  f"median {median:.0f} ms, p95 {p95:.0f} ms")  # fmt: skip
    print(f"{'':28}{'paydesk':>12}{'naive':>12}{'ratio':>9}")

    def row(label: str, ours: float | None, base: float | None, unit: str) -> None:
        def fmt(v):
            return f"{v:.1f} {unit}" if v is not None else "-"

        ratio = f"{base / ours:.1f}x" if ours and base else "-"
        print(f"{label:28}{fmt(ours):>12}{fmt(base):>12}{ratio:>9}")

    def get(kind, fn):
        return fn(report[kind]) if kind in report else None

    row("first frame median", get("paydesk", lambda r: statistics.median(r["frames"]) * 1000),
        get("naive", lambda r: statistics.median(r["frames"]) * 1000), "ms")  # fmt: skip
    row("first frame p95", get("paydesk", lambda r: percentile(r["frames"], 0.95) * 1000),
        get("naive", lambda r: percentile(r["frames"], 0.95) * 1000), "ms")  # fmt: skip
    for level in levels:
        row(f"PSS/session @{level}", get("paydesk", lambda r, level=level: r["memory"][level][0]),
            get("naive", lambda r, level=level: r["memory"][level][0]), "MB")  # fmt: skip
    for level in levels:
        row(f"server+forker PSS @{level}",
            get("paydesk", lambda r, level=level: r["memory"][level][1]),
            get("naive", lambda r, level=level: r["memory"][level][1]), "MB")  # fmt: skip
    if args.typists:
        row(f"keystroke p50 ({args.typists} typing)",
            get("paydesk", lambda r: statistics.median(r["keys"]) * 1000),
            get("naive", lambda r: statistics.median(r["keys"]) * 1000), "ms")  # fmt: skip
        row(f"keystroke p95 ({args.typists} typing)",
            get("paydesk", lambda r: percentile(r["keys"], 0.95) * 1000),
            get("naive", lambda r: percentile(r["keys"], 0.95) * 1000), "ms")  # fmt: skip
    print("goals: first frame <= 150 ms median and >= 3x faster than naive; "
          "<= 20 MB/session at 100; keystroke p95 <= 50 ms")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--sessions", default="10,50,100")
    parser.add_argument("--typists", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--only", choices=["paydesk", "paydesk-cold", "naive"])
    parser.add_argument("--gap", type=float, default=1.0, help="seconds between connections")
    parser.add_argument(
        "--burst",
        type=int,
        metavar="N",
        help="measure a real client's first frame after N silent connections",
    )
    parser.add_argument("--serve", nargs=2, metavar=("KIND", "PORT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve[0], int(args.serve[1]))
        return
    if args.burst:
        asyncio.run(burst(args))
        return
    asyncio.run(bench(args))


if __name__ == "__main__":
    main()
