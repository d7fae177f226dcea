"""Invoice detail: the invoice as a document; its balance due and the Pay Now drop-down at the
top, above the document."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Static

from screens.kiosk.base import SignedInScreen
from screens.kiosk.context import DeskT, KioskContext
from screens.kiosk.pay_dialog import PayOutcome
from screens.kiosk.pay_flow import start_payment
from screens.widgets.invoice_document import render_invoice, status_text
from screens.widgets.literal import join
from screens.widgets.pay_now import PayNow
from services.invoices.views import InvoiceDetail, InvoiceStatus
from services.payments.cards import CardView


class InvoiceDetailScreen(SignedInScreen[DeskT]):
    """One invoice; Pay Now only while it is payable. The desk refuses an invoice not its own."""

    NAV = "invoices"
    STEP = 3
    BINDINGS = [
        Binding("n", "pay_now", "Pay Now"),
        Binding("escape", "back", "Back to list"),
    ]

    payable: reactive[bool] = reactive(False, bindings=True)

    @dataclass
    class Loaded(Message):
        detail: InvoiceDetail
        cards: list[CardView]

    def __init__(self, ctx: KioskContext[DeskT], invoice_id: int) -> None:
        super().__init__(ctx)
        self.invoice_id = invoice_id
        self.detail: InvoiceDetail | None = None
        self.cards: list[CardView] = []

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="detail-head"):
            yield Static("Loading…", id="detail-title")
            yield PayNow(id="pay-now")
        with VerticalScroll(id="document", can_focus=True):
            yield Static("", id="doc")
        yield from self.compose_extra()

    def compose_extra(self) -> ComposeResult:
        return iter(())

    def on_mount(self) -> None:
        self.query_one("#pay-now", PayNow).display = False
        self.reload()

    def reload(self) -> None:
        self._load()

    @work(thread=True, exit_on_error=False, group="load")
    def _load(self) -> None:
        detail = self.ctx.desk.invoice(self.invoice_id)
        cards = self.ctx.desk.cards()
        self.post_message(self.Loaded(detail, cards))

    @on(Loaded)
    def _loaded(self, event: Loaded) -> None:
        self.detail = detail = event.detail
        self.cards = event.cards
        fmt = self.ctx.fmt
        self.payable = bool(detail.payable)
        # The balance due sits beside Pay Now, so it is seen without scrolling at 80×24.
        title = join(("Invoice ", "dim"), (detail.number, "bold"), "  ")
        title.append(status_text(detail))
        title.append("\n")
        title.append_text(
            join(("Balance due ", "bold"), (fmt.money(detail.balance, detail.currency), "bold"))
        )
        self.query_one("#detail-title", Static).update(title)
        self.query_one("#doc", Static).update(render_invoice(detail, fmt))
        pay = self.query_one("#pay-now", PayNow)
        pay.set_cards(event.cards)
        pay.display = bool(detail.payable)
        if detail.payable:
            pay.focus()
        else:
            self.query_one("#document").focus()
            if detail.status == InvoiceStatus.PAID:
                self.set_step(4)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "pay_now":
            return True if self.payable else False
        return True

    def action_pay_now(self) -> None:
        if not self.payable:
            return
        pay = self.query_one("#pay-now", PayNow)
        pay.focus()
        pay.action_show_overlay()

    @on(PayNow.Chosen, "#pay-now")
    def _chosen(self, event: PayNow.Chosen) -> None:
        if self.detail is None or not self.detail.payable:
            return
        start_payment(self, self.ctx, [self.detail], event.choice, self.cards, self._paid)

    def _paid(self, outcome: PayOutcome | None) -> None:
        if outcome is not None and outcome.succeeded:
            self.set_step(4)
        self.reload()

    def action_back(self) -> None:
        self.dismiss()
