"""Pages drawn once and shown again (services/drawn_pages.py, services/doors/web_drawn.py):
kept on SQLite while nothing changed, drawn anew after any commit, past the code's expiry
or for a throttled address, never kept on PostgreSQL; a page shown again still notes its
code's use. And the change number itself (models/changes.py)."""

from __future__ import annotations

import threading
import time
from datetime import date, timedelta

import pytest

from models import AccessCode, AuditLog, Invoice, Throttle, db, is_sqlite, utcnow
from models.changes import changes_seen
from services.accounts.access_codes import address_key
from services.doors.web import CodeRefused
from services.doors.web_drawn import InvoicePages
from services.invoices.views import LineInput
from tests.fixtures.web import http
from web.invoice_page import _drawer

ADDRESS = "198.51.100.7"


def _pages(shop):
    """The invoice pages over the shop's door, counting the pages drawn."""
    door = shop.services.invoice_pages()
    draw = _drawer(door, shop.services.config)
    drawn: list[str] = []

    def counted(code: str, address: str):
        drawn.append(code)
        return draw(code, address)

    return InvoicePages(door, counted), drawn


def _code(shop, expires_in: timedelta | None = None) -> tuple[int, str]:
    services = shop.services
    detail = services.invoices.create(
        shop.client_id, [LineInput("Network audit", 12_500, 1000)], date(2026, 3, 1)
    )
    expires = utcnow() + expires_in if expires_in else None
    return detail.id, services.codes.create(detail.id, expires_at=expires)


def test_a_page_is_shown_again_until_anything_is_committed(shop):
    pages, drawn = _pages(shop)
    invoice_id, code = _code(shop)
    first, _ = pages.shown(code, ADDRESS)  # drawn; noting its first use is a commit
    pages.shown(code, ADDRESS)  # so drawn again, and kept
    again, _ = pages.shown(code, ADDRESS)
    assert again == first and "$125.00" in first
    assert len(drawn) == (2 if is_sqlite() else 3)  # PostgreSQL: drawn each time
    Invoice.update(amount_paid=2_500, status="partial").where(Invoice.id == invoice_id).execute()
    after, _ = pages.shown(code, ADDRESS)
    assert "$100.00" in after, after  # the balance as it is now
    assert len(drawn) == (3 if is_sqlite() else 4)


def test_a_commit_by_another_thread_draws_it_anew(shop):
    pages, drawn = _pages(shop)
    invoice_id, code = _code(shop)
    pages.shown(code, ADDRESS)
    pages.shown(code, ADDRESS)

    def void() -> None:
        Invoice.update(status="void").where(Invoice.id == invoice_id).execute()
        db.close()

    thread = threading.Thread(target=void)
    thread.start()
    thread.join()
    with pytest.raises(CodeRefused):  # a void invoice's page is not shown again
        pages.shown(code, ADDRESS)


def test_a_kept_page_is_refused_to_a_throttled_address_and_past_its_code_expiry(shop):
    pages, drawn = _pages(shop)
    _, code = _code(shop, expires_in=timedelta(seconds=2))
    pages.shown(code, ADDRESS)
    pages.shown(code, ADDRESS)
    Throttle.create(key=address_key("203.0.113.9"), locked_until=utcnow() + timedelta(hours=1))
    pages.shown(code, ADDRESS)  # the lock is a commit: drawn again, and kept again
    with pytest.raises(CodeRefused, match="Too many"):
        pages.shown(code, "203.0.113.9")
    time.sleep(2.1)
    with pytest.raises(CodeRefused):  # past its code's expiry
        pages.shown(code, ADDRESS)


def test_a_page_shown_again_notes_the_use_of_its_code(shop):
    pages, drawn = _pages(shop)
    _, code = _code(shop)
    pages.shown(code, ADDRESS)  # drawn; its use noted (last_used_at written, audited)
    pages.shown(code, ADDRESS)  # drawn again after that write, and kept
    pages.shown(code, "192.0.2.44")  # shown again: its use from a new address is audited
    used = AuditLog.select().where(AuditLog.action == "access_code.used")
    assert sorted(row.source_address for row in used) == ["192.0.2.44", ADDRESS]
    assert AccessCode.get().last_used_at is not None
    assert len(drawn) == (2 if is_sqlite() else 3)


