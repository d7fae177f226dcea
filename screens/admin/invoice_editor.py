"""One invoice: a draft (or a new invoice) is edited here — lines (description, quantity,
unit price, tax rate), a discount (10% or an amount, off the subtotal before tax), notes,
issue and due dates, with totals as you type and each field checked by the rules the CLI
uses (services.invoices.rules). A sent invoice is shown, not
edited: what a client was sent is never changed under them (void it and issue another)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Input, Label, Static

from screens.admin.base import AdminScreen
from screens.admin.context import AdminContext
from screens.admin.invoice_actions import InvoiceActions
from screens.admin.invoice_view import invoice_text
from services.invoices.discount import (
    NO_DISCOUNT,
    Discount,
    discount_label,
    discount_problem,
    discount_text,
    parse_discount,
)
from services.invoices.line_fields import LineFields, TaxRates, parse_line_fields, rates_hint
from services.invoices.rules import dates_problem, lines_problem
from services.invoices.views import InvoiceDetail, InvoiceStatus, LineInput, priced, sums_of

NOT_EDITED = "Only drafts are edited. A sent invoice can be voided and a new one issued."
VOIDED = "Void: it cannot be paid, and the codes in its emails no longer work."
FIELDS = ("description", "quantity", "unit_price", "tax_rate")
WIDTHS = {"description": "1fr", "quantity": "8", "unit_price": "12", "tax_rate": "7"}
HINTS = {
    "description": "Description",
    "quantity": "Qty",
    "unit_price": "Price",
    "tax_rate": "Tax %",
}


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None


class LineRow(Horizontal):
    """One line's four fields."""

    def __init__(self, values: LineFields | None = None) -> None:
        super().__init__(classes="line-row")
        self.values = values or LineFields("", "1", "", "0")

    def compose(self) -> ComposeResult:
        for name in FIELDS:
            field = Input(
                getattr(self.values, name), placeholder=HINTS[name], compact=True, name=name
            )
            field.styles.width = WIDTHS[name]
            yield field

    def fields(self) -> LineFields:
        """The four fields as typed; as given while the row's inputs are not there yet (a
        check can run between a row's mounting and its composing)."""
        typed = {i.name: i.value for i in self.query(Input) if i.name in FIELDS}
        return replace(self.values, **typed)

    def blank(self) -> bool:
        f = self.fields()
        return not (f.description.strip() or f.unit_price.strip())

    def mark(self, field: str) -> None:
        for i in self.query(Input):
            i.set_class(i.name == field, "-invalid")


