"""`paydesk run --loop`: one pass every interval, stopped cleanly by SIGTERM."""

from __future__ import annotations

from tests.fixtures.cli import cli_env


def test_loop_runs_a_pass_every_interval_and_stops_on_sigterm(shop, pay_config):
    import signal
    import subprocess
    import sys
    import time

    from tests.fixtures.cli import ROOT

    proc = subprocess.Popen(
        [sys.executable, "-m", "tui.cli", "run", "--loop", "--every", "1s"],
        cwd=ROOT,
        env=cli_env(pay_config),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []
    deadline = time.monotonic() + 90
    while len(lines) < 2 and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if line.startswith("generated "):
            lines.append(line)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=30)
    assert len(lines) == 2, err
    assert proc.returncode == 0, err
