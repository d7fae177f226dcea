"""`paydesk recurring …` as a person types it (with the `paydesk run` passes that bill it)."""

from __future__ import annotations

import json
from datetime import date, timedelta

from services.billing.schedule import period_date
from services.clock import business_today
from tests.fixtures.cli import cli_env, run_cli


def _cli(config):
    env = cli_env(config)

    def run(*args):
        result = run_cli(*args, env=env)
        return result

    return run


def _month_ends(n: int) -> list[date]:
    """The first `n` period dates of a monthly plan anchored on a month end to come."""
    today = business_today("UTC")
    anchor = date(today.year + 1, 1, 31)
    return [period_date(anchor, "monthly", i) for i in range(n)]


def test_recurring_lifecycle_and_run(shop, pay_config):
    run = _cli(pay_config)
    dates = [str(d) for d in _month_ends(6)]  # Jan 31, Feb 28, Mar 31, … of next year
    as_of = str(_month_ends(2)[1] + timedelta(days=1))  # two periods due
    add = run(
        "recurring", "add", "--client", "client@example.com", "--description", "Support plan",
        "--frequency", "monthly", "--anchor", dates[0], "--line", "Support=250.00@8.25%",
        "--line", "Backup=40.00x2",
    )  # fmt: skip
    assert add.returncode == 0, add.stderr
    assert add.stdout.startswith("recurring 1: Support plan for Acme Dental, monthly, $350.63")
    assert f"next {', '.join(dates[:3])}" in add.stdout

    show = run("recurring", "show", "1")
    assert show.returncode == 0, show.stderr
    assert f"next dates {', '.join(dates)}" in show.stdout
    assert "auto-bill  on — mode optout" in show.stdout

    listing = run("recurring", "list")
    assert "Support plan" in listing.stdout and "auto-bill on (optout)" in listing.stdout

    dry = run("run", "--dry-run", "--as-of", as_of)
    assert dry.returncode == 0, dry.stderr
    assert f"generate 'Support plan' for Acme Dental, period {dates[0]}" in dry.stdout
    assert dry.stdout.strip().splitlines()[-1].startswith("dry run: would be generated 2")
    assert run("recurring", "show", "1").stdout.count("invoice    ") == 0  # nothing changed

    real = run("run", "--as-of", as_of, "--json")
    assert real.returncode == 0, real.stderr
    summary = json.loads(real.stdout)
    assert (summary["generated"], summary["emailed"], summary["declined"]) == (2, 2, 1)
    assert set(summary["phases"]) == {"reconcile", "generate", "email", "charge", "remind"}
    assert "paydesk run: generate 2/2" not in real.stdout  # log lines go to stderr
    assert "generate" in real.stderr

    again = run("run", "--as-of", as_of)
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith("generated 0 · emailed 0 · charged 0 · declined 0")

    failures = run("failures")
    assert "INV-0001" in failures.stdout and "no card" in failures.stdout
    assert "no_card" not in failures.stdout  # the state in words, not its stored value

    assert run("recurring", "pause", "1").stdout.strip() == "recurring 1 paused"
    paused = run("recurring", "pause", "1")
    assert (
        paused.returncode == 1 and paused.stderr.strip() == "paydesk: recurring invoice 1 is paused"
    )
    assert "resumed; next invoice" in run("recurring", "resume", "1").stdout
    assert run("recurring", "cancel", "1").returncode == 0
    assert "no recurring invoices" in run("recurring", "list").stdout
    assert "cancelled" in run("recurring", "list", "--all").stdout


def test_cli_errors_are_one_line(shop, pay_config):
    run = _cli(pay_config)
    bad = run(
        "recurring", "add", "--client", "client@example.com", "--description", "x",
        "--frequency", "fortnightly-ish", "--anchor", "2026-01-31", "--line", "a=1",
    )  # fmt: skip
    assert bad.returncode == 1 and bad.stderr.startswith("paydesk: unknown frequency")
    assert "Traceback" not in bad.stderr
    missing = run("recurring", "show", "99")
    assert missing.returncode == 1
    assert missing.stderr.strip() == "paydesk: no recurring invoice with id 99"
    loop = run("run", "--loop", "--as-of", "2026-01-01")
    assert loop.returncode == 1 and "--loop runs on today's date" in loop.stderr