class InvoiceEditorScreen(InvoiceActions, AdminScreen):
    """A new invoice or a draft to edit; any other invoice shown as it was sent."""

    DEFAULT_CSS = """
    InvoiceEditorScreen #invoice-body { height: 1fr; padding: 0 1; }
    InvoiceEditorScreen #invoice-head { height: 1; text-style: bold; }
    InvoiceEditorScreen .form-row { height: 1; margin: 0 0 1 0; }
    InvoiceEditorScreen .form-row Label { width: auto; padding: 0 1 0 0; }
    InvoiceEditorScreen .form-row Input { width: 14; margin: 0 2 0 0; }
    InvoiceEditorScreen #client { width: 1fr; }
    InvoiceEditorScreen .line-row { height: 1; }
    InvoiceEditorScreen .line-row Input { margin: 0 1 0 0; }
    InvoiceEditorScreen #lines-head { height: 1; color: $text-muted; }
    InvoiceEditorScreen #lines { height: auto; margin: 0 0 1 0; }
    InvoiceEditorScreen #notes { width: 1fr; }
    InvoiceEditorScreen .form-row #discount { width: 12; }
    InvoiceEditorScreen #totals { height: auto; margin: 1 0 0 0; text-style: bold; }
    InvoiceEditorScreen #problem { height: auto; color: $error; }
    InvoiceEditorScreen #invoice-note { height: auto; color: $text-muted; margin: 1 0 0 0; }
    InvoiceEditorScreen Input.-invalid { background: $error 30%; }
    """
    BINDINGS = [
        Binding("escape", "leave", "Back"),
        Binding("ctrl+s", "save", "Save draft"),
        Binding("ctrl+n", "add_line", "Add line"),
        Binding("ctrl+r", "remove_line", "Remove line"),
        Binding("ctrl+t", "send", "Save & send"),
        Binding("s", "resend", "Send again"),
        Binding("v", "void", "Void"),
        Binding("o", "offline", "Payment received"),
        Binding("c", "charge", "Charge card"),
    ]

    def __init__(self, ctx: AdminContext, invoice_id: int | None) -> None:
        super().__init__(ctx)
        self.invoice_id = invoice_id
        self.invoice: InvoiceDetail | None = None
        self.editable = False
        self.problem = ""
        self.rates: TaxRates = ()  # the Settings' named tax rates, read with the invoice

    section = "invoices"

    def body(self) -> ComposeResult:
        with VerticalScroll(id="invoice-body"):
            yield Static("Loading…", id="invoice-head", markup=False)

    def on_mount(self) -> None:
        self._load()

    def reload(self) -> None:
        """Read the invoice again and show it (after a send, a void, a payment)."""
        self._load()

    @work(thread=True, exit_on_error=False, group="invoice")
    def _load(self) -> None:
        door = self.ctx.door.invoices
        self.rates = door.tax_rates()
        if self.invoice_id is None:
            issue, due = door.new_dates()
            self.app.call_from_thread(self.call_later, self._show_form, None, issue, due)
            return
        invoice = door.get(self.invoice_id)
        self.app.call_from_thread(self.call_later, self._show, invoice)

    async def _show(self, invoice: InvoiceDetail) -> None:
        self.invoice = invoice
        self.invoice_id = invoice.id
        if invoice.status == InvoiceStatus.DRAFT:
            await self._show_form(invoice, invoice.issue_date, invoice.due_date)
        else:
            await self._show_invoice(invoice)

    async def _clear(self) -> VerticalScroll:
        body = self.query_one("#invoice-body", VerticalScroll)
        await body.remove_children()
        return body

    async def _show_invoice(self, invoice: InvoiceDetail) -> None:
        self.editable = False
        body = await self._clear()
        body.mount(Static(self._head(invoice), id="invoice-head", markup=False))
        body.mount(Static(invoice_text(invoice, self.ctx.fmt), id="invoice-text"))
        note = VOIDED if invoice.status == InvoiceStatus.VOID else NOT_EDITED
        body.mount(Static(note, id="invoice-note", markup=False))
        self.refresh_bindings()

    def _head(self, invoice: InvoiceDetail | None) -> str:
        if invoice is None:
            return "New invoice (a draft until it is sent)"
        status = "overdue" if invoice.overdue else invoice.status
        return f"{invoice.number} · {status} · {invoice.client.name}"

    async def _show_form(self, invoice: InvoiceDetail | None, issue: date, due: date) -> None:
        self.editable = True
        body = await self._clear()
        body.mount(Static(self._head(invoice), id="invoice-head", markup=False))
        fields = []
        if invoice is None:
            fields += [Label("Client"), Input(placeholder="email or id", id="client", compact=True)]
        fields += [
            Label("Issued"),
            Input(issue.isoformat(), id="issue", compact=True),
            Label("Due"),
            Input(due.isoformat(), id="due", compact=True),
        ]
        body.mount(Horizontal(*fields, classes="form-row"))
        head = "Lines: description, quantity, unit price, tax %"
        if self.rates:
            head += f" or a rate: {rates_hint(self.rates)}"
        body.mount(Static(head, id="lines-head", markup=False))
        rows = [
            LineRow(
                LineFields(
                    ln.description,
                    _plain(ln.quantity_milli, 3),
                    _plain(ln.unit_price, 2),
                    _plain(ln.tax_rate_bp, 2),
                )
            )
            for ln in (invoice.lines if invoice else ())
        ]
        body.mount(Vertical(*(rows or [LineRow()]), id="lines"))
        discount = invoice.discount if invoice else NO_DISCOUNT
        body.mount(
            Horizontal(
                Label("Discount"),
                Input(
                    discount_text(discount, self.ctx.fmt.currency),
                    placeholder="10% or 25.00",
                    id="discount",
                    compact=True,
                ),
                Label("Notes"),
                Input(
                    invoice.notes if invoice else "",
                    placeholder="for the client, on the invoice",
                    id="notes",
                    compact=True,
                ),
                classes="form-row",
            )
        )
        body.mount(Static("", id="totals", markup=False))
        body.mount(Static("", id="problem", markup=False))
        self.call_after_refresh(self._check)
        self.call_after_refresh(self._focus_first)
        self.refresh_bindings()

    def _focus_first(self) -> None:
        first = self.query("#client") or self.query(".line-row Input")
        if first:
            first.first().focus()

    # -- checking as you type ------------------------------------------------------------

    def lines(self) -> tuple[list[LineInput], str]:
        """The lines typed so far (blank rows left out), and the first problem."""
        currency = self.ctx.fmt.currency
        lines: list[LineInput] = []
        problem = ""
        for row in self.query(LineRow):
            row.mark("")
            if row.blank() and len(self.query(LineRow)) > 1:
                continue
            parsed = parse_line_fields(row.fields(), currency, self.rates)
            if parsed.line is None:
                row.mark(parsed.field)
                problem = problem or parsed.problem
            else:
                lines.append(parsed.line)
        return lines, problem

    def discount(self, subtotal: int) -> tuple[Discount | None, str]:
        """The discount typed (None when it cannot be given on this subtotal), and why not."""
        field = self.query_one("#discount", Input)
        discount, problem = parse_discount(field.value, self.ctx.fmt.currency)
        if discount is not None:
            problem = discount_problem(discount, subtotal, self.ctx.fmt.currency)
        field.set_class(bool(problem), "-invalid")
        return (None if problem else discount), problem

    def _check(self) -> None:
        if not self.editable or not self.query("#totals"):
            return
        lines, problem = self.lines()
        subtotal = sums_of(priced(lines))["subtotal"]
        discount, discount_wrong = self.discount(subtotal)
        problem = problem or discount_wrong
        sums = sums_of(priced(lines, discount or NO_DISCOUNT))
        money = self.ctx.fmt.money
        off = ""
        if sums["discount_total"] and discount is not None:
            off = f" · {discount_label(discount)} {money(-sums['discount_total'])}"
        self.query_one("#totals", Static).update(
            f"Subtotal {money(subtotal)}{off} · Tax {money(sums['tax_total'])} · "
            f"Total {money(sums['total'])}"
        )
        issue, due = (
            _day(self.query_one("#issue", Input).value),
            _day(self.query_one("#due", Input).value),
        )
        self.query_one("#issue", Input).set_class(issue is None, "-invalid")
        self.query_one("#due", Input).set_class(due is None, "-invalid")
        if not problem and (issue is None or due is None):
            problem = "a date is written like 2026-03-31"
        if not problem:
            problem = lines_problem(lines, self.ctx.fmt.currency, discount or NO_DISCOUNT)
        if not problem and issue and due:
            problem = dates_problem(issue, due)
            self.query_one("#due", Input).set_class(bool(problem), "-invalid")
        self.problem = problem
        self.query_one("#problem", Static).update(problem)

    @on(Input.Changed)
    def _changed(self) -> None:
        self._check()

    # -- actions -----------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("save", "add_line", "remove_line"):
            return self.editable
        if action == "send":
            return self.editable
        status = "" if self.editable or self.invoice is None else self.invoice.status
        if action == "resend":
            return status not in ("", InvoiceStatus.VOID, InvoiceStatus.PAID)
        if action == "void":
            return status not in ("", InvoiceStatus.VOID)
        if action in ("offline", "charge"):
            return self.invoice is not None and not self.editable and self.invoice.payable
        return True

    def action_leave(self) -> None:
        self.dismiss()

    def action_add_line(self) -> None:
        row = LineRow()
        self.query_one("#lines", Vertical).mount(row)
        self.call_after_refresh(lambda: row.query(Input).first().focus())

    def action_remove_line(self) -> None:
        rows = list(self.query(LineRow))
        if len(rows) < 2:
            return
        focused = self.focused
        chosen = next((r for r in rows if focused is not None and focused.parent is r), None)
        (chosen or rows[-1]).remove()
        self.call_after_refresh(self._check)

    def action_save(self, then_send: bool = False) -> None:
        self._check()
        if self.problem:
            self.notify(self.problem, severity="error", markup=False)
            return
        lines, _ = self.lines()
        client = self.query("#client")
        ref = client.first(Input).value if client else ""
        issue = _day(self.query_one("#issue", Input).value)
        due = _day(self.query_one("#due", Input).value)
        assert issue is not None and due is not None
        notes = self.query_one("#notes", Input).value
        discount, _ = self.discount(sums_of(priced(lines))["subtotal"])
        self._save(ref, lines, (issue, due), notes, discount or NO_DISCOUNT, then_send)

    @work(thread=True, exit_on_error=False, group="save")
    def _save(
        self,
        ref: str,
        lines: list[LineInput],
        dates: tuple[date, date],
        notes: str,
        discount: Discount,
        send: bool,
    ) -> None:
        door = self.ctx.door.invoices
        saved = door.save_draft(self.invoice_id, ref, lines, *dates, notes, discount)
        self.app.call_from_thread(self.call_later, self._saved, saved)
        if send:
            self._send_now(saved.id)

    async def _saved(self, invoice: InvoiceDetail) -> None:
        self.invoice_id = invoice.id
        self.invoice = invoice
        self.query_one("#invoice-head", Static).update(self._head(invoice))
        if self.query("#client"):
            await self._show_form(invoice, invoice.issue_date, invoice.due_date)
        self.notify(f"Saved {invoice.number} as a draft.", markup=False)


def _plain(value: int, places: int) -> str:
    """A stored integer (milli-units, cents, basis points) as a person types it."""
    text = f"{value / 10**places:.{places}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
