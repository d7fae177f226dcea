"""Invoice detail: the document, Pay Now top right, confirm → receipt, declines, literal text."""

from __future__ import annotations

from textual.geometry import Region

from models import PaymentAttempt
from screens.kiosk.invoice_detail import InvoiceDetailScreen
from screens.kiosk.pay_dialog import PayDialog
from services.invoices.views import LineInput
from tests.fixtures.kiosk import (
    TODAY,
    choose_pay_now,
    drive,
    mail_text,
    outcome_focused,
    screen_text,
    settle,
    signed_in_at,
    wait_for_mail,
)
from tui.kiosk_app import make_kiosk_app

# Sign in, Invoices, open the first (oldest owed) invoice.
open_first = signed_in_at("invoices", "enter")


def paid_with(option: int):
    """A run_before: open the first invoice, pay it with the card at `option`, see the end."""

    async def run_before(pilot) -> None:
        await open_first(pilot)
        await choose_pay_now(pilot, "#pay-now", option)
        await pilot.click("#pay")
        await outcome_focused(pilot)

    return run_before


def client_id(services) -> int:
    return services.invoices.get(1).client_id


class TestInvoiceDetailScreen:
    def test_snapshot(self, services, snap_compare):
        assert snap_compare(
            make_kiosk_app(services), terminal_size=(100, 30), run_before=open_first
        )

    def test_snapshot_80x24(self, services, snap_compare):
        app = make_kiosk_app(services)
        assert snap_compare(app, terminal_size=(80, 24), run_before=open_first)

    def test_balance_due_and_pay_now_are_seen_at_80x24_without_scrolling(self, services):
        async def script(pilot):
            await open_first(pilot)
            app = pilot.app
            screen = Region(0, 0, *app.size)
            pay_now = app.screen.query_one("#pay-now")
            return screen_text(app).splitlines(), screen, pay_now.region, pay_now.display

        lines, screen, pay_now, shown = drive(make_kiosk_app(services), script, size=(80, 24))
        # What the terminal shows, footer apart: the balance due is on it, as is Pay Now.
        assert any("Balance due $288.24" in line for line in lines[:-1]), "\n".join(lines)
        assert shown and screen.contains_region(pay_now)

    def test_snapshot_pay_now_open(self, services, snap_compare):
        async def run_before(pilot):
            await open_first(pilot)
            await pilot.press("n")
            await settle(pilot)

        assert snap_compare(
            make_kiosk_app(services), terminal_size=(100, 30), run_before=run_before
        )

    def test_snapshot_confirmation(self, services, snap_compare):
        async def run_before(pilot):
            await open_first(pilot)
            await choose_pay_now(pilot, "#pay-now", 0)

        assert snap_compare(
            make_kiosk_app(services), terminal_size=(100, 30), run_before=run_before
        )

    def test_snapshot_receipt(self, services, snap_compare):
        assert snap_compare(
            make_kiosk_app(services), terminal_size=(100, 30), run_before=paid_with(0)
        )

    def test_snapshot_declined(self, services, snap_compare):
        services.cards.add_test_card(client_id(services), "declined")

        app = make_kiosk_app(services)
        assert snap_compare(app, terminal_size=(100, 30), run_before=paid_with(1))

    def test_document_shows_parties_lines_tax_totals_and_status(self, services):
        async def script(pilot):
            await open_first(pilot)
            return screen_text(pilot.app)

        text = drive(make_kiosk_app(services), script, size=(100, 30))
        for expected in (
            "Desktop Masters IT",
            "Acme Dental",
            "Invoice INV-0003",
            "Issued  Feb 14, 2026",
            "Due     Feb 28, 2026",
            "Overdue",
            "Emergency call-out",
            "Replacement SSD",
            "8.25%",
            "Subtotal $279.99",
            "Tax   $8.25",
            "Total $288.24",
            "Balance due $288.24",
            "Thank you for your business.",
            "Pay Now",
        ):
            assert expected in text, expected

    def test_pay_now_lists_saved_card_first_then_add_new(self, services):
        async def script(pilot):
            await open_first(pilot)
            select = pilot.app.screen.query_one("#pay-now")
            return [str(prompt) for prompt, _ in select._options]

        options = drive(make_kiosk_app(services), script, size=(100, 30))
        assert options[1:] == ["Visa •••• 4242 — default", "Add a new card…"]

    def test_pay_with_saved_card_receipt_and_email(self, services):
        async def script(pilot):
            app = pilot.app
            await open_first(pilot)
            await choose_pay_now(pilot, "#pay-now", 0)
            assert isinstance(app.screen, PayDialog)
            await pilot.click("#pay")
            await settle(pilot)
            receipt = str(app.screen.query_one("#pay-summary").render())
            title = str(app.screen.query_one("#pay-title").render())
            mail = await wait_for_mail(pilot, services, "Receipt PAY-000003")
            await pilot.press("escape")
            await settle(pilot)
            return title, receipt, mail, app.screen, app.screen.query_one("#pay-now").display

        title, receipt, mail, screen, pay_now = drive(
            make_kiosk_app(services), script, size=(100, 30)
        )
        assert title == "Payment received — thank you"
        for expected in ("$288.24", "Visa •••• 4242", "PAY-000003", "INV-0003", "Still owed"):
            assert expected in receipt
        assert "Still owed      $432.50" in receipt
        assert "client@example.com" == str(mail["To"])
        assert isinstance(screen, InvoiceDetailScreen)
        assert screen.detail.status == "paid"
        assert not pay_now

    def test_a_second_press_on_pay_does_nothing(self, services):
        attempts = PaymentAttempt.select().count()

        async def script(pilot):
            app = pilot.app
            await open_first(pilot)
            await choose_pay_now(pilot, "#pay-now", 0)
            dialog = app.screen
            await pilot.press("enter", "enter", "enter")
            await settle(pilot)
            return dialog.charges

        assert drive(make_kiosk_app(services), script, size=(100, 30)) == 1
        assert PaymentAttempt.select().count() == attempts + 1

    def test_declined_card_leaves_invoice_owed_with_reason(self, services):
        cid = client_id(services)
        services.cards.add_test_card(cid, "declined")

        async def script(pilot):
            app = pilot.app
            await open_first(pilot)
            await choose_pay_now(pilot, "#pay-now", 1)  # the second card
            await pilot.click("#pay")
            await settle(pilot)
            return (
                str(app.screen.query_one("#pay-title").render()),
                str(app.screen.query_one("#pay-summary").render()),
                str(app.screen.query_one("#pay-status").render()),
            )

        title, summary, status = drive(make_kiosk_app(services), script, size=(100, 30))
        assert title == "Card declined — nothing was charged"
        assert "Your card was declined" in summary
        assert "or choose another card in Pay Now" in summary
        assert status == "The invoice is still owed."
        assert services.invoices.get(services.invoices.find_by_number("INV-0003")).balance == 28824

    def test_paid_invoice_shows_no_pay_now(self, services):
        async def script(pilot):
            await signed_in_at("invoices", "end", "enter")(pilot)  # INV-0001, paid
            screen = pilot.app.screen
            return screen.detail.status, screen.query_one("#pay-now").display

        assert drive(make_kiosk_app(services), script, size=(100, 30)) == ("paid", False)

    def test_stored_text_is_shown_literally_and_is_inert(self, services):
        cid = client_id(services)
        services.invoices.create(
            cid,
            [LineInput("[@click=app.quit]Free", 100), LineInput("[bold red]loud[/]", 200)],
            issue_date=TODAY,
            notes="[@click=app.quit]click me",
        )

        async def script(pilot):
            app = pilot.app
            # INV-0007: owed, due last
            await signed_in_at("invoices", "down", "down", "down", "enter")(pilot)
            assert app.screen.detail.number == "INV-0007"
            text = screen_text(app)
            doc = app.screen.query_one("#doc")
            await pilot.click("#doc", offset=(3, 13))
            await pilot.click("#doc", offset=(3, 20))
            await settle(pilot)
            return text, app.is_running, doc

        text, running, _ = drive(make_kiosk_app(services), script, size=(100, 30))
        assert "[@click=app.quit]Free" in text
        assert "[bold red]loud[/]" in text
        assert "[@click=app.quit]click me" in text
        assert running

    def test_receipt_email_mentions_the_amount(self, services):
        async def script(pilot):
            await open_first(pilot)
            await choose_pay_now(pilot, "#pay-now", 0)
            await pilot.click("#pay")
            await settle(pilot)
            return mail_text(await wait_for_mail(pilot, services, "Receipt"))

        assert "288.24" in drive(make_kiosk_app(services), script, size=(100, 30))

    def test_3d_secure_card_says_the_bank_wants_to_confirm(self, services):
        services.cards.add_test_card(client_id(services), "3ds")

        async def script(pilot):
            app = pilot.app
            await open_first(pilot)
            await choose_pay_now(pilot, "#pay-now", 1)
            await pilot.click("#pay")
            await settle(pilot)
            return (
                str(app.screen.query_one("#pay-title").render()),
                str(app.screen.query_one("#action-how").render()),
            )

        title, how = drive(make_kiosk_app(services), script, size=(100, 30))
        assert title == "Your bank wants to confirm this payment"
        assert " ".join(how.split()).startswith("Nothing was charged yet. To pay $288.24")
        assert services.invoices.get(services.invoices.find_by_number("INV-0003")).balance == 28824


