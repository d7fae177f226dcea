"""The owner's console and its one factory, shared by `paydesk admin`, the SSH server and the
tests."""

from __future__ import annotations

import getpass
import importlib
import logging
from pathlib import Path

from textual import on, work
from textual.app import App
from textual.binding import Binding
from textual.widgets import Static

from screens.admin.context import AdminContext, context_for
from screens.admin.events import (
    NewRecurring,
    OpenClient,
    OpenInvoice,
    OpenPayment,
    OpenRecurring,
    OpenStatement,
    SendInvoice,
    SettingsSaved,
)
from screens.admin.palette import ConsoleCommands
from screens.admin.sections import SECTIONS, SectionBar
from screens.admin.worker_errors import ReportsWorkerFailures
from services.container import Services
from services.doors.admin import AdminActor, AdminDoor
from services.errors import PaydeskError

log = logging.getLogger("paydesk.admin")
SCREENS = {  # a section's screen: its module in screens/admin and its class
    "overview": ("overview", "OverviewScreen"),
    "clients": ("clients", "ClientsScreen"),
    "invoices": ("invoices", "InvoicesScreen"),
    "recurring": ("recurring", "RecurringScreen"),
    "payments": ("payments", "PaymentsScreen"),
    "receivables": ("receivables", "ReceivablesScreen"),
    "revenue": ("revenue", "RevenueScreen"),
    "outbox": ("outbox", "OutboxScreen"),
    "audit": ("audit", "AuditScreen"),
    "settings": ("settings", "SettingsScreen"),
}


class AdminApp(ReportsWorkerFailures, App[None]):
    """The owner's console: Overview, Clients, a client's detail (more sections to come)."""

    CSS_PATH = Path(__file__).parent / "admin.tcss"
    TITLE = "paydesk admin"
    COMMANDS = {ConsoleCommands}  # in place of Textual's system commands
    BINDINGS = [
        Binding("ctrl+q", "quit", "Quit", priority=True),
        # Shown in the section bar (F1 Overview · F2 Clients), so not in the footer again.
        *(Binding(key, f"section('{target}')", label, show=False, priority=True) for target,
          label, key in SECTIONS),
    ]  # fmt: skip

    def __init__(self, door: AdminDoor) -> None:
        super().__init__()
        self.door = door
        self.ctx: AdminContext | None = None

    def on_mount(self) -> None:
        self._start()

    @work(thread=True, exit_on_error=False, group="start")
    def _start(self) -> None:
        try:
            ctx = context_for(self.door)
        except PaydeskError as exc:  # no business yet: say what to do
            self.call_from_thread(self._cannot_start, str(exc))
            return
        self.door.opened()
        self.call_from_thread(self._started, ctx)

    def _started(self, ctx: AdminContext) -> None:
        self.ctx = ctx
        self.action_section("overview")

    def _cannot_start(self, message: str) -> None:
        self.mount(Static(message, id="cannot-start", markup=False))

    def on_unmount(self) -> None:
        if self.ctx is not None:
            try:
                self.door.closed()
            except Exception:  # noqa: BLE001 - closing must not turn a quit into a crash
                log.exception("could not record the console's close")

    # -- navigation ------------------------------------------------------------------------

    def action_section(self, target: str) -> None:
        ctx = self.ctx
        if ctx is None:
            return
        # Each section's module is imported when it is first opened: the first frame waits
        # for one screen's code, not ten.
        module, name = SCREENS[target]
        screen = getattr(importlib.import_module(f"screens.admin.{module}"), name)(ctx)
        while len(self.screen_stack) > 2:
            self.pop_screen()
        if len(self.screen_stack) == 1:
            self.push_screen(screen)
        else:
            self.switch_screen(screen)

    @on(SectionBar.Navigate)
    def _navigate(self, event: SectionBar.Navigate) -> None:
        self.action_section(event.target)

    @on(OpenClient)
    def _open_client(self, event: OpenClient) -> None:
        from screens.admin.client_detail import ClientDetailScreen

        if self.ctx is not None:
            self.push_screen(ClientDetailScreen(self.ctx, event.client_id))

    @on(OpenRecurring)
    def _open_recurring(self, event: OpenRecurring) -> None:
        from screens.admin.recurring_editor import RecurringEditorScreen

        if self.ctx is not None:
            self.push_screen(RecurringEditorScreen(self.ctx, event.recurring_id))

    @on(NewRecurring)
    def _new_recurring(self, event: NewRecurring) -> None:
        from screens.admin.client_pick import PickedClient
        from screens.admin.recurring_new import NewRecurringScreen

        if self.ctx is not None:
            client = None
            if event.client_id is not None:
                client = PickedClient(event.client_id, event.client_name)
            self.push_screen(NewRecurringScreen(self.ctx, client))

    @on(OpenInvoice)
    def _open_invoice(self, event: OpenInvoice) -> None:
        from screens.admin.invoice_editor import InvoiceEditorScreen

        if self.ctx is not None:
            self.push_screen(InvoiceEditorScreen(self.ctx, event.invoice_id))

    @on(OpenPayment)
    def _open_payment(self, event: OpenPayment) -> None:
        from screens.admin.payment_detail import PaymentDetailScreen

        if self.ctx is not None:
            self.push_screen(PaymentDetailScreen(self.ctx, event.payment_id, event.refund))

    @on(OpenStatement)
    def _open_statement(self, event: OpenStatement) -> None:
        from screens.admin.statement import StatementScreen

        if self.ctx is not None:
            self.push_screen(StatementScreen(self.ctx, event.client_id, event.end))

    @on(SendInvoice)
    def _send_invoice(self, event: SendInvoice) -> None:
        from screens.admin.ask import AskDialog
        from screens.admin.invoice_editor import InvoiceEditorScreen

        if self.ctx is None:
            return
        editor = InvoiceEditorScreen(self.ctx, event.invoice_id)
        self.push_screen(editor)
        copy = event.status != "draft"
        body = (
            f"{event.number} is emailed to {event.client} with its [View Invoice] code and PDF"
            + (" (a copy, with a new code)." if copy else "; it is then no longer a draft.")
        )

        def answered(answer: str | None) -> None:
            if answer == "send":
                editor.action_resend() if copy else editor.action_send()

        self.push_screen(AskDialog(f"Send {event.number}?", body, (("send", "Send"),)), answered)

    @on(SettingsSaved)
    def _settings_saved(self) -> None:
        self._read_context()

    @work(thread=True, exit_on_error=False, group="start")
    def _read_context(self) -> None:
        ctx = context_for(self.door)  # the currency and time zone may have changed
        self.call_from_thread(setattr, self, "ctx", ctx)


def make_admin_app(
    services: Services, *, key_fingerprint: str | None = None, address: str = ""
) -> AdminApp:
    """The console on the services: over SSH the owner is the key's fingerprint (from
    `address`), at the server's terminal the local login name."""
    if key_fingerprint:
        who = AdminActor.ssh_key(key_fingerprint, address)
    else:
        who = AdminActor.local(_login_name())
    return AdminApp(services.admin(who))


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return ""
