"""Security headers on every response, and no server version.

The default Content-Security-Policy allows nothing but the page's own origin for images and
styles, no scripts, no frames; a page that needs Stripe.js widens it for itself with
`set_csp(response, ...)` (the card page: scripts from Stripe's host, or the sandbox's).
"""

from __future__ import annotations

from aiohttp import web

DEFAULT_CSP = (
    "default-src 'none'; img-src 'self'; style-src 'self'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cache-Control": "no-store",
}
SERVER_NAME = "paydesk"  # replaces aiohttp's "Python/3.x aiohttp/3.x"


def set_csp(response: web.StreamResponse, policy: str) -> None:
    """Give this response its own Content-Security-Policy instead of the default."""
    response.headers["Content-Security-Policy"] = policy


async def add_security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """on_response_prepare: the headers every response carries (kept if a handler set them)."""
    response.headers.setdefault("Content-Security-Policy", DEFAULT_CSP)
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if request.secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    # aiohttp only sets Server when absent, after this hook: this name wins.
    response.headers["Server"] = SERVER_NAME


def install(app: web.Application) -> None:
    app.on_response_prepare.append(add_security_headers)
