"""One audit entry whole: when, who, from where, what and about what; the fields it changed with
their values before and after side by side; the rest of its details. All of it literal."""

from __future__ import annotations

import json

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Static

from screens.admin.base import AdminScreen
from screens.admin.context import AdminContext
from screens.widgets.literal import join, lit
from services.audit import AuditEntry

# Detail keys that hold an amount in minor units (shown with the business's formatter).
MONEY_KEYS = frozenset(
    {"amount", "total", "subtotal", "tax", "unit_price", "balance", "amount_paid", "discount"}
)


def value_text(key: str, value: object, money) -> Text:
    """A detail's value as one literal line: amounts formatted, nothing as a dim dash."""
    if value is None or value == "":
        return Text("—", style="dim")
    if isinstance(value, bool):
        return Text("yes" if value else "no")
    if isinstance(value, int) and key in MONEY_KEYS:
        return Text(money(value))
    if isinstance(value, dict | list):
        value = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return lit(" · ".join(str(value).splitlines()))


class AuditEntryScreen(AdminScreen):
    """An audit row; Escape goes back to the log."""

    section = "audit"
    BINDINGS = [Binding("escape", "back", "Back")]

    def __init__(self, ctx: AdminContext, entry_id: int) -> None:
        super().__init__(ctx)
        self.entry_id = entry_id
        self.entry: AuditEntry | None = None

    def body(self) -> ComposeResult:
        yield Static("Loading…", id="audit-head", classes="panel", markup=False)
        with VerticalScroll(id="audit-body"):
            yield Static("Changes: before and after", classes="title", markup=False)
            changes: DataTable[Text] = DataTable(
                id="audit-changes", cursor_type="none", zebra_stripes=True
            )
            changes.add_column("Field", width=16)
            changes.add_column("Before", width=26)
            changes.add_column("After", width=26)
            yield changes
            yield Static("Details", classes="title", markup=False)
            yield Static("", id="audit-details", markup=False)

    def on_mount(self) -> None:
        self._load()

    @work(thread=True, exit_on_error=False, group="audit-entry")
    def _load(self) -> None:
        entry = self.ctx.door.audit_entry(self.entry_id)
        self.app.call_from_thread(self._show, entry)

    def _show(self, entry: AuditEntry | None) -> None:
        self.entry = entry
        head = self.query_one("#audit-head", Static)
        if entry is None:
            head.update(Text(f"No audit entry {self.entry_id}.", style="dim"))
            return
        head.update(
            join(
                (entry.action, "bold"),
                "  ",
                (entry.subject or "—", ""),
                f"\n{self.ctx.stamp(entry.at)}\n",
                ("By ", "dim"),
                (entry.actor, "bold"),
                ("  from ", "dim"),
                (entry.address or "—", ""),
            )
        )
        money = self.ctx.fmt.money
        changed = entry.detail.get("changes")
        table = self.query_one("#audit-changes", DataTable)
        table.clear()
        if isinstance(changed, dict) and changed:
            for field, pair in changed.items():
                before, after = pair if isinstance(pair, list) and len(pair) == 2 else (None, pair)
                table.add_row(
                    lit(field), value_text(field, before, money), value_text(field, after, money)
                )
        else:
            table.display = False
            self.query_one(".title", Static).update(Text("Nothing changed by this entry."))
        rest = {k: v for k, v in entry.detail.items() if k != "changes"}
        details = Text()
        for key, value in rest.items():
            details.append_text(join((key, "bold"), "  "))
            details.append_text(value_text(key, value, money))
            details.append("\n")
        self.query_one("#audit-details", Static).update(
            details if rest else Text("None.", style="dim")
        )

    def action_back(self) -> None:
        self.app.pop_screen()
