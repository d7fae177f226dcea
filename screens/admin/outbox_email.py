"""One email of the outbox: to whom, its subject and state, its attempts with their errors and
times, its attachments' names and its text as the service gives it (one-time codes hidden).
R resends it and C cancels it, each when the email allows it and after a yes."""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.notifications import SeverityLevel
from textual.widgets import Static

from screens.admin.base import AdminScreen
from screens.admin.confirm import AdminConfirm
from screens.admin.context import AdminContext
from screens.admin.outbox import state_text
from screens.widgets.literal import join, lit
from services.console.outbox import OutboxEmail
from services.doors.admin_outbox import OutboxRefused, Resent


class OutboxEmailScreen(AdminScreen):
    """An email of the outbox; Escape goes back to the list."""

    section = "outbox"
    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("r", "resend", "Resend"),
        Binding("c", "cancel", "Cancel sending"),
    ]

    def __init__(self, ctx: AdminContext, email_id: int) -> None:
        super().__init__(ctx)
        self.email_id = email_id
        self.email: OutboxEmail | None = None
        self.busy = False  # a resend or cancel in flight

    def body(self) -> ComposeResult:
        yield Static("Loading…", id="email-head", classes="panel", markup=False)
        with VerticalScroll(id="email-body"):
            yield Static("Attempts", classes="title", markup=False)
            yield Static("", id="email-attempts", markup=False)
            yield Static("Attachments", classes="title", markup=False)
            yield Static("", id="email-attachments", markup=False)
            yield Static("Text", classes="title", markup=False)
            yield Static("", id="email-text", markup=False)

    def on_mount(self) -> None:
        self.reload()

    def reload(self) -> None:
        self._load()

    @work(thread=True, exit_on_error=False, group="outbox-email")
    def _load(self) -> None:
        email = self.ctx.door.outbox.email(self.email_id)
        self.app.call_from_thread(self._show, email)

    def _show(self, email: OutboxEmail) -> None:
        self.email = email
        self.query_one("#email-head", Static).update(self._head(email))
        self.query_one("#email-attempts", Static).update(self._attempts(email))
        names = Text("\n".join(email.attachments)) if email.attachments else None
        self.query_one("#email-attachments", Static).update(names or Text("None.", style="dim"))
        self.query_one("#email-text", Static).update(self._text(email))
        self.refresh_bindings()

    def _head(self, e: OutboxEmail) -> Text:
        row = e.row
        head = join((row.subject or "(no subject)", "bold"), "\n", ("To ", "dim"), (row.to, ""))
        head.append("\n")
        head.append_text(state_text(row.state))
        head.append(f" · {row.tries} attempt{'' if row.tries == 1 else 's'}")
        if row.state == "retrying" and row.next_at is not None:
            head.append(f" · next try {self.ctx.stamp(row.next_at)}")
        head.append(f"\nQueued {self.ctx.stamp(row.created_at)}")
        if row.state == "sent" and e.sent_at is not None:
            head.append(f" · sent {self.ctx.stamp(e.sent_at)}")
        if row.error and row.state != "sent":
            head.append_text(join("\n", ("Last error: ", "dim"), (row.error, "red")))
        return head

    def _attempts(self, e: OutboxEmail) -> Text:
        if not e.attempts:
            return Text("Not tried yet.", style="dim")
        out = Text()
        for n, attempt in enumerate(e.attempts, 1):
            out.append(f"{n}. {self.ctx.stamp(attempt.at)}  ")
            if attempt.error:
                out.append_text(lit(attempt.error, "red"))
            else:
                out.append("went out", style="green")
            out.append("\n")
        out.rstrip()
        return out

    def _text(self, e: OutboxEmail) -> Text:
        if e.text is None:
            return Text("Not kept: sent before the outbox kept texts.", style="dim")
        out = Text()
        if e.masked:
            out.append("One-time codes in it are hidden.\n\n", style="italic dim")
        out.append_text(lit(e.text))
        return out

    # -- keys --------------------------------------------------------------------------------

    def action_back(self) -> None:
        self.app.pop_screen()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        e = self.email
        if action == "resend":
            return e is not None and e.can_resend and not self.busy
        if action == "cancel":
            return e is not None and e.can_cancel and not self.busy
        return True

    def action_resend(self) -> None:
        e = self.email
        if e is None or not e.can_resend:
            return
        body = f"“{e.row.subject}” is delivered again to {e.row.to}, now."
        dialog = AdminConfirm("Resend this email", body, "Resend it", "Keep it as it is")
        self.app.push_screen(dialog, lambda yes: self._act("resend") if yes else None)

    def action_cancel(self) -> None:
        e = self.email
        if e is None or not e.can_cancel:
            return
        body = (
            f"“{e.row.subject}” to {e.row.to} is not tried again by itself. "
            "It stays in the outbox, and can still be resent."
        )
        dialog = AdminConfirm("Cancel this email", body, "Cancel sending", "Keep trying")
        self.app.push_screen(dialog, lambda yes: self._act("cancel") if yes else None)

    def _act(self, what: str) -> None:
        self.busy = True
        self.refresh_bindings()
        self._act_now(what)

    @work(thread=True, exit_on_error=False, group="outbox-action")
    def _act_now(self, what: str) -> None:
        outbox = self.ctx.door.outbox
        severity: SeverityLevel = "information"
        try:
            if what == "cancel":
                outbox.cancel(self.email_id)
                said = "Cancelled: it is not tried again by itself."
            else:
                resent: Resent = outbox.resend(self.email_id)
                said = resent.message
                if not resent.sent:
                    severity = "warning"
        except OutboxRefused as refused:
            said, severity = str(refused), "error"
        finally:
            self.app.call_from_thread(self._unbusy)
        self.app.call_from_thread(self._done, said, severity)

    def _unbusy(self) -> None:
        self.busy = False
        self.refresh_bindings()

    def _done(self, said: str, severity: SeverityLevel) -> None:
        self.app.notify(said, severity=severity, markup=False)
        self.reload()
