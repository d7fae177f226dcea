"""The console's command palette (Ctrl+P): sections by name, clients, invoices and payments
found in SQL (a few of each), and the verbs "statement for <client>", "refund PAY-…" and
"send INV-…". Stored names are shown literally."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content
from textual.message import Message

from screens.admin.events import OpenClient, OpenInvoice, OpenPayment, SendInvoice
from screens.admin.sections import SECTIONS, SectionBar
from services.console.palette_search import Found

VERBS = {"statement": "client", "refund": "payment", "send": "invoice"}
KIND_WORD = {"client": "Client", "invoice": "Invoice", "payment": "Payment"}


def _message(verb: str, found: Found) -> Message:
    if verb == "refund":
        return OpenPayment(found.id, refund=True)
    if verb == "send":
        return SendInvoice(found.id, found.label, found.detail, found.status)
    if found.kind == "invoice":
        return OpenInvoice(found.id)
    if found.kind == "payment":
        return OpenPayment(found.id)
    return OpenClient(found.client_id)  # a client, and a statement (its client's detail)


def _title(verb: str, found: Found) -> str:
    if verb == "statement":
        return f"Statement for {found.label}"
    if verb == "refund":
        return f"Refund {found.label} ({found.detail})"
    if verb == "send":
        return f"Send {found.label} to {found.detail}"
    return f"{KIND_WORD[found.kind]} {found.label} · {found.detail}"


class ConsoleCommands(Provider):
    """Sections, the business's clients, invoices and payments, and three verbs."""

    def _post(self, message: Message) -> Callable[[], object]:
        return partial(self.app.post_message, message)

    async def discover(self) -> Hits:
        for target, label, key in SECTIONS:
            yield DiscoveryHit(
                Content(f"Go to {label}"), self._post(SectionBar.Navigate(target)), help=key.upper()
            )

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for target, label, key in SECTIONS:
            text = f"Go to {label}"
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, matcher.highlight(text), self._post(SectionBar.Navigate(target)),
                          text=text, help=key.upper())  # fmt: skip
        ctx = getattr(self.app, "ctx", None)
        if ctx is None:
            return
        word, _, rest = query.strip().partition(" ")
        verb = word.lower() if word.lower() in VERBS and rest.strip() else ""
        term = rest.strip() if verb else query.strip()
        if verb == "statement" and term.lower().startswith("for "):
            term = term[4:]
        found = await asyncio.to_thread(ctx.door.find, term)
        for item in found:
            if verb and item.kind != VERBS[verb]:
                continue
            title = _title(verb, item)
            score = max(matcher.match(title), 0.1)
            yield Hit(score, Content(title), self._post(_message(verb, item)), text=title)
