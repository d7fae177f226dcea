"""Payments: the list paged in SQL with what it shows, filters and sort; a payment's detail
with its allocations, Stripe reference and refunds; stored text stays literal."""

from __future__ import annotations

from models import AuditLog, Business, Client, Payment
from screens.admin.payment_detail import PaymentDetailScreen
from screens.admin.payments import PaymentsScreen
from tests.fixtures.admin import admin_app, at
from tests.fixtures.kiosk import TODAY, drive, screen_text, settle
from tests.fixtures.volume import add_volume

EVIL = "Evil [/b] Ltd"


def with_volume(clients: int = 120) -> None:
    business = Business.get().id
    add_volume(business, clients, 3, TODAY)
    evil = Client.create(business=business, name=EVIL, email="evil@example.com")
    Payment.create(client=evil, reference="CHK-[b]1", amount=4_200, currency="USD")


class TestPaymentsScreen:
    def test_snapshot(self, services, snap_compare):
        with_volume()
        assert snap_compare(admin_app(services), terminal_size=(100, 30), run_before=at("f5"))

    def test_snapshot_80x24(self, services, snap_compare):
        with_volume()
        assert snap_compare(admin_app(services), terminal_size=(80, 24), run_before=at("f5"))

    def test_pages_filters_sort_and_open(self, services):
        with_volume()

        async def script(pilot):
            await settle(pilot)
            await pilot.press("f5")
            await settle(pilot)
            assert isinstance(pilot.app.screen, PaymentsScreen)
            seen = [screen_text(pilot.app)]
            await pilot.press("n")
            await settle(pilot)
            seen.append(screen_text(pilot.app))
            await pilot.press("m", "m")  # any → card → offline
            await settle(pilot)
            seen.append(screen_text(pilot.app))
            await pilot.press("m", "slash", *"acme")
            await pilot.pause(0.5)  # the filter waits for typing to stop
            await settle(pilot)
            seen.append(screen_text(pilot.app))
            await pilot.press("enter")  # leaves the box for the list
            await pilot.press("enter")  # opens the newest of Acme's payments
            await settle(pilot)
            opened = pilot.app.screen
            return seen, opened

        (first, second, offline, acme), opened = drive(admin_app(services), script, size=(100, 30))
        assert "1–50 of 123 payments, as of 11:00 AM" in first  # 40 paid volume + 2 demo + 1
        assert "51–100 of 123 payments" in second
        assert "Offline · Any status" in offline and "1–1 of 1 payments" in offline
        assert EVIL in offline and "CHK-[b]1" in offline and "offline" in offline
        assert "1–2 of 2 payments" in acme and "PAY-000002" in acme
        assert isinstance(opened, PaymentDetailScreen)

    def test_a_bad_date_is_said_in_one_line_and_a_good_one_filters(self, services):
        with_volume(3)

        async def script(pilot):
            await settle(pilot)
            await pilot.press("f5")
            await settle(pilot)
            await pilot.press("d", *"2026-13-01")
            await pilot.pause(0.5)
            await settle(pilot)
            bad = screen_text(pilot.app)
            await pilot.press("ctrl+a", "ctrl+k", *TODAY.isoformat(), "tab", *TODAY.isoformat())
            await pilot.press("enter")
            await settle(pilot)
            return bad, screen_text(pilot.app)

        bad, good = drive(admin_app(services), script, size=(80, 24))
        assert "write dates as 2026-03-16" in bad
        assert "write dates" not in good and "1–6 of 6 payments" in good


def fixed_intent() -> None:
    """The sandbox's PaymentIntent ids are random: a stable one for the snapshots."""
    Payment.update(stripe_intent_id="pi_3SnapshotIntent01").where(
        Payment.reference == "PAY-000001"
    ).execute()


def open_demo_payment(reference: str = "PAY-000001"):
    async def script(pilot) -> None:
        await settle(pilot)
        await pilot.press("f5")
        await settle(pilot)
        await pilot.press(*(["down"] if reference == "PAY-000001" else []), "enter")
        await settle(pilot)

    return script


class TestPaymentDetailScreen:
    def test_snapshot(self, services, snap_compare):
        fixed_intent()
        run = open_demo_payment()
        assert snap_compare(admin_app(services), terminal_size=(100, 30), run_before=run)

    def test_snapshot_80x24(self, services, snap_compare):
        fixed_intent()
        run = open_demo_payment()
        assert snap_compare(admin_app(services), terminal_size=(80, 24), run_before=run)

    def test_shows_allocations_stripe_reference_and_goes_back(self, services):
        payment = Payment.get(Payment.reference == "PAY-000001")

        async def script(pilot):
            await open_demo_payment()(pilot)
            shown = screen_text(pilot.app)
            await pilot.press("escape")
            await settle(pilot)
            return shown, pilot.app.screen

        shown, back = drive(admin_app(services), script, size=(80, 24))
        assert "PAY-000001" in shown and "Acme Dental" in shown and "Visa •••• 4242" in shown
        assert f"Stripe: {payment.stripe_intent_id}" in shown
        assert "INV-0001" in shown and "refundable $300.00" in shown
        assert isinstance(back, PaymentsScreen)


def open_refund():
    async def script(pilot) -> None:
        await open_demo_payment()(pilot)
        await pilot.press("r")
        await settle(pilot)

    return script


class TestRefundDialog:
    def test_snapshot(self, services, snap_compare):
        assert snap_compare(admin_app(services), terminal_size=(100, 30), run_before=open_refund())

    def test_snapshot_80x24(self, services, snap_compare):
        assert snap_compare(admin_app(services), terminal_size=(80, 24), run_before=open_refund())

    def test_refunds_half_after_the_owners_password_and_never_audits_it(self, services):
        async def script(pilot):
            await open_refund()(pilot)
            amount = pilot.app.screen.query_one("#refund-amount")
            amount.value = "150.00"
            await settle(pilot)
            asked = screen_text(pilot.app)
            pilot.app.screen.query_one("#refund-password").value = "not-the-password"
            await pilot.press("tab", "tab", "tab", "enter")
            await settle(pilot)
            wrong = screen_text(pilot.app)
            pilot.app.screen.query_one("#refund-password").value = "paydesk-owner"
            await pilot.click("#refund-yes")
            await settle(pilot)
            return asked, wrong, screen_text(pilot.app)

        asked, wrong, after = drive(admin_app(services), script, size=(80, 24))
        assert "Refund $150.00 to Acme Dental (Visa •••• 4242)" in asked
        assert "not the owner's password: nothing was refunded" in wrong
        assert "Refunded $150.00" in after and "refundable $150.00" in after
        payment = Payment.get(Payment.reference == "PAY-000001")
        assert payment.amount_refunded == 15_000
        services.payments.flush_receipts()
        rows = [str(vars(r)) for r in AuditLog.select()]
        assert not [r for r in rows if "paydesk-owner" in r or "not-the-password" in r]
        assert AuditLog.get(AuditLog.action == "refund.created").actor.startswith("admin:key:")