def footer_keys(app) -> str:
    """The key hints in the footer of the screen on top (its last line)."""
    return screen_text(app).splitlines()[-1]


class TestAfterPaying:
    def test_the_receipt_shows_the_invoice_behind_it_paid_and_offers_no_pay(self, services):
        async def script(pilot):
            app = pilot.app
            await paid_with(0)(pilot)
            assert isinstance(app.screen, PayDialog)
            behind = app.screen_stack[-2]
            return behind.detail.status, screen_text(app), footer_keys(app)

        status, text, footer = drive(make_kiosk_app(services), script, size=(100, 30))
        assert status == "paid"
        assert "Overdue" not in text  # the document behind the receipt is the paid invoice
        assert "Pay" not in footer and "Close" in footer

    def test_a_decline_offers_another_card_and_it_pays(self, services):
        services.cards.add_test_card(client_id(services), "declined")

        async def script(pilot):
            app = pilot.app
            await paid_with(1)(pilot)  # the card declined at charge time
            declined = app.screen
            await pilot.pause()
            footer = footer_keys(app)
            shown = declined.query_one("#try-another").display
            await pilot.click("#try-another")
            await settle(pilot)
            pay_now = app.screen.query_one("#pay-now")
            expanded = pay_now.expanded
            await pilot.press("enter")  # the first saved card: Visa 4242
            await settle(pilot)
            assert isinstance(app.screen, PayDialog)
            card = app.screen.card.last4
            await pilot.click("#pay")
            await settle(pilot)
            return footer, shown, expanded, card, str(app.screen.query_one("#pay-title").render())

        footer, shown, expanded, card, title = drive(
            make_kiosk_app(services), script, size=(100, 30)
        )
        assert "Try another card" in footer and "Pay " not in footer
        assert shown and expanded
        assert card == "4242"
        assert title == "Payment received — thank you"
