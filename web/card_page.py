"""The hosted card page: `GET /card/{token}` shows Stripe.js's card field, `POST
/card/{token}/done` (sent by the page's script after `confirmCardSetup`) saves the card.

A GET never uses the token up (mail scanners fetch links); the POST does. The POST carries
no body: the server retrieves the SetupIntent the token is bound to from Stripe. A GET asks
Stripe nothing once this process knows the link's client secret; when the browser's confirm
fails, the page's script posts `/card/{token}/renew` for the secret to try again with.
"""

from __future__ import annotations

import logging
from importlib import resources

from aiohttp import web

from services.drawn_pages import DrawnPages, Kept
from services.payments.card_links import (
    ASK_AGAIN,
    EXPIRED,
    USED,
    CardLinkError,
    CardLinkService,
    LinkGone,
    LinkNotFound,
    LinkState,
    StripeJs,
)
from web.blocking import run_sync
from web.card_html import gone_page, open_page
from web.headers import set_csp
from web.probe import seen
from web.services_key import SERVICES

log = logging.getLogger("paydesk.web")

ASSETS = {
    "card.js": "text/javascript",
    "invoice.js": "text/javascript",  # the invoice page's (web/invoice_page.py)
    "card.css": "text/css",
}
_ASSET_BODIES = web.AppKey("card_assets", dict)
_PAGES = web.AppKey("drawn_card_pages", DrawnPages)


def card_csp(js: StripeJs) -> str:
    """Scripts only from this server and Stripe's host (or the sandbox's); nothing inline."""
    scripts = " ".join(["'self'", js.script_origin, *_stripe_subdomains(js)])
    connect = " ".join(["'self'", *js.connect_origins])
    frames = " ".join(js.frame_origins) or "'none'"
    return (
        f"default-src 'none'; script-src {scripts}; connect-src {connect}; "
        f"frame-src {frames}; style-src 'self'; img-src 'self' data:; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )


def _stripe_subdomains(js: StripeJs) -> list[str]:
    return ["https://*.js.stripe.com"] if js.script_origin == "https://js.stripe.com" else []


def _html(text: str, status: int, csp: str | None = None) -> web.Response:
    response = web.Response(text=text, status=status, content_type="text/html")
    if csp:
        set_csp(response, csp)
    return response


Drawn = tuple[str, int, str | None]  # HTML, status, CSP


def _drawn(
    links: CardLinkService, pages: DrawnPages[Drawn], token: str, seen: int | None = None
) -> Drawn:
    """The page for a token (off the event loop: read from the database); an open one is
    kept while it is current (services/drawn_pages.py: until the link is used, which is a
    commit, or expires), with the probe's number `seen` read before this call."""
    js = links.stripe_js()
    number, kept = pages.look(token, js)
    if kept is not None:
        return kept.shown
    page = links.page(token)
    if page.state is LinkState.USED:
        saved = f"{page.card.label} was saved to your account. " if page.card else ""
        detail = f"{saved}You can close this page."
        return gone_page(page.business_name, USED, detail), 410, None
    if page.state is LinkState.EXPIRED:
        return gone_page(page.business_name, EXPIRED, ASK_AGAIN), 410, None
    drawn = (open_page(page, js), 200, card_csp(js))
    until = page.expires_at
    if until is not None:
        pages.keep(token, number, lambda: Kept(number or 0, drawn, until, js), seen)
    return drawn


async def card_page(request: web.Request) -> web.Response:
    links = request.app[SERVICES].card_links
    pages, token, number = request.app[_PAGES], request.match_info["token"], seen(request)
    kept = pages.at_once(token, number, links.stripe_js_kept())
    if kept is not None:  # no commit anywhere since it was drawn: sent without a thread
        return _html(*kept.shown)
    try:
        html, status, csp = await run_sync(request, _drawn, links, pages, token, number)
    except LinkNotFound as exc:
        return _html(gone_page("", "This card link is not valid", exc.message), 404)
    except CardLinkError as exc:
        return _html(gone_page("", "The card page is not available", exc.message), 503)
    return _html(html, status, csp)


async def card_done(request: web.Request) -> web.Response:
    links = request.app[SERVICES].card_links
    token = request.match_info["token"]
    try:
        card = await run_sync(request, links.finish, token, request.remote or "")
    except LinkNotFound as exc:
        return web.json_response({"error": exc.message}, status=404)
    except LinkGone as exc:
        return web.json_response({"error": exc.message}, status=410)
    except CardLinkError as exc:
        return web.json_response({"error": exc.message}, status=409)
    except Exception:  # noqa: BLE001 - Stripe unreachable or refusing: say so, log the trace
        log.exception("saving a card from the card page failed")
        return web.json_response(
            {"error": "The card could not be saved just now; please try again."}, status=502
        )
    return web.json_response({"message": f"Card saved: {card.label}"})


async def card_renew(request: web.Request) -> web.Response:
    """The page's confirm failed: the client secret to try again with (a fresh SetupIntent
    if the failed one was canceled)."""
    links = request.app[SERVICES].card_links
    token = request.match_info["token"]
    try:
        secret = await run_sync(request, links.renew, token)
    except LinkNotFound as exc:
        return web.json_response({"error": exc.message}, status=404)
    except LinkGone as exc:
        return web.json_response({"error": exc.message}, status=410)
    except Exception:  # noqa: BLE001 - Stripe unreachable: the page says to reload
        log.exception("renewing a card page's SetupIntent failed")
        return web.json_response({"error": "Please reload the page."}, status=502)
    finally:  # the reload asks Stripe again, as every GET did before pages were kept
        request.app[_PAGES].forget(token)
    return web.json_response({"secret": secret})


async def asset(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    body = request.app[_ASSET_BODIES].get(name)
    if body is None:
        raise web.HTTPNotFound()
    return web.Response(body=body, content_type=ASSETS[name], charset="utf-8")


def register(app: web.Application) -> None:
    folder = resources.files("web.assets")
    app[_ASSET_BODIES] = {name: folder.joinpath(name).read_bytes() for name in ASSETS}
    app[_PAGES] = DrawnPages()
    app.router.add_get("/assets/{name}", asset)
    app.router.add_get("/card/{token}", card_page)
    app.router.add_post("/card/{token}/done", card_done)
    app.router.add_post("/card/{token}/renew", card_renew)
