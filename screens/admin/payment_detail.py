"""One payment: amount, client, method and card, its Stripe reference (the PaymentIntent), the
invoices it paid (how much of each) and the refunds made of it. R refunds (see refund.py)."""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from screens.admin.base import AdminScreen
from screens.admin.context import AdminContext
from screens.widgets.literal import join
from services.console.payment_detail import REFUND_WORDS, PaymentDetail

INVOICE_WORDS = {"sent": "open", "partial": "partly paid", "paid": "paid", "void": "void"}


class PaymentDetailScreen(AdminScreen):
    """A payment; Escape goes back to the list."""

    section = "payments"
    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("r", "refund", "Refund"),
    ]

    def __init__(self, ctx: AdminContext, payment_id: int, refund: bool = False) -> None:
        super().__init__(ctx)
        self.refund_first = refund  # the palette's "refund PAY-…": the dialog once loaded
        self.payment_id = payment_id
        self.detail: PaymentDetail | None = None

    def body(self) -> ComposeResult:
        yield Static("Loading…", id="payment-head", classes="panel", markup=False)
        with VerticalScroll(id="payment-body"):
            yield Static("Invoices paid", classes="title", markup=False)
            yield Static("", id="payment-allocations", markup=False)
            yield Static("Refunds", classes="title", markup=False)
            yield Static("", id="payment-refunds", markup=False)

    def on_mount(self) -> None:
        self.reload()

    def reload(self) -> None:
        self._load()

    @work(thread=True, exit_on_error=False, group="payment")
    def _load(self) -> None:
        detail = self.ctx.door.payments.detail(self.payment_id)
        self.app.call_from_thread(self._show, detail)

    def _show(self, detail: PaymentDetail) -> None:
        self.detail = detail
        self.query_one("#payment-head", Static).update(self._head(detail))
        self.query_one("#payment-allocations", Static).update(self._allocations(detail))
        self.query_one("#payment-refunds", Static).update(self._refunds(detail))
        self.refresh_bindings()
        if self.refund_first:
            self.refund_first = False
            if detail.refundable > 0:
                self.action_refund()
            else:
                self.app.notify("Nothing left to refund on this payment.", markup=False)

    def _head(self, d: PaymentDetail) -> Text:
        money = self.ctx.fmt.money
        method = d.card if d.card else "offline payment"
        head = join(
            (d.reference, "bold"),
            "  ",
            (money(d.amount, d.currency), "bold"),
            f"  {method}\n",
            (d.client, "bold"),
            "  ",
            (d.client_email, ""),
            f"\nReceived {self.ctx.stamp(d.at)}\n",
            ("Stripe: ", "dim"),
            (d.intent_id or "none (not taken by card)", ""),
        )
        head.append("\nRefunded ")
        head.append(money(d.refunded, d.currency), style="bold" if d.refunded else "")
        if d.pending:
            head.append(f" · pending {money(d.pending, d.currency)}", style="yellow")
        head.append(f" · refundable {money(d.refundable, d.currency)}")
        return head

    def _allocations(self, d: PaymentDetail) -> Text:
        if not d.allocations:
            return Text("No invoice recorded for this payment.", style="dim")
        money = self.ctx.fmt.money
        out = Text()
        for a in d.allocations:
            status = INVOICE_WORDS.get(a.invoice_status, a.invoice_status)
            out.append_text(
                join((a.number, "bold"), f"  {money(a.amount, d.currency)}", f"  (now {status})\n")
            )
        return out

    def _refunds(self, d: PaymentDetail) -> Text:
        if not d.refunds:
            return Text("None.", style="dim")
        money = self.ctx.fmt.money
        out = Text()
        for r in d.refunds:
            out.append_text(
                join(
                    (money(r.amount, d.currency), "bold"),
                    f"  {REFUND_WORDS.get(r.status, r.status)}  {self.ctx.stamp(r.at)}\n",
                    ("  ", ""),
                    (r.reason or "—", "dim"),
                    (f"  {r.stripe_refund_id}" if r.stripe_refund_id else "", "dim"),
                    "\n",
                )
            )
        return out

    # -- keys --------------------------------------------------------------------------------

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_refund(self) -> None:
        if self.detail is not None and self.detail.refundable > 0:
            self._ask_refund(self.detail)

    @work(thread=True, exit_on_error=False, group="payment")
    def _ask_refund(self, detail: PaymentDetail) -> None:
        owner = self.ctx.door.payments.owner_email()
        self.app.call_from_thread(self._open_refund, detail, owner)

    def _open_refund(self, detail: PaymentDetail, owner: str | None) -> None:
        from screens.admin.refund import RefundDialog

        def done(after: PaymentDetail | None) -> None:
            if after is not None:
                self._show(after)
                self.app.notify("Refunded; the client is emailed a receipt.", markup=False)

        self.app.push_screen(RefundDialog(self.ctx, detail, owner), done)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "refund":
            return self.detail is not None and self.detail.refundable > 0
        return True
