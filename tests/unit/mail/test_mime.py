"""MIME messages written straight to bytes, parsed back whole by the email package."""

from __future__ import annotations

from services.mail import mime
from tests.fixtures.mail import head as _head
from tests.fixtures.mail import parse as _parse

PDF = b"%PDF-1.3\n" + bytes(range(256)) * 8


def test_a_rendered_message_reads_back_whole():
    text = "Hello Dana,\n\nVisa •••• 4242 — charged on June 1.\n" + "x" * 120 + "\n=3D end \n"
    html = "<p>Hello <b>Dana</b> •</p>"
    data = mime.render(_head(), text, html, [("INV-0001.pdf", "application/pdf", PDF)])
    assert data is not None and max(len(line) for line in data.split(b"\n")) <= 78
    msg = _parse(data)
    assert msg["From"] == "Desktop Masters <billing@example.com>"
    assert msg["To"] == "client@example.com" and msg["Message-ID"] == "<1.2.3@example.com>"
    assert msg["Subject"] == _head().subject  # folded on the wire, the same when read
    assert msg.get_content_type() == "multipart/mixed"
    assert msg.get_body(("plain",)).get_content().rstrip("\n") == text.rstrip("\n")
    assert msg.get_body(("html",)).get_content().rstrip("\n") == html
    [attachment] = list(msg.iter_attachments())
    assert attachment.get_filename() == "INV-0001.pdf"
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content() == PDF


def test_plain_text_only_and_ascii_parts_stay_readable():
    data = mime.render(_head(), "Thank you: we received your payment of $10.00.\n")
    assert data is not None
    assert b"we received your payment of $10.00." in data  # 7bit, not encoded
    msg = _parse(data)
    assert msg.get_content_type() == "text/plain"
    assert msg.get_content() == "Thank you: we received your payment of $10.00.\n"


def test_headers_that_need_encoding_are_left_to_the_email_package():
    assert mime.render(_head(sender="Café Ñandú <billing@example.com>"), "hi") is None
    assert mime.render(_head(), "hi", None, [('we"ird.pdf', "application/pdf", PDF)]) is None
