"""The hosted invoice page a [View Invoice] code opens: `/i/{code}`.

- `GET /i/{code}`: the invoice (business, lines, totals, status, balance), its PDF link, the
  kiosk command, and "Pay with a card" while something is owed. A GET changes nothing.
- `GET /i/{code}/pdf`: the invoice as a PDF.
- `POST /i/{code}/card`: a SetupIntent for a new card (its client secret, for Stripe.js).
- `POST /i/{code}/pay` `{"setup_intent": "seti_…"}` or `{"card": ID}`: pay the balance.
- `POST /i/{code}/attempts/{id}/action` and `…/done`: finish 3-D Secure, then the server asks
  Stripe what happened.

Every request checks the code again, throttled per address as in the kiosk.
"""

from __future__ import annotations

import json
import logging

from aiohttp import web

from services.config import Config
from services.doors.web import CodeRefused, InvoicePageDoor, PageError, PayAnswer
from services.doors.web_drawn import InvoicePages
from services.emails.billing import Door
from services.errors import PaydeskError
from services.payments.card_links import CardLinkError
from web.blocking import run_sync
from web.card_html import gone_page
from web.card_page import card_csp
from web.headers import set_csp
from web.invoice_html import invoice_page
from web.probe import seen
from web.services_key import SERVICES

log = logging.getLogger("paydesk.web")
MAX_JSON = 1024  # the page posts ids only

_DOOR = web.AppKey("invoice_pages", InvoicePageDoor)
_PAGES = web.AppKey("drawn_invoice_pages", InvoicePages)
Drawn = tuple[str, str | None]  # HTML, CSP


def _address(request: web.Request) -> str:
    return request.remote or ""


def _refused(exc: CodeRefused, as_json: bool) -> web.Response:
    status = 429 if "Too many" in exc.message else 404
    if as_json:
        return web.json_response({"error": exc.message}, status=status)
    html = gone_page("", "This invoice link does not work", exc.message)
    return web.Response(text=html, status=status, content_type="text/html")


def _drawer(door: InvoicePageDoor, config: Config):
    def draw(code: str, address: str) -> tuple[str, str | None]:
        """The page's HTML and its CSP: the invoice, Stripe.js when it can be paid, the SSH
        door the console's Settings name (off the event loop: read from the database)."""
        page = door.page(code, address)
        try:
            js = door.stripe_js() if page.invoice.payable else None
        except CardLinkError:
            js = None  # no publishable key: the invoice is still shown, without the card form
        html = invoice_page(page, code, Door.stored(config), js)
        return html, card_csp(js) if js is not None else None

    return draw


def _pdf(door: InvoicePageDoor, config: Config, code: str, address: str):
    how = f"Open it: {Door.stored(config).command(code)}"
    return door.pdf(code, address, how)


async def show(request: web.Request) -> web.Response:
    pages: InvoicePages[Drawn] = request.app[_PAGES]
    code, number = request.match_info["code"], seen(request)
    shown: Drawn | None = pages.at_once(code, _address(request), number)  # no commit since
    if shown is None:
        try:
            shown = await run_sync(request, pages.shown, code, _address(request), number)
        except CodeRefused as exc:
            return _refused(exc, as_json=False)
    html, csp = shown
    response = web.Response(text=html, content_type="text/html", charset="utf-8")
    if csp is not None:
        set_csp(response, csp)
    return response


async def pdf(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    code = request.match_info["code"]
    try:
        number, body = await run_sync(
            request, _pdf, request.app[_DOOR], services.config, code, _address(request)
        )
    except CodeRefused as exc:
        return _refused(exc, as_json=False)
    response = web.Response(body=body, content_type="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{number}.pdf"'
    return response


def _answer(answer: PayAnswer, attempt: int | None = None) -> web.Response:
    result = answer.result
    body: dict = {"status": str(result.status), "message": result.message}
    if answer.action_secret:
        body["action"] = {
            "secret": answer.action_secret,
            "payment_method": answer.payment_method,
            "attempt": result.attempt_id,
        }
    return web.json_response(body)


async def _posted(request: web.Request) -> dict:
    raw = await request.content.read(MAX_JSON + 1)
    if len(raw) > MAX_JSON:
        raise PageError("That request is too large.")
    try:
        data = json.loads(raw or b"{}")
    except ValueError as exc:
        raise PageError("That request is not valid.") from exc
    if not isinstance(data, dict):
        raise PageError("That request is not valid.")
    return data


async def _guarded(request: web.Request, call) -> web.Response:
    try:
        return await call()
    except CodeRefused as exc:
        return _refused(exc, as_json=True)
    except PaydeskError as exc:  # not payable, card not theirs, not confirmed, …
        return web.json_response({"error": exc.message}, status=409)
    except Exception:  # noqa: BLE001 - Stripe unreachable or refusing: say so, log the trace
        log.exception("the invoice page could not finish a request")
        return web.json_response(
            {"error": "The payment could not be made just now; please try again."}, status=502
        )


async def new_card(request: web.Request) -> web.Response:
    door, code = request.app[_DOOR], request.match_info["code"]

    async def call() -> web.Response:
        secret = await run_sync(request, door.start_card, code, _address(request))
        return web.json_response({"secret": secret})

    return await _guarded(request, call)


async def pay(request: web.Request) -> web.Response:
    door, code = request.app[_DOOR], request.match_info["code"]

    async def call() -> web.Response:
        data = await _posted(request)
        if isinstance(data.get("setup_intent"), str):
            answer = await run_sync(
                request, door.pay_new_card, code, _address(request), data["setup_intent"]
            )
        elif isinstance(data.get("card"), int):
            answer = await run_sync(request, door.pay_saved, code, _address(request), data["card"])
        else:
            raise PageError("Choose a card to pay with.")
        return _answer(answer)

    return await _guarded(request, call)


def _attempt(request: web.Request) -> int:
    raw = request.match_info["attempt"]
    if not raw.isdigit() or len(raw) > 12:
        raise PageError("That payment is not one of this invoice.")
    return int(raw)


async def action(request: web.Request) -> web.Response:
    door, code = request.app[_DOOR], request.match_info["code"]

    async def call() -> web.Response:
        attempt = _attempt(request)
        secret, pm = await run_sync(request, door.action, code, _address(request), attempt)
        return web.json_response({"secret": secret, "payment_method": pm})

    return await _guarded(request, call)


async def action_done(request: web.Request) -> web.Response:
    door, code = request.app[_DOOR], request.match_info["code"]

    async def call() -> web.Response:
        answer = await run_sync(
            request, door.finish_action, code, _address(request), _attempt(request)
        )
        return _answer(answer)

    return await _guarded(request, call)


def register(app: web.Application) -> None:
    app[_DOOR] = app[SERVICES].invoice_pages()
    app[_PAGES] = InvoicePages(app[_DOOR], _drawer(app[_DOOR], app[SERVICES].config))
    app.router.add_get("/i/{code}", show)
    app.router.add_get("/i/{code}/pdf", pdf)
    app.router.add_post("/i/{code}/card", new_card)
    app.router.add_post("/i/{code}/pay", pay)
    app.router.add_post("/i/{code}/attempts/{attempt}/action", action)
    app.router.add_post("/i/{code}/attempts/{attempt}/done", action_done)
