"""MIME messages written straight to bytes, for the mail the billing run sends in bulk.

`email.message.EmailMessage` parses and re-folds every header through its policy, which
costs more than a millisecond per message. The run's messages have one fixed shape (text,
optional HTML alternative, optional attachments), so they are written here directly:
7bit when a part is short-lined ASCII, else quoted-printable (text) or base64 (files).
Headers with anything but printable ASCII return None: the caller builds those messages
with the email package (`Mailer.build`), which encodes them.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

Attachment = tuple[str, str, bytes]  # (filename, mimetype, content)
MAX_LINE = 78


@dataclass(frozen=True)
class Head:
    """The headers of one message, already one line each (see `mail._one_line`)."""

    sender: str
    to: str
    subject: str
    date: str
    message_id: str


def render(
    head: Head,
    text: str,
    html: str | None = None,
    attachments: Sequence[Attachment] = (),
) -> bytes | None:
    """The whole message with LF line ends, or None when a header needs encoding."""
    fields = (
        ("From", head.sender),
        ("To", head.to),
        ("Subject", head.subject),
        ("Date", head.date),
        ("Message-ID", head.message_id),
    )
    if not all(_plain(value) for _, value in fields):
        return None
    for filename, _, _ in attachments:
        if not _plain(filename) or '"' in filename or "\\" in filename:
            return None
    lines = [_fold(f"{name}: {value}") for name, value in fields]
    lines.append("MIME-Version: 1.0")
    body = _text_part("plain", text)
    if html is not None:
        body = _multipart("alternative", [body, _text_part("html", html)])
    if attachments:
        body = _multipart("mixed", [body, *(_file_part(*item) for item in attachments)])
    return ("\n".join(lines) + "\n").encode("ascii") + body


def _plain(value: str) -> bool:
    return value.isascii() and value.isprintable() and len(value) < 900


def _fold(line: str) -> str:
    """Fold a long ASCII header at spaces (continuation lines start with a space)."""
    if len(line) <= MAX_LINE:
        return line
    out, current = [], ""
    for word in line.split(" "):
        if current and len(current) + 1 + len(word) > MAX_LINE:
            out.append(current)
            current = " " + word
        else:
            current = f"{current} {word}" if current else word
    out.append(current)
    return "\n".join(out)


def _text_part(subtype: str, content: str) -> bytes:
    if not content.endswith("\n"):
        content += "\n"
    content = content.replace("\r\n", "\n").replace("\r", "\n")
    data = content.encode("utf-8")
    if content.isascii() and max(map(len, content.split("\n"))) <= MAX_LINE:
        charset, encoding, payload = "us-ascii", "7bit", data
    else:
        charset, encoding = "utf-8", "quoted-printable"
        payload = binascii.b2a_qp(data, istext=True)
    return (
        f'Content-Type: text/{subtype}; charset="{charset}"\n'
        f"Content-Transfer-Encoding: {encoding}\n\n"
    ).encode("ascii") + payload


def _file_part(filename: str, mimetype: str, content: bytes) -> bytes:
    maintype, _, subtype = (mimetype or "application/octet-stream").partition("/")
    return (
        f"Content-Type: {maintype}/{subtype or 'octet-stream'}\n"
        "Content-Transfer-Encoding: base64\n"
        f'Content-Disposition: attachment; filename="{filename}"\n\n'
    ).encode("ascii") + base64.encodebytes(content)


def _multipart(subtype: str, parts: list[bytes]) -> bytes:
    boundary = f"=_pd_{secrets.token_hex(12)}"
    marker = boundary.encode("ascii")
    while any(marker in part for part in parts):  # never in practice: 96 random bits
        boundary = f"=_pd_{secrets.token_hex(12)}"
        marker = boundary.encode("ascii")
    out = [f'Content-Type: multipart/{subtype};\n boundary="{boundary}"\n\n'.encode("ascii")]
    for part in parts:
        out += [b"--", marker, b"\n", part]
        if not part.endswith(b"\n"):
            out.append(b"\n")
    out += [b"--", marker, b"--\n"]
    return b"".join(out)
