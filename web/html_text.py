"""Stored text in a web page: HTML-escaped, and its control characters shown as symbols
(services.text), as the kiosk, the CLI, emails and the PDF show them."""

from __future__ import annotations

from html import escape

from services.text import visible


def html_text(value: object) -> str:
    """`value` safe inside an element or a quoted attribute: `<` as `&lt;`, ESC as ␛."""
    return escape(visible(value, lines=True))
