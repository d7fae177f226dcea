"""A client's statements, opened from Receivables (Enter) and from the client's detail (`s`):
the activity of a range from its opening to its closing balance and what was outstanding at
its end, on screen; the range changed (a bad one said); the PDF saved where the screen says
and read back; the statement emailed to the client with its [View Invoice] codes; snapshots
at 100x30 and 80x24."""

from __future__ import annotations

import io
from datetime import date

from pypdf import PdfReader
from textual.widgets import Input

from models import AuditLog, Client
from screens.admin.ask import AskDialog
from screens.admin.client_detail import ClientDetailScreen
from screens.admin.statement import StatementScreen
from services.console.statements import statement
from tests.fixtures.admin import admin_app, at
from tests.fixtures.aging import add_aging
from tests.fixtures.kiosk import TODAY, drive, mail_text, screen_text, settle, wait_for_mail


async def from_client_detail(pilot, client_id: int) -> None:
    """The client's detail, then `s`: its statements."""
    pilot.app.push_screen(ClientDetailScreen(pilot.app.ctx, client_id))
    await settle(pilot)
    await pilot.press("s")
    await settle(pilot)


async def give_range(pilot, since: str, until: str) -> str:
    if isinstance(pilot.app.focused, Input):  # a refused range leaves the box to be fixed
        await pilot.press("escape")
    await pilot.press("d", "ctrl+a", "ctrl+k", *since, "tab", "ctrl+a", "ctrl+k", *until, "enter")
    await settle(pilot)
    return screen_text(pilot.app)


def money(amount: int) -> str:
    return f"${amount / 100:,.2f}"


class TestStatementScreen:
    def test_snapshot(self, services, snap_compare):
        add_aging(services)
        assert snap_compare(
            admin_app(services), terminal_size=(100, 30), run_before=at("f6", "enter")
        )

    def test_snapshot_80x24(self, services, snap_compare):
        add_aging(services)
        assert snap_compare(
            admin_app(services), terminal_size=(80, 24), run_before=at("f6", "enter")
        )

    def test_snapshot_outstanding_80x24(self, services, snap_compare):
        add_aging(services)
        assert snap_compare(
            admin_app(services), terminal_size=(80, 24), run_before=at("f6", "enter", "2")
        )

    def test_activity_and_outstanding_from_the_client_detail(self, services):
        cedar = add_aging(services)

        async def script(pilot):
            await settle(pilot)
            await from_client_detail(pilot, cedar)
            screen = pilot.app.screen
            seen = {"screen": screen, "first": screen.range, "activity": screen_text(pilot.app)}
            await pilot.press("2")
            await settle(pilot)
            seen["outstanding"] = screen_text(pilot.app)
            seen["range"] = await give_range(pilot, "2025-12-01", "2026-01-31")
            seen["bad"] = await give_range(pilot, "2026-02-30", "2026-03-01")
            seen["backwards"] = await give_range(pilot, "2026-03-01", "2026-02-01")
            seen["future"] = await give_range(pilot, "2026-03-01", "2026-03-17")
            seen["kept"] = pilot.app.screen.range
            await pilot.press("escape")
            await settle(pilot)
            seen["back"] = pilot.app.screen
            return seen

        seen = drive(admin_app(services), script, size=(100, 30))
        screen = seen["screen"]
        assert isinstance(screen, StatementScreen) and screen.client_id == cedar
        assert seen["first"] == (date(2026, 2, 1), TODAY)  # the first of last month to today
        st = statement(cedar, date(2026, 2, 1), TODAY)
        text = seen["activity"]
        assert "Cedar Clinic" in text and "Feb 1, 2026 – Mar 16, 2026" in text
        assert f"Opening balance (end of Jan 31, 2026) {money(st.opening)}" in text
        assert f"Closing balance (end of Mar 16, 2026) {money(st.closing)}" in text
        assert st.closing == st.opening + st.invoiced - st.paid + st.refunded - st.voided
        (paid,) = st.lines
        assert (paid.kind, paid.amount, paid.balance) == ("payment", -15000, 90000)
        assert "Invoiced $0.00 · paid $150.00 · refunded $0.00 · voided $0.00" in text
        assert any(
            "Mar 16, 2026" in ln and paid.reference in ln and "-$150.00" in ln
            for ln in text.splitlines()
        )
        assert st.closing == 90000
        out = seen["outstanding"]
        assert "Outstanding at the end of Mar 16, 2026 $900.00" in out
        assert "31–60 $200.00 · 61–90 $350.00 · 90+ $350.00" in out
        assert [line.split()[0] for line in out.splitlines() if "INV-" in line]
        early = statement(cedar, date(2025, 12, 1), date(2026, 1, 31))
        assert "Dec 1, 2025 – Jan 31, 2026" in seen["range"]
        assert f"Closing balance (end of Jan 31, 2026) {money(early.closing)}" in seen["range"]
        assert "“2026-02-30” is not a date: write it as 2026-03-16" in seen["bad"]
        assert "The statement's start is after its end." in seen["backwards"]
        assert "A statement ends today at the latest." in seen["future"]
        assert seen["kept"] == (date(2025, 12, 1), date(2026, 1, 31))
        assert isinstance(seen["back"], ClientDetailScreen)

    def test_save_the_pdf_and_read_it_back(self, services, kiosk_config):
        cedar = add_aging(services)

        async def script(pilot):
            await settle(pilot)
            await from_client_detail(pilot, cedar)
            await pilot.press("s")
            await settle(pilot)
            return screen_text(pilot.app)

        text = drive(admin_app(services), script, size=(100, 30))
        folder = kiosk_config.home / "statements"
        (path,) = folder.glob("*.pdf")
        assert path.name == f"statement-{cedar}-2026-02-01-2026-03-16-20260316T150000.pdf"
        assert f"PDF saved to {path.name}" in text and f"in {folder}" in text
        pages = PdfReader(io.BytesIO(path.read_bytes())).pages
        pdf_text = "".join(page.extract_text() for page in pages)
        assert "Cedar Clinic" in pdf_text and "$900.00" in pdf_text and "OFF-" in pdf_text
        assert AuditLog.get(AuditLog.action == "statement.saved").subject == f"client:{cedar}"

    def test_email_it_to_the_client_with_its_codes(self, services):
        cedar = add_aging(services)

        async def script(pilot):
            await settle(pilot)
            await pilot.press("f6")
            await settle(pilot)
            await pilot.press("enter")  # Cedar Clinic owes the most
            await settle(pilot)
            await pilot.press("m")
            await settle(pilot)
            ask = pilot.app.screen
            await pilot.click("#ask-send")
            await settle(pilot)
            mail = await wait_for_mail(pilot, services, "Statement from")
            return ask, mail, screen_text(pilot.app)

        ask, mail, text = drive(admin_app(services), script, size=(100, 30))
        assert isinstance(ask, AskDialog)
        assert mail["To"] == "cedar@example.com"
        assert str(mail["Subject"]) == (
            "Statement from Desktop Masters IT: $900.00 due as of Mar 16, 2026"
        )
        body = mail_text(mail)
        assert body.count("view ") >= 3  # a [View Invoice] code for each of the three open
        assert any(p.get_content_type() == "application/pdf" for p in mail.iter_attachments())
        assert "Emailed to cedar@example.com with 3 [View Invoice] codes" in text
        assert AuditLog.get(AuditLog.action == "statement.sent").subject == f"client:{cedar}"
        assert Client.get_by_id(cedar).name == "Cedar Clinic"
