"""Saved cards: one Stripe customer per client; only pm id, brand, last4, expiry, fingerprint.

A card number never reaches the database. With live keys cards are added on the hosted card
page (web/); `add_test_card` is for the sandbox and Stripe test mode only.
"""

from __future__ import annotations

import builtins
import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from models import Client, PaymentMethod, db, lock_rows, write_lock
from services.audit import audit
from services.config import Config
from services.errors import PaydeskError
from services.payments.declines import decline_message

if TYPE_CHECKING:
    import stripe
else:  # the SDK loads when first used (see services.stripe_client.sdk)
    from services.stripe_client import sdk as stripe

log = logging.getLogger(__name__)

# Stripe's documented test cards. The sandbox takes the numbers; Stripe test mode takes the
# PaymentMethod tokens. "insufficient_funds" is declined when it is attached (by Stripe and
# by localstripe alike), so adding it fails with the decline reason.
TEST_CARDS = {
    "success": ("4242424242424242", "pm_card_visa"),
    "declined": ("4000000000000341", "pm_card_chargeCustomerFail"),
    "insufficient_funds": ("4000000000009995", "pm_card_visa_chargeDeclinedInsufficientFunds"),
    "3ds": ("4000002760003184", "pm_card_authenticationRequired"),
}

BRANDS = {
    "visa": "Visa",
    "mastercard": "Mastercard",
    "amex": "American Express",
    "discover": "Discover",
    "diners": "Diners Club",
    "jcb": "JCB",
    "unionpay": "UnionPay",
}


# A client's cards in the order they are offered: the default first, then the newest. The
# first is also the card auto-billing charges (default_card).
CARD_ORDER = (PaymentMethod.is_default.desc(), PaymentMethod.id.desc())


class CardError(PaydeskError):
    """A card operation that could not be done; the message is for the client."""


@dataclass(frozen=True)
class CardView:
    id: int
    stripe_pm_id: str
    brand: str
    last4: str
    exp_month: int
    exp_year: int
    is_default: bool
    label: str

    @property
    def expiry(self) -> str:
        return card_expiry(self.exp_month, self.exp_year)

    def expired(self, today: date) -> bool:
        return (self.exp_year, self.exp_month) < (today.year, today.month)


def card_label(brand: str, last4: str) -> str:
    """The one way a card is written, everywhere: "Visa •••• 4242"."""
    return f"{BRANDS.get(brand.lower(), brand.title() or 'Card')} •••• {last4}"


def card_expiry(exp_month: int, exp_year: int) -> str:
    """A card's expiry as printed on it: "exp 03/29"."""
    return f"exp {exp_month:02d}/{exp_year % 100:02d}"


def default_card(client_id: int) -> PaymentMethod | None:
    """The card auto-billing charges for this client (None: no saved card)."""
    return (
        PaymentMethod.select()
        .where(PaymentMethod.client == client_id)
        .order_by(*CARD_ORDER)
        .first()
    )


def view_of(row: PaymentMethod) -> CardView:
    return CardView(
        id=row.id,
        stripe_pm_id=row.stripe_pm_id,
        brand=row.brand,
        last4=row.last4,
        exp_month=row.exp_month,
        exp_year=row.exp_year,
        is_default=row.is_default,
        label=card_label(row.brand, row.last4),
    )


