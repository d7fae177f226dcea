"""The invoice page of a code, drawn once and shown again while it is current
(services/drawn_pages.py): until the database changes, the code expires or the business's
day turns (what is overdue), and while it names the same Stripe.js.

A page shown again still notes the code's use as `verify` does (`last_used_at`, the
`access_code.used` row when due), and is refused to a throttled address like any code. A
refusal (wrong, expired, revoked, void, throttled) never comes from here: only a page drawn
for a valid code is kept.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Generic, TypeVar

from models import Business, utcnow
from services.accounts import access_codes_sql
from services.accounts.access_codes import address_key, code_hash, normalize
from services.clock import next_day_starts
from services.drawn_pages import DrawnPages, Kept
from services.payments.card_links import CardLinkError, StripeJs

T = TypeVar("T")


class InvoicePages(Generic[T]):
    """`shown(code, address)`: `draw(code, address)`'s page, kept while it is current."""

    def __init__(self, door: Any, draw: Callable[[str, str], T]) -> None:
        self._door = door  # InvoicePageDoor: its codes and its Stripe.js
        self._draw = draw  # raises CodeRefused for a code it refuses
        self._pages: DrawnPages[T] = DrawnPages()
        # Addresses seen not throttled under a change number: a lock is a commit, which
        # moves the number, so while it stands they need not be read again. One set under
        # the shared number (models/changes.py), one under the probe's, for `at_once`.
        self._clear = ClearAddresses()
        self._clear_seen = ClearAddresses()

    def at_once(self, code: str, address: str, seen: int | None) -> T | None:
        """The kept page, if the probe's version `seen` is the one it was kept with, the
        address was seen not throttled under it and the use needs no note (memory only:
        for the event loop; None: `shown` in a thread)."""
        kept = self._pages.at_once(code, seen, self._door.stripe_js_kept())
        if kept is None:
            return None
        if not self._clear_seen.holds(seen, address):
            return None
        row, digest = kept.extra
        if not self._door.use_noted(row, digest, address, utcnow()):
            return None
        return kept.shown

    def shown(self, code: str, address: str, seen: int | None = None) -> T:
        """The page (from the database, in a thread); `seen`: the probe's version read
        before this call was sent here, kept with the page for `at_once`."""
        js = self._js()
        number, kept = self._pages.look(code, js)
        if kept is not None:
            now = utcnow()
            if not self._locked(number, address, now):
                self._clear_under_probe(seen, address)
                row, digest = kept.extra
                self._door.noted(row, digest, address, now)
                return kept.shown
        began = utcnow()  # the day the page is drawn for is this one, or a later one
        shown = self._draw(code, address)  # refuses a throttled address
        self._clear_under_probe(seen, address)
        if self._js() == js:  # the Stripe.js the page names is the one kept with it
            make = lambda: self._kept(code, number, shown, js, began)  # noqa: E731
            self._pages.keep(code, number, make, seen)
        return shown

    def _clear_under_probe(self, seen: int | None, address: str) -> None:
        """The address is not throttled as of the probe's version `seen` (read before the
        check: a lock since is a commit, which moves it)."""
        if seen is not None:
            self._clear_seen.add(seen, address)

    def _locked(self, number: int | None, address: str, now: datetime) -> bool:
        if self._clear.holds(number, address):
            return False
        if access_codes_sql.locked(address_key(address), now):
            return True
        self._clear.add(number, address)
        return False

    def _kept(self, code: str, number: int | None, shown: T, js: StripeJs | None, began: datetime):
        canonical = normalize(code)
        digest = code_hash(canonical) if canonical else ""
        row, invoice = access_codes_sql.code_and_invoice(digest)
        if number is None or row is None or invoice is None:
            return None
        zone = Business.get_by_id(invoice.business_id).timezone
        until = min(row.expires_at, next_day_starts(zone, began))
        return Kept(number, shown, until, js, (row, digest))

    def _js(self) -> StripeJs | None:
        try:
            return self._door.stripe_js()
        except CardLinkError:
            return None


class ClearAddresses:
    """Addresses seen not throttled while a change number stood (at most 10,000 kept)."""

    def __init__(self) -> None:
        self._held: tuple[int | None, set[str]] = (None, set())

    def holds(self, number: int | None, address: str) -> bool:
        under, addresses = self._held
        return number is not None and number == under and address in addresses

    def add(self, number: int | None, address: str) -> None:
        under, addresses = self._held
        if number != under:
            addresses = set()
            self._held = (number, addresses)
        if len(addresses) < 10_000:
            addresses.add(address)
