"""Settings: defaults, paydesk.toml, the environment winning, wrong values refused, the
SSH child's copy, and README's tables agreeing with the code."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import pytest

from services.accounts.passwords import DEFAULT_HASH_POLICY
from services.config import (
    SECTIONS,
    SSH_PORT,
    Argon2Cost,
    Config,
    ConfigError,
    RunSettings,
    SSHSettings,
    load_config,
)

ROOT = Path(__file__).resolve().parents[2]

FILE = """
public_url = "https://billing.example.com"
idle_timeout = 120
ssh_port = 2200
retry_days = [2, 4]
reminder_days = [10, 3, 30]
reconcile_min_age = 0
pdf_workers = 1
stripe_rate = 5.5
sandbox_url = "http://127.0.0.1:9999"
smtp_cafile = "/etc/paydesk/ca.pem"

[argon2]
memory_cost = 65536
time_cost = 3
parallelism = 2

[ssh]
max_total = 5
warm_up = false
app_factory = "tests.apps:make_app"
"""


def load(home: Path, text: str | None = None, **env: str) -> Config:
    if text is not None:
        (home / "paydesk.toml").write_text(text)
    return load_config({"PAYDESK_HOME": str(home), **env})


def test_defaults_without_a_file(tmp_path):
    config = load(tmp_path)

    assert config == Config(home=tmp_path, database_url=f"sqlite:///{tmp_path}/paydesk.db")
    assert config.run.retry_days == (1, 3, 7)
    assert config.run.reminder_days == (3, 10)
    assert config.run.reconcile_min_age == 60.0
    assert config.run.pdf_workers is None
    assert config.stripe.rate is None and config.stripe.sandbox_url is None
    assert config.mail.smtp_cafile is None and config.accounts.argon2 is None
    assert config.ssh == SSHSettings()
    assert config.ssh.idle_timeout == config.idle_timeout == 600.0
    assert config.ssh_port == SSH_PORT == 2222  # serve-ssh's default port, named in emails


def test_values_from_paydesk_toml(tmp_path):
    config = load(tmp_path, FILE)

    assert config.public_url == "https://billing.example.com"
    assert config.idle_timeout == 120.0
    assert config.ssh_port == 2200
    assert config.run == RunSettings(
        retry_days=(2, 4), reminder_days=(10, 3, 30), reconcile_min_age=0.0, pdf_workers=1
    )
    assert config.stripe.rate == 5.5
    assert config.stripe.sandbox_url == "http://127.0.0.1:9999"
    assert config.mail.smtp_cafile == "/etc/paydesk/ca.pem"
    assert config.accounts.argon2 == Argon2Cost(memory_cost=65536, time_cost=3, parallelism=2)
    assert config.ssh.max_total == 5
    assert config.ssh.warm_up is False
    assert config.ssh.app_factory == "tests.apps:make_app"
    assert config.ssh.idle_timeout == 120.0  # the kiosk's, as [ssh] does not set its own
    assert config.ssh.max_per_address == SSHSettings().max_per_address


def test_the_environment_wins_over_the_file(tmp_path):
    config = load(
        tmp_path,
        FILE,
        PAYDESK_IDLE_TIMEOUT="90",
        PAYDESK_SANDBOX_URL="http://127.0.0.1:8888",
        PAYDESK_SSH_MAX_TOTAL="7",
        PAYDESK_SSH_WARM_UP="yes",
        PAYDESK_SSH_IDLE_TIMEOUT="30",
        PAYDESK_SSH_PORT="2300",
        PAYDESK_PUBLIC_URL="",  # empty: as if unset
    )

    assert config.idle_timeout == 90.0
    assert config.stripe.sandbox_url == "http://127.0.0.1:8888"
    assert config.ssh.max_total == 7
    assert config.ssh.warm_up is True
    assert config.ssh.idle_timeout == 30.0
    assert config.ssh_port == 2300
    assert config.public_url == "https://billing.example.com"


@pytest.mark.parametrize(
    ("text", "env", "message"),
    [
        (
            'retry_days = "soon"',
            {},
            "paydesk.toml: retry_days: expected a list of whole numbers of days, like "
            "[1, 3, 7], got 'soon'",
        ),
        (
            "reminder_days = [3, -1]",
            {},
            "paydesk.toml: reminder_days: expected a list of whole numbers of days",
        ),
        ("pdf_workers = 1.5", {}, "paydesk.toml: pdf_workers: expected a whole number, 0 or more"),
        ("stripe_rate = 0", {}, "stripe_rate: expected a number per second above 0, got 0"),
        ("ssh_port = 70000", {}, "ssh_port: expected a port number from 1 to 65535, got 70000"),
        ("[ssh]\nmax_total = 0", {}, "paydesk.toml: [ssh] max_total: expected a whole number, 1"),
        ("[ssh]\nwarm_up = 'maybe'", {}, "[ssh] warm_up: expected true or false"),
        ("[ssh]\napp_factory = 'tui.kiosk_app'", {}, "[ssh] app_factory: expected module:function"),
        (
            "[argon2]\nmemory_cost = 'lots'",
            {},
            "argon2: expected a table of memory_cost, time_cost",
        ),
        ("", {"PAYDESK_SSH_CONNECT_RATE": "fast"}, "PAYDESK_SSH_CONNECT_RATE: expected a number"),
        ("", {"PAYDESK_IDLE_TIMEOUT": "0"}, "PAYDESK_IDLE_TIMEOUT: expected a number of seconds"),
        ("retry_day = [1]", {}, "paydesk.toml: no setting is called 'retry_day' (known: "),
        ("[ssh]\nmax_totl = 3", {}, "paydesk.toml: [ssh]: no setting is called 'max_totl'"),
        ("ssh = 3", {}, "paydesk.toml: ssh: expected a table [ssh], got 3"),
        ("idle_timeout = ", {}, "paydesk.toml: not valid TOML"),
    ],
)
def test_a_wrong_value_is_refused_naming_the_key(tmp_path, text, env, message):
    with pytest.raises(ConfigError) as raised:
        load(tmp_path, text, **env)
    assert message in str(raised.value)


def test_a_wrong_secret_is_named_but_never_shown(tmp_path):
    with pytest.raises(ConfigError) as raised:
        load(tmp_path, STRIPE_API_KEY="pk_live_do-not-print-me")
    assert "STRIPE_API_KEY: expected a secret key (sk_… or rk_…)" in str(raised.value)
    assert "do-not-print-me" not in str(raised.value)


def test_the_cli_stops_on_a_wrong_value_with_one_line(tmp_path):
    (tmp_path / "paydesk.toml").write_text("[ssh]\nmax_total = 'many'\n")
    env = {**os.environ, "PAYDESK_HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "tui.cli", "failures"],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"paydesk: {tmp_path}/paydesk.toml: [ssh] max_total: expected a whole number, "
        "1 or more, got 'many'"
    ]


def test_a_session_process_gets_the_same_config(tmp_path):
    """The SSH zygote hands a Config to each session as JSON (tui/ssh/child.py)."""
    config = load(tmp_path, FILE, STRIPE_API_KEY="sk_test_123", PAYDESK_SSH_SPARES="0")
    script = (
        "import json, os\n"
        "from tui.ssh.child import config_from_dict, config_to_dict\n"
        "config = config_from_dict(json.loads(os.environ['PAYDESK_SSH_CONFIG']))\n"
        "print(json.dumps(config_to_dict(config)))\n"
    )
    from tui.ssh.child import config_to_dict

    env = {**os.environ, "PAYDESK_SSH_CONFIG": json.dumps(config_to_dict(config))}
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=60, check=True,
    )  # fmt: skip

    assert Config.from_data(json.loads(result.stdout)) == config
    assert config.accounts.argon2 is not None and config.ssh.spares == 0  # not all defaults


def _readme_tables() -> dict[str, dict[str, str]]:
    """Each README table after a line naming `config.<section>`: key → default cell."""
    tables: dict[str, dict[str, str]] = {}
    current: dict[str, str] | None = None
    for line in (ROOT / "README.md").read_text().splitlines():
        named = re.search(r"`config\.(\w+)`", line)
        if line.startswith("| `") and current is not None:
            cells = [cell.strip() for cell in line.strip("|").split("|")]
            keys = re.findall(r"`([^`]+)`", cells[0].split(" (")[0])
            defaults = cells[-1].split(", ") if len(keys) > 1 else [cells[-1]]
            current.update(zip(keys, defaults, strict=True))
        elif named:
            current = tables.setdefault(named.group(1), {})
        elif line.strip() and not line.startswith("|") and current:
            current = None  # the first text after a table's rows ends it
    return tables


def _shown(value: object) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, tuple):
        return "[" + ", ".join(map(str, value)) + "]"
    return str(value)


@pytest.mark.parametrize("section", sorted(SECTIONS))
def test_readme_documents_each_setting_with_the_code_default(section):
    documented = _readme_tables()[section]
    for f in fields(SECTIONS[section]):
        key = f.metadata["key"] or f.name
        assert key in documented, f"README: `config.{section}` has no row for `{key}`"
        if f.default is not None:
            assert _shown(f.default) in documented[key], (section, key, documented[key])


def test_readme_documents_the_top_level_settings_and_the_hash_default():
    text = (ROOT / "README.md").read_text()
    for f in fields(Config):
        if "read" in f.metadata:
            assert f"| `{f.metadata['env'] or f.name}`" in text, f.name
    assert "`[1, 3, 7]`" in text and "| `600` |" in text
    policy = DEFAULT_HASH_POLICY
    assert f"{policy.memory_cost}, {policy.time_cost}, {policy.parallelism} |" in text
