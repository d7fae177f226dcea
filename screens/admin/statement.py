"""A client's statements: the activity of a date range (opening balance, invoices, payments,
refunds, voids, closing balance) and what was outstanding at its end, with the ages. `s`
saves the PDF (and says where), `m` emails it to the client with a [View Invoice] code for
each invoice open now. The range is changed in the two boxes (a bad range is said)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import DataTable, Input, Static, TabbedContent, TabPane
from textual.worker import Worker, WorkerState

from screens.admin.ask import AskDialog
from screens.admin.base import AdminScreen
from screens.admin.context import AdminContext
from screens.admin.paged_table import money_cell
from screens.widgets.literal import join, lit
from services.console.aging import LABELS
from services.console.statements import KINDS, Statement, default_range
from services.dates import format_day
from services.doors.admin_statements import StatementError, StatementSent

TABS = (("activity", "Activity"), ("outstanding", "Outstanding"))


def asked_range(since: str, until: str) -> tuple[date, date]:
    """The two boxes as days: ValueError with the words to show."""
    days = []
    for text in (since.strip(), until.strip()):
        try:
            days.append(date.fromisoformat(text))
        except ValueError:
            raise ValueError(f"“{text}” is not a date: write it as 2026-03-16") from None
    return days[0], days[1]


class StatementScreen(AdminScreen):
    """One client's activity statement for a range and outstanding statement at its end."""

    section = "receivables"
    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("d", "dates", "Dates"),
        Binding("s", "save", "Save PDF"),
        Binding("m", "email", "Email"),
        *(Binding(str(n), f"tab('{key}')", label, show=False) for n, (key, label) in
          enumerate(TABS, 1)),
    ]  # fmt: skip

    @dataclass
    class Shown(Message):
        """The statement (or why there is none) arrived."""

        statement: Statement | None
        problem: str = ""

    @dataclass
    class Done(Message):
        """Saving or emailing finished: what to say."""

        text: str
        error: bool = False

    def __init__(self, ctx: AdminContext, client_id: int, end: date | None = None) -> None:
        super().__init__(ctx)
        self.client_id = client_id
        self.range: tuple[date, date] | None = default_range(end) if end else None
        self.statement: Statement | None = None
        self.busy = False

    def body(self) -> ComposeResult:
        with Horizontal(id="statement-bar"):
            yield Input(placeholder="from (d)", id="since")
            yield Input(placeholder="until", id="until")
            yield Static("Loading…", id="statement-title", markup=False)
        with TabbedContent(id="statement-tabs"):
            with TabPane("1 Activity", id="tab-activity"):
                yield Static("", id="activity-sums", markup=False)
                yield DataTable(id="activity", cursor_type="row", zebra_stripes=True)
            with TabPane("2 Outstanding", id="tab-outstanding"):
                yield Static("", id="outstanding-sums", markup=False)
                yield DataTable(id="outstanding", cursor_type="row", zebra_stripes=True)
        yield Static("", id="statement-status", markup=False)

    def on_mount(self) -> None:
        activity = self.query_one("#activity", DataTable)
        for label, width in (("Date", 12), ("Entry", 8), ("Reference", 14), ("Amount", 12),
                             ("Balance", 12)):  # fmt: skip
            activity.add_column(label, width=width)
        outstanding = self.query_one("#outstanding", DataTable)
        for label, width in (("Invoice", 10), ("Issued", 12), ("Due", 12), ("Days late", 9),
                             ("Age", 7), ("Balance", 12)):  # fmt: skip
            outstanding.add_column(label, width=width)
        activity.focus()
        self._load(self.range)

    # -- reading -------------------------------------------------------------------------

    @work(thread=True, exit_on_error=False, group="statement")
    def _load(self, asked: tuple[date, date] | None) -> None:
        door = self.ctx.door.statements
        start, end = asked or door.default_range()
        try:
            st = door.statement(self.client_id, start, end)
        except StatementError as exc:
            self.post_message(self.Shown(None, str(exc)))
            return
        self.post_message(self.Shown(st))

    @on(Shown)
    def _shown(self, event: Shown) -> None:
        if event.statement is None:
            self._say(event.problem, error=True)
            return
        st = self.statement = event.statement
        self.range = (st.start, st.end)
        self.query_one("#since", Input).value = st.start.isoformat()
        self.query_one("#until", Input).value = st.end.isoformat()
        day = self._day
        self.query_one("#statement-title", Static).update(
            join((st.client.name, "bold"), f"\n{day(st.start)} – {day(st.end)}")
        )
        self._show_activity(st)
        self._show_outstanding(st)
        self._say("")
        self.refresh_bindings()

    def _day(self, day: date) -> str:
        return format_day(day, self.ctx.fmt.locale)

    def _show_activity(self, st: Statement) -> None:
        money, day = self.ctx.fmt.money, self._day
        before = st.start - timedelta(days=1)
        self.query_one("#activity-sums", Static).update(
            join(
                f"Opening balance (end of {day(before)}) ", (money(st.opening), "bold"),
                f"\nInvoiced {money(st.invoiced)} · paid {money(st.paid)}",
                f" · refunded {money(st.refunded)} · voided {money(st.voided)}",
                f"\nClosing balance (end of {day(st.end)}) ", (money(st.closing), "bold"),
            )
        )  # fmt: skip
        table = self.query_one("#activity", DataTable)
        table.clear()
        for line in st.lines:
            cells = (money_cell(money(line.amount)), money_cell(money(line.balance)))
            table.add_row(lit(day(line.day)), lit(KINDS[line.kind]), lit(line.reference), *cells)

    def _show_outstanding(self, st: Statement) -> None:
        money, day = self.ctx.fmt.money, self._day
        ages = " · ".join(
            f"{label} {money(v)}" for label, v in zip(LABELS, st.buckets, strict=True)
        )
        self.query_one("#outstanding-sums", Static).update(
            join(f"Outstanding at the end of {day(st.end)} ", (money(st.owed), "bold"), f"\n{ages}")
        )
        table = self.query_one("#outstanding", DataTable)
        table.clear()
        for item in st.outstanding:
            table.add_row(lit(item.number), lit(day(item.issue_date)), lit(day(item.due_date)),
                          money_cell(str(item.days_overdue)), lit(LABELS[item.bucket]),
                          money_cell(money(item.balance)))  # fmt: skip

    def _say(self, text: str, error: bool = False) -> None:
        self.query_one("#statement-status", Static).update(
            join((text, "red" if error else "green"))
        )

    # -- keys ----------------------------------------------------------------------------

    def action_back(self) -> None:
        if isinstance(self.focused, Input):
            self.query_one("#activity", DataTable).focus()
            return
        self.app.pop_screen()

    def action_tab(self, key: str) -> None:
        self.query_one(TabbedContent).active = f"tab-{key}"
        self.query_one(f"#{key}", DataTable).focus()

    def action_dates(self) -> None:
        self.query_one("#since", Input).focus()

    @on(Input.Submitted)
    def _range_given(self) -> None:
        try:
            asked = asked_range(self.query_one("#since", Input).value,
                                self.query_one("#until", Input).value)  # fmt: skip
        except ValueError as exc:
            self._say(str(exc), error=True)
            return
        self.query_one("#activity", DataTable).focus()
        self._load(asked)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("dates", "save", "email", "tab") and isinstance(self.focused, Input):
            return False  # the letters go into the box
        if action in ("save", "email"):
            return self.statement is not None and not self.busy
        return True

    def action_save(self) -> None:
        if self.statement is not None:
            self._busy("Writing the PDF…")
            self._save(self.statement)

    @work(thread=True, exit_on_error=False, group="statement-out")
    def _save(self, st: Statement) -> None:
        path: Path = self.ctx.door.statements.save_pdf(st)
        self.post_message(self.Done(f"PDF saved to {path.name}\nin {path.parent}"))

    def action_email(self) -> None:
        st = self.statement
        if st is None:
            return
        title = f"Email the statement to {st.client.name}?"
        body = (
            f"To {st.client.email}: the PDF for {self._day(st.start)} – {self._day(st.end)}, "
            "and a [View Invoice] code for each invoice open now."
        )

        def answered(answer: str | None) -> None:
            if answer == "send" and self.statement is not None:
                self._busy("Sending…")
                self._send(self.statement)

        self.app.push_screen(AskDialog(title, body, (("send", "Send"),)), answered)

    @work(thread=True, exit_on_error=False, group="statement-out")
    def _send(self, st: Statement) -> None:
        try:
            sent: StatementSent = self.ctx.door.statements.send(st.client_id, st.start, st.end)
        except StatementError as exc:
            self.post_message(self.Done(str(exc), error=True))
            return
        if not sent.sent:
            self.post_message(self.Done(f"Not sent to {sent.to}: {sent.error}", error=True))
            return
        codes = f"{sent.codes} [View Invoice] code{'s' if sent.codes != 1 else ''}"
        self.post_message(self.Done(f"Emailed to {sent.to} with {codes}"))

    def _busy(self, text: str) -> None:
        self.busy = True
        self._say(text)
        self.refresh_bindings()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        super().on_worker_state_changed(event)
        if event.state == WorkerState.ERROR and event.worker.group == "statement-out":
            self.post_message(self.Done("That did not work; it has been logged.", error=True))

    @on(Done)
    def _done(self, event: Done) -> None:
        self.busy = False
        self._say(event.text, error=event.error)
        self.refresh_bindings()
