"""Fixtures for the accounts, access-code, mail and audit tests (imported by those modules).

A real aiosmtpd SMTP server on 127.0.0.1, a business with a client, and services wired
with argon2id at the OWASP minimum (m=19456, t=2, p=1): fast enough, never weaker.
"""

from __future__ import annotations

import re
import socket
import ssl
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from models import Business, Client
from services.accounts.accounts import OWASP_MINIMUM, AccountService
from services.config import Config
from services.invoices.invoices import InvoiceService, LineInput
from services.mail.mailer import Mailer

PASSWORD = "tangerine-kayak-77"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class SmtpServer:
    """What the test SMTP server received; `reply` makes it refuse DATA with that line."""

    port: int = 0
    received: list[tuple[str, list[str], bytes]] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)
    reply: str | None = None
    users: dict[str, str] = field(default_factory=dict)

    def messages(self) -> list[EmailMessage]:
        return [
            message_from_bytes(content, policy=policy.default)  # type: ignore[misc]
            for _, _, content in self.received
        ]

    # aiosmtpd handler hooks
    async def handle_DATA(self, server, session, envelope) -> str:
        if self.reply:
            return self.reply
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"

    def authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        user, password = auth_data.login.decode(), auth_data.password.decode()
        self.logins.append((user, password))
        ok = self.users.get(user) == password
        return AuthResult(success=ok, handled=False, auth_data=auth_data)


def start_smtp(server: SmtpServer, **options) -> Controller:
    server.port = free_port()
    controller = Controller(server, hostname="127.0.0.1", port=server.port, **options)
    controller.start()
    return controller


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A real SMTP server on 127.0.0.1 (plain SMTP, optional AUTH without TLS)."""
    server = SmtpServer(users={"mailer": "s3cr3t-pa55"})
    controller = start_smtp(server, authenticator=server.authenticate, auth_require_tls=False)
    yield server
    controller.stop()


@pytest.fixture
def tls_files(tmp_path: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (openssl), for STARTTLS and SMTPS tests."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


def server_tls_context(cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


@pytest.fixture
def business(database) -> Business:
    return Business.create(
        name="Desktop Masters IT", billing_email="billing@desktopmasters.example"
    )


@pytest.fixture
def client(business: Business) -> Client:
    return Client.create(business=business, name="Acme Dental", email="office@acme.example")


@pytest.fixture
def mailer(config: Config, database) -> Mailer:
    return Mailer(config)


@pytest.fixture
def accounts(mailer: Mailer, business: Business) -> Iterator[AccountService]:
    service = AccountService(mailer, hash_policy=OWASP_MINIMUM)
    yield service
    service.wait_for_mail()


@pytest.fixture
def contact_id(accounts: AccountService, business: Business, client: Client) -> int:
    return accounts.create_contact(
        business.id, client.id, "dana@acme.example", PASSWORD, name="Dana Client"
    )


@pytest.fixture
def invoice_id(client: Client) -> int:
    detail = InvoiceService().create(
        client.id,
        [LineInput("Network maintenance", 12500)],
        issue_date=date(2026, 11, 1),
        due_date=date(2026, 11, 15),
    )
    return int(detail.id)


def smtp_config(config: Config, url: str, **extra) -> Config:
    return replace(config, smtp_url=url, mail=replace(config.mail, **extra))


def database_text(db_url: str) -> str:
    """Every value of every table, as text: what a database dump would show."""
    from models import db

    chunks = []
    for table in db.get_tables():
        cursor = db.execute_sql(f'SELECT * FROM "{table}"')
        for row in cursor.fetchall():
            chunks.append(" ".join(str(value) for value in row))
    if db_url.startswith("sqlite"):
        path = Path(db_url.removeprefix("sqlite:///"))
        for file in path.parent.glob(path.name + "*"):
            chunks.append(file.read_bytes().decode("latin-1"))
    return "\n".join(chunks)


CODE_IN_MAIL = re.compile(r"^\s+([0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4})\s*$", re.MULTILINE)


def recovery_code(mailer: Mailer) -> str:
    """The code in the newest recovery email of the outbox."""
    for msg in reversed(mailer.outbox_messages()):
        if "recovery code" in str(msg["Subject"]):
            body = msg.get_body(("plain",))
            assert body is not None
            found = CODE_IN_MAIL.search(body.get_content())
            assert found, "no code in the recovery email"
            return found.group(1)
    raise AssertionError("no recovery email in the outbox")


def later(days: int = 0, minutes: int = 0) -> timedelta:
    return timedelta(days=days, minutes=minutes)
