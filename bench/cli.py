"""How long a `paydesk` command takes to start and answer, against a bare Python start.

Each command runs as a person runs it (a new process, the venv's `paydesk` script) on the
demo data in a scratch data dir. The baseline is `python -c pass` from the same venv, timed in
the same run, so the ratio says what paydesk's own imports and work add to an interpreter.

    .venv/bin/python bench/cli.py [--repeat 9]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
COMMANDS = (
    ["--help"],
    ["client", "list"],
    ["invoice", "list", "--owed"],
    ["invoice", "show", "INV-0001"],
)


def timed(argv: list[str], env: dict[str, str], repeat: int) -> float:
    """The median wall time of `repeat` runs of `argv`, in ms (each must exit 0)."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(argv, env=env, check=True, capture_output=True)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        home = Path(scratch) / "home"
        home.mkdir(mode=0o700)
        env = {**os.environ, "PAYDESK_HOME": str(home)}
        env["PAYDESK_DATABASE_URL"] = f"sqlite:///{home}/paydesk.db"
        env.pop("STRIPE_API_KEY", None)
        subprocess.run([str(BIN / "paydesk"), "demo", "--seed-only"], env=env, check=True)
        bare = timed([sys.executable, "-c", "pass"], env, args.repeat)
        print(f"python -c pass: {bare:.0f} ms (median of {args.repeat})")
        for command in COMMANDS:
            took = timed([str(BIN / "paydesk"), *command], env, args.repeat)
            print(f"paydesk {' '.join(command):<22} {took:6.0f} ms  {took / bare:5.1f}× bare")
        subprocess.run([str(BIN / "paydesk"), "sandbox", "--stop"], env=env, capture_output=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
