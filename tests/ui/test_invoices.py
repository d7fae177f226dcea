"""Invoice list: numbers on the left, owed first; summary beside; pay several in one charge."""

from __future__ import annotations

import re

import pytest
from textual.widgets import OptionList

from models import Business, Payment, PaymentAllocation
from screens.kiosk.invoice_detail import InvoiceDetailScreen
from screens.kiosk.invoices import status_label
from screens.kiosk.pay_dialog import PayDialog
from screens.kiosk.recurring import RecurringScreen
from services.invoices.views import LineInput
from tests.fixtures.kiosk import (
    TODAY,
    choose_pay_now,
    drive,
    screen_text,
    settle,
    settle_until,
    signed_in_at,
)
from tui.kiosk_app import make_kiosk_app

open_list = signed_in_at("invoices")


def add_wide_invoices(services) -> None:
    """INV-9999 and INV-10000 (a 9-character number), each for the card maximum, $999,999.99."""
    client_id = services.invoices.get(1).client_id
    Business.update(next_invoice_number=9999).execute()
    for _ in range(2):
        services.invoices.create(client_id, [LineInput("Server room", 99_999_999)], TODAY)


def shown_rows(app) -> dict[str, str]:
    """Each invoice row as the list draws it: its number → the one screen line that holds it.

    A row that wrapped has a line whose number is missing, or its due date on the next line.
    """
    listing = app.screen.query_one("#invoice-list", OptionList)
    region = listing.content_region
    lines = app.screen._compositor.render_strips()[region.y : region.bottom]
    cropped = [strip.crop(region.x, region.right).text.strip() for strip in lines]
    numbers = [app.screen.page.rows[i].number for i in range(listing.option_count)]
    return {n: next((line for line in cropped if f" {n} " in f" {line} "), "") for n in numbers}


def assert_one_line_rows(app) -> None:
    listing = app.screen.query_one("#invoice-list", OptionList)
    fmt = app.screen.ctx.fmt
    assert listing.virtual_size.height == listing.option_count, "a row takes more than a line"
    rows = shown_rows(app)
    for inv in app.screen.page.rows:
        row = rows[inv.number]
        amount = fmt.money(inv.balance if inv.payable else inv.total, inv.currency)
        for part in (inv.number, fmt.date(inv.due_date), amount, status_label(inv)):
            assert part in row, f"{part!r} not on the row of {inv.number}: {row!r}"


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

    def test_snapshot_80x24_nine_character_numbers_and_card_maximum(self, services, snap_compare):
        add_wide_invoices(services)
        app = make_kiosk_app(services)

        async def run_before(pilot):
            await open_list(pilot)

            def sized() -> bool:  # the list is sized to its widest row once the rows are in
                screen = pilot.app.screen
                listing = screen.query_one("#invoice-list", OptionList)
                summary = str(screen.query_one("#inv-summary").render())
                return (
                    listing.option_count == 7
                    and listing.outer_size.width == listing.styles.width.cells
                    and listing.virtual_size.height == listing.option_count
                    and "INV-0003" in summary
                )

            await settle_until(pilot, sized)

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
        assert "Overdue" in rows[0] and "$288.24" in rows[0] and "Feb 28, 2026" in rows[0]
        assert "Paid" in rows[3]
        # The highlighted invoice's summary sits beside the list.
        assert "Balance $288.24" in text

    @pytest.mark.parametrize("size", [(80, 24), (100, 30)])
    def test_every_row_is_one_line_number_due_date_amount_status(self, services, size):
        add_wide_invoices(services)

        async def script(pilot):
            await open_list(pilot)
            assert_one_line_rows(pilot.app)
            return sorted(shown_rows(pilot.app))

        numbers = drive(make_kiosk_app(services), script, size=size)
        assert "INV-10000" in numbers and "INV-9999" in numbers and len(numbers) == 7

    def test_rows_stay_one_line_through_resizes(self, services):
        client_id = services.invoices.get(1).client_id
        for n in range(10):  # 15 rows: a scroll bar at 60×20, none at 80×24 or 100×30
            services.invoices.create(client_id, [LineInput(f"Item {n}", 100)], issue_date=TODAY)

        async def script(pilot):
            await open_list(pilot)
            for size in ((100, 30), (60, 20), (80, 24), (100, 30)):
                await pilot.resize_terminal(*size)
                await settle(pilot)
                listing = pilot.app.screen.query_one("#invoice-list", OptionList)
                assert listing.virtual_size.height == listing.option_count, size
                if size[0] >= 80:  # below 80×24 the "too small" notice covers the list
                    assert_one_line_rows(pilot.app)

        drive(make_kiosk_app(services), script, size=(100, 30))

    def test_clicking_an_invoice_number_opens_it(self, services):
        async def script(pilot):
            await open_list(pilot)
            await pilot.click("#invoice-list", offset=(5, 2))  # second row: INV-0004
            await settle(pilot)
            return pilot.app.screen

        screen = drive(make_kiosk_app(services), script, size=(100, 30))
        assert isinstance(screen, InvoiceDetailScreen)
        assert screen.detail.number == "INV-0004"

    def test_clicking_an_invoice_checkbox_marks_it_and_opens_nothing(self, services):
        async def script(pilot):
            await open_list(pilot)
            await pilot.click("#invoice-list", offset=(2, 2))  # INV-0004's ☐
            await settle(pilot)
            screen = pilot.app.screen
            marked = sorted(inv.number for inv in screen.marked.values())
            await pilot.click("#invoice-list", offset=(3, 2))  # again: unmarked
            await settle(pilot)
            return screen, pilot.app.screen, marked, list(screen.marked)

        screen, after, marked, unmarked = drive(make_kiosk_app(services), script, size=(100, 30))
        assert after is screen  # still the list: nothing was opened
        assert marked == ["INV-0004"]
        assert unmarked == []

    def test_pay_now_is_offered_only_for_what_can_be_paid(self, services):
        async def script(pilot):
            await open_list(pilot)
            pay = pilot.app.screen.query_one("#pay-marked")
            shown = [pay.display]
            await pilot.press("end")  # INV-0001, paid
            await settle(pilot)
            shown.append(pay.display)
            text = screen_text(pilot.app)
            await pilot.press("home", "space", "end")  # one owed marked, a paid one highlighted
            await settle(pilot)
            shown.append(pay.display)
            return shown, text

        shown, text = drive(make_kiosk_app(services), script, size=(100, 30))
        assert shown == [True, False, True]
        assert "Pay Now ▸" not in text

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
