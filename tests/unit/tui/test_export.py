"""`paydesk export`: to a file or a pipe, the same CSV; options a kind does not take refused
in one line."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from models import Client, db

PAYDESK = str(Path(sys.executable).with_name("paydesk"))


@pytest.fixture
def run(home, db_url):
    env = {**os.environ, "PAYDESK_HOME": str(home), "PAYDESK_DATABASE_URL": db_url}

    def run(*args):
        return subprocess.run([PAYDESK, *args], env=env, capture_output=True, text=True, timeout=60)

    run("init", "--business", "B", "--billing-email", "b@example.com")
    run("client", "add", "--name", "Acme", "--email", "acme@example.com")
    run("invoice", "add", "--client", "1", "--line", "Support=95")
    return run


def test_a_file_and_a_pipe_get_the_same_csv(run, tmp_path, home, db_url, database):
    Client.update(name='=cmd|"x", \x1b]0;t\x07').execute()  # past the input checks
    db.close()
    out = tmp_path / "invoices.csv"
    to_file = run("export", "invoices", "-o", str(out))
    assert to_file.returncode == 0, to_file.stderr
    assert to_file.stderr == f"1 invoices written to {out}\n"
    env = {**os.environ, "PAYDESK_HOME": str(home), "PAYDESK_DATABASE_URL": db_url}
    piped = subprocess.run([PAYDESK, "export", "invoices"], env=env, capture_output=True)
    assert piped.returncode == 0, piped.stderr
    with out.open("rb") as f:
        exact = f.read()
    # The same bytes (control characters too: a pipe is not a terminal), but the time made.
    assert piped.stdout.split(b"\r\n", 1)[1] == exact.split(b"\r\n", 1)[1]
    text = exact.decode()
    comment, _, body = text.partition("\r\n")
    assert comment.startswith("# paydesk export of invoices; status as of ")
    rows = list(csv.DictReader(io.StringIO(body, newline="")))
    assert [(r["number"], r["client"], r["total"]) for r in rows] == [
        ("INV-0001", '\'=cmd|"x", \x1b]0;t\x07', "95.00")
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["clients", "--from", "2026-01-01"], "the clients export takes no --from/--to"),
        (["payments", "--as-of", "2026-01-01"], "the payments export takes no --as-of"),
        (["payments", "--from", "2026-02-01", "--to", "2026-01-01"], "--from is after --to"),
        (["payments", "--from", "2026-02-31"], "'2026-02-31' is not a date like 2026-01-31"),
    ],
)
def test_refusals_are_one_line(run, args, message):
    result = run("export", *args)
    assert result.returncode in (1, 2) and message in result.stderr
    assert "Traceback" not in result.stderr


def test_aging_as_of_a_day_to_a_file(run, tmp_path):
    out = tmp_path / "aging.csv"
    result = run("export", "aging", "--as-of", "2026-01-31", "-o", str(out))
    assert result.returncode == 0, result.stderr
    comment, _, body = out.read_text().partition("\n")
    assert comment.startswith("# paydesk export of aging; owed at the end of 2026-01-31 ")
    assert body.splitlines()[0].startswith("client_id,client,email,currency,owed,current,")
    future = run("export", "aging", "--as-of", "2999-01-01")
    assert future.returncode in (1, 2) and "--as-of is in the future" in future.stderr
    assert "Traceback" not in future.stderr
