"""A new recurring invoice: the client (picked by search), the schedule and its lines, the
auto-bill mode, and what a past anchor means: by `paydesk recurring add`'s rule billing starts
with the next period unless back-filling is asked for. Every field that does not read is
named beside its label and in the preview; Ctrl+S adds the plan, audited, and goes back."""

from __future__ import annotations

from datetime import date

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Button, Input, Select, Static, TextArea

from screens.admin.client_pick import ClientPickDialog, PickedClient
from screens.admin.context import AdminContext
from screens.admin.recurring_form import FIELDS, RecurringFormScreen, form_row
from screens.widgets.literal import content
from services.billing.preview import PreviewDate
from services.errors import PaydeskError

PAST_PERIODS = [
    ("no: from the next period", "next"),
    ("yes: bill them, not charged", "email"),
    ("yes: bill and charge them", "charge"),
]
LABELS = [key for key, _ in FIELDS] + ["mode", "lines", "client"]


class NewRecurringScreen(RecurringFormScreen):
    """Ctrl+O picks the client; Ctrl+S adds the plan; Escape goes back without it."""

    BINDINGS = [
        Binding("ctrl+o", "pick_client", "Client", priority=True),
        Binding("ctrl+s", "save", "Add", priority=True),
    ]

    def __init__(self, ctx: AdminContext, client: PickedClient | None = None) -> None:
        super().__init__(ctx)
        self.client = client
        self.touched = False  # what is wrong is said once the owner has begun

    def form_rows(self) -> ComposeResult:
        yield form_row("client", "Client", Button("", id="rec-client", compact=True))
        yield from super().form_rows()
        past = Select(PAST_PERIODS, id="rec-past", allow_blank=False, compact=True)
        yield form_row("past", "Back-fill", past)

    def on_mount(self) -> None:
        self._load()

    @work(thread=True, exit_on_error=False, group="recurring")
    def _load(self) -> None:
        mode = self.ctx.door.recurring.default_mode()
        self.app.call_from_thread(self._start, mode, self.ctx.door.recurring.today())

    def _start(self, mode: str, today: date) -> None:
        with self.prevent(Input.Changed, Select.Changed):
            self.query_one("#rec-frequency", Input).value = "monthly"
            self.query_one("#rec-anchor", Input).value = today.isoformat()
            self.query_one("#rec-mode", Select).value = mode
        self.query_one("#rec-due_days", Input).placeholder = "the business's terms"
        self.query_one("#rec-count", Input).placeholder = "invoices, then stop"
        self._show_client()
        self.query_one("#rec-description", Input).focus()
        self._preview_now()
        if self.client is None:
            self.action_pick_client()

    # -- the client ----------------------------------------------------------------------------

    def action_pick_client(self) -> None:
        def picked(client: PickedClient | None) -> None:
            if client is not None:
                self.client = client
                self._show_client()
                self._preview_now()

        self.app.push_screen(ClientPickDialog(self.ctx), picked)

    @on(Button.Pressed, "#rec-client")
    def _client_pressed(self) -> None:
        self.action_pick_client()

    def _show_client(self) -> None:
        name = self.client.name if self.client else "choose… (ctrl+o)"
        self.query_one("#rec-client", Button).label = content(name)
        head = Text("New recurring invoice", style="bold")
        if self.client is not None:
            head.append(" for ")
            head.append(self.client.name, style="bold")
        self.query_one("#rec-head", Static).update(head)

    # -- the preview, the problems, the past anchor --------------------------------------------

    def _past(self) -> str:
        return str(self.query_one("#rec-past", Select).value)

    @on(Select.Changed)
    def _chose(self) -> None:
        self._preview_now()

    @on(Input.Changed)
    @on(TextArea.Changed)
    def _touched(self) -> None:
        self.touched = True

    def _preview_now(self) -> None:
        client_id = self.client.id if self.client else None
        self._check(self._fields(), client_id, self._past())

    @work(thread=True, exit_on_error=False, group="preview", exclusive=True)
    def _check(self, fields: dict[str, str], client_id: int | None, past: str) -> None:
        door = self.ctx.door.recurring
        problems = door.problems(client_id, fields)
        rows: tuple[PreviewDate, ...] = ()
        note = Text()
        if set(problems) <= {"client"}:
            form = door.form(client_id or 0, fields)
            rows = door.preview(form, None, backfill=past != "next")
            note = self._past_note(form.anchor, door.today(), past, rows)
        self.app.call_from_thread(self._show_check, problems, rows, note)

    def _past_note(
        self, anchor: date, today: date, past: str, rows: tuple[PreviewDate, ...]
    ) -> Text:
        fmt = self.ctx.fmt
        if anchor >= today:
            return Text(f"The first invoice is for {fmt.date(anchor)}, the anchor.", style="dim")
        first = fmt.date(rows[0].day) if rows else "—"
        if past == "next":
            return Text(
                f"The anchor {fmt.date(anchor)} is in the past: billing starts with the next "
                f"period, {first}, not before. To bill the past periods too, set Back-fill.",
                style="bold",
            )
        how = "and charged" if past == "charge" else "and emailed as past due, not charged"
        return Text(
            f"The anchor {fmt.date(anchor)} is in the past: the periods from {first} to today "
            f"are billed when you add the plan, {how}; then every period.",
            style="bold",
        )

    def _show_check(
        self, problems: dict[str, str], rows: tuple[PreviewDate, ...], note: Text
    ) -> None:
        fmt = self.ctx.fmt
        out = Text("Next invoices\n", style="bold")
        if not self.touched:
            problems = {}
        if not rows:
            out.append("shown once the fields are right", style="dim")
        for row in rows:
            out.append(f"{fmt.date(row.day):<13} {fmt.money(row.amount):>11}\n")
        self.query_one("#rec-preview", Static).update(out)
        said = Text("\n").join(Text(message, style="red") for message in problems.values())
        if note:
            said = Text("\n").join([said, note]) if problems else note
        self.query_one("#rec-choice", Static).update(said)
        for key in LABELS:
            self.query_one(f"#rec-label-{key}").set_class(key in problems, "rec-bad")

    # -- adding --------------------------------------------------------------------------------

    def action_save(self) -> None:
        self.touched = True
        client_id = self.client.id if self.client else None
        self._add(self._fields(), client_id, self._past())

    @work(thread=True, exit_on_error=False, group="save")
    def _add(self, fields: dict[str, str], client_id: int | None, past: str) -> None:
        door, fmt = self.ctx.door.recurring, self.ctx.fmt
        problems = door.problems(client_id, fields)
        if problems or client_id is None:
            self.app.call_from_thread(self._show_check, problems, (), Text())
            said = "Not added: " + "; ".join(problems.values())
            self.app.call_from_thread(self.notify, said, severity="error", markup=False)
            return
        try:
            detail, backfilled = door.add(
                door.form(client_id, fields), None if past == "next" else past
            )
        except (PaydeskError, ValueError) as exc:
            self.app.call_from_thread(self.notify, str(exc), severity="error", markup=False)
            return
        view = detail.view
        said = f"Added {view.description} for {view.client_name}"
        if detail.upcoming:
            said += f"; next invoice {fmt.date(detail.upcoming[0])}"
        if backfilled:
            said += f"; {len(backfilled)} past period(s) billed"
        self.app.call_from_thread(self.notify, said + ".", markup=False)
        self.app.call_from_thread(self.app.pop_screen)
