"""Invoice by code: that one invoice with Pay Now, and nothing else reachable."""

from __future__ import annotations

from screens.kiosk.code_invoice import CodeInvoiceScreen
from screens.kiosk.login import LoginScreen
from tests.fixtures.kiosk import choose_pay_now, drive, screen_text, settle
from tui.kiosk_app import make_kiosk_app


def code_for(services, number: str = "INV-0004") -> str:
    return services.codes.create(services.invoices.find_by_number(number))


class TestCodeInvoiceScreen:
    def test_snapshot(self, services, snap_compare):
        app = make_kiosk_app(services, start_code=code_for(services))
        assert snap_compare(app, terminal_size=(100, 30), run_before=settle)

    def test_snapshot_code_entry_dialog(self, services, snap_compare):
        async def run_before(pilot):
            await settle(pilot)
            await pilot.press("ctrl+o")
            await settle(pilot)
            await pilot.press(*"not-a-code", "enter")
            await settle(pilot)

        app = make_kiosk_app(services)
        assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)

    def test_shows_that_invoice_and_nothing_else(self, services):
        async def script(pilot):
            app = pilot.app
            assert isinstance(app.screen, CodeInvoiceScreen)
            number = app.screen.detail.number
            has_top_bar = bool(app.screen.query("TopBar"))
            for key in ("d", "i", "r", "c", "h", "escape"):
                await pilot.press(key)
                await settle(pilot)
            return number, has_top_bar, app.screen, screen_text(app)

        number, top_bar, screen, text = drive(
            make_kiosk_app(services, start_code=code_for(services)), script, size=(100, 30)
        )
        assert number == "INV-0004"
        assert not top_bar
        assert isinstance(screen, CodeInvoiceScreen)
        assert "Log in to see all your invoices" in text

    def test_log_in_link_goes_to_login(self, services):
        async def script(pilot):
            await pilot.click("#login")
            await settle(pilot)
            return pilot.app.screen

        screen = drive(make_kiosk_app(services, start_code=code_for(services)), script)
        assert isinstance(screen, LoginScreen)

    def test_a_bad_code_lands_on_login_with_the_reason(self, services):
        async def script(pilot):
            return pilot.app.screen, [n.message for n in pilot.app._notifications]

        screen, notes = drive(make_kiosk_app(services, start_code="nope-nope"), script)
        assert isinstance(screen, LoginScreen)
        assert any("not valid or has expired" in n for n in notes)

    def test_code_typed_on_the_login_screen_in_upper_case(self, services):
        code = code_for(services, "INV-0005")

        async def script(pilot):
            await pilot.press("ctrl+o")
            await settle(pilot)
            await pilot.press(*code.upper().replace("-", " "), "enter")
            await settle(pilot)
            return pilot.app.screen

        screen = drive(make_kiosk_app(services, address="198.51.100.7"), script)
        assert isinstance(screen, CodeInvoiceScreen)
        assert screen.detail.number == "INV-0005"
        # the use is audited with the client's address (and guessing is throttled by it)
        from models import AuditLog

        used = AuditLog.get(AuditLog.action == "access_code.used")
        assert used.source_address == "198.51.100.7"

    def test_pay_with_a_code(self, services):
        async def script(pilot):
            app = pilot.app
            await choose_pay_now(pilot, "#pay-now", 0)
            await pilot.click("#pay")
            await settle(pilot)
            receipt = str(app.screen.query_one("#pay-summary").render())
            await pilot.press("escape")
            await settle(pilot)
            return receipt, app.screen.detail.status

        receipt, status = drive(
            make_kiosk_app(services, start_code=code_for(services)), script, size=(100, 30)
        )
        assert "Invoice balance $0.00" in receipt
        assert status == "paid"


def throttle(services, address: str) -> None:
    """Enough wrong codes from `address` that it is refused codes for a while."""
    for _ in range(11):
        services.codes.verify("0000-0000-0000-0000-0000-0000-0000", address=address)


async def type_code(pilot, code: str, *, paste: bool = False) -> None:
    from textual import events

    await pilot.press("ctrl+o")
    await settle(pilot)
    if paste:
        pilot.app.screen.query_one("#code").post_message(events.Paste(code))
        await pilot.pause()
    else:
        await pilot.press(*code)
    await pilot.press("enter")
    await settle(pilot)


class TestCodeRefusals:
    def test_a_throttled_address_is_told_to_wait_not_that_its_valid_code_is_wrong(self, services):
        code = code_for(services)
        throttle(services, "198.51.100.9")

        async def script(pilot):
            await type_code(pilot, code)
            return pilot.app.screen, str(pilot.app.screen.query_one("#code-error").render())

        screen, error = drive(make_kiosk_app(services, address="198.51.100.9"), script)
        assert not isinstance(screen, CodeInvoiceScreen)
        assert error.startswith("Too many attempts. Try again in ")
        assert "minute" in error and "not valid" not in error

    def test_a_throttled_view_code_session_is_told_to_wait(self, services):
        """The SSH `view CODE` path (and `paydesk kiosk --code`): the code given at start."""
        code = code_for(services)
        throttle(services, "198.51.100.9")

        async def script(pilot):
            return pilot.app.screen, [n.message for n in pilot.app._notifications]

        app = make_kiosk_app(services, start_code=code, address="198.51.100.9")
        screen, notes = drive(app, script)
        assert isinstance(screen, LoginScreen)
        assert any(n.startswith("Too many attempts. Try again in ") for n in notes), notes
        assert not any("not valid" in n for n in notes)

    def test_a_pasted_ssh_link_opens_its_invoice(self, services):
        code = code_for(services, "INV-0005")
        for link in (f"ssh://view-{code}@billing.example.com", f"ssh://view-{code}@host:2222"):

            async def script(pilot, link=link):
                await type_code(pilot, link, paste=True)
                return pilot.app.screen

            screen = drive(make_kiosk_app(services), script)
            assert isinstance(screen, CodeInvoiceScreen), link
            assert screen.detail.number == "INV-0005"
