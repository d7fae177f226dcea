"""Refund a payment in full or in part: how much (at most what is refundable), why, and the
owner's password again. The line above the password repeats the amount and the client."""

from __future__ import annotations

from decimal import InvalidOperation

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Select, Static
from textual.worker import Worker, WorkerState

from screens.admin.context import AdminContext
from screens.admin.worker_errors import ReportsWorkerFailures
from services.console.payment_detail import PaymentDetail
from services.errors import PaydeskError
from services.money import Money
from services.payments.refund_reasons import REASONS


class RefundDialog(ReportsWorkerFailures, ModalScreen[PaymentDetail | None]):
    """Dismisses with the payment as it is after the refund, or None (cancelled)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, ctx: AdminContext, detail: PaymentDetail, owner: str | None) -> None:
        super().__init__()
        self.ctx = ctx
        self.detail = detail
        self.owner = owner

    def compose(self) -> ComposeResult:
        d = self.detail
        money = self.ctx.fmt.money
        whole = Money(d.refundable, d.currency).to_decimal()
        with Vertical(classes="dialog", id="refund"):
            yield Static(f"Refund {d.reference}", classes="dialog-title", markup=False)
            yield Static(
                f"{d.client} paid {money(d.amount, d.currency)}; refundable "
                f"{money(d.refundable, d.currency)}.",
                markup=False,
            )
            with Horizontal(classes="refund-row"):
                yield Input(str(whole), id="refund-amount", placeholder="amount")
                yield Select(
                    [(label, code) for code, label in REASONS.items()],
                    value="requested_by_customer",
                    allow_blank=False,
                    id="refund-reason",
                )
            yield Input(placeholder="comment (required for other)", id="refund-comment")
            yield Static("", id="refund-confirm", markup=False)
            if self.owner is None:
                yield Static(
                    "This business has no owner login to ask the password of: no refund.",
                    id="refund-error",
                    markup=False,
                )
            else:
                yield Input(
                    password=True, placeholder=f"password of {self.owner}", id="refund-password"
                )
                yield Static("", id="refund-error", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Refund", id="refund-yes", variant="error", disabled=not self.owner)
                yield Button("Cancel", id="refund-no")

    def on_mount(self) -> None:
        self._confirm_line()
        self.query_one("#refund-amount", Input).focus()

    def _amount(self) -> int | None:
        text = self.query_one("#refund-amount", Input).value
        try:
            return Money.parse(text, self.detail.currency).amount
        except (ValueError, InvalidOperation):
            return None

    @on(Input.Changed, "#refund-amount")
    def _confirm_line(self) -> None:
        d = self.detail
        amount = self._amount()
        line = self.query_one("#refund-confirm", Static)
        if amount is None or amount <= 0:
            line.update("Write the amount to refund, as 12.50.")
        elif amount > d.refundable:
            line.update(f"At most {self.ctx.fmt.money(d.refundable, d.currency)} can be refunded.")
        else:
            line.update(
                f"Refund {self.ctx.fmt.money(amount, d.currency)} to {d.client} "
                f"({d.card}). Type the owner's password to confirm:"
            )

    @on(Input.Submitted, "#refund-password")
    @on(Button.Pressed, "#refund-yes")
    def _submit(self) -> None:
        if self.owner is None:
            return
        amount = self._amount()
        d = self.detail
        box = self.query_one("#refund-password", Input)
        password, box.value = box.value, ""
        if amount is None or amount <= 0 or amount > d.refundable:
            self._error("Write an amount up to what is refundable.")
            return
        reason = self.query_one("#refund-reason", Select).value
        comment = self.query_one("#refund-comment", Input).value
        self.query_one("#refund-yes", Button).disabled = True
        self._error("Refunding at Stripe…")
        self._refund(amount, str(reason), comment, password)

    # The description is given: by default it spells out the arguments, the password too.
    @work(thread=True, exit_on_error=False, group="refund", description="refund")
    def _refund(self, amount: int, code: str, comment: str, password: str) -> PaymentDetail | None:
        try:
            return self.ctx.door.payments.refund(self.detail.id, amount, code, comment, password)
        except PaydeskError as exc:
            self.app.call_from_thread(self._failed, str(exc))
            return None

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        super().on_worker_state_changed(event)  # a failure: one line, the trace to the log
        if event.state == WorkerState.SUCCESS and event.worker.group == "refund":
            # Dismissed once the worker is done: closing the dialog from inside it cancelled
            # the worker, which then ended cancelled though the refund was made.
            if event.worker.result is not None:
                self.dismiss(event.worker.result)

    def _failed(self, message: str) -> None:
        self._error(message)
        self.query_one("#refund-yes", Button).disabled = False
        self.query_one("#refund-password", Input).focus()

    def _error(self, message: str) -> None:
        self.query_one("#refund-error", Static).update(message)

    @on(Button.Pressed, "#refund-no")
    def action_cancel(self) -> None:
        self.dismiss(None)