class CardService:
    """Lists, adds, removes and picks the default of a client's saved cards."""

    def __init__(self, stripe_client: stripe.StripeClient, config: Config) -> None:
        self.stripe = stripe_client
        self.config = config

    # -- reading ------------------------------------------------------------------------
    def list(self, client_id: int) -> list[CardView]:
        rows = PaymentMethod.select().where(PaymentMethod.client == client_id).order_by(*CARD_ORDER)
        return [view_of(row) for row in rows]

    def default(self, client_id: int) -> CardView | None:
        """The card a payment uses when none is chosen: the default, else the newest."""
        row = default_card(client_id)
        return view_of(row) if row else None

    def get(self, client_id: int, card_id: int) -> CardView:
        row = PaymentMethod.get_or_none(
            (PaymentMethod.id == card_id) & (PaymentMethod.client == client_id)
        )
        if row is None:
            raise CardError("That card is not saved for this client.")
        return view_of(row)

    # -- Stripe customer ------------------------------------------------------------------
    def ensure_customer(self, client_id: int) -> str:
        """The client's Stripe customer id, created at Stripe the first time."""
        client = Client.get_by_id(client_id)
        if client.stripe_customer_id:
            return client.stripe_customer_id
        customer = self.stripe.v1.customers.create(
            params={
                "name": client.name,
                "email": client.email,
                "metadata": {"paydesk_client": str(client.id)},
            }
        )
        with db.atomic():
            won = (
                Client.update(stripe_customer_id=customer.id)
                .where((Client.id == client_id) & Client.stripe_customer_id.is_null())
                .execute()
            )
        if not won:  # another process created one at the same moment: use theirs
            return str(Client.get_by_id(client_id).stripe_customer_id)
        return str(customer.id)

    # -- changing -------------------------------------------------------------------------
    def sync(self, client_id: int) -> builtins.list[CardView]:
        """Bring the stored cards in line with the cards attached at Stripe."""
        customer = self.ensure_customer(client_id)
        remote = self.stripe.v1.payment_methods.list(
            params={"customer": customer, "type": "card", "limit": 100}
        )
        seen: set[str] = set()
        for pm in remote.auto_paging_iter():
            seen.add(pm.id)
            self._store(client_id, pm)
        with write_lock():
            stale = PaymentMethod.delete().where(
                (PaymentMethod.client == client_id) & PaymentMethod.stripe_pm_id.not_in(seen)
            )
            stale.execute()
            self._ensure_a_default(client_id)
        return self.list(client_id)

    def add_test_card(self, client_id: int, kind: str, actor: str = "") -> CardView:
        """Save one of Stripe's test cards (sandbox or test mode only; never with a live key)."""
        if kind not in TEST_CARDS:
            raise CardError(f"unknown test card {kind!r}; one of: {', '.join(TEST_CARDS)}")
        key = self.config.stripe_api_key or ""
        if key and not key.startswith(("sk_test_", "rk_test_")):
            raise CardError("Test cards can only be added in the sandbox or in Stripe test mode.")
        number, token = TEST_CARDS[kind]
        customer = self.ensure_customer(client_id)
        try:
            if self.config.sandbox:
                pm = self.stripe.v1.payment_methods.create(
                    params={
                        "type": "card",
                        "card": {
                            "number": number,
                            "exp_month": 12,
                            "exp_year": datetime.now(UTC).year + 3,
                            "cvc": "123",
                        },
                    }
                )
                pm = self.stripe.v1.payment_methods.attach(pm.id, params={"customer": customer})
            else:
                pm = self.stripe.v1.payment_methods.attach(token, params={"customer": customer})
        except stripe.CardError as exc:
            err = exc.error
            raise CardError(
                decline_message(exc.code, getattr(err, "decline_code", None), exc.user_message)
            ) from None
        view = self._store(client_id, pm, detach_duplicate=True)
        audit(actor or f"client:{client_id}", "card.added", view.label, {"kind": kind})
        return view

    def save_attached(self, client_id: int, pm, actor: str, via: str) -> CardView:
        """Store a PaymentMethod already attached to the client's customer (the card page);
        a card whose fingerprint is already saved is not stored twice (the new one is
        detached at Stripe and the saved one returned)."""
        view = self._store(client_id, pm, detach_duplicate=True)
        audit(actor or f"client:{client_id}", "card.added", view.label, {"via": via})
        return view

    def set_default(self, client_id: int, card_id: int, actor: str = "") -> CardView:
        card = self.get(client_id, card_id)
        with write_lock():
            PaymentMethod.update(is_default=(PaymentMethod.id == card_id)).where(
                PaymentMethod.client == client_id
            ).execute()
        customer = Client.get_by_id(client_id).stripe_customer_id
        if customer:
            try:
                self.stripe.v1.customers.update(
                    customer,
                    params={"invoice_settings": {"default_payment_method": card.stripe_pm_id}},
                )
            except stripe.StripeError as exc:  # the local default is what paydesk charges
                log.warning("could not set the default card at Stripe: %s", exc.user_message)
        audit(actor or f"client:{client_id}", "card.default", card.label, {})
        return self.get(client_id, card_id)

    def remove(self, client_id: int, card_id: int, actor: str = "") -> None:
        card = self.get(client_id, card_id)
        try:
            self.stripe.v1.payment_methods.detach(card.stripe_pm_id)
        except stripe.InvalidRequestError as exc:
            if exc.http_status != 404:
                raise CardError(f"Stripe refused to remove the card: {exc.user_message}") from None
        with write_lock():
            PaymentMethod.delete().where(PaymentMethod.id == card_id).execute()
            self._ensure_a_default(client_id)
        audit(actor or f"client:{client_id}", "card.removed", card.label, {})

    def save(self, client_id: int, pm) -> CardView:
        """Store a card attached to the client's customer at Stripe (the card page, a
        webhook). A card already saved (same fingerprint) is returned, not added again;
        no Stripe call. Inside a transaction it joins it."""
        return self._store(client_id, pm)

    def forget(self, stripe_pm_id: str) -> tuple[int, CardView] | None:
        """Drop a card Stripe no longer has for the client (detached there); no Stripe call.
        Returns (client id, the card) if it was saved; another card becomes the default."""
        with write_lock():
            row = PaymentMethod.get_or_none(PaymentMethod.stripe_pm_id == stripe_pm_id)
            if row is None:
                return None
            PaymentMethod.delete().where(PaymentMethod.id == row.id).execute()
            self._ensure_a_default(row.client_id)
        audit("stripe", "card.removed", view_of(row).label, {})
        return row.client_id, view_of(row)

    # -- helpers --------------------------------------------------------------------------
    def _store(self, client_id: int, pm, detach_duplicate: bool = False) -> CardView:
        """Upsert a Stripe PaymentMethod; a second card with a known fingerprint is not kept."""
        card = pm.card
        fingerprint = getattr(card, "fingerprint", None)
        with write_lock():
            lock_rows(Client.select().where(Client.id == client_id)).get()
            row = PaymentMethod.get_or_none(PaymentMethod.stripe_pm_id == pm.id)
            duplicate = None
            if row is None and fingerprint:
                duplicate = PaymentMethod.get_or_none(
                    (PaymentMethod.client == client_id) & (PaymentMethod.fingerprint == fingerprint)
                )
            if duplicate is not None:
                result = view_of(duplicate)
            else:
                fields = {
                    "brand": card.brand or "card",
                    "last4": card.last4,
                    "exp_month": int(card.exp_month),
                    "exp_year": int(card.exp_year),
                    "fingerprint": fingerprint,
                }
                if row is None:
                    has_default = (
                        PaymentMethod.select()
                        .where((PaymentMethod.client == client_id) & PaymentMethod.is_default)
                        .exists()
                    )
                    row = PaymentMethod.create(
                        client=client_id,
                        stripe_pm_id=pm.id,
                        is_default=not has_default,
                        **fields,
                    )
                else:
                    PaymentMethod.update(**fields).where(PaymentMethod.id == row.id).execute()
                    row = PaymentMethod.get_by_id(row.id)
                result = view_of(row)
        if duplicate is not None and detach_duplicate:
            try:
                self.stripe.v1.payment_methods.detach(pm.id)
            except stripe.StripeError as exc:
                log.warning("could not detach a duplicate card: %s", exc.user_message)
        return result

    def _ensure_a_default(self, client_id: int) -> None:
        mine = PaymentMethod.select().where(PaymentMethod.client == client_id)
        if mine.count() and not mine.where(PaymentMethod.is_default).exists():
            first = mine.order_by(PaymentMethod.id.desc()).first()
            PaymentMethod.update(is_default=True).where(PaymentMethod.id == first.id).execute()
