"""3-D Secure from the kiosk: the pay dialog shows the link (and QR code) of the invoice page
that finishes the payment, and shows the outcome by itself once the page has finished it."""

from __future__ import annotations

from models import AuditLog, Payment, PaymentAttempt
from screens.kiosk.action_link import ActionLinkView
from screens.kiosk.pay_dialog import PayDialog
from services.accounts.access_codes import normalize
from tests.fixtures.card_page import (
    browser_authenticate,
    fix_access_code,
    wait_for_text,
)
from tests.fixtures.kiosk import (
    choose_pay_now,
    drive,
    outcome_focused,
    screen_text,
    settle,
    sign_in,
    signed_in_at,
)
from tui.kiosk_app import make_kiosk_app

open_first = signed_in_at("invoices", "enter")
ADDRESS = "127.0.0.1"


def _last_attempt() -> PaymentAttempt:
    return PaymentAttempt.select().order_by(PaymentAttempt.id.desc()).get()


def _client(services) -> int:
    return services.invoices.get(1).client_id


async def paid_with_3ds(pilot) -> None:
    """Open the first owed invoice (INV-0003) and pay it with the 3-D Secure card."""
    await open_first(pilot)
    await choose_pay_now(pilot, "#pay-now", 1)
    # Pay by keyboard: a pointer left where Pay was is where the dialog's Close button comes,
    # and whether Close was drawn hovered and focused depended on when mouse events arrived.
    pilot.app.screen.query_one("#pay").focus()
    await pilot.press("enter")
    await settle(pilot)
    await wait_for_text(pilot, "Waiting for your bank")
    await outcome_focused(pilot)


def _link(app) -> str:
    view = app.screen.query_one(ActionLinkView)
    assert view.link is not None
    return view.link.url


def complete_on_the_page(services, url: str, sandbox_url: str, success: bool = True) -> None:
    """What the invoice page does: "Complete the payment" (its action request), the bank's
    modal at Stripe (localstripe), then its done request, which asks Stripe and records."""
    code = url.rsplit("/i/", 1)[1]
    door = services.invoice_pages()
    page = door.page(code, ADDRESS)
    assert page.action_attempt is not None
    secret, _pm = door.action(code, ADDRESS, page.action_attempt)
    browser_authenticate(sandbox_url, secret, success)
    door.finish_action(code, ADDRESS, page.action_attempt)