def test_the_card_page_says_used_once_its_kept_page_link_is_used(shop, web_server):
    link = shop.services.card_links.create(shop.client_id)
    path = "/card/" + link.url.rsplit("/card/", 1)[1]
    assert http(web_server, "GET", path).status == 200
    assert http(web_server, "GET", path).status == 200
    from models import CardLink

    CardLink.update(used_at=utcnow()).execute()
    gone = http(web_server, "GET", path)
    assert gone.status == 410 and "already" in gone.body.decode().lower()


def test_a_page_forgotten_is_drawn_anew(database):
    from services.drawn_pages import DrawnPages, Kept

    pages: DrawnPages[str] = DrawnPages()
    number, kept = pages.look("token", None)
    assert kept is None
    pages.keep("token", number, lambda: Kept(number or 0, "page", utcnow() + timedelta(1), None))
    assert (pages.look("token", None)[1] is not None) == is_sqlite()
    pages.forget("token")  # /card/TOKEN/renew does, whatever Stripe answered
    assert pages.look("token", None)[1] is None


def test_the_change_number_stands_until_a_commit_here_or_elsewhere(database):
    if not is_sqlite():
        assert changes_seen() is None
        return
    first = changes_seen()
    assert changes_seen() == first == changes_seen()
    Throttle.create(key="here", locked_until=None)  # this thread's connection
    second = changes_seen()
    assert second != first and changes_seen() == second

    def elsewhere() -> None:
        Throttle.create(key="elsewhere", locked_until=None)
        db.close()

    thread = threading.Thread(target=elsewhere)
    thread.start()
    thread.join()
    assert changes_seen() != second


def test_the_probe_moves_on_every_commit_and_never_waits_for_a_writer(database):
    import sqlite3

    from models.changes import change_probe

    probe = change_probe()
    if not is_sqlite():
        assert probe is None
        return
    assert probe is not None
    first = probe.version()
    assert first is not None and probe.version() == first
    Throttle.create(key="here", locked_until=None)  # any other connection's commit
    second = probe.version()
    assert second is not None and second != first
    writer = sqlite3.connect(db.obj.database, timeout=0, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # a writer holding the lock, not committed yet
    writer.execute("UPDATE throttle SET key = key")
    began = time.monotonic()
    assert probe.version() == second  # answered at once: nothing committed
    assert time.monotonic() - began < 0.2
    writer.execute("COMMIT")
    writer.close()
    assert probe.version() != second
    probe.close()


def test_a_kept_page_is_sent_at_once_only_while_the_probe_reads_its_number(shop):
    from models.changes import change_probe

    probe = change_probe()
    if probe is None:
        return  # PostgreSQL: every page is drawn in a thread
    pages, drawn = _pages(shop)
    invoice_id, code = _code(shop)
    assert pages.at_once(code, ADDRESS, probe.version()) is None  # nothing kept yet
    pages.shown(code, ADDRESS, probe.version())  # drawn; noting its first use commits
    first, _ = pages.shown(code, ADDRESS, probe.version())  # drawn again, kept
    again = pages.at_once(code, ADDRESS, probe.version())  # memory only: no draw, no thread
    assert again is not None and again[0] == first
    assert len(drawn) == 2
    # A new address must be noted (audited): that is a write, so it goes to a thread.
    assert pages.at_once(code, "192.0.2.44", probe.version()) is None
    Invoice.update(amount_paid=2_500, status="partial").where(Invoice.id == invoice_id).execute()
    assert pages.at_once(code, ADDRESS, probe.version()) is None  # a commit since
    after, _ = pages.shown(code, ADDRESS, probe.version())
    assert "$100.00" in after
    probe.close()


def test_the_invoice_page_shows_a_commit_made_between_two_gets(shop, web_server):
    invoice_id, code = _code(shop)
    for _ in range(3):  # drawn, drawn again after noting its use, then kept
        assert "$125.00" in http(web_server, "GET", f"/i/{code}").body.decode()
    Invoice.update(amount_paid=2_500, status="partial").where(Invoice.id == invoice_id).execute()
    assert "$100.00" in http(web_server, "GET", f"/i/{code}").body.decode()
