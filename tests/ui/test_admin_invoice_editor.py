"""The invoice editor: a new invoice typed field by field with totals as you type and the
rules' refusals on screen, saved as a draft; a sent invoice shown, not edited."""

from __future__ import annotations

from models import Invoice
from screens.admin.invoice_editor import InvoiceEditorScreen
from services.settings.store import store
from tests.fixtures.admin import admin_app, at
from tests.fixtures.kiosk import drive, screen_text, settle

TYPED = ("f3", "n", *"client@example.com", "tab", "tab", "tab", *"Support", "tab", *"3.5")
TYPED += ("tab", *"95", "tab", *"8.25", "ctrl+n", *"Travel", "tab", "tab", *"12.345")

ONE_LINE = TYPED[: TYPED.index("ctrl+n")]  # Support 3.5 × $95.00 at 8.25 %: $332.50
DISCOUNTED = (*ONE_LINE, "tab", *"10%")


def opened(number: str):
    """Keys that open `number` from the list (newest first: INV-0006 is the first row)."""
    return ("f3", *["down"] * (6 - int(number[-1])), "enter")


def said(app) -> str:
    """The notifications shown so far, one a line."""
    return "\n" + "\n".join(n.message for n in app._notifications)


class TestInvoiceEditor:
    def test_snapshot_new(self, services, snap_compare):
        assert snap_compare(admin_app(services), terminal_size=(100, 30), run_before=at(*TYPED))

    def test_snapshot_new_80x24(self, services, snap_compare):
        assert snap_compare(admin_app(services), terminal_size=(80, 24), run_before=at(*TYPED))

    def test_snapshot_new_with_a_discount(self, services, snap_compare):
        app = admin_app(services)
        assert snap_compare(app, terminal_size=(100, 30), run_before=at(*DISCOUNTED))

    def test_snapshot_new_with_a_discount_80x24(self, services, snap_compare):
        app = admin_app(services)
        assert snap_compare(app, terminal_size=(80, 24), run_before=at(*DISCOUNTED))

    def test_discount_totals_as_you_type_refused_field_by_field_and_saved(self, services):
        async def script(pilot):
            for key in ONE_LINE:
                await pilot.press(key)
            await pilot.press("tab", *"400")
            await settle(pilot)
            above = screen_text(pilot.app), pilot.app.focused.has_class("-invalid")
            await pilot.press("ctrl+s")
            await settle(pilot)
            unsaved = Invoice.select().count()
            await pilot.press("ctrl+u", *"-5")
            await settle(pilot)
            negative = screen_text(pilot.app)
            await pilot.press("ctrl+u", *"10%")
            await settle(pilot)
            live = screen_text(pilot.app), pilot.app.focused.has_class("-invalid")
            await pilot.press("ctrl+s")
            await settle(pilot)
            return above, unsaved, negative, live, screen_text(pilot.app)

        above, unsaved, negative, live, saved = drive(admin_app(services), script, size=(100, 30))
        assert "a discount of $400.00 is more than the subtotal ($332.50)" in above[0]
        assert above[1] is True and unsaved == 6
        assert "Subtotal $332.50 · Tax $27.43 · Total $359.93" in above[0]  # not taken off
        assert "the discount cannot be negative" in negative
        assert "Subtotal $332.50 · Discount (10%) -$33.25 · Tax $24.69 · Total $323.94" in live[0]
        assert live[1] is False
        draft = Invoice.get(Invoice.number == "INV-0007")
        assert (draft.discount_kind, draft.discount_value, draft.total) == ("percent", 1000, 32394)
        assert "INV-0007 · draft · Acme Dental" in saved and "10%" in saved

    def test_a_line_taxed_at_a_rate_named_in_settings(self, services):
        store({"tax_rates": [["VAT", 2000], ["Reduced", 550]]})
        keys = (*ONE_LINE[: -len("8.25")], *"vat")  # Support 3.5 × $95.00 at VAT (20%)

        async def script(pilot):
            for key in keys:
                await pilot.press(key)
            await settle(pilot)
            typed = screen_text(pilot.app)
            await pilot.press("ctrl+s")
            await settle(pilot)
            return typed

        typed = drive(admin_app(services), script, size=(100, 30))
        assert "or a rate: VAT 20%, Reduced 5.5%" in typed
        assert "Subtotal $332.50 · Tax $66.50 · Total $399.00" in typed
        draft = Invoice.get(Invoice.number == "INV-0007")
        assert (draft.tax_total, draft.total) == (6650, 39900)

    def test_snapshot_sent(self, services, snap_compare):
        keys = opened("INV-0003")
        assert snap_compare(admin_app(services), terminal_size=(100, 30), run_before=at(*keys))

    def test_snapshot_sent_80x24(self, services, snap_compare):
        keys = opened("INV-0003")
        assert snap_compare(admin_app(services), terminal_size=(80, 24), run_before=at(*keys))

    def test_totals_as_you_type_refusals_and_save(self, services):
        async def script(pilot):
            for key in TYPED:
                await pilot.press(key)
            await settle(pilot)
            assert isinstance(pilot.app.screen, InvoiceEditorScreen)
            refused = screen_text(pilot.app)
            await pilot.press("ctrl+s")  # refused: nothing saved
            await settle(pilot)
            unsaved = Invoice.select().count()
            for _ in range(6):
                await pilot.press("backspace")
            await pilot.press(*"12.50")
            await settle(pilot)
            fixed = screen_text(pilot.app)
            await pilot.press("ctrl+s")
            await settle(pilot)
            return refused, unsaved, fixed, screen_text(pilot.app)

        refused, unsaved, fixed, saved = drive(admin_app(services), script, size=(100, 30))
        assert "line 'Travel': the price '12.345' has more decimals than USD allows" in refused
        assert "Subtotal $332.50 · Tax $27.43 · Total $359.93" in refused
        assert unsaved == 6
        assert "Subtotal $345.00 · Tax $27.43 · Total $372.43" in fixed
        draft = Invoice.get(Invoice.number == "INV-0007")
        assert (draft.status, draft.total) == ("draft", 37243)
        assert "INV-0007 · draft · Acme Dental" in saved

    def test_a_sent_invoice_is_not_edited(self, services):
        async def script(pilot):
            for key in opened("INV-0004"):
                await pilot.press(key)
            await settle(pilot)
            await pilot.press("ctrl+s")
            await settle(pilot)
            return screen_text(pilot.app)

        shown = drive(admin_app(services), script, size=(100, 30))
        assert "INV-0004 · sent · Acme Dental" in shown
        assert "Only drafts are edited. A sent invoice can be voided and a new one issued." in shown
        assert "Save draft" not in shown

    def test_save_and_send_then_void(self, services):
        async def script(pilot):
            for key in TYPED[: TYPED.index("ctrl+n")]:  # without the Travel line
                await pilot.press(key)
            await pilot.press("ctrl+t")
            await settle(pilot)
            sent = screen_text(pilot.app) + said(pilot.app)
            await pilot.press("v")
            await settle(pilot)
            asked = screen_text(pilot.app)
            await pilot.press("enter")
            await settle(pilot)
            return sent, asked, screen_text(pilot.app)

        sent, asked, voided = drive(admin_app(services), script, size=(100, 30))
        assert "INV-0007 · sent · Acme Dental" in sent
        assert "INV-0007 emailed to client@example.com." in sent
        assert all(part in asked for part in ("Void INV-0007 ($359.93, Acme", "Dental)?"))
        assert "INV-0007 · void · Acme Dental" in voided
        assert "Void: it cannot be paid" in voided
        assert Invoice.get(Invoice.number == "INV-0007").status == "void"

    def test_snapshot_offline_payment(self, services, snap_compare):
        keys = (*opened("INV-0004"), "o")
        assert snap_compare(admin_app(services), terminal_size=(100, 30), run_before=at(*keys))

    def test_snapshot_offline_payment_80x24(self, services, snap_compare):
        keys = (*opened("INV-0004"), "o")
        assert snap_compare(admin_app(services), terminal_size=(80, 24), run_before=at(*keys))

    def test_offline_payment_partial_then_the_rest(self, services):
        async def script(pilot):
            for key in opened("INV-0004"):
                await pilot.press(key)
            await settle(pilot)
            await pilot.press("o", "end", "ctrl+u", *"400")
            await settle(pilot)
            refused = screen_text(pilot.app)
            await pilot.press("ctrl+u", *"100", "tab", *"Check 1042", "enter")
            await settle(pilot)
            partial = screen_text(pilot.app) + said(pilot.app)
            await pilot.press("o", "enter")  # the balance, by default
            await settle(pilot)
            return refused, partial, screen_text(pilot.app)

        refused, partial, paid = drive(admin_app(services), script, size=(100, 30))
        assert "$400.00 is more than the $332.50 INV-0004 still owes" in refused
        assert "INV-0004 · partial · Acme Dental" in partial
        assert "Balance due        $232.50" in partial
        assert "Recorded $100.00 received (OFF-000" in partial
        assert "INV-0004 · paid · Acme Dental" in paid and "Payment received" not in paid

    def test_snapshot_charge_confirmation(self, services, snap_compare):
        keys = (*opened("INV-0005"), "c")
        assert snap_compare(admin_app(services), terminal_size=(100, 30), run_before=at(*keys))

    def test_snapshot_charge_confirmation_80x24(self, services, snap_compare):
        keys = (*opened("INV-0005"), "c")
        assert snap_compare(admin_app(services), terminal_size=(80, 24), run_before=at(*keys))

    def test_charge_the_default_card_after_confirming(self, services):
        async def script(pilot):
            keys = opened("INV-0005")
            await pilot.press(keys[0])
            await settle(pilot)  # the list loaded before moving in it
            for key in keys[1:]:
                await pilot.press(key)
            await settle(pilot)  # the invoice loaded before its key is pressed
            await pilot.press("c")
            await settle(pilot)
            asked = screen_text(pilot.app)
            await pilot.press("enter")
            await settle(pilot)
            return asked, screen_text(pilot.app) + said(pilot.app)

        asked, paid = drive(admin_app(services), script, size=(100, 30))
        flat = " ".join(asked.replace("█", " ").split())
        # (the question may wrap before the number, over the invoice's own text)
        assert "Charge $100.00 to Acme Dental's Visa •••• 4242 now, for" in flat
        assert "INV-0005?" in flat
        assert "INV-0005 · paid · Acme Dental" in paid
        assert "Paid $100.00 with Visa •••• 4242. Reference PAY-" in paid
        assert Invoice.get(Invoice.number == "INV-0005").status == "paid"


def test_a_line_row_not_composed_yet_gives_its_values():
    """The editor's check can run between a new row's mounting and its composing: the row
    then gives the values it was made with (it raised TypeError, which closed the console)."""
    from screens.admin.invoice_editor import LineRow
    from services.invoices.line_fields import LineFields

    values = LineFields("Backup", "2", "40.00", "0")
    assert LineRow(values).fields() == values
    assert LineRow().blank()