class TestThreeDSecureDialog:
    def test_snapshot(self, services, snap_compare, monkeypatch):
        services.cards.add_test_card(_client(services), "3ds")
        fix_access_code(monkeypatch)
        app = make_kiosk_app(services)
        assert snap_compare(app, terminal_size=(100, 30), run_before=paid_with_3ds)

    def test_snapshot_80x24(self, services, snap_compare, monkeypatch):
        services.cards.add_test_card(_client(services), "3ds")
        fix_access_code(monkeypatch)
        app = make_kiosk_app(services)
        assert snap_compare(app, terminal_size=(80, 24), run_before=paid_with_3ds)

    def test_the_link_opens_the_invoice_page_of_the_waiting_payment(self, services):
        services.cards.add_test_card(_client(services), "3ds")

        async def script(pilot):
            await paid_with_3ds(pilot)
            how = str(pilot.app.screen.query_one("#action-how").render())
            return _link(pilot.app), screen_text(pilot.app) + how

        url, text = drive(make_kiosk_app(services), script, (100, 30))
        assert url.startswith(services.config.public_url.rstrip("/") + "/i/")
        assert url in text  # the whole link, on one line
        assert "Nothing was charged yet. To pay $288.24, scan" in " ".join(text.split())
        assert "add this card" not in text
        code = url.rsplit("/i/", 1)[1]
        page = services.invoice_pages().page(code, ADDRESS)
        assert page.invoice.number == "INV-0003"
        assert page.action_attempt == _last_attempt().id
        # Audited by invoice and attempt, never the code itself.
        row = (
            AuditLog.select()
            .where(AuditLog.action == "access_code.created")
            .order_by(AuditLog.id.desc())
            .get()
        )
        assert row.actor.startswith("contact:") and row.subject == f"invoice:{page.invoice.id}"
        assert f'"attempt": {page.action_attempt}' in row.detail
        assert normalize(code).replace("-", "") not in f"{row.detail}{row.subject}"

    def test_completed_on_the_page_the_dialog_shows_the_receipt_by_itself(
        self, services, sandbox_url
    ):
        services.cards.add_test_card(_client(services), "3ds")
        before = Payment.select().count()

        async def script(pilot):
            await paid_with_3ds(pilot)
            complete_on_the_page(services, _link(pilot.app), sandbox_url)
            text = await wait_for_text(pilot, "Payment received")
            await settle(pilot)
            return text, pilot.app.screen

        text, dialog = drive(make_kiosk_app(services), script, (100, 30))
        assert isinstance(dialog, PayDialog) and not dialog.query(ActionLinkView)
        assert "$288.24" in text and "•••• 3184" in text
        assert Payment.select().count() == before + 1 and _last_attempt().status == "succeeded"
        assert dialog.charges == 1

    def test_authenticated_but_never_reported_is_picked_up_from_stripe(self, services, sandbox_url):
        services.cards.add_test_card(_client(services), "3ds")
        before = Payment.select().count()

        async def script(pilot):
            await paid_with_3ds(pilot)
            code = _link(pilot.app).rsplit("/i/", 1)[1]
            door = services.invoice_pages()
            attempt = door.page(code, ADDRESS).action_attempt
            secret, _pm = door.action(code, ADDRESS, attempt)
            browser_authenticate(sandbox_url, secret)  # the tab closed before its done request
            return await wait_for_text(pilot, "Payment received", seconds=15)

        assert "$288.24" in drive(make_kiosk_app(services), script, (100, 30))
        assert Payment.select().count() == before + 1

    def test_authentication_failed_on_the_page_says_nothing_was_charged(
        self, services, sandbox_url
    ):
        services.cards.add_test_card(_client(services), "3ds")
        before = Payment.select().count()

        async def script(pilot):
            await paid_with_3ds(pilot)
            complete_on_the_page(services, _link(pilot.app), sandbox_url, success=False)
            text = await wait_for_text(pilot, "nothing was charged")
            await settle(pilot)
            return text, pilot.app.screen.query_one("#try-another").display

        text, try_another = drive(make_kiosk_app(services), script, (100, 30))
        assert "Card declined — nothing was charged" in text and try_another
        assert Payment.select().count() == before

    def test_several_invoices_one_link_pays_them_all(self, services, sandbox_url):
        before = Payment.select().count()

        async def script(pilot):
            app = pilot.app
            await sign_in(pilot)
            await pilot.click("#add-card")
            await settle(pilot)
            for _ in range(3):
                await pilot.press("down")  # the fourth test card: 3-D Secure
            await pilot.press("enter")
            await settle(pilot)
            await pilot.click("#yes")  # pay the 3 owed invoices with it
            await settle(pilot)
            assert isinstance(app.screen, PayDialog)
            await pilot.click("#pay")
            await settle(pilot)
            await wait_for_text(pilot, "Waiting for your bank")
            shown = str(app.screen.query_one("#action-covers").render())
            url = _link(app)
            page = services.invoice_pages().page(url.rsplit("/i/", 1)[1], ADDRESS)
            complete_on_the_page(services, url, sandbox_url)
            paid = await wait_for_text(pilot, "Payment received")
            return shown, page, paid

        shown, page, paid = drive(make_kiosk_app(services), script, (100, 30))
        assert "confirms the one payment for INV-0003, INV-0004, INV-0005" in shown
        assert page.invoice.number == "INV-0003" and page.action_attempt == _last_attempt().id
        assert "$720.74" in paid
        assert [p.amount for p in Payment.select()][before:] == [72074]
        assert services.invoices.owed(_client(services)).total == 0
