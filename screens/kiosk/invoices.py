"""Invoice list: invoice numbers on the left (owed first), the chosen one's summary beside it."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Button, OptionList, Static
from textual.widgets.option_list import Option

from screens.kiosk.base import SignedInScreen
from screens.kiosk.context import ClientDesk, KioskContext
from screens.kiosk.pay_dialog import PayOutcome
from screens.kiosk.pay_flow import start_payment
from screens.widgets.invoice_list import Cells, InvoiceList, RowWidths, row_text
from screens.widgets.literal import join
from screens.widgets.pay_now import PayNow
from services.invoices.views import InvoiceStatus, InvoiceSummary
from services.payments.cards import CardView

PAGE_SIZE = 50

STATUS_LABELS: dict[str, str] = {
    InvoiceStatus.SENT: "Owed",
    InvoiceStatus.PARTIAL: "Partly paid",  # the console, the page and the PDF say so too
    InvoiceStatus.PAID: "Paid",
    InvoiceStatus.VOID: "Void",
    InvoiceStatus.DRAFT: "Draft",
}


def status_label(inv: InvoiceSummary) -> str:
    if inv.overdue:
        return "Overdue"
    return STATUS_LABELS.get(inv.status, inv.status.title())


def status_style(inv: InvoiceSummary) -> str:
    if inv.overdue:
        return "bold red"
    if inv.payable:
        return "bold yellow"
    return "green" if inv.status == InvoiceStatus.PAID else "dim"


@dataclass(frozen=True)
class InvoicePage:
    offset: int
    total: int
    rows: list[InvoiceSummary]
    cards: list[CardView]


class InvoicesScreen(SignedInScreen[ClientDesk]):
    """All of a client's invoices, one page at a time; mark several and pay them in one go."""

    NAV = "invoices"
    STEP = 2
    BINDINGS = [
        Binding("space", "mark", "Mark"),
        Binding("a", "mark_owed", "Mark all owed"),
        Binding("p", "pay", "Pay marked"),
        Binding("right_square_bracket", "page(1)", "Next page"),
        Binding("left_square_bracket", "page(-1)", "Prev page"),
    ]

    marked_count: reactive[int] = reactive(0, bindings=True)

    @dataclass
    class Loaded(Message):
        page: InvoicePage

    @dataclass
    class OwedMarked(Message):
        invoices: list[InvoiceSummary]

    def __init__(self, ctx: KioskContext[ClientDesk]) -> None:
        super().__init__(ctx)
        self.page: InvoicePage | None = None
        self.page_offset = 0
        self.marked: dict[int, InvoiceSummary] = {}
        self.current: InvoiceSummary | None = None
        self.widths = RowWidths()

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="inv-head"):
            yield Static("Your invoices", id="inv-title")
            yield Button("Recurring Invoices", id="go-recurring", compact=True)
        with Horizontal(id="inv-body"):
            yield InvoiceList(id="invoice-list")
            with Vertical(id="inv-side", classes="card"):
                yield Static("Loading…", id="inv-summary")
                yield Button("Open invoice", id="open", compact=True)
                yield Static("", id="inv-marked")
                yield PayNow(prompt="Pay Now ▸ choose card", id="pay-marked")
        yield Static("", id="inv-page", classes="hint")

    def on_mount(self) -> None:
        self.query_one("#invoice-list", OptionList).focus()
        self.load(0)

    def on_screen_resume(self) -> None:
        if self.page is not None:
            self.load(self.page_offset)

    def load(self, offset: int) -> None:
        self.page_offset = offset
        self._load(offset)

    @work(thread=True, exit_on_error=False, group="load", exclusive=True)
    def _load(self, offset: int) -> None:
        desk = self.ctx.desk
        rows = desk.invoices(offset, PAGE_SIZE)
        total = desk.invoice_count()
        cards = desk.cards()
        self.post_message(self.Loaded(InvoicePage(offset, total, rows, cards)))

    def _cells(self, inv: InvoiceSummary) -> Cells:
        fmt = self.ctx.fmt
        amount = inv.balance if inv.payable else inv.total
        return Cells(
            mark="☑ " if inv.id in self.marked else "☐ " if inv.payable else "  ",
            number=inv.number,
            status=status_label(inv),
            status_style=status_style(inv),
            amount=fmt.money(amount, inv.currency),
            date=fmt.date(inv.due_date),
        )

    def _row(self, inv: InvoiceSummary) -> Text:
        return row_text(self._cells(inv), self.widths)

    @on(Loaded)
    def _loaded(self, event: Loaded) -> None:
        page = self.page = event.page
        listing = self.query_one("#invoice-list", InvoiceList)
        keep = listing.highlighted
        # Marks survive a reload only while the invoice is still payable.
        for inv in page.rows:
            if inv.id in self.marked and not inv.payable:
                del self.marked[inv.id]
        self.widths = RowWidths.fit(self._cells(inv) for inv in page.rows)
        listing.fit(self.widths)
        listing.set_options(Option(self._row(inv), id=str(inv.id)) for inv in page.rows)
        if page.rows:
            listing.highlighted = min(keep or 0, len(page.rows) - 1)
        self.query_one("#pay-marked", PayNow).set_cards(page.cards)
        owed = sum(1 for inv in page.rows if inv.payable)
        self.query_one("#inv-title", Static).update(
            join(("Your invoices", "bold"), (f"  {page.total} in all", "dim"))
        )
        last = min(page.offset + PAGE_SIZE, page.total)
        paging = f"Showing {page.offset + 1}–{last} of {page.total}" if page.total else ""
        if page.total > PAGE_SIZE:
            paging += "   ] next page   [ previous page"
        self.query_one("#inv-page", Static).update(paging)
        if not page.rows:
            self.query_one("#inv-summary", Static).update("You have no invoices yet.")
        elif owed == 0 and page.offset == 0:
            self.notify("All your invoices are paid.", timeout=3)
        self._show_marked()

    @on(OptionList.OptionHighlighted, "#invoice-list")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if self.page is None or event.option_index >= len(self.page.rows):
            return
        self.current = inv = self.page.rows[event.option_index]
        fmt = self.ctx.fmt
        self.query_one("#inv-summary", Static).update(
            join(
                ("Invoice ", "dim"),
                (inv.number, "bold"),
                "\n",
                ("Status  ", "dim"),
                (status_label(inv), status_style(inv)),
                "\n",
                ("Issued  ", "dim"),
                fmt.date(inv.issue_date),
                "\n",
                ("Due     ", "dim"),
                fmt.date(inv.due_date),
                "\n",
                ("Total   ", "dim"),
                fmt.money(inv.total, inv.currency),
                "\n",
                ("Balance ", "dim"),
                (fmt.money(inv.balance, inv.currency), "bold"),
            )
        )
        self._show_marked()

    @on(OptionList.OptionSelected, "#invoice-list")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        assert event.option.id is not None
        self._open(int(event.option.id))

    @on(Button.Pressed, "#open")
    def _open_current(self) -> None:
        if self.current is not None:
            self._open(self.current.id)

    def _open(self, invoice_id: int) -> None:
        from screens.kiosk.invoice_detail import InvoiceDetailScreen

        self.app.push_screen(InvoiceDetailScreen(self.ctx, invoice_id))

    @on(Button.Pressed, "#go-recurring")
    def _recurring(self) -> None:
        self.action_nav("recurring")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "page" and self.page is not None:
            step = int(parameters[0])  # type: ignore[call-overload]
            target = self.page_offset + step * PAGE_SIZE
            return True if 0 <= target < max(self.page.total, 1) else None
        if action == "pay":
            return True if self.marked or (self.current and self.current.payable) else None
        return True

    def action_page(self, step: int) -> None:
        if self.page is None:
            return
        target = self.page_offset + step * PAGE_SIZE
        if 0 <= target < self.page.total:
            self.query_one("#invoice-list", OptionList).highlighted = 0
            self.load(target)

    def action_mark(self) -> None:
        if self._toggle_mark(self.current):
            self.query_one("#invoice-list", OptionList).action_cursor_down()

    @on(InvoiceList.MarkClicked)
    def _mark_clicked(self, event: InvoiceList.MarkClicked) -> None:
        if self.page is not None and event.index < len(self.page.rows):
            self._toggle_mark(self.page.rows[event.index])

    def _toggle_mark(self, inv: InvoiceSummary | None) -> bool:
        """Mark or unmark a payable invoice; False (nothing done) for one that is not."""
        if inv is None or not inv.payable:
            return False
        if inv.id in self.marked:
            del self.marked[inv.id]
        else:
            self.marked[inv.id] = inv
        self._refresh_row(inv)
        self._show_marked()
        return True

    def action_mark_owed(self) -> None:
        self._fetch_owed()

    @work(thread=True, exit_on_error=False, group="load")
    def _fetch_owed(self) -> None:
        self.post_message(self.OwedMarked(self.ctx.desk.owed_invoices()))

    @on(OwedMarked)
    def _owed_marked(self, event: OwedMarked) -> None:
        self.marked = {inv.id: inv for inv in event.invoices}
        if self.page:
            for inv in self.page.rows:
                self._refresh_row(inv)
        self._show_marked()

    def _refresh_row(self, inv: InvoiceSummary) -> None:
        if self.page is None:
            return
        for index, row in enumerate(self.page.rows):
            if row.id == inv.id:
                listing = self.query_one("#invoice-list", OptionList)
                listing.replace_option_prompt_at_index(index, self._row(row))
                return

    def _show_marked(self) -> None:
        self.marked_count = len(self.marked)
        fmt = self.ctx.fmt
        if self.marked:
            total = sum(inv.balance for inv in self.marked.values())
            currency = next(iter(self.marked.values())).currency
            text = join(
                ("Marked  ", "dim"),
                (f"{len(self.marked)} invoice{'s' if len(self.marked) != 1 else ''}", "bold"),
                ("  ", ""),
                (fmt.money(total, currency), "bold"),
            )
            prompt = f"Pay {len(self.marked)} marked ▸ card"
        else:
            text = join(("Space marks an invoice; a marks all owed.", "dim"))
            prompt = "Pay Now ▸ choose card"
        self.query_one("#inv-marked", Static).update(text)
        pay = self.query_one("#pay-marked", PayNow)
        pay.prompt = prompt
        # Pay Now is offered only for what can be paid: the marked ones, or this one if owed.
        pay.display = bool(self.marked) or bool(self.current and self.current.payable)
        self.refresh_bindings()  # the footer's page and pay keys follow the page and the row

    def action_pay(self) -> None:
        pay = self.query_one("#pay-marked", PayNow)
        pay.focus()
        pay.action_show_overlay()

    @on(PayNow.Chosen, "#pay-marked")
    def _pay(self, event: PayNow.Chosen) -> None:
        if self.marked:
            invoices = list(self.marked.values())
        elif self.current is not None:
            invoices = [self.current]
        else:
            return
        cards = self.page.cards if self.page else []
        start_payment(self, self.ctx, invoices, event.choice, cards, self._paid)

    def _paid(self, outcome: PayOutcome | None) -> None:
        if outcome is not None and outcome.succeeded:
            self.marked.clear()
            self.set_step(4)
        self.load(self.page_offset)
