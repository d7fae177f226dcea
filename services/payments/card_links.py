"""One-time links to the hosted card page: a card is added without paydesk seeing its number.

The kiosk's "Add a new card…" makes a SetupIntent for the client's Stripe customer and a
token (128 random bits, only its SHA-256 kept, 30 minutes, one use, bound to that client and
that SetupIntent). The page (web/card_page.py) confirms the SetupIntent in the browser with
Stripe.js; `finish` then retrieves it from Stripe, attaches its PaymentMethod to the customer
where Stripe has not (Stripe attaches on confirm, the sandbox does not), and stores the card
through CardService. Reading the page never uses the token up (mail scanners fetch links);
storing the card does.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from models import CardLink, Client, PaymentMethod, db, utcnow
from services.audit import audit
from services.config import Config
from services.payments.card_links_sql import link_for_page
from services.payments.cards import CardError, CardService, CardView, view_of
from services.stripe_client.client import sandbox_url

if TYPE_CHECKING:
    import stripe
    from stripe.params import SetupIntentCreateParams
else:  # the SDK loads when first used (see services.stripe_client.sdk)
    from services.stripe_client import sdk as stripe

VALID_FOR = timedelta(minutes=30)
TOKEN_BYTES = 16  # 128 bits: unguessable, and the QR code stays small enough for 80×24
REAL_STRIPE_JS = "https://js.stripe.com/v3/"
SANDBOX_PUBLISHABLE_KEY = "pk_test_sandbox"  # localstripe takes any pk_ key
# How long `stripe_js()` is reused: finding the sandbox is an HTTP request to it, and a
# restarted sandbox is followed as soon as the Stripe client follows it (LazyStripeClient).
JS_REVALIDATE = 10.0

USED = "This card link was already used."
EXPIRED = "This card link has expired."
ASK_AGAIN = "Ask for a new one in the billing kiosk: Cards → Add a card."
NOT_VALID = "This card link is not valid. " + ASK_AGAIN
NOT_CONFIRMED = "The card was not confirmed at Stripe yet; please submit the form again."


class LinkState(StrEnum):
    OPEN = "open"
    USED = "used"
    EXPIRED = "expired"


class CardLinkError(CardError):
    """The link cannot save a card; the message is for the person holding it."""


class LinkNotFound(CardLinkError):
    """No such link (or not this client's)."""


class LinkGone(CardLinkError):
    """The link was used or has expired (the page answers 410)."""


@dataclass(frozen=True)
class NewCardLink:
    """A link just made: the token exists only here and in the URL shown to the client."""

    id: int
    url: str
    expires_at: datetime


@dataclass(frozen=True)
class LinkStatus:
    """What the kiosk polls: still open, or used (with the card it saved), or expired."""

    state: LinkState
    card: CardView | None = None


@dataclass(frozen=True)
class StripeJs:
    """Where the page loads Stripe.js from and which origins it talks to (for the CSP)."""

    script_url: str
    script_origin: str
    connect_origins: tuple[str, ...]
    frame_origins: tuple[str, ...]
    publishable_key: str


@dataclass(frozen=True)
class CardPage:
    """What the hosted card page shows for a token (GET: reading it changes nothing)."""

    state: LinkState
    business_name: str
    client_name: str
    client_secret: str = ""  # only while open
    card: CardView | None = None  # the card it saved, once used
    expires_at: datetime | None = None  # when an open link stops being one


def new_token() -> str:
    """A fresh link token: TOKEN_BYTES from `secrets`, URL-safe."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def _token_shaped(token: object) -> bool:
    return isinstance(token, str) and 20 <= len(token) <= 100


def _origin(url: str) -> str:
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}"


def _state(link: CardLink, now: datetime) -> LinkState:
    if link.used_at is not None:
        return LinkState.USED
    if link.expires_at <= now:
        return LinkState.EXPIRED
    return LinkState.OPEN


def _saved_card(link: CardLink) -> CardView | None:
    if link.payment_method_id is None:
        return None
    row = PaymentMethod.get_or_none(PaymentMethod.id == link.payment_method_id)
    return view_of(row) if row else None


class CardLinkService:
    """Makes card links, shows what the page needs, and saves the card the page confirmed."""

    def __init__(self, stripe_client: stripe.StripeClient, config: Config, cards: CardService):
        self.stripe = stripe_client
        self.config = config
        self.cards = cards
        self._js: tuple[float, StripeJs] | None = None
        self._js_lock = threading.Lock()
        # link id -> (SetupIntent id, its client secret, the link's expiry): in this process
        # only (never stored, never logged), so a page GET needs no Stripe call; a miss (a
        # fresh process) asks Stripe. `renew` drops it when the browser's confirm failed.
        self._secrets: dict[int, tuple[str, str, datetime]] = {}
        self._secrets_lock = threading.Lock()

    def stripe_js(self) -> StripeJs:
        """Real Stripe.js with a key; localstripe's own Stripe.js in the sandbox (looked up
        again after JS_REVALIDATE seconds: every page shows it)."""
        kept = self.stripe_js_kept()
        if kept is not None:
            return kept
        cached = self._js
        # One thread looks the sandbox up; the others keep showing the last answer meanwhile
        # (a lookup is an HTTP request: eight at once stalled a busy server's pages).
        if cached is not None and not self._js_lock.acquire(blocking=False):
            return cached[1]
        if cached is None:
            self._js_lock.acquire()
        try:
            js = self._find_stripe_js()
            self._js = (time.monotonic(), js)
            return js
        finally:
            self._js_lock.release()

    def stripe_js_kept(self) -> StripeJs | None:
        """`stripe_js()` while its last answer is current, without looking anything up
        (memory only: for the event loop); None when it must be looked up."""
        cached = self._js
        if cached is not None and time.monotonic() - cached[0] < JS_REVALIDATE:
            return cached[1]
        return None

    def _find_stripe_js(self) -> StripeJs:
        if self.config.sandbox:
            base = sandbox_url(self.config)
            key = self.config.stripe_publishable_key or SANDBOX_PUBLISHABLE_KEY
            return StripeJs(f"{base}/js.stripe.com/v3/", _origin(base), (_origin(base),), (), key)
        live_key = self.config.stripe_publishable_key
        if not live_key or not live_key.startswith("pk_"):
            raise CardLinkError(
                "The secure card page is not set up on this server (STRIPE_PUBLISHABLE_KEY "
                "is missing): please ask us for help, or pay with a saved card."
            )
        return StripeJs(
            REAL_STRIPE_JS,
            "https://js.stripe.com",
            ("https://api.stripe.com",),
            ("https://js.stripe.com", "https://hooks.stripe.com"),
            live_key,
        )

    # -- the kiosk ------------------------------------------------------------------------
    def create(self, client_id: int, actor: str = "") -> NewCardLink:
        """A SetupIntent for the client's customer and a fresh one-time link to the page."""
        self.stripe_js()  # refuse before making anything when the page cannot work
        customer = self.cards.ensure_customer(client_id)
        intent = self._new_intent(customer, client_id)
        token = new_token()
        expires = utcnow() + VALID_FOR
        with db.atomic():
            link = CardLink.create(
                client=client_id,
                token_hash=token_hash(token),
                setup_intent_id=intent.id,
                expires_at=expires,
            )
        audit(actor or f"client:{client_id}", "card_link.created", intent.id, {"link": link.id})
        url = f"{self.config.public_url.rstrip('/')}/card/{token}"
        return NewCardLink(link.id, url, expires)

    def status(self, client_id: int, link_id: int, check_stripe: bool = False) -> LinkStatus:
        """The link's state for its own client; `check_stripe` also picks up a card
        confirmed in the browser whose page never reported back (closed tab)."""
        link = CardLink.get_or_none((CardLink.id == link_id) & (CardLink.client == client_id))
        if link is None:
            raise LinkNotFound("That card link is not yours.")
        state = _state(link, utcnow())
        if state is LinkState.USED:
            return LinkStatus(state, _saved_card(link))
        if state is LinkState.OPEN and check_stripe:
            intent = self.stripe.v1.setup_intents.retrieve(link.setup_intent_id)
            if intent.status == "succeeded":
                return LinkStatus(LinkState.USED, self._save(link, intent, "kiosk poll"))
        return LinkStatus(state)

    # -- the page -------------------------------------------------------------------------
    def page(self, token: str) -> CardPage:
        """What the page shows for this token. Never uses the token up."""
        found = link_for_page(token_hash(token)) if _token_shaped(token) else None
        if found is None:
            raise LinkNotFound(NOT_VALID)
        link, business_name, client_name = found
        state = _state(link, utcnow())
        secret = self._secret(link) if state is LinkState.OPEN else ""
        card = _saved_card(link)
        return CardPage(state, business_name, client_name, secret, card, link.expires_at)

    def renew(self, token: str) -> str:
        """After the browser's confirm failed: the client secret to try again with, asked of
        Stripe (the sandbox cancels a SetupIntent on a decline: a fresh one replaces it)."""
        link = self._open_link(token)
        with self._secrets_lock:
            self._secrets.pop(link.id, None)
        return self._secret(link)

    def finish(self, token: str, address: str = "") -> CardView:
        """Save the card the page confirmed; the token is used from then on."""
        link = self._open_link(token)
        intent = self.stripe.v1.setup_intents.retrieve(link.setup_intent_id)
        if intent.status != "succeeded":
            raise CardLinkError(NOT_CONFIRMED)
        return self._save(link, intent, "card page", address)

    # -- helpers --------------------------------------------------------------------------
    def _open_link(self, token: str) -> CardLink:
        link = self._link(token)
        state = _state(link, utcnow())
        if state is LinkState.USED:
            raise LinkGone(USED)
        if state is LinkState.EXPIRED:
            raise LinkGone(f"{EXPIRED} {ASK_AGAIN}")
        return link

    def _link(self, token: str) -> CardLink:
        link = None
        if _token_shaped(token):
            link = CardLink.get_or_none(CardLink.token_hash == token_hash(token))
        if link is None:
            raise LinkNotFound(NOT_VALID)
        return link

    def _new_intent(self, customer: str, client_id: int) -> stripe.SetupIntent:
        params: SetupIntentCreateParams = {
            "customer": customer,
            "usage": "off_session",  # the card may be charged later (auto-billing)
            "metadata": {"paydesk_client": str(client_id)},
        }
        return self.stripe.v1.setup_intents.create(params=params)

    def _secret(self, link: CardLink) -> str:
        """The open link's client secret: kept from the last time Stripe was asked."""
        kept = self._secrets.get(link.id)
        if kept is not None and kept[0] == link.setup_intent_id:
            return kept[1]
        intent = self._open_intent(link)
        now = utcnow()
        with self._secrets_lock:
            for gone in [k for k, (_, _, until) in self._secrets.items() if until <= now]:
                del self._secrets[gone]
            self._secrets[link.id] = (str(intent.id), str(intent.client_secret), link.expires_at)
        return str(intent.client_secret)

    def _open_intent(self, link: CardLink):
        """The link's SetupIntent, replaced by a fresh one if it was canceled (the sandbox
        cancels it when a card is declined; Stripe lets the same one be confirmed again)."""
        intent = self.stripe.v1.setup_intents.retrieve(link.setup_intent_id)
        if intent.status != "canceled":
            return intent
        customer = Client.get_by_id(link.client_id).stripe_customer_id
        intent = self._new_intent(str(customer), link.client_id)
        with db.atomic():
            CardLink.update(setup_intent_id=intent.id).where(CardLink.id == link.id).execute()
        return intent

    def _save(self, link: CardLink, intent, via: str, address: str = "") -> CardView:
        """Attach (where Stripe has not), store, and mark the link used; safe to repeat."""
        customer = Client.get_by_id(link.client_id).stripe_customer_id
        card = self.save_confirmed(link.client_id, customer, intent, via)
        actor = f"client:{link.client_id}"
        with db.atomic():
            won = (
                CardLink.update(used_at=utcnow(), payment_method=card.id)
                .where((CardLink.id == link.id) & CardLink.used_at.is_null())
                .execute()
            )
        if won:
            audit(actor, "card_link.used", intent.id, {"link": link.id}, address)
        with self._secrets_lock:
            self._secrets.pop(link.id, None)
        return card

    def save_confirmed(self, client_id: int, customer: str | None, intent, via: str) -> CardView:
        """Store the card of a SetupIntent confirmed for `customer` (retrieved from Stripe),
        attaching it where Stripe has not; the card page and the invoice page use it."""
        if not customer or intent.customer != customer:
            raise CardLinkError("This card link does not belong to this account.")
        pm_id = intent.payment_method
        pm_id = pm_id if isinstance(pm_id, str) else pm_id.id
        pm = self.stripe.v1.payment_methods.retrieve(pm_id)
        if pm.customer is None:  # the sandbox; on Stripe the confirm attached it
            pm = self.stripe.v1.payment_methods.attach(pm_id, params={"customer": customer})
        elif pm.customer != customer:
            raise CardLinkError("This card belongs to another account.")
        return self.cards.save_attached(client_id, pm, f"client:{client_id}", via)
