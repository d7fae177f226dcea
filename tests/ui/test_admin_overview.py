"""Overview: receivables by age, this month's payments, the next run, what needs attention."""

from __future__ import annotations

from models import AuditLog, Client, Invoice, InvoiceBilling, PaymentMethod
from models.states import ChargeState
from screens.admin.client_detail import ClientDetailScreen
from screens.admin.overview import OverviewScreen
from services.payments import ledger, review
from tests.fixtures.admin import KEY, admin_app, at, cut_columns
from tests.fixtures.kiosk import TODAY, drive, screen_text, settle
from tests.fixtures.volume import add_volume


def decline_acme():
    acme = Client.get(Client.name == "Acme Dental")
    overdue = Invoice.get(
        (Invoice.client == acme) & (Invoice.due_date < TODAY) & (Invoice.status == "sent")
    )
    InvoiceBilling.create(
        invoice=overdue, charge_state=ChargeState.DECLINED, last_message="Your card was declined."
    )
    return acme.id


def stripe_forgot_acme() -> tuple[int, str, str]:
    """A payment of Acme's open invoice whose intent Stripe does not know: needs review."""
    acme = Client.get(Client.name == "Acme Dental")
    invoice = Invoice.get((Invoice.client == acme) & (Invoice.due_date >= TODAY))
    card = PaymentMethod.get(PaymentMethod.client == acme)
    opened = ledger.open_attempt(acme.id, [invoice.id], card.id, "kiosk", False, "t", "")
    assert review.set_needs_review(opened.id, "pi_forgotten")
    return acme.id, ledger.reference_for(opened.id), invoice.number


class TestOverviewScreen:
    def test_snapshot(self, services, snap_compare):
        decline_acme()
        add_volume(Client.get(Client.name == "Acme Dental").business_id, 40, 4, TODAY)
        assert snap_compare(admin_app(services), terminal_size=(100, 30), run_before=at())

    def test_snapshot_80x24(self, services, snap_compare):
        decline_acme()
        assert snap_compare(admin_app(services), terminal_size=(80, 24), run_before=at())

    def test_the_next_step_column_fits_at_80x24(self, services):
        decline_acme()

        async def script(pilot):
            await settle(pilot)
            return cut_columns(pilot.app, "#attention"), screen_text(pilot.app)

        cut, text = drive(admin_app(services), script, size=(80, 24))
        assert cut == []
        row = next(line for line in text.splitlines() if "Failed charge" in line)
        assert row.endswith("…") and len(row) <= 80 and "Your card was" in row

    def test_a_next_run_card_goes_on_its_own_line_where_it_would_wrap(self, services):
        def card_line(width: int) -> str:
            async def script(pilot):
                await settle(pilot)
                return screen_text(pilot.app)

            text = drive(admin_app(services), script, size=(width, 24))
            return next(line for line in text.splitlines() if "•••• 4242" in line)

        wide, narrow = card_line(120), card_line(80)
        assert "Managed IT support plan · $250.00 · Visa •••• 4242 Apr 15, 2026" in wide
        assert "Managed IT" not in narrow and "Visa •••• 4242 Apr 15, 2026" in narrow

    def test_shows_the_figures_and_opens_the_client_of_an_item(self, services):
        acme = decline_acme()

        async def script(pilot):
            await settle(pilot)
            assert isinstance(pilot.app.screen, OverviewScreen)
            text = screen_text(pilot.app)
            await pilot.press("enter")  # the first item: Acme's declined charge
            await settle(pilot)
            return text, pilot.app.screen

        text, screen = drive(admin_app(services), script, size=(100, 30))
        assert "Receivables as of Mar 16, 2026" in text
        assert "Owed $1,170.74 (4) · overdue $288.24 (1)" in text
        assert "$425.00" in text and "2 payments" in text
        assert "Next run Apr 1, 2026: issues 2 ($290.00), charges 0 ($0.00)" in text
        assert "Visa •••• 4242 Apr 15, 2026" in text
        assert "2 to look at: failed charge 1, auto-bill off 1" in text
        assert "Your card was declined." in text
        assert isinstance(screen, ClientDetailScreen) and screen.client_id == acme

    def test_the_attention_list_pages_and_counts_every_item(self, services):
        business = Client.get(Client.name == "Acme Dental").business_id
        add_volume(business, 60, 2, TODAY)  # each client's second invoice is open
        declined = list(Invoice.select().where(Invoice.status == "sent"))
        assert len(declined) > 60
        for inv in declined:
            InvoiceBilling.get_or_create(invoice=inv)
            InvoiceBilling.update(charge_state=ChargeState.DECLINED).where(
                InvoiceBilling.invoice == inv
            ).execute()

        async def script(pilot):
            await settle(pilot)
            first = screen_text(pilot.app), len(pilot.app.screen.query_one("#attention").page.rows)
            await pilot.press("n")
            await settle(pilot)
            second = screen_text(pilot.app), len(pilot.app.screen.query_one("#attention").page.rows)
            return first, second

        (first, shown), (second, rest) = drive(admin_app(services), script, size=(100, 30))
        failed = len(declined)
        assert f"Needs attention · 1–50 of {50 + 1} listed" in first
        assert f"\n{failed + 1} to look at: failed charge {failed}, auto-bill off 1" in first
        assert shown == 50 and rest == 1
        assert "Needs attention · 51–51 of 51 listed" in second
        assert f"\n{failed + 1} to look at" in second
        assert "Auto-bill off" in second

    def test_a_payment_needing_review_says_how_to_resolve_it_and_opens_the_client(self, services):
        acme, reference, number = stripe_forgot_acme()

        async def script(pilot):
            await settle(pilot)
            text = screen_text(pilot.app)
            await pilot.press("enter")  # the first item: the payment to review
            await settle(pilot)
            return text, pilot.app.screen

        text, screen = drive(admin_app(services), script, size=(200, 40))  # the whole row
        assert "needs review 1" in text
        line = next(row for row in text.splitlines() if "Needs review" in row)
        assert "Acme Dental" in line and reference in line
        assert f"{number}: Stripe does not know it" in line
        assert f"paydesk reconcile --resolve {reference} failed|succeeded" in line
        assert isinstance(screen, ClientDetailScreen) and screen.client_id == acme

    def test_opening_the_console_is_audited_with_the_key(self, services):
        async def script(pilot):
            await settle(pilot)

        drive(admin_app(services), script)
        rows = list(AuditLog.select().where(AuditLog.action.startswith("admin.")))
        assert [(r.actor, r.action, r.source_address) for r in rows] == [
            (f"admin:key:{KEY}", "admin.opened", "198.51.100.7"),
            (f"admin:key:{KEY}", "admin.closed", "198.51.100.7"),
        ]

    def test_a_failing_read_is_one_calm_line_and_a_logged_trace(self, services, caplog):
        app = admin_app(services)

        def broken(limit=50):
            raise RuntimeError("database went away")

        async def script(pilot):
            await settle(pilot)
            app.door.next_run = broken  # the next refresh fails to read the run
            await pilot.press("r")
            await settle(pilot)
            shown = [n.message for n in pilot.app._notifications]
            return "\n".join(shown) + screen_text(pilot.app)

        text = drive(app, script, size=(100, 30))
        assert "Something went wrong reading that" in text
        assert "database went away" not in text and "Traceback" not in text
        assert any("database went away" in str(r.exc_info) for r in caplog.records)

    def test_no_business_yet_says_what_to_do(self, empty_services):
        async def script(pilot):
            await settle(pilot)
            return screen_text(pilot.app)

        assert "run `paydesk init`" in drive(admin_app(empty_services), script)
