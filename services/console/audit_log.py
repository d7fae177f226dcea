"""The console's audit log: every row of the trail, newest first, one page at a time in SQL.

A page is two statements whatever the size of the trail (the count and the page), after one
read of the distinct action names when the action is filtered: the action filter and the
kinds (money, access, changes) are matched against those names here and become an
`action IN (…)` that the index on the action serves. Dates are the business's days.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, cast

from peewee import SQL

from models import AuditLog, Client, Contact, utcnow
from services.audit import AuditEntry, entry_of
from services.console.client_detail import about_clients, shown_entry
from services.console.payment_list import day_start_utc

# Money moving, and who may do what: the two kinds the owner reviews most.
MONEY = ("payment.", "refund.", "invoice.voided", "charge.")
ACCESS = (
    "login.", "logout", "password.", "owner.", "admin.", "admin_key.", "access_code.",
    "card_link.", "contact.", "recurring.autobill",
)  # fmt: skip
CHANGED = (".edited", ".updated", ".autobill_mode", ".autobill_overridden", ".changed")

KINDS: dict[str, tuple[str, Callable[[str], bool]]] = {
    "all": ("Every action", lambda action: True),
    "money": ("Money", lambda action: action.startswith(MONEY)),
    "access": ("Access", lambda action: action.startswith(ACCESS)),
    "changes": ("Changes", lambda action: action.endswith(CHANGED) or "settings." in action),
}


@dataclass(frozen=True)
class AuditQuery:
    """Which rows: between two of the business's days (either may be None); `client` in a
    client's name or email (rows about the client, its contacts, invoices and recurring
    invoices, or done by them); `action` in the action's name; `who` in the actor (or a
    contact's name or email); a KINDS key."""

    since: date | None = None
    until: date | None = None
    client: str = ""
    action: str = ""
    who: str = ""
    kind: str = "all"


@dataclass(frozen=True)
class AuditPage:
    rows: tuple[AuditEntry, ...]
    offset: int
    total: int
    as_of: datetime


def action_names() -> list[str]:
    """Every action the trail holds, in name order (read through the action's index)."""
    query = AuditLog.select(AuditLog.action).distinct().order_by(AuditLog.action).tuples()
    return [name for (name,) in cast("Iterable[tuple[str]]", query)]


def _actions(ask: AuditQuery) -> list[str] | None:
    """The action names the filter lets through (None: every one, no condition needed)."""
    needle = ask.action.strip().lower()
    kind = KINDS.get(ask.kind, KINDS["all"])[1]
    if not needle and ask.kind == "all":
        return None
    return [a for a in action_names() if needle in a.lower() and kind(a)]


def _who(needle: str):
    contacts = Contact.select(SQL("'contact:'").concat(Contact.id)).where(
        Contact.name.contains(needle) | Contact.email.contains(needle)
    )
    return AuditLog.actor.contains(needle) | AuditLog.actor.in_(contacts)


def _where(tz_name: str, ask: AuditQuery):
    where: Any = SQL("1 = 1")
    if ask.since is not None:
        where &= AuditLog.at >= day_start_utc(ask.since, tz_name)
    if ask.until is not None:
        where &= AuditLog.at < day_start_utc(ask.until + timedelta(days=1), tz_name)
    actions = _actions(ask)
    if actions is not None:
        where &= AuditLog.action.in_(actions) if actions else SQL("1 = 0")
    client = ask.client.strip()
    if client:
        ids = Client.select(Client.id).where(
            Client.name.contains(client) | Client.email.contains(client)
        )
        where &= about_clients(ids)
    who = ask.who.strip()
    if who:
        where &= _who(who)
    return where


def audit_log_page(tz_name: str, ask: AuditQuery, offset: int = 0, limit: int = 50) -> AuditPage:
    """One page of the trail as `ask` says, newest first, from `offset`."""
    where = _where(tz_name, ask)
    total = AuditLog.select(AuditLog.id).where(where).count()
    page = AuditLog.select().where(where).order_by(AuditLog.id.desc())
    rows = tuple(shown_entry(entry_of(row)) for row in page.offset(max(0, offset)).limit(limit))
    return AuditPage(rows, max(0, offset), total, utcnow())


def audit_entry(entry_id: int) -> AuditEntry | None:
    """One row of the trail, whole, its text shown literally (None: no such row)."""
    row = AuditLog.get_or_none(AuditLog.id == entry_id)
    return shown_entry(entry_of(row)) if row is not None else None
