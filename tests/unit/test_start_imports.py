"""What a `paydesk` command loads before it does anything: never the Stripe SDK (0.3 s, with
aiohttp) or fpdf, which load when a command calls Stripe or makes a PDF (bench/cli.py)."""

from __future__ import annotations

import subprocess
import sys

CHECK = """
import sys
from services.container import build_services
from tui.cli import build_parser
build_parser()
print(",".join(m for m in ("stripe", "aiohttp", "fpdf") if m in sys.modules))
"""


def test_the_cli_and_the_services_load_without_stripe_or_fpdf():
    out = subprocess.run(
        [sys.executable, "-c", CHECK], capture_output=True, text=True, timeout=60, check=True
    )
    assert out.stdout.strip() == "", out.stdout


def test_the_sdk_loads_on_first_use():
    code = (
        "import sys; from services.stripe_client import sdk as stripe; "
        "assert 'stripe' not in sys.modules; "
        "print(stripe.CardError.__module__.split('.')[0], 'stripe' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert out.stdout.split() == ["stripe", "True"]
