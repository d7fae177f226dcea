"""Invoice list: numbers on the left, owed first; summary beside; pay several in one charge."""

from __future__ import annotations

import re

from textual.widgets import OptionList

from models import Payment, PaymentAllocation
from screens.kiosk.invoice_detail import InvoiceDetailScreen
from screens.kiosk.pay_dialog import PayDialog
from screens.kiosk.recurring import RecurringScreen
from services.invoices.views import LineInput
from tests.fixtures.kiosk import (
    TODAY,
    choose_pay_now,
    drive,
    screen_text,
    settle,
    signed_in_at,
)
from tui.kiosk_app import make_kiosk_app

open_list = signed_in_at("invoices")


class TestInvoicesScreen:
    def test_snapshot(self, services, snap_compare):
        app = make_kiosk_app(services)
        assert snap_compare(app, terminal_size=(100, 30), run_before=open_list)

    def test_snapshot_80x24_with_two_marked(self, services, snap_compare):
        async def run_before(pilot):
            await open_list(pilot)
            await pilot.press("space", "space")
            await settle(pilot)

        app = make_kiosk_app(services)

        assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)

    def test_owed_first_with_status_amount_due_date(self, services):
        async def script(pilot):
            await open_list(pilot)
            listing = pilot.app.screen.query_one("#invoice-list", OptionList)
            rows = [str(listing.get_option_at_index(i).prompt) for i in range(listing.option_count)]
            return rows, screen_text(pilot.app)

        rows, text = drive(make_kiosk_app(services), script, size=(100, 30))
        assert [re.search(r"INV-\d+", r).group() for r in rows] == [
            "INV-0003",
            "INV-0004",
            "INV-0005",
            "INV-0002",
            "INV-0001",
        ]
        assert "Overdue" in rows[0] and "$288.24" in rows[0] and "2/28/26" in rows[0]
        assert "Paid" in rows[3]
        # The highlighted invoice's summary sits beside the list.
        assert "Balance $288.24" in text

    def test_clicking_an_invoice_number_opens_it(self, services):
        async def script(pilot):
            await open_list(pilot)
            await pilot.click("#invoice-list", offset=(5, 2))  # second row: INV-0004
            await settle(pilot)
            return pilot.app.screen

        screen = drive(make_kiosk_app(services), script, size=(100, 30))
        assert isinstance(screen, InvoiceDetailScreen)
        assert screen.detail.number == "INV-0004"

    def test_recurring_invoices_button_top_right_above_the_list(self, services):
        async def script(pilot):
            await open_list(pilot)
            button = pilot.app.screen.query_one("#go-recurring")
            listing = pilot.app.screen.query_one("#invoice-list")
            assert button.region.bottom <= listing.region.y
            assert button.region.right >= pilot.app.size.width - 2
            await pilot.click("#go-recurring")
            await settle(pilot)
            return pilot.app.screen

        assert isinstance(drive(make_kiosk_app(services), script, size=(100, 30)), RecurringScreen)

    def test_paying_two_invoices_at_once_charges_once_for_the_sum(self, services):
        before = Payment.select().count()

        async def script(pilot):
            app = pilot.app
            await open_list(pilot)
            await pilot.press("space", "space")  # INV-0003 and INV-0004
            await settle(pilot)
            await pilot.press("p")
            await settle(pilot)
            await pilot.press("enter")  # the drop-down opens on the saved Visa 4242
            await settle(pilot)
            assert isinstance(app.screen, PayDialog)
            summary = str(app.screen.query_one("#pay-summary").render())
            await pilot.click("#pay")
            await settle(pilot)
            return summary, app.ctx.client_id

        summary, client_id = drive(make_kiosk_app(services), script, size=(100, 30))
        assert "$620.74" in summary and "INV-0003, INV-0004" in summary
        assert Payment.select().count() == before + 1
        payment = Payment.select().order_by(Payment.id.desc()).get()
        assert payment.amount == 28824 + 33250
        allocations = PaymentAllocation.select().where(PaymentAllocation.payment == payment.id)
        assert sorted(a.amount for a in allocations) == [28824, 33250]
        owed = services.invoices.owed(client_id)
        assert owed.count == 1 and owed.total == 10000

    def test_mark_all_owed_then_pay(self, services):
        async def script(pilot):
            app = pilot.app
            await open_list(pilot)
            await pilot.press("a")
            await settle(pilot)
            assert app.screen.marked_count == 3
            await choose_pay_now(pilot, "#pay-marked", 0)
            await pilot.click("#pay")
            await settle(pilot)
            return app.ctx.client_id

        client_id = drive(make_kiosk_app(services), script, size=(100, 30))
        assert services.invoices.owed(client_id).count == 0

    def test_pages_through_many_invoices(self, services):
        client_id = services.invoices.get(1).client_id
        for n in range(110):
            services.invoices.create(client_id, [LineInput(f"Item {n}", 100)], issue_date=TODAY)

        async def script(pilot):
            app = pilot.app
            await open_list(pilot)
            first = app.screen.query_one("#invoice-list", OptionList).option_count
            await pilot.press("right_square_bracket")
            await settle(pilot)
            second = app.screen.query_one("#invoice-list", OptionList).option_count
            return first, second, str(app.screen.query_one("#inv-page").render())

        first, second, paging = drive(make_kiosk_app(services), script, size=(100, 30))
        assert (first, second) == (50, 50)
        assert "Showing 51–100 of 115" in paging
