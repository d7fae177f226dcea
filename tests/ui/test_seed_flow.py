"""The client's instructions (shared/seed/client-payment-instructions.txt), followed literally.

Log in with the demo client → "At the top click Invoices" → "On the left click the invoice
number you owe money on" → "at the top right … use the Pay Now drop-down" → the saved
Visa 4242 → receipt → the invoice reads Paid; then "[Reoccurring Invoices] … at the top right
above your invoice list" → "on the right click the Disable link" → "Current status is just to
the left of the link" reads Disabled. A second run starts from an invoice email's code.
"""

from __future__ import annotations

import re

from screens.kiosk.code_invoice import CodeInvoiceScreen
from screens.kiosk.confirm import ConfirmDialog
from screens.kiosk.dashboard import DashboardScreen
from screens.kiosk.invoice_detail import InvoiceDetailScreen
from screens.kiosk.invoices import InvoicesScreen
from screens.kiosk.pay_dialog import PayDialog
from screens.kiosk.recurring import RecurringScreen
from tests.fixtures.kiosk import (
    choose_pay_now,
    drive,
    go,
    mail_text,
    screen_text,
    settle,
    sign_in,
    wait_for_mail,
)
from tui.kiosk_app import make_kiosk_app


def test_seed_instructions_with_a_login(services):
    async def script(pilot):
        app = pilot.app
        seen = {}
        # "Access Your Billing": email and password.
        await sign_in(pilot)
        assert isinstance(app.screen, DashboardScreen)
        # "At the top click Invoices."
        await go(pilot, "invoices")
        assert isinstance(app.screen, InvoicesScreen)
        # "On the left click the Invoice number(s) you owe money on."
        listing = app.screen.query_one("#invoice-list")
        assert listing.region.x <= 1
        await pilot.click("#invoice-list", offset=(4, 1))
        await settle(pilot)
        assert isinstance(app.screen, InvoiceDetailScreen)
        seen["number"] = app.screen.detail.number
        # "Then at the top right of each invoice use the Pay Now drop-down."
        pay_now = app.screen.query_one("#pay-now")
        assert pay_now.region.right >= app.size.width - 2 and pay_now.region.y <= 4
        # "… should be listed as the top option under the [Pay Now] button."
        await choose_pay_now(pilot, "#pay-now", 0)
        assert isinstance(app.screen, PayDialog)
        assert app.screen.card.label == "Visa •••• 4242"
        await pilot.click("#pay")
        await settle(pilot)
        seen["receipt_title"] = str(app.screen.query_one("#pay-title").render())
        seen["receipt"] = str(app.screen.query_one("#pay-summary").render())
        seen["mail"] = mail_text(await wait_for_mail(pilot, services, "Receipt PAY-000003"))
        await pilot.click("#cancel")  # Close
        await settle(pilot)
        seen["status"] = app.screen.detail.status
        seen["detail_text"] = screen_text(app)
        # Back to the list: the invoice now reads Paid.
        await go(pilot, "invoices")
        for _ in range(50):  # the list as the screen shows it now, once its reread is in
            shown = app.screen.query_one("#invoice-list")
            rows = [str(shown.get_option_at_index(i).prompt) for i in range(shown.option_count)]
            seen["row"] = next(r for r in rows if seen["number"] in r)
            if "Paid" in seen["row"]:
                break
            await pilot.pause(0.1)
        # "[Reoccurring Invoices] button at the top right above your invoice list."
        await pilot.click("#go-recurring")
        await settle(pilot)
        assert isinstance(app.screen, RecurringScreen)
        plan = next(p for p in app.screen.data.plans if p.autobill_enabled)
        before = str(app.screen.query_one(f"#status-{plan.id}").render())
        # "Then on the right click the Disable link."
        link = app.screen.query_one(f"#toggle-{plan.id}")
        status = app.screen.query_one(f"#status-{plan.id}")
        assert status.region.right <= link.region.x  # status just left of the link
        await pilot.click(f"#toggle-{plan.id}")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.click("#yes")
        await settle(pilot)
        seen["before"] = before
        seen["after"] = str(app.screen.query_one(f"#status-{plan.id}").render())
        seen["link"] = str(app.screen.query_one(f"#toggle-{plan.id}").label)
        return seen

    seen = drive(make_kiosk_app(services), script, size=(100, 30))
    assert seen["number"] == "INV-0003"
    assert seen["receipt_title"] == "Payment received — thank you"
    assert re.search(r"Amount paid\s+\$288\.24", seen["receipt"])
    assert "Visa •••• 4242" in seen["receipt"] and "PAY-000003" in seen["receipt"]
    assert "288.24" in seen["mail"]
    assert seen["status"] == "paid"
    assert "Paid" in seen["detail_text"]
    assert "Paid" in seen["row"]
    assert (seen["before"], seen["after"], seen["link"]) == ("Enabled", "Disabled", "Enable")


def test_seed_instructions_from_an_invoice_email_code(services):
    invoice_id = services.invoices.find_by_number("INV-0004")
    code = services.codes.create(invoice_id)

    async def script(pilot):
        app = pilot.app
        assert isinstance(app.screen, CodeInvoiceScreen)
        number = app.screen.detail.number
        await choose_pay_now(pilot, "#pay-now", 0)
        await pilot.click("#pay")
        await settle(pilot)
        title = str(app.screen.query_one("#pay-title").render())
        await pilot.click("#cancel")
        await settle(pilot)
        return number, title, app.screen.detail.status

    number, title, status = drive(make_kiosk_app(services, start_code=code), script, size=(100, 30))
    assert number == "INV-0004"
    assert title == "Payment received — thank you"
    assert status == "paid"
    assert services.invoices.get(invoice_id).balance == 0
