"""SMTP settings read from `PAYDESK_SMTP_URL`, and a connection made with them."""

from __future__ import annotations

import ipaddress
import smtplib
import ssl
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from services.errors import PaydeskError

SMTP_TIMEOUT = 20.0
_DEFAULT_PORTS = {"smtp": 25, "smtps": 465, "smtp+starttls": 587}


class MailError(PaydeskError):
    """The mail settings are wrong (for example an SMTP URL paydesk cannot read)."""


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to deliver by SMTP, read from `smtp://user:pass@host:port`."""

    scheme: str
    host: str
    port: int
    username: str | None
    password: str | None

    @classmethod
    def from_url(cls, url: str) -> SmtpSettings:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme == "smtp+tls":
            scheme = "smtps"
        if scheme not in _DEFAULT_PORTS:
            raise MailError(
                f"PAYDESK_SMTP_URL: unknown scheme {scheme!r}; "
                "use smtp://, smtps:// or smtp+starttls://"
            )
        if not parts.hostname:
            raise MailError("PAYDESK_SMTP_URL: no host (smtp://host:port)")
        try:
            port = parts.port or _DEFAULT_PORTS[scheme]
        except ValueError as exc:
            raise MailError("PAYDESK_SMTP_URL: the port is not a number") from exc
        password = unquote(parts.password) if parts.password else None
        if scheme == "smtp" and password and not _is_loopback(parts.hostname):
            raise MailError(
                "PAYDESK_SMTP_URL: a password over plain smtp:// would cross the network "
                "unencrypted; use smtp+starttls:// or smtps://"
            )
        return cls(
            scheme=scheme,
            host=parts.hostname,
            port=port,
            username=unquote(parts.username) if parts.username else None,
            password=password,
        )


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def connect(settings: SmtpSettings, cafile: object = None) -> smtplib.SMTP:
    """A connection to the SMTP server, TLS and login done (use it in a `with`)."""
    context = ssl.create_default_context()
    if cafile:
        context.load_verify_locations(cafile=str(cafile))
    client: smtplib.SMTP
    if settings.scheme == "smtps":
        client = smtplib.SMTP_SSL(
            settings.host, settings.port, timeout=SMTP_TIMEOUT, context=context
        )
    else:
        client = smtplib.SMTP(settings.host, settings.port, timeout=SMTP_TIMEOUT)
    try:
        client.ehlo()
        if settings.scheme == "smtp+starttls":
            client.starttls(context=context)
            client.ehlo()
        if settings.username:
            client.login(settings.username, settings.password or "")
    except BaseException:
        client.close()
        raise
    return client
