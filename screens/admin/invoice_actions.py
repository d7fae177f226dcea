"""What the owner does to one invoice from its screen: send (or send a copy), void, record a
payment received offline, charge the client's default card now (after a confirmation that
repeats the amount, the card and the client). Each
runs in a worker; the outcome is one line, and the invoice is read again."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import work

from screens.admin.confirm import AdminConfirm
from screens.admin.offline_payment import OfflinePayment, OfflinePaymentDialog
from services.billing.sending import Sent
from services.doors.admin_invoices import ChargePlan

if TYPE_CHECKING:
    from screens.admin.context import AdminContext
    from services.invoices.views import InvoiceDetail


class InvoiceActions:
    """Mixin for the invoice screen (it has `ctx`, `invoice`, `editable`, `reload()`)."""

    ctx: AdminContext
    invoice: InvoiceDetail | None
    editable: bool

    def reload(self) -> None: ...
    def action_save(self, then_send: bool = False) -> None: ...

    # -- send ------------------------------------------------------------------------------

    def action_send(self) -> None:
        """A draft: saved, then emailed."""
        self.action_save(then_send=True)

    def action_resend(self) -> None:
        """An invoice emailed before: a copy with a new code (or the email that failed)."""
        if self.invoice is not None:
            self._send_now(self.invoice.id)

    @work(thread=True, exit_on_error=False, group="send")
    def _send_now(self, invoice_id: int) -> None:
        sent = self.ctx.door.invoices.send(invoice_id)
        self.app.call_from_thread(self._sent, sent)  # type: ignore[attr-defined]

    def _sent(self, sent: Sent) -> None:
        app = self.app  # type: ignore[attr-defined]
        if sent.sent:
            what = "A copy of " if sent.copy else ""
            app.notify(f"{what}{sent.number} emailed to {sent.to}.", markup=False)
        else:
            left = "" if sent.copy else " It is still a draft."
            app.notify(
                f"The email to {sent.to} could not be sent ({sent.error}).{left}",
                severity="error",
                markup=False,
            )
        self.reload()

    # -- void ------------------------------------------------------------------------------

    def action_void(self) -> None:
        invoice = self.invoice
        if invoice is None:
            return
        money = self.ctx.fmt.money(invoice.total)
        body = (
            f"Void {invoice.number} ({money}, {invoice.client.name})? It can no longer be "
            "paid and the codes in its emails stop working. This cannot be undone."
        )
        dialog = AdminConfirm(f"Void {invoice.number}", body, "Void it")
        self.app.push_screen(dialog, self._void_answered)  # type: ignore[attr-defined]

    def _void_answered(self, yes: bool | None) -> None:
        if yes and self.invoice is not None:
            self._void_now(self.invoice.id, self.invoice.number)

    @work(thread=True, exit_on_error=False, group="void")
    def _void_now(self, invoice_id: int, number: str) -> None:
        self.ctx.door.invoices.void(invoice_id)
        self.app.call_from_thread(self._voided, number)  # type: ignore[attr-defined]

    def _voided(self, number: str) -> None:
        self.app.notify(f"{number} is void.", markup=False)  # type: ignore[attr-defined]
        self.reload()

    # -- a payment received offline ----------------------------------------------------------

    def action_offline(self) -> None:
        if self.invoice is not None:
            dialog = OfflinePaymentDialog(self.invoice, self.ctx.fmt)
            self.app.push_screen(dialog, self._offline_given)  # type: ignore[attr-defined]

    def _offline_given(self, given: OfflinePayment | None) -> None:
        if given is not None and self.invoice is not None:
            self._record_offline(self.invoice.id, given)

    @work(thread=True, exit_on_error=False, group="offline")
    def _record_offline(self, invoice_id: int, given: OfflinePayment) -> None:
        door = self.ctx.door.invoices
        recorded = door.record_offline(invoice_id, given.amount, given.method, given.reference)
        money = self.ctx.fmt.money(recorded.amount)
        self.app.call_from_thread(  # type: ignore[attr-defined]
            self._recorded, f"Recorded {money} received ({recorded.reference})."
        )

    def _recorded(self, message: str) -> None:
        self.app.notify(message, markup=False)  # type: ignore[attr-defined]
        self.reload()

    # -- charge the default card now ---------------------------------------------------------

    def action_charge(self) -> None:
        if self.invoice is not None:
            self._plan_charge(self.invoice.id)

    @work(thread=True, exit_on_error=False, group="charge")
    def _plan_charge(self, invoice_id: int) -> None:
        plan = self.ctx.door.invoices.charge_plan(invoice_id)
        self.app.call_from_thread(self._ask_charge, plan)  # type: ignore[attr-defined]

    def _ask_charge(self, plan: ChargePlan) -> None:
        money = self.ctx.fmt.money(plan.amount, plan.currency)
        body = f"Charge {money} to {plan.client}'s {plan.card} now, for {plan.number}?"
        dialog = AdminConfirm(f"Charge {plan.client}", body, f"Charge {money}")
        self.app.push_screen(  # type: ignore[attr-defined]
            dialog, lambda yes: self._charge_now(plan) if yes else None
        )

    @work(thread=True, exit_on_error=False, group="charge", exclusive=False)
    def _charge_now(self, plan: ChargePlan) -> None:
        result = self.ctx.door.invoices.charge(plan)
        severity = "information" if result.ok else "error"
        self.app.call_from_thread(self._charged, result.message, severity)  # type: ignore[attr-defined]

    def _charged(self, message: str, severity: str) -> None:
        self.app.notify(message, severity=severity, markup=False)  # type: ignore[attr-defined]
        self.reload()
