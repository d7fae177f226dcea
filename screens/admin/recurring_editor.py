"""One recurring invoice: its schedule and lines to edit, the next 6 invoices as the run
will issue them (updated as you type), the client's own auto-bill choice and who made it
when, and pause / resume / cancel. A mode that would override the client's choice is asked
about first; if the owner overrides, the client is emailed."""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.binding import Binding
from textual.widgets import Input, Select, Static, TextArea

from screens.admin.ask import AskDialog
from screens.admin.context import AdminContext
from screens.admin.recurring_form import RecurringFormScreen
from services.doors.admin_recurring import RecurringEdit
from services.errors import PaydeskError


class RecurringEditorScreen(RecurringFormScreen):
    """Ctrl+S saves; Ctrl+P pauses or resumes; Ctrl+X cancels the plan; Escape goes back."""

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("ctrl+r", "pause_resume", "Pause/Resume", priority=True),
        Binding("ctrl+x", "cancel_plan", "Cancel plan", priority=True),
    ]

    def __init__(self, ctx: AdminContext, recurring_id: int) -> None:
        super().__init__(ctx)
        self.recurring_id = recurring_id
        self.edit: RecurringEdit | None = None

    def on_mount(self) -> None:
        self._load()

    @work(thread=True, exit_on_error=False, group="recurring")
    def _load(self) -> None:
        edit = self.ctx.door.recurring.open(self.recurring_id)
        self.app.call_from_thread(self._show, edit)

    def _show(self, edit: RecurringEdit) -> None:
        self.edit = edit
        d, fmt = edit.detail, self.ctx.fmt
        v = d.view
        values = {
            "description": v.description,
            "frequency": d.frequency,
            "anchor": d.anchor_date.isoformat(),
            "end": d.end_date.isoformat() if d.end_date else "",
            "count": str(d.max_count or ""),
            "due_days": str(d.due_days),
        }
        with self.prevent(Input.Changed, TextArea.Changed, Select.Changed):
            for key, value in values.items():
                self.query_one(f"#rec-{key}", Input).value = value
            self.query_one("#rec-mode", Select).value = v.autobill_mode
            self.query_one("#rec-lines", TextArea).text = edit.lines_text
        self.query_one("#rec-head", Static).update(
            Text.assemble(
                (v.client_name, "bold"),
                f" · {v.status} · {d.generated_count} issued · ",
                (fmt.money(v.amount, v.currency), "bold"),
            )
        )
        self.query_one("#rec-choice", Static).update(self._choice(edit))
        self.query_one("#rec-description", Input).focus()
        self._preview_now()

    def _choice(self, edit: RecurringEdit) -> Text:
        chose = "on" if edit.client_choice else "off"
        line = Text(f"Client's choice: auto-pay {chose}", style="bold")
        change = edit.change
        if change is not None:
            line.append(f" (turned {'on' if change.enabled else 'off'} by {change.actor}, ")
            line.append(f"{self.ctx.stamp(change.at)})")
        else:
            line.append(" (no Enable/Disable by the client recorded)", style="dim")
        return line

    # -- the preview -------------------------------------------------------------------------

    def _preview_now(self) -> None:
        if self.edit is not None:
            self._preview(self._fields(), self.edit.client_id)

    @work(thread=True, exit_on_error=False, group="preview", exclusive=True)
    def _preview(self, fields: dict[str, str], client_id: int) -> None:
        door, fmt = self.ctx.door.recurring, self.ctx.fmt
        out = Text("Next invoices\n", style="bold")
        try:
            rows = door.preview(door.form(client_id, fields), self.recurring_id)
        except (PaydeskError, ValueError) as exc:
            out.append(str(exc), style="red")
        else:
            if not rows:
                out.append("none: the plan has ended", style="dim")
            for row in rows:
                out.append(f"{fmt.date(row.day):<13} {fmt.money(row.amount):>11}\n")
        self.app.call_from_thread(self.query_one("#rec-preview", Static).update, out)

    # -- saving, with the override asked about -------------------------------------------------

    def action_save(self) -> None:
        if self.edit is not None:
            self._save(self._fields(), self.edit.client_id, False)

    @work(thread=True, exit_on_error=False, group="save")
    def _save(self, fields: dict[str, str], client_id: int, override: bool) -> None:
        door = self.ctx.door.recurring
        try:
            form = door.form(client_id, fields)
            change = door.mode_change(self.recurring_id, form.mode)
            if change.changed and change.overrides and not override:
                self.app.call_from_thread(self._ask_override, fields, client_id, change.on_after)
                return
            door.save(self.recurring_id, form, override=override)
        except (PaydeskError, ValueError) as exc:
            self.app.call_from_thread(self.notify, str(exc), severity="error", markup=False)
            return
        said = "Saved; the client has been emailed about the override." if override else "Saved."
        self.app.call_from_thread(self.notify, said, markup=False)
        self.app.call_from_thread(self._load)

    def _ask_override(self, fields: dict[str, str], client_id: int, on_after: bool) -> None:
        edit = self.edit
        assert edit is not None
        chose = "on" if edit.client_choice else "off"
        when = ""
        if edit.change is not None:
            when = f" ({edit.change.actor}, {self.ctx.stamp(edit.change.at)})"
        body = (
            f"The client chose auto-pay {chose}{when}. Mode {fields['mode']} turns it "
            f"{'on' if on_after else 'off'} and the client can no longer change it.\n"
            "Override their choice? They will be emailed."
        )

        def answered(answer: str | None) -> None:
            if answer == "override":
                self._save(fields, client_id, True)
            elif answer == "keep":
                self.query_one("#rec-mode", Select).value = edit.detail.view.autobill_mode
                self._save(self._fields(), client_id, False)

        self.app.push_screen(
            AskDialog(
                "Override the client's choice?",
                body,
                (("override", "Override and email"), ("keep", "Keep their choice, save the rest")),
            ),
            answered,
        )

    # -- pause, resume, cancel ---------------------------------------------------------------

    def action_pause_resume(self) -> None:
        if self.edit is not None and self.edit.detail.view.status in ("active", "paused"):
            self._status("resume" if self.edit.detail.view.status == "paused" else "pause")

    def action_cancel_plan(self) -> None:
        if self.edit is None or self.edit.detail.view.status not in ("active", "paused"):
            return
        body = f"Cancel {self.edit.detail.view.description!r} for good? No more invoices."

        def answered(answer: str | None) -> None:
            if answer == "cancel":
                self._status("cancel")

        self.app.push_screen(
            AskDialog("Cancel this plan?", body, (("cancel", "Cancel the plan"),)), answered
        )

    @work(thread=True, exit_on_error=False, group="status")
    def _status(self, what: str) -> None:
        door = self.ctx.door.recurring
        try:
            if what == "pause":
                door.pause(self.recurring_id)
                said = "Paused: no invoices until resumed."
            elif what == "resume":
                said = f"Resumed; next invoice {self.ctx.fmt.date(door.resume(self.recurring_id))}."
            else:
                door.cancel(self.recurring_id)
                said = "Cancelled."
        except PaydeskError as exc:
            said = str(exc)
        self.app.call_from_thread(self.notify, said, markup=False)
        self.app.call_from_thread(self._load)
